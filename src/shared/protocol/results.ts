/**
 * Messages between the results panel ("T2Vid: Compare Results") and its webview. Each message is one valibot schema;
 * its type and its runtime check both come from it, and every message is checked on receipt in both directions.
 * Browser-safe: no node or vscode imports.
 *
 * The host sends the whole table (runs × score columns, the paper's reference rows, the sweeps); the webview sorts,
 * picks the baseline and draws deltas and plots itself, and asks the host to export what it shows: by run name, in
 * the order it shows them, so a webview never names a path.
 */
import * as v from 'valibot';
import { SWEEP_AXIS_KINDS } from '../results';
import { finite, int, message, parser, text } from './schema';

/** Runs a view shows at most. */
export const MAX_RESULT_RUNS = 500;
/** Score columns (task × metric) at most. */
export const MAX_RESULT_COLUMNS = 2000;
const NAME = text(1000);
const PATH = text(10_000);

const RunSchema = v.strictObject({
  /** The run's folder name: what the table and the exports call it. */
  name: NAME,
  /** Its folder, relative to the workspace where it is inside it. */
  dir: PATH,
  model: v.exactOptional(NAME),
  sweepId: v.exactOptional(NAME),
  sweepValue: v.exactOptional(NAME),
  /** Results files read. */
  files: int(0, 1_000_000),
  /** One score per column, null where the run has none. */
  values: v.pipe(v.array(v.nullable(finite())), v.maxLength(MAX_RESULT_COLUMNS)),
});

const ColumnSchema = v.strictObject({
  /** lmms-eval task (or the task a bench_results benchmark corresponds to), e.g. mvbench, mvbench_action_sequence. */
  task: NAME,
  metric: NAME,
  /** A group score computed by T2Vid Studio (sample-weighted), not reported by the evaluator. */
  computed: v.boolean(),
  /** The benchmark a sub-task belongs to (a column of its own, or absent from the table). */
  parent: v.exactOptional(NAME),
});

const ReferenceSchema = v.strictObject({ task: NAME, value: finite(), setting: text(10_000) });

const SweepSchema = v.strictObject({
  id: NAME,
  kind: v.picklist(SWEEP_AXIS_KINDS),
  axis: NAME,
  /** In x order: the run (index into `runs`), its x, and what the axis shows for it. */
  points: v.pipe(v.array(v.strictObject({ run: int(0, MAX_RESULT_RUNS - 1), x: finite(), label: NAME })), v.maxLength(MAX_RESULT_RUNS)),
});

export const ResultsTableSchema = v.strictObject({
  runs: v.pipe(v.array(RunSchema), v.maxLength(MAX_RESULT_RUNS)),
  columns: v.pipe(v.array(ColumnSchema), v.maxLength(MAX_RESULT_COLUMNS)),
  /** The T2Vid paper's numbers for the tasks shown. */
  reference: v.pipe(v.array(ReferenceSchema), v.maxLength(100)),
  sweeps: v.pipe(v.array(SweepSchema), v.maxLength(MAX_RESULT_RUNS)),
  /** Where results are looked for (shown when there are none). */
  searched: v.pipe(v.array(text(10_000)), v.maxLength(100)),
  /** Files that could not be read, each with why. */
  errors: v.pipe(v.array(text(10_000)), v.maxLength(1000)),
});
export type ResultsTable = v.InferOutput<typeof ResultsTableSchema>;
export type ResultsRun = v.InferOutput<typeof RunSchema>;
export type ResultsColumn = v.InferOutput<typeof ColumnSchema>;
export type ResultsSweep = v.InferOutput<typeof SweepSchema>;

export const EXPORT_FORMATS = ['csv', 'markdown'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

//#region to webview

/** The table to show; `baseline`: the run to preselect as the baseline (opened from that run in the Runs view). */
const StateSchema = message('results/state', { table: ResultsTableSchema, baseline: v.exactOptional(NAME) });

export const ToWebviewSchema = v.variant('type', [StateSchema]);
export type ToWebview = v.InferOutput<typeof ToWebviewSchema>;

//#endregion

//#region from webview

const ReadySchema = message('results/ready', {});
/** Export the table as shown: runs in `order` (names), deltas against `baseline` when one is chosen. */
const ExportSchema = message('results/export', {
  format: v.picklist(EXPORT_FORMATS),
  order: v.pipe(v.array(NAME), v.maxLength(MAX_RESULT_RUNS)),
  baseline: v.exactOptional(NAME),
});

/** Read the results files again (the watchers see most changes; this is for the rest). */
const RefreshSchema = message('results/refresh', {});

export const FromWebviewSchema = v.variant('type', [ReadySchema, ExportSchema, RefreshSchema]);
export type FromWebview = v.InferOutput<typeof FromWebviewSchema>;

//#endregion

/** A valid host→webview message, or undefined. */
export const parseToWebview = parser(ToWebviewSchema);

/** A valid webview→host message, or undefined. */
export const parseFromWebview = parser(FromWebviewSchema);
