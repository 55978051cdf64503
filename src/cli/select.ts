/**
 * `t2vid select POOL... --k K [--against SET...] --out FILE`: choose the K instructions of a pool that add the most
 * instruction diversity to a given (video) instruction set, write the records that hold them, and show the set's
 * metrics before and after adding them, beside a random choice of K with the same seed.
 * Exit codes: 0 done, 1 nothing chosen or an error, 2 bad usage, 130 cancelled.
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { countIssue, emptyInputCounts, type InputCounts } from '../core/model';
import { parseFieldMapping } from '../core/readers/index';
import { sifEmbeddings, type EmbeddingSet } from '../core/diversity/embeddings';
import type { Instruction } from '../core/diversity/instructions';
import { readInstructionSet } from '../core/diversity/measure';
import {
  concatRows,
  DEFAULT_TAU,
  FACILITY_GROUND,
  selectDiverse,
  selectionMetrics,
  writeSelection,
  type WrittenSelection,
} from '../core/diversity/select';
import { words } from '../core/diversity/text';
import { assertOutputNotInput, ensureWritableDir, OutputIsInputError } from '../core/util/fsutil';
import { redact } from '../core/util/redact';
import { escapeControl, escapeControlKeepLines, escapeJsonControl } from '../core/util/terminal';
import {
  DIVERSITY_METRICS,
  SELECT_METHODS,
  SELECTION_METRICS,
  type MetricValue,
  type SelectionMetricId,
  type SelectMethod,
} from '../shared/diversity';
import { JSONL_EXTENSIONS } from '../shared/fileTypes';
import { interruptible, stderrReporters, UsageError, wholeNumber } from './common';
import { EMBEDDING_ARGS, embedderFromArgs, embeddingCacheIn, embeddingHelp } from './embeddingArgs';

export const SELECT_HELP = `Usage: t2vid select POOL... --k K --out FILE.jsonl [--against SET...] [options]

Chooses the K instructions of a pool (e.g. text-derived samples) that add the most instruction diversity to a
given set (e.g. a video instruction set), writes the records that hold them, and prints the set's metrics
before and after adding them, beside a random choice of K with the same seed. Instructions are read as
t2vid diversity reads them (first user turn, placeholders and option lists stripped; --fields to choose).
  --k K                  instructions to choose (K ≥ 1; a pool of fewer gives them all, said on stderr)
  --against SET          the set to add diversity to (repeat for several files; default: none)
  --out FILE.jsonl       where the chosen records go, JSON Lines, written atomically, in pool order: a JSONL
                         line whose instructions were all chosen is copied byte for byte; an L-Eval or
                         *.t2vid.jsonl record of which only some were chosen is written with only those (and
                         their outputs); records of JSON arrays and Parquet files become one JSON line each
  --method ${SELECT_METHODS.join('|')}
                         vendi (default): greedy gain in the Vendi score of set ∪ chosen (order 2, exact
                         and incremental: least summed squared cosine to what is there);
                         facility: facility-location coverage of a seeded sample of ${FACILITY_GROUND} pool instructions,
                         lazy greedy; threshold: DEITA's rule, keep an instruction only if its cosine
                         similarity to every kept one and to the set is ≤ τ (pool walked in seeded order)
  --tau T                threshold's τ, a cosine similarity in [-1, 1] (default ${DEFAULT_TAU})
  --seed S               seed of ties, the random baseline and sampling (default 1)
  --fields question=PATH the field read as the instruction, as in t2vid diversity
${embeddingHelp('.t2vid-cache/embeddings beside --out')}
  --json                 print one JSON object on stdout
  --help                 this text
Bad input: a line that cannot be used is reported on stderr as FILE:LINE: reason and skipped.
Exit codes: 0 done, 1 nothing chosen or an error, 2 bad usage, 130 cancelled.
`;

export const SELECT_ARGS = {
  k: { type: 'string' },
  against: { type: 'string', multiple: true },
  out: { type: 'string', short: 'o' },
  method: { type: 'string' },
  tau: { type: 'string' },
  seed: { type: 'string' },
  fields: { type: 'string' },
  ...EMBEDDING_ARGS,
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Where a chosen instruction came from. */
export interface ChosenInstruction {
  file: string;
  line: number;
  element?: number;
  /** 0-based index of the instruction within its record. */
  index: number;
}

/** The JSON object `--json` prints. */
export interface SelectReport {
  method: SelectMethod;
  k: number;
  seed: number;
  tau: number | null;
  embeddings: string;
  pool: { files: string[]; instructions: number; withEmbedding: number; input: InputCounts };
  against: { files: string[]; instructions: number; input: InputCounts } | null;
  /** Instructions chosen (K, or fewer: see shortfall). */
  chosen: number;
  shortfall: string | null;
  out: string;
  written: WrittenSelection;
  /** The set alone (null without --against), the set with the chosen instructions, and with a random K. */
  metrics: {
    before: Record<SelectionMetricId, MetricValue> | null;
    selected: Record<SelectionMetricId, MetricValue>;
    random: Record<SelectionMetricId, MetricValue>;
  };
  /** The chosen instructions in the order the method chose them. */
  selection: ChosenInstruction[];
  api: { requests: number; retries: number; cacheHits: number; textsSent: number } | null;
  seconds: number;
}

