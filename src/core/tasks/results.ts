/**
 * Evaluation results, read from the evaluators' own files, never from their logs:
 * - lmms-eval's `<output_path>/**\/*_results.json` (found by globbing as FORMATS.md says, never by rebuilding the
 *   name). Group scores that lmms-eval leaves out (MVBench, TempCompass at the pinned snapshot) are computed here,
 *   sample-weighted from `n-samples`, and marked as ours.
 * - T2Vid's own `run_bench.sh` output, `bench_results/<EXP>/<bench>/results/merge.jsonl` (the judged predictions, one
 *   JSON object per line with `pred`, `GT`, `category`; `<N>_<i>.jsonl` are its chunks before they are merged): the
 *   accuracy is recomputed from pred = GT, per category and overall, exactly as T2Vid's eval_vanilla.py counts it.
 * Runs are compared side by side, with deltas against a baseline run, as CSV or Markdown; runs of one sweep are
 * grouped with the swept value as a number where one can be found (sweeps below).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ResultsTable } from '../../shared/protocol/results';
import { BENCH_METRIC, formatDelta, formatScore, PAPER_REFERENCE, parentTask, type SweepAxisKind } from '../../shared/results';
import { benchExperimentName, RUN_FILE, SWEEP_EVAL_DIR, type RunRecord } from '../../shared/tasks';

export interface Score {
  /** lmms-eval task or group, e.g. mvbench_action_sequence, videomme. */
  task: string;
  /** Metric, with its filter when it is not `none`: e.g. mvbench_accuracy, exact_match (flexible-extract). */
  metric: string;
  value: number;
  /** Samples the score is over (`n-samples[task].effective`). */
  n?: number;
  /** Computed by T2Vid Studio (a sample-weighted group score lmms-eval does not report). */
  computed?: boolean;
}

export interface RunResults {
  /** The run's name: its folder. */
  name: string;
  /** The run's folder, absolute. */
  dir: string;
  /** The results files read (lmms-eval's and T2Vid's bench_results). */
  files: string[];
  model?: string;
  scores: Score[];
  /** From the run record beside the results (`.t2vid-run.json`), when there is one. */
  sweepId?: string;
  sweepValue?: string;
  dataset?: string;
  createdAt?: string;
}

/** Groups whose overall lmms-eval does not report at the pinned snapshot: their sub-tasks share the prefix. */
const PREFIX_GROUPS = ['mvbench', 'tempcompass'];

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The scores of one lmms-eval results file; an Error names the file and what is wrong. */
export function parseLmmsResults(file: string, text: string): { model?: string; scores: Score[] } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (!isRecord(value) || !isRecord(value.results)) {
    throw new Error(`${file}: $.results: not an lmms-eval results file (no "results" object)`);
  }
  const nSamples = isRecord(value['n-samples']) ? value['n-samples'] : {};
  const scores: Score[] = [];
  for (const [task, entry] of Object.entries(value.results)) {
    if (!isRecord(entry)) {
      throw new Error(`${file}: $.results.${task}: not an object`);
    }
    const ns = nSamples[task];
    const n = isRecord(ns) && typeof ns.effective === 'number' ? ns.effective : undefined;
    for (const [key, v] of Object.entries(entry)) {
      const [metric, filter] = key.split(',');
      if (typeof v !== 'number' || !Number.isFinite(v) || filter === undefined || /_stderr/.test(metric!)) {
        continue;
      }
      scores.push({ task, metric: filter === 'none' ? metric! : `${metric} (${filter})`, value: v, ...(n !== undefined ? { n } : {}) });
    }
  }
  // Group overalls: from group_subtasks where lmms-eval lists them, else by prefix for the known video groups.
  const groups = new Map<string, string[]>();
  if (isRecord(value.group_subtasks)) {
    for (const [g, subs] of Object.entries(value.group_subtasks)) {
      if (Array.isArray(subs) && subs.length) {
        groups.set(
          g,
          subs.filter((s): s is string => typeof s === 'string'),
        );
      }
    }
  }
  for (const g of PREFIX_GROUPS) {
    const subs = [...new Set(scores.map((s) => s.task))].filter((t) => t.startsWith(`${g}_`));
    if (subs.length > 1 && !groups.has(g)) {
      groups.set(g, subs);
    }
  }
  for (const [group, subs] of groups) {
    const metrics = new Set(scores.filter((s) => subs.includes(s.task)).map((s) => s.metric));
    for (const metric of metrics) {
      if (scores.some((s) => s.task === group && s.metric === metric)) {
        continue;
      }
      const parts = scores.filter((s) => subs.includes(s.task) && s.metric === metric);
      if (parts.length < 2 || parts.some((p) => p.n === undefined)) {
        continue;
      }
      const n = parts.reduce((a, p) => a + p.n!, 0);
      scores.push({ task: group, metric, value: parts.reduce((a, p) => a + p.value * p.n!, 0) / n, n, computed: true });
    }
  }
  const model = typeof value.model_name === 'string' ? value.model_name : undefined;
  return { ...(model ? { model } : {}), scores };
}

