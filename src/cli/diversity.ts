/**
 * `t2vid diversity FILE... [--label NAME...]`: the instruction-diversity metrics of one or more datasets, side by side
 * (a table, or one JSON object with --json). Files given the same --label are measured as one dataset.
 * Exit codes: 0 done, 1 no instruction in any dataset or an error, 2 bad usage, 130 cancelled.
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { countIssue, emptyInputCounts } from '../core/model';
import { escapeControl, escapeControlKeepLines, escapeJsonControl } from '../core/util/terminal';
import { parseFieldMapping } from '../core/readers/index';
import { fileStem } from '../core/readers/schema';
import {
  measureInstructionsAsync,
  readInstructionSet,
  SIF_EMBEDDINGS,
  type DatasetReport,
  type DatasetSpec,
  type DiversityReport,
} from '../core/diversity/measure';
import { mapOf, toView, writeReport } from '../core/diversity/report';
import type { Instruction } from '../core/diversity/instructions';
import { DIVERSITY_METRICS, type DiversityMetricId, type MetricValue } from '../shared/diversity';
import { interruptible, stderrReporters, UsageError, wholeNumber } from './common';
import { EMBEDDING_ARGS, embedderFromArgs, embeddingCacheIn, embeddingHelp } from './embeddingArgs';

export const DIVERSITY_HELP = `Usage: t2vid diversity FILE... [options]

Measures the instruction diversity of each dataset: lexical (distinct-1/2/3, EAD, MATTR, length, exact and
near duplicates, template concentration), verb–noun (English) and semantic (Vendi score, mean pairwise cosine
distance, cluster entropy over built-in offline word vectors; Vendi and distance over TF-IDF as a baseline).
Each value comes with its definition and sample size (--json). Deterministic for a --seed.

Instructions: the first user turn of each sample (LLaVA/ShareGPT conversations, messages), every L-Eval
instruction, every question of a *.t2vid.jsonl record, video benchmark {prompt}/{question} rows,
{instruction} (Alpaca, LongAlpaca), {query}; <video>/<image> placeholders and multiple-choice option lists
(A. … B. …, "Answer with the option's letter…") are stripped. JSON, JSONL and Parquet.
  --label NAME           a dataset name per FILE, in order (default: the file name); files with the same
                         label are measured together as one dataset
  --fields question=PATH the field measured, as a path (prompt, conversations[0].value, meta.instruction); a
                         list of strings counts each, a list of turns its first user turn
  --raw                  keep placeholders and option lists
  --sample N             measure a seeded uniform sample of N instructions per dataset (default: all)
  --seed S               seed of sampling, MinHash, k-means (default 1)
  --vendi-q Q            order of the Vendi score: a number > 0, or inf (default 1: Shannon)
  --near-threshold J     Jaccard similarity of word 3-shingles for near duplicates, 0 < J ≤ 1 (default 0.8)
${embeddingHelp('.t2vid-cache/embeddings in the current folder')}
  --json                 print one JSON object on stdout
  --report FILE          also write FILE, a self-contained HTML report (table, charts, verb–noun sunburst
                         and the map of up to 10,000 sampled instructions; nothing loaded from the network)
  --help                 this text
Bad input: a line that cannot be used is reported on stderr as FILE:LINE: reason and skipped.
Exit codes: 0 done, 1 no instruction found or an error, 2 bad usage, 130 cancelled.
`;

export const DIVERSITY_ARGS = {
  label: { type: 'string', multiple: true },
  fields: { type: 'string' },
  raw: { type: 'boolean' },
  sample: { type: 'string' },
  seed: { type: 'string' },
  'vendi-q': { type: 'string' },
  'near-threshold': { type: 'string' },
  ...EMBEDDING_ARGS,
  json: { type: 'boolean' },
  report: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export type { DatasetReport, DiversityReport } from '../core/diversity/measure';

export async function diversityCommand(argv: string[]): Promise<number> {
  try {
    return await run(argv);
  } catch (e) {
    const usage = e instanceof UsageError || (e as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS');
    if ((e as Error).message === 'cancelled') {
      process.stderr.write('t2vid diversity: cancelled\n');
      return 130;
    }
    process.stderr.write(`t2vid diversity: ${escapeControl((e as Error).message)}\n${usage ? "see 't2vid diversity --help'\n" : ''}`);
    return usage ? 2 : 1;
  }
}

function positiveNumber(value: string | undefined, name: string, max = Infinity): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  const n = value.trim().toLowerCase() === 'inf' ? Infinity : Number(value);
  if (value.trim() === '' || Number.isNaN(n) || n <= 0 || n > max) {
    throw new UsageError(`${name} takes a number > 0${max < Infinity ? ` and ≤ ${max}` : ''}, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** Groups files into datasets by label (first appearance order). */
export function datasetsOf(files: string[], labels: string[] | undefined): DatasetSpec[] {
  if (labels && labels.length !== files.length) {
    throw new UsageError(`--label is given ${labels.length} time(s) for ${files.length} file(s): give one per FILE, in order`);
  }
  const specs = new Map<string, DatasetSpec>();
  files.forEach((file, i) => {
    const label = labels?.[i]?.trim() || fileStem(file);
    const spec = specs.get(label) ?? { label, files: [] };
    spec.files.push(file);
    specs.set(label, spec);
  });
  return [...specs.values()];
}