export async function selectCommand(argv: string[]): Promise<number> {
  try {
    return await run(argv);
  } catch (e) {
    const usage =
      e instanceof UsageError || e instanceof OutputIsInputError || (e as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS');
    if ((e as Error).message === 'cancelled') {
      process.stderr.write('t2vid select: cancelled; nothing written\n');
      return 130;
    }
    process.stderr.write(`t2vid select: ${escapeControl(redact((e as Error).message))}\n${usage ? "see 't2vid select --help'\n" : ''}`);
    return usage ? 2 : 1;
  }
}

async function run(argv: string[]): Promise<number> {
  const started = performance.now();
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: SELECT_ARGS });
  if (values.help) {
    process.stdout.write(SELECT_HELP);
    return 0;
  }
  if (!positionals.length) {
    throw new UsageError('select needs at least one POOL file');
  }
  if (values.k === undefined) {
    throw new UsageError('select needs --k K (how many instructions to choose)');
  }
  const k = wholeNumber(values.k, '--k', 1)!;
  if (!values.out) {
    throw new UsageError('select needs --out FILE.jsonl');
  }
  if (!(JSONL_EXTENSIONS as readonly string[]).includes(path.extname(values.out).toLowerCase())) {
    throw new UsageError(`--out is written as JSON Lines: name it ${JSONL_EXTENSIONS.join(' or ')}, got ${JSON.stringify(values.out)}`);
  }
  const method = (values.method ?? 'vendi') as SelectMethod;
  if (!SELECT_METHODS.includes(method)) {
    throw new UsageError(`--method must be ${SELECT_METHODS.join(', ')}, got ${JSON.stringify(values.method)}`);
  }
  let tau: number | undefined;
  if (values.tau !== undefined) {
    if (method !== 'threshold') {
      throw new UsageError('--tau applies to --method threshold');
    }
    tau = Number(values.tau);
    if (values.tau.trim() === '' || !(tau >= -1 && tau <= 1)) {
      throw new UsageError(`--tau takes a cosine similarity from -1 to 1, got ${JSON.stringify(values.tau)}`);
    }
  }
  const seed = wholeNumber(values.seed, '--seed', 0, 2 ** 32 - 1) ?? 1;
  let fields;
  try {
    fields = values.fields ? parseFieldMapping(values.fields) : undefined;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (fields && fields.question === undefined) {
    throw new UsageError('--fields for select needs question=PATH (the instruction field)');
  }
  const againstFiles = values.against ?? [];
  await assertOutputNotInput(values.out, [...positionals, ...againstFiles]);
  await ensureWritableDir(path.dirname(path.resolve(values.out)));
  const embedder = embedderFromArgs(values, 'select', embeddingCacheIn(path.dirname(path.resolve(values.out))));

  const { onIssue } = stderrReporters(() => undefined);
  const interrupt = interruptible('nothing is written');
  try {
    const read = async (files: string[], label: string): Promise<{ instructions: Instruction[]; input: InputCounts }> => {
      const input = emptyInputCounts();
      const { instructions } = await readInstructionSet(
        { label, files },
        {
          fields,
          signal: interrupt.signal,
          onIssue: (issue) => {
            countIssue(input, issue);
            onIssue(issue);
          },
        },
      );
      return { instructions, input };
    };
    const pool = await read(positionals, 'pool');
    const against = againstFiles.length ? await read(againstFiles, 'against') : undefined;
    interrupt.signal.throwIfAborted();
    if (!pool.instructions.length) {
      throw new Error(`no instruction in the pool (${positionals.join(', ')})`);
    }
    if (against && !against.instructions.length) {
      throw new Error(`no instruction in --against (${againstFiles.join(', ')})`);
    }
    const poolTexts = pool.instructions.map((i) => i.text);
    const againstTexts = against?.instructions.map((i) => i.text) ?? [];
    let poolSet: EmbeddingSet;
    let againstSet: EmbeddingSet | undefined;
    if (embedder) {
      poolSet = await embedder.embed(poolTexts, interrupt.signal);
      againstSet = against ? await embedder.embed(againstTexts, interrupt.signal) : undefined;
      if (againstSet && againstSet.dimensions !== poolSet.dimensions) {
        throw new Error(`the endpoint gave ${poolSet.dimensions}- and ${againstSet.dimensions}-dimensional embeddings`);
      }
    } else {
      poolSet = sifEmbeddings(poolTexts.map((t) => words(t)));
      againstSet = against ? sifEmbeddings(againstTexts.map((t) => words(t))) : undefined;
    }
    const result = selectDiverse(poolSet, againstSet, { k, method, seed, tau, signal: interrupt.signal });
    if (result.shortfall) {
      process.stderr.write(`t2vid select: ${escapeControl(result.shortfall)}; ${result.picked.length} chosen of --k ${k}\n`);
    }
    if (!result.picked.length) {
      throw new Error('no pool instruction has an embedding (no known word): nothing to choose');
    }
    const kind = embedder?.kind ?? 'SIF word vectors';
    const metricsOf = (indices: number[] | undefined): Record<SelectionMetricId, MetricValue> => {
      const texts = [...againstTexts, ...(indices ?? []).map((i) => poolTexts[i]!)];
      const parts = [...(againstSet ? [{ set: againstSet }] : []), ...(indices ? [{ set: poolSet, indices }] : [])];
      return selectionMetrics(texts, { embeddings: concatRows(parts), kind, seed });
    };
    const before = against ? metricsOf(undefined) : null;
    const selected = metricsOf(result.picked);
    const random = metricsOf(result.random);
    interrupt.signal.throwIfAborted();
    const chosenInPoolOrder = result.picked.slice().sort((a, b) => a - b);
    const written = await writeSelection(pool.instructions, chosenInPoolOrder, values.out, { fields, signal: interrupt.signal });
    const report: SelectReport = {
      method,
      k,
      seed,
      tau: method === 'threshold' ? (tau ?? DEFAULT_TAU) : null,
      embeddings: kind,
      pool: {
        files: positionals.map((f) => path.resolve(f)),
        instructions: pool.instructions.length,
        withEmbedding: result.candidates,
        input: pool.input,
      },
      against: against
        ? { files: againstFiles.map((f) => path.resolve(f)), instructions: against.instructions.length, input: against.input }
        : null,
      chosen: result.picked.length,
      shortfall: result.shortfall ?? null,
      out: path.resolve(values.out),
      written,
      metrics: { before, selected, random },
      selection: result.picked.map((i) => {
        const { source, index } = pool.instructions[i]!;
        return {
          file: path.resolve(source.file),
          line: source.line,
          ...(source.element !== undefined ? { element: source.element } : {}),
          index,
        };
      }),
      api: embedder ? { ...embedder.usage } : null,
      seconds: (performance.now() - started) / 1000,
    };
    if (values.json) {
      process.stdout.write(escapeJsonControl(redact(JSON.stringify(report))) + '\n');
    } else {
      process.stdout.write(escapeControlKeepLines(redact(formatSelectReport(report))));
    }
    return 0;
  } finally {
    interrupt.dispose();
  }
}