function resultFiles(dir: string, depth = 0): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries
    .flatMap((e) =>
      e.isDirectory() && depth < 6 && !/^checkpoint-\d+$/.test(e.name) && e.name !== 'cache'
        ? // A folder with a run record of its own is another run (a sweep's evaluation inside its fine-tune's output).
          fs.existsSync(path.join(dir, e.name, RUN_FILE))
          ? []
          : resultFiles(path.join(dir, e.name), depth + 1)
        : e.isFile() && e.name.endsWith('_results.json')
          ? [path.join(dir, e.name)]
          : [],
    )
    .sort();
}

/** A run's record (`.t2vid-run.json` in its folder), or undefined; an unreadable one is reported. */
function runRecordOf(dir: string, onError?: (message: string) => void): RunRecord | undefined {
  const file = path.join(dir, RUN_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const r = JSON.parse(text) as RunRecord;
    return isRecord(r) && typeof r.id === 'string' && isRecord(r.spec) ? r : undefined;
  } catch (e) {
    onError?.(`${file}: not valid JSON (${(e as Error).message})`);
    return undefined;
  }
}

/**
 * Every result of a run's folder: lmms-eval's files under it, and T2Vid's bench_results (under it, the folder itself,
 * or — for a `t2vid-eval` run — where run_bench.sh writes them: `<repo>/<backbone>/eval/bench_results/<EXP>`, EXP
 * from benchExperimentName).
 * Later lmms-eval files (by name: their time stamp) override earlier ones.
 */
export function readRunResults(dir: string, onError?: (message: string) => void): RunResults {
  const abs = path.resolve(dir);
  const record = runRecordOf(abs, onError);
  const files = resultFiles(abs);
  const byKey = new Map<string, Score>();
  let model: string | undefined;
  for (const file of files) {
    try {
      const parsed = parseLmmsResults(file, fs.readFileSync(file, 'utf8'));
      model = parsed.model ?? model;
      for (const s of parsed.scores) {
        byKey.set(`${s.task}\0${s.metric}`, s);
      }
    } catch (e) {
      onError?.((e as Error).message);
    }
  }
  for (const exp of benchExperiments(abs, record)) {
    const bench = readBenchResults(exp, onError);
    files.push(...bench.files);
    for (const s of bench.scores) {
      byKey.set(`${s.task}\0${s.metric}`, s);
    }
  }
  // A sweep's evaluation (`<fine-tune output>/eval`, its record naming the fine-tune it evaluates as `after`): named
  // after its fine-tune, and its dataset is the fine-tune's.
  const finetune = record?.after ? runRecordOf(path.dirname(abs)) : undefined;
  const trainedOn = record?.spec.dataset ?? (finetune?.id === record?.after ? finetune?.spec.dataset : undefined);
  const name =
    path.basename(abs) === SWEEP_EVAL_DIR && finetune?.id === record?.after
      ? `${path.basename(path.dirname(abs))}/${SWEEP_EVAL_DIR}`
      : path.basename(abs);
  return {
    name,
    dir: abs,
    files,
    ...(model ? { model } : {}),
    scores: [...byKey.values()],
    ...(record?.sweepId ? { sweepId: record.sweepId } : {}),
    ...(record?.sweepValue !== undefined ? { sweepValue: record.sweepValue } : {}),
    ...(trainedOn ? { dataset: path.resolve(abs, trainedOn) } : {}),
    ...(record?.createdAt ? { createdAt: record.createdAt } : {}),
  };
}

