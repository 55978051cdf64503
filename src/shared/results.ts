/**
 * The T2Vid paper's reported numbers, shown as reference rows beside a curator's own evaluations. Only numbers with
 * a source: T2Vid (arXiv 2411.19951) as summarised in DESIGN.md — Video-MME, mixing ~10K synthetic samples into 20K
 * real video samples against training on 200K video samples.
 */
export interface PaperReference {
  /** The lmms-eval task the number corresponds to. */
  task: string;
  value: number;
  setting: string;
}

export const PAPER_REFERENCE: readonly PaperReference[] = [
  { task: 'videomme', value: 53.0, setting: 'MiniCPM-Llama3-V 2.5, 10K T2Vid + 20K video samples' },
  { task: 'videomme', value: 50.8, setting: 'MiniCPM-Llama3-V 2.5, 200K video samples' },
  { task: 'videomme', value: 56.3, setting: 'Idefics3-8B, 10K T2Vid + 20K video samples' },
  { task: 'videomme', value: 53.3, setting: 'Idefics3-8B, 200K video samples' },
];

/** The metric of the scores recomputed from T2Vid's own bench_results (pred = GT over its judged predictions, %). */
export const BENCH_METRIC = 'accuracy (run_bench)';

/** What a sweep's x axis is: the datasets' synthetic share (from their manifests), a number, or the runs' order. */
export const SWEEP_AXIS_KINDS = ['synthetic-share', 'number', 'category'] as const;
export type SweepAxisKind = (typeof SWEEP_AXIS_KINDS)[number];

export const SORT_DIRECTIONS = ['ascending', 'descending'] as const;
export type SortDirection = (typeof SORT_DIRECTIONS)[number];

/**
 * The task a (sub-)task belongs to among `tasks`: the longest other task that is a prefix of it followed by `_`
 * (`mvbench_action_sequence` → `mvbench`, `videomme_short` → `videomme`), or undefined for a benchmark of its own.
 */
export function parentTask(task: string, tasks: ReadonlySet<string>): string | undefined {
  let best: string | undefined;
  for (const t of tasks) {
    if (t !== task && task.startsWith(`${t}_`) && (best === undefined || t.length > best.length)) {
      best = t;
    }
  }
  return best;
}

/**
 * The order of rows sorted by one value each (`null`: no value): ascending or descending, rows without a value last
 * either way, ties kept in their given order. Returns row indices.
 */
export function sortOrder(values: ReadonlyArray<number | string | null>, direction: SortDirection): number[] {
  const sign = direction === 'ascending' ? 1 : -1;
  return values
    .map((v, i) => ({ v, i }))
    .sort((a, b) => {
      if (a.v === null || b.v === null) {
        return a.v === b.v ? a.i - b.i : a.v === null ? 1 : -1;
      }
      const c = typeof a.v === 'number' && typeof b.v === 'number' ? a.v - b.v : String(a.v).localeCompare(String(b.v));
      return sign * c || a.i - b.i;
    })
    .map((x) => x.i);
}

/** One line of a sweep plot: a benchmark's score at each swept value where the run has one. */
export interface SweepSeries {
  /** The column (benchmark) index. */
  column: number;
  points: Array<{ x: number; y: number; run: number }>;
}

/**
 * A sweep plot's lines, one per benchmark column (`columns[i]` is a benchmark, not a sub-task) that has a value for
 * at least one run of the sweep. `points` are the sweep's runs (index into `values`) in x order.
 */
export function sweepSeries(
  points: ReadonlyArray<{ run: number; x: number }>,
  benchmarkColumns: readonly number[],
  values: ReadonlyArray<ReadonlyArray<number | null>>,
): SweepSeries[] {
  return benchmarkColumns
    .map((column) => ({
      column,
      points: points.flatMap((p) => {
        const y = values[p.run]?.[column];
        return y === null || y === undefined ? [] : [{ x: p.x, y, run: p.run }];
      }),
    }))
    .filter((s) => s.points.length > 0);
}

/** A score as the table shows it (two decimals; integers as they are). */
export function formatScore(v: number | null | undefined): string {
  return v === null || v === undefined ? '' : Number.isInteger(v) ? String(v) : v.toFixed(2);
}

/** A delta with its sign. */
export function formatDelta(v: number | null | undefined): string {
  return v === null || v === undefined ? '' : `${v >= 0 ? '+' : ''}${v.toFixed(2)}`;
}
