/**
 * The diversity results the view and the report show (the CLI's `--json` report and the map), computed in one place
 * for the VS Code view's worker and `t2vid diversity --report`, and the self-contained report.html: the diversity
 * webview app's bundle (dist/webview/diversity.js) and stylesheets inlined, the results inlined as a JSON data block
 * escaped so no text can close it, a CSP that allows exactly those inline blocks (by hash) and nothing from the
 * network.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { countIssue, emptyInputCounts, type FieldMapping, type ReadIssue } from '../model';
import { DIVERSITY_METRICS } from '../../shared/diversity';
import type { DiversityResults } from '../../shared/protocol/diversity';
import { packageRoot } from '../fonts';
import { writeFileAtomic } from '../util/fsutil';
import { diversityMap, type DiversityMap } from './map';
import type { Instruction } from './instructions';
import {
  measureInstructionsAsync,
  readInstructionSet,
  SIF_EMBEDDINGS,
  type DatasetReport,
  type DatasetSpec,
  type DiversityReport,
} from './measure';

export interface DiversityRunOptions {
  fields?: FieldMapping;
  raw?: boolean;
  sample?: number;
  seed?: number;
  q?: number;
  nearThreshold?: number;
  signal?: AbortSignal;
  /** What is being done, in words ("mvbench: 3985 instructions, n-grams…"). */
  onProgress?: (text: string) => void;
  onIssue?: (issue: ReadIssue) => void;
}

/** Every dataset's metrics (as `t2vid diversity --json` reports them) and the instructions measured. */
export async function measureDatasets(
  specs: readonly DatasetSpec[],
  options: DiversityRunOptions = {},
): Promise<{ report: DiversityReport; instructions: Instruction[][] }> {
  const seed = options.seed ?? 1;
  const q = options.q ?? 1;
  const nearThreshold = options.nearThreshold ?? 0.8;
  const datasets: DatasetReport[] = [];
  const instructionSets: Instruction[][] = [];
  for (const spec of specs) {
    const started = performance.now();
    const input = emptyInputCounts();
    options.onProgress?.(`${spec.label}: reading ${spec.files.length} file(s)…`);
    const { instructions, read } = await readInstructionSet(spec, {
      fields: options.fields,
      sample: options.sample,
      seed,
      raw: options.raw === true,
      signal: options.signal,
      onIssue: (issue) => {
        countIssue(input, issue);
        options.onIssue?.(issue);
      },
    });
    options.signal?.throwIfAborted();
    const result = await measureInstructionsAsync(
      instructions.map((i) => i.text),
      {
        seed,
        q,
        nearThreshold,
        signal: options.signal,
        onProgress: (phase) => options.onProgress?.(`${spec.label}: ${instructions.length} instructions, ${phase}…`),
      },
    );
    datasets.push({
      label: spec.label,
      files: spec.files.map((f) => path.resolve(f)),
      instructionsRead: read,
      input,
      seconds: (performance.now() - started) / 1000,
      ...result,
    });
    instructionSets.push(instructions);
  }
  const report: DiversityReport = {
    seed,
    vendiQ: q,
    nearThreshold,
    sample: options.sample ?? null,
    embeddings: SIF_EMBEDDINGS,
    metrics: DIVERSITY_METRICS,
    datasets,
  };
  return { report, instructions: instructionSets };
}

/** The metrics and the map of the datasets: what the view shows and report.html holds. */
export async function computeDiversity(specs: readonly DatasetSpec[], options: DiversityRunOptions = {}): Promise<DiversityResults> {
  const { report, instructions } = await measureDatasets(specs, options);
  const map = await mapOf(report, instructions, options);
  return { report: toView(report), map };
}

/** The map of measured datasets, with progress in words. */
export async function mapOf(
  report: DiversityReport,
  instructions: readonly Instruction[][],
  options: Pick<DiversityRunOptions, 'seed' | 'signal' | 'onProgress'> = {},
): Promise<DiversityMap> {
  const total = Math.min(
    10_000,
    instructions.reduce((n, set) => n + set.length, 0),
  );
  return diversityMap(
    report.datasets.map((d, i) => ({ label: d.label, instructions: instructions[i]! })),
    {
      seed: options.seed ?? report.seed,
      signal: options.signal,
      onProgress: (done) => options.onProgress?.(`map of ${total} instructions: ${Math.round(done * 100)} %`),
    },
  );
}