//#region T2Vid's bench_results

/** run_bench.sh's benchmark folders and the lmms-eval task each corresponds to (so the paper's rows line up). */
export const BENCH_FOLDERS: Readonly<Record<string, string>> = {
  'video-mme': 'videomme',
  mvbench: 'mvbench',
  'temp-compass': 'tempcompass',
};
/** Video-MME's categories in bench_results are its duration classes (normalize_video-mme.py). */
const VIDEO_MME_DURATIONS: Readonly<Record<string, string>> = { s: 'short', m: 'medium', l: 'long' };

/** A category as a task-name part: `Action Sequence` → `action_sequence`. */
function slug(category: string): string {
  return (
    category
      .toLowerCase()
      .replace(/[^\p{L}\p{N}]+/gu, '_')
      .replace(/^_+|_+$/g, '') || 'other'
  );
}

/**
 * The scores of one judged-predictions file of bench_results (JSON lines with `pred`, `GT`, `category`): accuracy in
 * percent, pred = GT, per category (`<task>_<category>`) and overall (`<task>`, sample-weighted: all correct over all
 * samples, as eval_vanilla.py prints it). An Error names the file, the line and the field. `counts` (category →
 * [correct, total]) carries the counts over several files: the chunks of one benchmark.
 */
export function parseBenchPredictions(file: string, text: string, task: string, counts = new Map<string, [number, number]>()): Score[] {
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (!line) {
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      throw new Error(`${file}:${i + 1}: not valid JSON (${(e as Error).message})`);
    }
    if (!isRecord(value)) {
      throw new Error(`${file}:${i + 1}: $: not a JSON object`);
    }
    for (const key of ['pred', 'GT', 'category']) {
      const v = value[key];
      if (typeof v !== 'string' && typeof v !== 'number') {
        throw new Error(`${file}:${i + 1}: $.${key}: missing or not a string`);
      }
    }
    const given = String(value.category);
    const category = task === 'videomme' ? (VIDEO_MME_DURATIONS[given] ?? given) : given;
    const c = counts.get(category) ?? [0, 0];
    c[0] += value.pred === value.GT ? 1 : 0;
    c[1] += 1;
    counts.set(category, c);
  });
  if (!counts.size) {
    return [];
  }
  const correct = [...counts.values()].reduce((a, c) => a + c[0], 0);
  const total = [...counts.values()].reduce((a, c) => a + c[1], 0);
  return [
    { task, metric: BENCH_METRIC, value: (100 * correct) / total, n: total },
    ...[...counts]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([category, [ok, n]]) => ({ task: `${task}_${slug(category)}`, metric: BENCH_METRIC, value: (100 * ok) / n, n })),
  ];
}

/** The judged-predictions files of one benchmark: `results/merge.jsonl`, else its complete set of chunks. */
function benchFiles(resultsDir: string): string[] | string {
  let names: string[];
  try {
    names = fs.readdirSync(resultsDir);
  } catch {
    return [];
  }
  const merge = path.join(resultsDir, 'merge.jsonl');
  if (names.includes('merge.jsonl') && fs.statSync(merge).size > 0) {
    return [merge];
  }
  const chunks = names.map((n) => /^(\d+)_(\d+)\.jsonl$/.exec(n)).filter((m): m is RegExpExecArray => m !== null);
  if (!chunks.length) {
    return [];
  }
  const n = Math.max(...chunks.map((m) => Number(m[1])));
  const want = Array.from({ length: n }, (_, i) => `${n}_${i}.jsonl`);
  const missing = want.filter((w) => !names.includes(w));
  if (missing.length) {
    return `${resultsDir}: no merge.jsonl and ${missing.length} of ${n} chunks missing (${missing.slice(0, 3).join(', ')}): still running?`;
  }
  return want.map((w) => path.join(resultsDir, w));
}

/** Whether `dir` is one experiment of bench_results (holds a benchmark's `results/` folder). */
function isBenchExperiment(dir: string): boolean {
  return Object.keys(BENCH_FOLDERS).some((b) => fs.existsSync(path.join(dir, b, 'results')));
}

