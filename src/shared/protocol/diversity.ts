/**
 * Messages between the instruction-diversity panel and its webview, and the results both show (the same object is
 * inlined into the exported report.html). Each message is one schema; its type and its runtime check both come from
 * it, and every message is checked on receipt in both directions. Browser-safe: no node or vscode imports.
 *
 * The webview names a map point by its index in the results it was sent; the host opens that point's file and line
 * from its own copy, so a webview can never ask the host to open a path of its choosing.
 */
import * as v from 'valibot';
import { DIVERSITY_METRICS } from '../diversity';
import { finite, int, message, parser, text } from './schema';

//#region the results

const COUNT = int(0, Number.MAX_SAFE_INTEGER);
const LABEL = text(10_000);
const PATH = text(100_000);
/** Points the map carries at most (core/diversity/map.ts MAP_MAX_POINTS). */
export const MAX_MAP_POINTS = 10_000;
/** Datasets a view compares at most. */
export const MAX_DATASETS = 100;
const METRIC_IDS = DIVERSITY_METRICS.map((m) => m.id);
export type MetricId = (typeof METRIC_IDS)[number];

const MetricValueSchema = v.object({
  value: v.nullable(finite()),
  sampleSize: COUNT,
  definition: text(10_000),
});

const DatasetSchema = v.object({
  label: LABEL,
  files: v.pipe(v.array(PATH), v.maxLength(10_000)),
  instructionsRead: COUNT,
  input: v.object({ linesSkipped: COUNT, filesSkipped: COUNT, rowGroupsSkipped: COUNT, warnings: COUNT, invalidUtf8: COUNT }),
  seconds: v.pipe(finite(), v.minValue(0)),
  metrics: v.record(v.picklist(METRIC_IDS), MetricValueSchema),
  openings: v.pipe(v.array(v.object({ opening: text(10_000), count: COUNT })), v.maxLength(100)),
  verbNoun: v.object({
    verbs: v.pipe(
      v.array(
        v.object({
          verb: text(1000),
          count: COUNT,
          nouns: v.pipe(v.array(v.object({ noun: text(1000), count: COUNT })), v.maxLength(100)),
        }),
      ),
      v.maxLength(100),
    ),
    english: COUNT,
    withPair: COUNT,
    total: COUNT,
  }),
});

/** `t2vid diversity --json`'s object (unknown keys are dropped: the view reads only these). */
const ReportSchema = v.object({
  seed: COUNT,
  vendiQ: v.nullable(v.pipe(v.number(), v.minValue(0))),
  nearThreshold: v.pipe(finite(), v.minValue(0), v.maxValue(1)),
  sample: v.nullable(COUNT),
  datasets: v.pipe(v.array(DatasetSchema), v.maxLength(MAX_DATASETS)),
});

const MapPointSchema = v.strictObject({
  dataset: int(0, MAX_DATASETS - 1),
  file: PATH,
  line: int(0, Number.MAX_SAFE_INTEGER),
  unit: v.picklist(['line', 'row']),
  text: text(10_000),
  x: finite(),
  y: finite(),
});

const MapSchema = v.strictObject({
  method: v.literal('umap'),
  seed: COUNT,
  datasets: v.pipe(v.array(LABEL), v.maxLength(MAX_DATASETS)),
  points: v.pipe(v.array(MapPointSchema), v.maxLength(MAX_MAP_POINTS)),
  counts: v.pipe(v.array(v.strictObject({ given: COUNT, sampled: COUNT, noEmbedding: COUNT })), v.maxLength(MAX_DATASETS)),
  definition: text(10_000),
});

/** What the view and the report show: the CLI's JSON report and the map. */
export const DiversityResultsSchema = v.strictObject({ report: ReportSchema, map: MapSchema });
export type DiversityResults = v.InferOutput<typeof DiversityResultsSchema>;
export type DiversityDatasetView = v.InferOutput<typeof DatasetSchema>;
export type DiversityMapView = v.InferOutput<typeof MapSchema>;

/** The results, or undefined if they are malformed. */
export const parseDiversityResults = parser(DiversityResultsSchema);

//#endregion

/** Charts the webview can save as PNG. */
export const DIVERSITY_CHARTS = ['bars', 'sunburst', 'map'] as const;
export type DiversityChart = (typeof DIVERSITY_CHARTS)[number];
/** Largest PNG data URL accepted from the webview (characters). */
export const MAX_PNG_DATA_URL = 64 << 20;

//#region to webview

/** Still computing: what it is doing. */
const ProgressSchema = message('diversity/progress', { text: text(10_000) });
/** The results to show; `cached`: read from the cache, not computed now. */
const ResultsSchema = message('diversity/results', { results: DiversityResultsSchema, cached: v.boolean() });
/** The computation failed or was cancelled. */
const ErrorSchema = message('diversity/error', { text: text(100_000) });

export const ToWebviewSchema = v.variant('type', [ProgressSchema, ResultsSchema, ErrorSchema]);
export type ToWebview = v.InferOutput<typeof ToWebviewSchema>;

//#endregion

//#region from webview

const ReadySchema = message('diversity/ready', {});
/** Open the instruction of map point `point` at its line in its file. */
const OpenPointSchema = message('diversity/openPoint', { point: int(0, MAX_MAP_POINTS - 1) });
/** Write report.html and report.json (the host asks where). */
const ExportReportSchema = message('diversity/exportReport', {});
/** Save a chart as PNG (the host asks where): a `data:image/png;base64,` URL from ECharts' getDataURL. */
const SavePngSchema = message('diversity/savePng', {
  chart: v.picklist(DIVERSITY_CHARTS),
  dataUrl: v.pipe(v.string(), v.maxLength(MAX_PNG_DATA_URL), v.regex(/^data:image\/png;base64,[A-Za-z0-9+/]+=*$/)),
});

export const FromWebviewSchema = v.variant('type', [ReadySchema, OpenPointSchema, ExportReportSchema, SavePngSchema]);
export type FromWebview = v.InferOutput<typeof FromWebviewSchema>;

//#endregion

/** A valid host→webview message, or undefined. */
export const parseToWebview = parser(ToWebviewSchema);

/** A valid webview→host message, or undefined. */
export const parseFromWebview = parser(FromWebviewSchema);