async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: DIVERSITY_ARGS });
  if (values.help) {
    process.stdout.write(DIVERSITY_HELP);
    return 0;
  }
  if (!positionals.length) {
    throw new UsageError('diversity needs at least one FILE');
  }
  const seed = wholeNumber(values.seed, '--seed', 0, 2 ** 32 - 1) ?? 1;
  const sample = wholeNumber(values.sample, '--sample', 1);
  const q = positiveNumber(values['vendi-q'], '--vendi-q') ?? 1;
  const nearThreshold = positiveNumber(values['near-threshold'], '--near-threshold', 1) ?? 0.8;
  let fields;
  try {
    fields = values.fields ? parseFieldMapping(values.fields) : undefined;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (fields && fields.question === undefined) {
    throw new UsageError('--fields for diversity needs question=PATH (the field measured)');
  }
  const specs = datasetsOf(positionals, values.label);
  const embedder = embedderFromArgs(values, 'diversity', embeddingCacheIn(process.cwd()));
  // A one-line status on a TTY (the phase being measured), cleared before anything else is printed.
  const tty = process.stderr.isTTY === true;
  let shown = false;
  const status = (text: string): void => {
    if (tty && (shown || text)) {
      process.stderr.write(`\r${escapeControl(text)}\x1b[K`);
      shown = text !== '';
    }
  };
  const { onIssue } = stderrReporters(() => status(''));
  const interrupt = interruptible('no report is written');
  const datasets: DatasetReport[] = [];
  const measured: Instruction[][] = [];
  try {
    for (const spec of specs) {
      const started = performance.now();
      const input = emptyInputCounts();
      const { instructions, read } = await readInstructionSet(spec, {
        fields,
        sample,
        seed,
        raw: values.raw === true,
        signal: interrupt.signal,
        onIssue: (issue) => {
          countIssue(input, issue);
          onIssue(issue);
        },
      });
      interrupt.signal.throwIfAborted();
      if (embedder) {
        status(`${spec.label}: ${instructions.length} instructions, embeddings…`);
      }
      const embeddings = embedder
        ? {
            set: await embedder.embed(
              instructions.map((i) => i.text),
              interrupt.signal,
            ),
            kind: embedder.kind,
          }
        : undefined;
      const result = await measureInstructionsAsync(
        instructions.map((i) => i.text),
        {
          seed,
          q,
          nearThreshold,
          embeddings,
          signal: interrupt.signal,
          onProgress: (phase) => status(`${spec.label}: ${instructions.length} instructions, ${phase}…`),
        },
      );
      status('');
      datasets.push({
        label: spec.label,
        files: spec.files.map((f) => path.resolve(f)),
        instructionsRead: read,
        input,
        seconds: (performance.now() - started) / 1000,
        ...result,
      });
      measured.push(values.report ? instructions : []);
    }
  } finally {
    interrupt.dispose();
  }
  const report: DiversityReport = {
    seed,
    vendiQ: q,
    nearThreshold,
    sample: sample ?? null,
    embeddings: embedder?.kind ?? SIF_EMBEDDINGS,
    metrics: DIVERSITY_METRICS,
    datasets,
  };
  if (values.report) {
    const map = await mapOf(report, measured, { seed, onProgress: status });
    status('');
    await writeReport(values.report, { report: toView(report), map });
    process.stderr.write(`t2vid diversity: wrote ${escapeControl(values.report)}\n`);
  }
  if (values.json) {
    process.stdout.write(escapeJsonControl(JSON.stringify(report)) + '\n');
  } else {
    process.stdout.write(escapeControlKeepLines(formatTable(report)));
  }
  return datasets.some((d) => (d.metrics.instructions?.value ?? 0) > 0) ? 0 : 1;
}

function formatValue(metric: MetricValue | undefined, unit: string): string {
  if (!metric || metric.value === null) {
    return '–';
  }
  const v = metric.value;
  if (unit === 'count') {
    return String(v);
  }
  if (unit === 'share') {
    return `${(v * 100).toFixed(1)} %`;
  }
  if (unit === 'words' || unit === 'bits' || unit === 'effective count') {
    return v.toFixed(2);
  }
  return v.toFixed(4);
}

/** The table: a row per metric, a column per dataset; then each metric's definition (of the first dataset). */
export function formatTable(report: DiversityReport): string {
  const header = ['metric', ...report.datasets.map((d) => d.label)];
  const rows = DIVERSITY_METRICS.map((m) => [
    m.label,
    ...report.datasets.map((d) => formatValue(d.metrics[m.id as DiversityMetricId], m.unit)),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]): string =>
    cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  const out = [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line), ''];
  if (report.embeddings !== SIF_EMBEDDINGS) {
    out.push(`"word vectors" above: ${report.embeddings} (--embeddings api)`, '');
  }
  for (const d of report.datasets) {
    const top = d.openings
      .slice(0, 3)
      .map((o) => `"${o.opening}" ${o.count}`)
      .join(', ');
    const verbs = d.verbNoun.verbs
      .slice(0, 5)
      .map((v) => `${v.verb} (${v.nouns.map((n) => n.noun).join(', ')})`)
      .join('; ');
    out.push(`${d.label}: ${d.instructionsRead} instructions read from ${d.files.length} file(s) in ${d.seconds.toFixed(1)} s`);
    out.push(`  top openings: ${top || '–'}`);
    out.push(
      `  top verbs (objects): ${verbs || '–'}${d.verbNoun.english < d.verbNoun.total ? ` [English only: ${d.verbNoun.english} of ${d.verbNoun.total}]` : ''}`,
    );
  }
  out.push('', "Definitions (sample sizes of the first dataset; every dataset's are in --json):");
  for (const m of DIVERSITY_METRICS) {
    const value = report.datasets.map((d) => d.metrics[m.id as DiversityMetricId]).find((v) => v !== undefined);
    if (value) {
      out.push(`  ${m.label}: ${value.definition} [n = ${value.sampleSize}]`);
    }
  }
  return out.join('\n') + '\n';
}