/** The bench_results experiments of a run folder (see readRunResults). */
export function benchExperiments(dir: string, record?: RunRecord): string[] {
  const found = new Set<string>();
  if (isBenchExperiment(dir)) {
    found.add(dir);
  }
  const under = path.join(dir, 'bench_results');
  try {
    for (const e of fs.readdirSync(under, { withFileTypes: true })) {
      if (e.isDirectory() && isBenchExperiment(path.join(under, e.name))) {
        found.add(path.join(under, e.name));
      }
    }
  } catch {
    // no bench_results here
  }
  if (record?.spec.framework === 't2vid-eval' && record.spec.repo && path.isAbsolute(record.spec.repo)) {
    const backbone = String(record.spec.hyper?.backbone ?? 'MiniCPM-V');
    const exp = path.join(record.spec.repo, backbone, 'eval', 'bench_results', benchExperimentName(record.spec.output));
    if (isBenchExperiment(exp)) {
      found.add(exp);
    }
  }
  return [...found].sort();
}

/** The scores of one bench_results experiment folder (`bench_results/<EXP>`). */
export function readBenchResults(exp: string, onError?: (message: string) => void): { files: string[]; scores: Score[] } {
  const files: string[] = [];
  const scores: Score[] = [];
  for (const [folder, task] of Object.entries(BENCH_FOLDERS)) {
    const found = benchFiles(path.join(exp, folder, 'results'));
    if (typeof found === 'string') {
      onError?.(found);
      continue;
    }
    if (!found.length) {
      continue;
    }
    try {
      const counts = new Map<string, [number, number]>();
      let last: Score[] = [];
      for (const f of found) {
        last = parseBenchPredictions(f, fs.readFileSync(f, 'utf8'), task, counts);
      }
      scores.push(...last);
      files.push(...found);
    } catch (e) {
      onError?.((e as Error).message);
    }
  }
  return { files, scores };
}

//#endregion

//#region sweeps

export interface SweepPoint {
  /** The run's name. */
  run: string;
  /** The run record's sweep value (e.g. the dataset's folder name). */
  value?: string;
  /** The x of the plot: a number, or the run's place in the sweep for a categorical axis. */
  x: number;
  /** What the axis shows for this run. */
  label: string;
}

export interface Sweep {
  id: string;
  kind: SweepAxisKind;
  /** The axis title. */
  axis: string;
  /** In x order. */
  points: SweepPoint[];
}

/**
 * The synthetic share (percent) of the dataset a run trained on, when the assembled set it comes from says it: the
 * `manifest.json` of a `t2vid mix` (it records the recipe, `mix`, and the counts it wrote) in the dataset's folder
 * (an assembled set given as a folder, or a file inside one) or the folder above it (an export inside the set).
 */
export function syntheticShare(dataset: string): number | undefined {
  let isDir = false;
  try {
    isDir = fs.statSync(dataset).isDirectory();
  } catch {
    // the dataset is gone: try its folders anyway
  }
  const base = isDir ? dataset : path.dirname(dataset);
  for (const dir of [base, path.dirname(base)]) {
    let m: unknown;
    try {
      m = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    } catch {
      continue;
    }
    if (isRecord(m) && isRecord(m.mix) && isRecord(m.counts) && typeof m.samples === 'number' && m.samples > 0) {
      const synthetic = m.counts.synthetic;
      if (typeof synthetic === 'number' && Number.isFinite(synthetic)) {
        return (100 * synthetic) / m.samples;
      }
    }
  }
  return undefined;
}

/** A sweep value as a number: `15`, `0.3`, `15%`, `15 %` (else undefined). */
function numericValue(value: string | undefined): number | undefined {
  const m = value === undefined ? null : /^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)\s*%?\s*$/i.exec(value);
  return m ? Number(m[1]) : undefined;
}

/**
 * Sweep values that are one name with one number in it, the same name around it for every run (`mix-0`, `mix-15`,
 * `mix-30`: the folders of a sweep's datasets): the numbers and the pattern (`mix-N`), else undefined.
 */