function format(metric: MetricValue | undefined, id: SelectionMetricId): string {
  if (!metric || metric.value === null) {
    return '–';
  }
  return id === 'template-concentration'
    ? `${(metric.value * 100).toFixed(1)} %`
    : id.startsWith('vendi')
      ? metric.value.toFixed(2)
      : metric.value.toFixed(4);
}

/** The table: a row per metric; columns: the set alone, with the chosen instructions, with a random K. */
export function formatSelectReport(report: SelectReport): string {
  const { before, selected, random } = report.metrics;
  const setName = report.against ? 'set' : '';
  const header = [
    'metric',
    ...(before ? ['set alone'] : []),
    `${setName} + ${report.method} ${report.chosen}`.trim(),
    `${setName} + random ${report.chosen}`.trim(),
  ];
  const rows = SELECTION_METRICS.map((id) => [
    DIVERSITY_METRICS.find((m) => m.id === id)!.label.replace(
      '(word vectors)',
      `(${report.embeddings.startsWith('API') ? 'API embeddings' : 'word vectors'})`,
    ),
    ...(before ? [format(before[id], id)] : []),
    format(selected[id], id),
    format(random[id], id),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]): string =>
    cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  const w = report.written;
  const out = [
    `pool: ${report.pool.instructions} instructions (${report.pool.withEmbedding} with an embedding)` +
      (report.against ? `; set: ${report.against.instructions} instructions` : '; no --against set'),
    '',
    line(header),
    widths.map((x) => '─'.repeat(x)).join('  '),
    ...rows.map(line),
    '',
    `wrote ${w.records} records holding ${w.instructions} instructions → ${report.out}` +
      ` (${w.copied} line(s) copied byte for byte${w.narrowed ? `, ${w.narrowed} records narrowed to the chosen instructions` : ''}` +
      `${w.converted ? `, ${w.converted} JSON/Parquet records as JSON lines` : ''})`,
  ];
  if (report.api) {
    out.push(
      `embeddings: ${report.api.requests} requests, ${report.api.retries} retries, ${report.api.textsSent} texts sent, ${report.api.cacheHits} from cache`,
    );
  }
  out.push('', 'Definitions (of the set with the chosen instructions):');
  for (const id of SELECTION_METRICS) {
    out.push(`  ${id}: ${selected[id].definition} [n = ${selected[id].sampleSize}]`);
  }
  return out.join('\n') + '\n';
}
