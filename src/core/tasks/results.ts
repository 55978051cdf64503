/**
 * Evaluation results, read from lmms-eval's own files (`<output_path>/**\/*_results.json`, found by globbing as
 * FORMATS.md says: never by rebuilding the name, never by scraping logs). Group scores that lmms-eval leaves out
 * (MVBench, TempCompass at the pinned snapshot) are computed here, sample-weighted from `n-samples`, and marked as
 * ours. Runs are compared side by side, with deltas against a baseline run, as CSV or Markdown.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PAPER_REFERENCE } from '../../shared/results';

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
  files: string[];
  model?: string;
  scores: Score[];
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
        ? resultFiles(path.join(dir, e.name), depth + 1)
        : e.isFile() && e.name.endsWith('_results.json')
          ? [path.join(dir, e.name)]
          : [],
    )
    .sort();
}

/** Every lmms-eval result under a run's folder, later files (by name: their time stamp) overriding earlier ones. */
export function readRunResults(dir: string, onError?: (message: string) => void): RunResults {
  const files = resultFiles(dir);
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
  return { name: path.basename(path.resolve(dir)), files, ...(model ? { model } : {}), scores: [...byKey.values()] };
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

const fmt = (v: number | null | undefined): string => (v === null || v === undefined ? '' : Number.isInteger(v) ? String(v) : v.toFixed(2));
const signed = (v: number | null | undefined): string => (v === null || v === undefined ? '' : `${v >= 0 ? '+' : ''}${v.toFixed(2)}`);

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