function numberInName(values: ReadonlyArray<string | undefined>): { values: number[]; pattern: string } | undefined {
  const NUMBER = /[-+]?(?:\d+\.?\d*|\.\d+)/g;
  let pattern: string | undefined;
  const numbers: number[] = [];
  for (const value of values) {
    const found = value?.match(NUMBER);
    if (!value || found?.length !== 1) {
      return undefined;
    }
    // A sign is part of the name when a letter comes before it (`mix-15` is mix and 15, not −15).
    const text = /[A-Za-z]$/.test(value.slice(0, value.indexOf(found[0]!))) ? found[0]!.replace(/^[-+]/, '') : found[0]!;
    const shape = value.replace(text, 'N');
    if (pattern !== undefined && shape !== pattern) {
      return undefined;
    }
    pattern = shape;
    numbers.push(Number(text));
  }
  return pattern === undefined || new Set(numbers).size !== numbers.length ? undefined : { values: numbers, pattern };
}

/**
 * Runs that share a sweep id, one group per sweep (in the order the sweeps' first runs come). The x value of each
 * run: the synthetic share of its dataset when every run's manifest says it; else its sweep value when every one is
 * a number; else the number in its sweep value when they are one name around one number (`mix-15`); else its place
 * in the sweep (the order the runs were created in), labelled with its sweep value.
 */
export function sweepGroups(runs: readonly RunResults[]): Sweep[] {
  const byId = new Map<string, RunResults[]>();
  for (const r of runs) {
    if (r.sweepId) {
      byId.set(r.sweepId, [...(byId.get(r.sweepId) ?? []), r]);
    }
  }
  return [...byId].map(([id, members]) => {
    const shares = members.map((r) => (r.dataset ? syntheticShare(r.dataset) : undefined));
    const numbers = members.map((r) => numericValue(r.sweepValue));
    const point = (r: RunResults, x: number, label: string): SweepPoint => ({
      run: r.name,
      ...(r.sweepValue !== undefined ? { value: r.sweepValue } : {}),
      x,
      label,
    });
    const byX = (a: SweepPoint, b: SweepPoint): number => a.x - b.x || a.run.localeCompare(b.run);
    if (shares.every((s) => s !== undefined)) {
      const points = members.map((r, i) => point(r, shares[i]!, `${+shares[i]!.toFixed(2)} %`)).sort(byX);
      return { id, kind: 'synthetic-share', axis: 'synthetic share of the training set (%)', points };
    }
    if (numbers.every((n) => n !== undefined)) {
      const points = members.map((r, i) => point(r, numbers[i]!, r.sweepValue!.trim())).sort(byX);
      return { id, kind: 'number', axis: 'swept value', points };
    }
    const named = numberInName(members.map((r) => r.sweepValue));
    if (named) {
      const points = members.map((r, i) => point(r, named.values[i]!, r.sweepValue!)).sort(byX);
      return { id, kind: 'number', axis: `N in ${named.pattern}`, points };
    }
    const ordered = [...members].sort(
      (a, b) => (a.createdAt ?? '').localeCompare(b.createdAt ?? '') || (a.sweepValue ?? a.name).localeCompare(b.sweepValue ?? b.name),
    );
    const points = ordered.map((r, i) => point(r, i, r.sweepValue ?? r.name));
    return { id, kind: 'category', axis: 'swept value', points };
  });
}

//#endregion

/**
 * The results view's table: one row per run, one column per task × metric — each benchmark followed by its
 * sub-tasks —, the paper's reference rows for the tasks shown, the sweeps (runs as indices). `relativeTo`: the folder
 * run paths are shown relative to.
 */