/**
 * The report as the view's schema types it. JSON has no ±Infinity (`--vendi-q inf` is written as null), so a round
 * trip through JSON is what both the view and report.json hold.
 */
export function toView(report: DiversityReport): DiversityResults['report'] {
  // The metric table is not carried: the view and report.json take it from src/shared/diversity.ts.
  const { seed, vendiQ, nearThreshold, sample, datasets } = report;
  return JSON.parse(JSON.stringify({ seed, vendiQ, nearThreshold, sample, datasets })) as DiversityResults['report'];
}

/** The CLI's `--json` object (report.json) of results the view holds: the metric table put back in its place. */
export function reportJson(report: DiversityResults['report']): string {
  const { seed, vendiQ, nearThreshold, sample, datasets } = report;
  return JSON.stringify({ seed, vendiQ, nearThreshold, sample, metrics: DIVERSITY_METRICS, datasets }) + '\n';
}

//#region report.html

/** The webview app's files the report inlines, from the built package (dist/webview). */
export interface ReportAssets {
  script: string;
  styles: string[];
}

/** Reads dist/webview/diversity.js and its stylesheets; a clear error if the package is not built. */
export function readReportAssets(root = packageRoot()): ReportAssets {
  const dir = path.join(root, 'dist', 'webview');
  const read = (name: string): string => {
    try {
      return fs.readFileSync(path.join(dir, name), 'utf8');
    } catch (error) {
      throw new Error(`the diversity report needs ${path.join(dir, name)} (run \`npm run build\`): ${(error as Error).message}`);
    }
  };
  // The development bundle names its source map: a report has nothing beside it to load.
  const script = read('diversity.js').replace(/\n\/\/# sourceMappingURL=\S*\s*$/, '\n');
  return { script, styles: [read('vscode.css'), read('diversity.css')] };
}

/** The id of the JSON data block the app reads in a report. */
export const REPORT_DATA_ID = 't2vid-diversity-data';

/**
 * JSON safe inside an HTML `<script type="application/json">`: every `<`, `>` and `&` (and U+2028/9) written as a
 * \u escape, so no text (`</script>`, `<!--`) can end the block or start markup; JSON.parse reads it back unchanged.
 */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const sha256 = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** A raw-text element's content cannot hold its own end tag; the bundle and stylesheets never should. */
function rawText(content: string, tag: 'script' | 'style', what: string): string {
  if (new RegExp(`</${tag}`, 'i').test(content)) {
    throw new Error(`${what} contains "</${tag}": it cannot be inlined into the report`);
  }
  return content;
}

/** report.html: self-contained (no URL is loaded), the results inlined, a CSP allowing exactly its inline blocks. */
export function reportHtml(results: DiversityResults, assets: ReportAssets = readReportAssets()): string {
  const script = rawText(assets.script, 'script', 'the diversity app bundle');
  const style = rawText(assets.styles.join('\n'), 'style', 'the diversity stylesheets');
  const csp = [
    "default-src 'none'",
    `script-src ${sha256(script)}`,
    `style-src ${sha256(style)}`,
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  const title = `T2Vid instruction diversity: ${results.report.datasets.map((d) => d.label).join(', ')}`;
  const escapeHtml = (text: string): string =>
    text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="UTF-8">',
    `<meta http-equiv="Content-Security-Policy" content="${csp}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1.0">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${style}</style>`,
    '</head><body class="t2vid-report">',
    '<div id="app"></div>',
    `<script type="application/json" id="${REPORT_DATA_ID}">${scriptSafeJson(results)}</script>`,
    `<script>${script}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}

/** Writes report.html and, when `jsonFile` is given, report.json (the CLI's --json shape), each atomically. */
export async function writeReport(htmlFile: string, results: DiversityResults, jsonFile?: string, assets?: ReportAssets): Promise<void> {
  await fs.promises.mkdir(path.dirname(path.resolve(htmlFile)), { recursive: true });
  await writeFileAtomic(htmlFile, reportHtml(results, assets));
  if (jsonFile) {
    await writeFileAtomic(jsonFile, reportJson(results.report));
  }
}

//#endregion