export function resultsTable(
  runs: readonly RunResults[],
  extra: { relativeTo?: string; searched?: string[]; errors?: string[] } = {},
): ResultsTable {
  const keys = new Map<string, { task: string; metric: string; computed: boolean }>();
  for (const r of runs) {
    for (const s of r.scores) {
      const k = `${s.task}\0${s.metric}`;
      keys.set(k, { task: s.task, metric: s.metric, computed: (keys.get(k)?.computed ?? false) || Boolean(s.computed) });
    }
  }
  const tasks = new Set([...keys.values()].map((k) => k.task));
  const columns = [...keys.values()]
    .map((k) => {
      const parent = parentTask(k.task, tasks);
      return { ...k, ...(parent !== undefined ? { parent } : {}) };
    })
    .sort(
      (a, b) =>
        (a.parent ?? a.task).localeCompare(b.parent ?? b.task) ||
        Number(a.parent !== undefined) - Number(b.parent !== undefined) ||
        a.task.localeCompare(b.task) ||
        a.metric.localeCompare(b.metric),
    );
  const index = new Map(runs.map((r, i) => [r.name, i]));
  const shown = (dir: string): string => {
    const rel = extra.relativeTo ? path.relative(extra.relativeTo, dir) : dir;
    return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : dir;
  };
  return {
    runs: runs.map((r) => ({
      name: r.name,
      dir: shown(r.dir),
      ...(r.model ? { model: r.model } : {}),
      ...(r.sweepId ? { sweepId: r.sweepId } : {}),
      ...(r.sweepValue !== undefined ? { sweepValue: r.sweepValue } : {}),
      files: r.files.length,
      values: columns.map((c) => r.scores.find((s) => s.task === c.task && s.metric === c.metric)?.value ?? null),
    })),
    columns,
    reference: PAPER_REFERENCE.filter((p) => tasks.has(p.task)).map((p) => ({ ...p })),
    sweeps: sweepGroups(runs).map((s) => ({
      id: s.id,
      kind: s.kind,
      axis: s.axis,
      points: s.points.map((p) => ({ run: index.get(p.run)!, x: p.x, label: p.label })),
    })),
    searched: extra.searched ?? [],
    errors: extra.errors ?? [],
  };
}

export interface Comparison {
  runs: string[];
  baseline?: string;
  rows: Array<{ task: string; metric: string; computed: boolean; values: Array<number | null>; deltas?: Array<number | null> }>;
  /** The paper's numbers for the tasks shown, as reference rows. */
  reference: typeof PAPER_REFERENCE;
}

/** Runs side by side: one row per task and metric (groups first), deltas against `baseline` (a run's name). */
export function compareRuns(runs: RunResults[], baseline?: string): Comparison {
  const keys = new Map<string, { task: string; metric: string; computed: boolean }>();
  for (const r of runs) {
    for (const s of r.scores) {
      const k = `${s.task}\0${s.metric}`;
      const prev = keys.get(k);
      keys.set(k, { task: s.task, metric: s.metric, computed: (prev?.computed ?? false) || Boolean(s.computed) });
    }
  }
  const b = baseline === undefined ? -1 : runs.findIndex((r) => r.name === baseline);
  if (baseline !== undefined && b < 0) {
    throw new Error(`the baseline ${JSON.stringify(baseline)} is not one of the runs (${runs.map((r) => r.name).join(', ')})`);
  }
  const isGroup = (task: string): boolean => PREFIX_GROUPS.includes(task) || !task.includes('_');
  const rows = [...keys.values()]
    .sort((x, y) => Number(isGroup(y.task)) - Number(isGroup(x.task)) || x.task.localeCompare(y.task) || x.metric.localeCompare(y.metric))
    .map((k) => {
      const values = runs.map((r) => r.scores.find((s) => s.task === k.task && s.metric === k.metric)?.value ?? null);
      const base = b >= 0 ? values[b] : null;
      return {
        ...k,
        values,
        ...(b >= 0 ? { deltas: values.map((v) => (v === null || base === null || base === undefined ? null : v - base)) } : {}),
      };
    });
  const tasks = new Set(rows.map((r) => r.task));
  return {
    runs: runs.map((r) => r.name),
    ...(b >= 0 ? { baseline: runs[b]!.name } : {}),
    rows,
    reference: PAPER_REFERENCE.filter((p) => tasks.has(p.task)),
  };
}

const fmt = formatScore;
const signed = formatDelta;

function header(c: Comparison): string[] {
  return ['task', 'metric', ...c.runs.flatMap((r) => (c.baseline && r !== c.baseline ? [r, `Δ ${r}`] : [r]))];
}

function cells(c: Comparison, row: Comparison['rows'][number]): string[] {
  return [
    row.computed ? `${row.task} (ours: sample-weighted)` : row.task,
    row.metric,
    ...c.runs.flatMap((r, i) => (c.baseline && r !== c.baseline ? [fmt(row.values[i]), signed(row.deltas?.[i])] : [fmt(row.values[i])])),
  ];
}

function csvCell(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function comparisonCsv(c: Comparison): string {
  return [header(c), ...c.rows.map((r) => cells(c, r))].map((row) => row.map(csvCell).join(',')).join('\n') + '\n';
}

function mdCell(s: string): string {
  return s
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/[\r\n]+/g, ' ')
    .replace(/[<>]/g, (m) => (m === '<' ? '&lt;' : '&gt;'));
}

export function comparisonMarkdown(c: Comparison): string {
  const head = header(c);
  const lines = [
    `| ${head.map(mdCell).join(' | ')} |`,
    `| ${head.map((_, i) => (i < 2 ? '---' : '---:')).join(' | ')} |`,
    ...c.rows.map((r) => `| ${cells(c, r).map(mdCell).join(' | ')} |`),
  ];
  if (c.reference.length) {
    lines.push('', 'Reported in the T2Vid paper (arXiv 2411.19951), for reference:', '');
    for (const p of c.reference) {
      lines.push(`- ${mdCell(p.task)}: ${p.value} — ${mdCell(p.setting)}`);
    }
  }
  if (c.rows.some((r) => r.computed)) {
    lines.push(
      '',
      '"ours: sample-weighted": the group score lmms-eval does not report, the mean of its sub-tasks weighted by their sample counts.',
    );
  }
  return lines.join('\n') + '\n';
}

/**
 * Runs whose folder names collide are named by their path relative to `root` instead (the table, the baseline and
 * the exports name runs), so every run keeps a name of its own.
 */
export function uniqueNames(runs: RunResults[], root?: string): RunResults[] {
  const count = new Map<string, number>();
  for (const r of runs) {
    count.set(r.name, (count.get(r.name) ?? 0) + 1);
  }
  return runs.map((r) => {
    if (count.get(r.name)! < 2) {
      return r;
    }
    const rel = root ? path.relative(root, r.dir) : r.dir;
    return { ...r, name: rel && !rel.startsWith('..') ? rel : r.dir };
  });
}

/**
 * A sweep as Markdown: one row per run in x order (the swept value, the run), one column per benchmark that some run
 * of the sweep has (sub-tasks left out: the plot's lines), with the axis named above.
 */
export function sweepMarkdown(table: ResultsTable, sweep: ResultsTable['sweeps'][number]): string {
  const benchmarks = table.columns
    .map((c, i) => ({ c, i }))
    .filter(({ c, i }) => c.parent === undefined && sweep.points.some((p) => table.runs[p.run]!.values[i] !== null));
  const head = [
    sweep.axis,
    'run',
    ...benchmarks.map(({ c }) => (c.computed ? `${c.task} (ours: sample-weighted)` : c.task) + ` · ${c.metric}`),
  ];
  const lines = [
    `Sweep ${mdCell(sweep.id)} — x: ${mdCell(sweep.axis)}${sweep.kind === 'category' ? ' (in run order)' : ''}`,
    '',
    `| ${head.map(mdCell).join(' | ')} |`,
    `| ${head.map((_, i) => (i < 2 ? '---' : '---:')).join(' | ')} |`,
    ...sweep.points.map((p) => {
      const run = table.runs[p.run]!;
      return `| ${[p.label, run.name, ...benchmarks.map(({ i }) => fmt(run.values[i]))].map(mdCell).join(' | ')} |`;
    }),
  ];
  return lines.join('\n') + '\n';
}

/**
 * The folder to read a run's results from: `dir`, or — for a sweep's fine-tune without results of its own — its
 * evaluation's folder (`<dir>/eval` with a run record), where startSweep runs the evaluation step.
 */
export function evaluationFolder(dir: string): string {
  const evalDir = path.join(dir, SWEEP_EVAL_DIR);
  return fs.existsSync(path.join(evalDir, RUN_FILE)) &&
    !resultFiles(path.resolve(dir)).length &&
    !benchExperiments(path.resolve(dir)).length
    ? evalDir
    : dir;
}
