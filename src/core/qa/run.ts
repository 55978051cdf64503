/**
 * A Q&A generation run: samples → frame ranges (the real engine) → a generator → a `*.t2vid.jsonl` file.
 * - one line per sample, in input order, appended and flushed (fdatasync) as soon as it is ready: a crash keeps
 *   every finished line (a half-written last line is dropped on the next run);
 * - resumable: a sample whose id is already in the output is skipped; when a resumed run had to append samples
 *   after later ones (they failed before), the finished file is rewritten (atomically) in input order;
 * - cancellable (AbortSignal: no new work, in-flight requests aborted, finished lines kept), with progress.
 * A sample that fails is reported and not written, so the next run tries it again.
 * Each record's `qa` starts with the input's own pairs (L-Eval instructions, a T2Vid question…), in input order, with
 * provenance 'source' (unless `sourceQa: false`), followed by the generated pairs.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { assertOutputNotInput, describeWriteError, isFatalWriteError, writeFileAtomic } from '../util/fsutil';
import { countIssue, emptyInputCounts, type FieldMapping, type InputCounts, type ReadIssue, type Sample, type SourceRef } from '../model';
import { resolveOptions, type EngineOptions, type SegmentOptions } from '../options';
import { paginate } from '../paginate';
import { readSamples } from '../readers/index';
import { Renderer } from '../render';
import type { Range } from '../segment';
import { generateBuiltin } from './builtin';
import { BudgetExhaustedError, LlmGenerator, type LlmOptions } from './llm';
import { SOURCE_PROMPT_VERSION, type GeneratedPair, type QARecord } from './types';
import type { QAGenerator } from '../../shared/vocabulary';
import { SETTINGS } from '../../shared/settings';

/** The generators a person can run (one list: src/shared/vocabulary.ts). */
export type GeneratorName = QAGenerator;

export interface QARunOptions {
  inputs: string[];
  /** The output file, conventionally `NAME.t2vid.jsonl`. */
  out: string;
  /** Engine options that cut contexts into frames (default: resolveOptions()). */
  engine?: EngineOptions;
  fields?: FieldMapping;
  generator?: GeneratorName;
  /** Generated questions per document (default 5); the input's own pairs come on top. */
  perDoc?: number;
  /** Keep the input's own question/answer pairs in each record, first (default true). */
  sourceQa?: boolean;
  /** Built-in generator seed (default 1). */
  seed?: number;
  /** Required for generator 'llm'. cacheDir defaults to `.t2vid-cache/qa` beside the output file. */
  llm?: Omit<LlmOptions, 'perDoc' | 'concurrency'>;
  /** Samples in flight (and LLM requests in flight) at once (default 4). */
  concurrency?: number;
  signal?: AbortSignal;
  onProgress?: (progress: QAProgress) => void;
  onIssue?: (issue: ReadIssue) => void;
  onSampleError?: (error: QASampleError) => void;
}

export interface QAProgress {
  total: number;
  done: number;
  /** Generated pairs so far. */
  pairs: number;
  current?: string;
}

export interface QASampleError {
  id: string;
  source: SourceRef;
  message: string;
}

export interface QASummary {
  ok: boolean;
  cancelled: boolean;
  /** The LLM token budget was reached and samples were left for a later run. */
  budgetExhausted: boolean;
  generator: GeneratorName;
  samples: number;
  /** Samples generated (written) by this run. */
  generated: number;
  /** Samples already in the output file. */
  resumed: number;
  failed: number;
  /** Samples not attempted (budget reached or cancelled). */
  skipped: number;
  /** Generated pairs written by this run. */
  pairs: number;
  /** Pairs kept from the input, written by this run. */
  sourcePairs: number;
  promptTokens: number;
  completionTokens: number;
  requests: number;
  cacheHits: number;
  retries: number;
  /** LLM: how replies were asked for at the end (json_schema, json_object, prompt) and each fall-back with its reason. */
  responseFormat?: string;
  responseFormatFallbacks?: Array<{ from: string; to: string; reason: string }>;
  issues: number;
  /** Input lines and files skipped, warnings about kept records, invalid UTF-8 replaced. */
  input: InputCounts;
  seconds: number;
  errors: QASampleError[];
  out: string;
  /**
   * Why the run stopped early on a write error no later write survives (a full disk, a quota, a read-only file
   * system): the lines written before it are kept whole, no new sample starts, and the next run resumes.
   */
  stopped?: string;
}

/**
 * The input's own pairs as GeneratedPairs: kind 'other', no supporting frames, provenance 'source', status 'new'.
 * Pairs with a blank question are left out; a blank answer (a question without one in the input) is kept.
 */
export function sourcePairs(qa: ReadonlyArray<{ question: string; answer: string }>, createdAt: string): GeneratedPair[] {
  return qa
    .filter((p) => p.question.trim() !== '')
    .map((p) => ({
      question: p.question,
      answer: p.answer,
      kind: 'other',
      supportingFrames: [],
      provenance: { generator: 'source', promptVersion: SOURCE_PROMPT_VERSION, createdAt, editedByUser: false },
      status: 'new',
    }));
}

/** The frame ranges of a context, from the real engine (the same pages `t2vid synth` renders). */
export async function frameRanges(text: string, renderer: Renderer, segment: SegmentOptions, signal?: AbortSignal): Promise<Range[]> {
  const out: Range[] = [];
  for await (const page of paginate(text, renderer, { segment, signal })) {
    out.push(page.range);
  }
  return out;
}

/** Read a `*.t2vid.jsonl` file (complete, parseable lines only). */
export async function readQAFile(file: string): Promise<QARecord[]> {
  const text = await fs.promises.readFile(file, 'utf8');
  const out: QARecord[] = [];
  for (const line of text.split('\n')) {
    try {
      const record = JSON.parse(line) as QARecord;
      if (record && typeof record.id === 'string') {
        out.push(record);
      }
    } catch {
      // blank or partial line
    }
  }
  return out;
}

/** The ids already in the output; a half-written last line (a crash) is cut off the file. */
async function existingIds(file: string): Promise<Set<string>> {
  const ids = new Set<string>();
  let text: string;
  try {
    text = await fs.promises.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      return ids;
    }
    throw e;
  }
  const complete = text.endsWith('\n') || text === '' ? text : text.slice(0, text.lastIndexOf('\n') + 1);
  if (complete.length !== text.length) {
    await fs.promises.truncate(file, Buffer.byteLength(complete));
  }
  for (const line of complete.split('\n')) {
    try {
      const id = (JSON.parse(line) as { id?: unknown }).id;
      if (typeof id === 'string') {
        ids.add(id);
      }
    } catch {
      // not a record
    }
  }
  return ids;
}

async function* plan(options: QARunOptions, onIssue?: (issue: ReadIssue) => void): AsyncGenerator<{ id: string; sample: Sample }> {
  const seen = new Set<string>();
  for (const input of options.inputs) {
    for await (const sample of readSamples(input, { fields: options.fields, onIssue, signal: options.signal })) {
      let id = sample.id;
      for (let n = 2; seen.has(id); n++) {
        id = `${sample.id}-${n}`;
      }
      seen.add(id);
      yield { id, sample };
    }
  }
}

export async function generateQA(options: QARunOptions): Promise<QASummary> {
  const started = performance.now();
  const out = path.resolve(options.out);
  const generatorName: GeneratorName = options.generator ?? SETTINGS['qa.generator'].default;
  const engine = options.engine ?? resolveOptions();
  const perDoc = Math.max(1, Math.floor(options.perDoc ?? SETTINGS['qa.perDoc'].default));
  const seed = options.seed ?? SETTINGS['qa.seed'].default;
  const keepSource = options.sourceQa ?? true;
  const jobs = Math.max(1, options.concurrency ?? SETTINGS['qa.concurrency'].default);
  const { signal } = options;
  for (const input of options.inputs) {
    if (!fs.existsSync(input)) {
      throw new Error(`input not found: ${input}`);
    }
  }
  // Appending to one of the inputs would make each run generate questions about the previous output.
  await assertOutputNotInput(out, options.inputs);
  let llm: LlmGenerator | undefined;
  if (generatorName === 'llm') {
    if (!options.llm) {
      throw new Error('the llm generator needs base URL, model and API key');
    }
    const cacheDir = options.llm.cacheDir ?? path.join(path.dirname(out), '.t2vid-cache', 'qa');
    llm = new LlmGenerator({ ...options.llm, cacheDir, perDoc, concurrency: jobs });
  } else if (generatorName !== 'builtin') {
    throw new Error(`unknown generator ${JSON.stringify(generatorName)} (builtin or llm)`);
  }
  const summary: QASummary = {
    ok: false,
    cancelled: false,
    budgetExhausted: false,
    generator: generatorName,
    samples: 0,
    generated: 0,
    resumed: 0,
    failed: 0,
    skipped: 0,
    pairs: 0,
    sourcePairs: 0,
    promptTokens: 0,
    completionTokens: 0,
    requests: 0,
    cacheHits: 0,
    retries: 0,
    issues: 0,
    input: emptyInputCounts(),
    seconds: 0,
    errors: [],
    out,
  };
  const finish = (): QASummary => {
    if (llm) {
      summary.promptTokens = llm.usage.promptTokens;
      summary.completionTokens = llm.usage.completionTokens;
      summary.requests = llm.usage.requests;
      summary.cacheHits = llm.usage.cacheHits;
      summary.retries = llm.usage.retries;
      summary.responseFormat = llm.responseFormat;
      summary.responseFormatFallbacks = [...llm.formatFallbacks];
    }
    summary.cancelled = !!signal?.aborted;
    summary.seconds = (performance.now() - started) / 1000;
    summary.ok = !summary.cancelled && summary.samples > 0 && summary.generated + summary.resumed > 0;
    return summary;
  };

  // Pass 1: read everything once (bad input is reported up front; the total drives progress).
  const onIssue = (issue: ReadIssue): void => {
    summary.issues++;
    countIssue(summary.input, issue);
    options.onIssue?.(issue);
  };
  const order: string[] = [];
  for await (const { id } of plan(options, onIssue)) {
    order.push(id);
  }
  const total = order.length;
  await fs.promises.mkdir(path.dirname(out), { recursive: true });
  const existing = await existingIds(out);
  const renderer = new Renderer(engine.render);
  await renderer.init();
  const createdAt = new Date().toISOString();

  // Opened with the first finished line: a run that produces nothing leaves no (0-byte) output file behind.
  let handle: fs.promises.FileHandle | undefined;
  const close = async (): Promise<void> => {
    await handle?.close();
    handle = undefined;
  };
  // Finished lines wait here until every earlier sample is finished (or failed), then go out in input order.
  const ready = new Map<number, string | null>();
  const written = new Map<number, { id: string; source: SourceRef }>();
  let nextToWrite = 0;
  let fatal: unknown;
  let stop = false;
  let appendedAfterExisting = false;
  let writing = Promise.resolve();
  const flush = (): void => {
    const lines: string[] = [];
    const samples: Array<{ id: string; source: SourceRef }> = [];
    while (ready.has(nextToWrite)) {
      const line = ready.get(nextToWrite);
      const info = written.get(nextToWrite);
      written.delete(nextToWrite);
      ready.delete(nextToWrite++);
      if (line && info) {
        lines.push(line);
        samples.push(info);
      }
    }
    if (lines.length) {
      writing = writing.then(async () => {
        let size: number | undefined;
        try {
          if (fatal !== undefined) {
            throw fatal;
          }
          handle ??= await fs.promises.open(out, 'a');
          size = (await handle.stat()).size;
          // A write to a nearly full disk may be short without an error: loop until all is written (or ENOSPC).
          const data = Buffer.from(lines.join(''));
          for (let at = 0; at < data.length;) {
            at += (await handle.write(data, at, data.length - at)).bytesWritten;
          }
          await handle.datasync();
        } catch (e) {
          if (!isFatalWriteError(e)) {
            throw e;
          }
          // The disk is full (or read-only…): cut a half-written line off, count these samples as failed, start no more.
          fatal ??= e;
          stop = true;
          if (size !== undefined) {
            await handle?.truncate(size).catch(() => undefined);
          }
          for (const { id, source } of samples) {
            summary.generated--;
            summary.failed++;
            const error: QASampleError = { id, source, message: `${describeWriteError(e)} writing ${out}: not written` };
            summary.errors.push(error);
            options.onSampleError?.(error);
          }
        }
      });
      writing.catch(() => undefined); // awaited at the end; never an unhandled rejection meanwhile
    }
  };

  let done = 0;
  let pairs = 0;
  const progress = (current?: string): void => options.onProgress?.({ total, done, pairs, current });
  const generate = async (id: string, sample: Sample): Promise<string> => {
    const frames = await frameRanges(sample.context, renderer, engine.segment, signal);
    const doc = { id, context: sample.context, frames };
    let qa: GeneratedPair[];
    if (llm) {
      qa = await llm.generate(doc, signal);
    } else {
      qa = generateBuiltin(doc, { perDoc, seed, locale: engine.segment.locale, createdAt });
    }
    const kept = keepSource ? sourcePairs(sample.qa, createdAt) : [];
    const record: QARecord = { id, source: sample.source, context: sample.context, frames, qa: [...kept, ...qa] };
    pairs += qa.length;
    summary.pairs += qa.length;
    summary.sourcePairs += kept.length;
    return JSON.stringify(record) + '\n';
  };

  const inFlight = new Set<Promise<void>>();
  let slot = 0;
  try {
    for await (const { id, sample } of plan(options)) {
      const mine = slot++;
      summary.samples++;
      if (existing.has(id)) {
        summary.resumed++;
        done++;
        ready.set(mine, null);
        flush();
        progress(id);
        continue;
      }
      if (stop || signal?.aborted || llm?.budgetExhausted) {
        summary.skipped++;
        ready.set(mine, null);
        flush();
        continue;
      }
      if (existing.size) {
        appendedAfterExisting = true;
      }
      const task = generate(id, sample)
        .then(
          (line) => {
            summary.generated++;
            written.set(mine, { id, source: sample.source });
            ready.set(mine, line);
          },
          (e: unknown) => {
            ready.set(mine, null);
            if (signal?.aborted) {
              summary.skipped++;
              return;
            }
            if (e instanceof BudgetExhaustedError) {
              summary.budgetExhausted = true;
              summary.skipped++;
              stop = true;
              return;
            }
            summary.failed++;
            const error: QASampleError = { id, source: sample.source, message: (e as Error)?.message ?? String(e) };
            summary.errors.push(error);
            options.onSampleError?.(error);
          },
        )
        .finally(() => {
          inFlight.delete(task);
          done++;
          flush();
          progress(id);
        });
      inFlight.add(task);
      if (inFlight.size >= jobs) {
        await Promise.race(inFlight);
      }
    }
  } catch (e) {
    if (!signal?.aborted) {
      await Promise.allSettled(inFlight);
      await writing.catch(() => undefined);
      await close();
      throw e;
    }
  }
  await Promise.allSettled(inFlight);
  flush();
  try {
    await writing;
  } finally {
    await close();
  }
  if (llm?.budgetExhausted) {
    summary.budgetExhausted = true;
  }
  if (fatal !== undefined) {
    summary.stopped = `${describeWriteError(fatal)}: every finished sample is kept; free space and run the same command again to resume`;
    const result = finish();
    result.ok = false;
    return result;
  }
  if (!signal?.aborted && appendedAfterExisting) {
    await reorder(out, order);
  }
  return finish();
}

/** Rewrite the file in input order if a resumed run appended records out of it (unknown ids keep their place at the end). */
async function reorder(file: string, order: string[]): Promise<void> {
  const text = await fs.promises.readFile(file, 'utf8');
  const position = new Map(order.map((id, i) => [id, i]));
  const lines = text.split('\n').filter((l) => l.trim());
  const keyed = lines.map((line, i) => {
    let id: unknown;
    try {
      id = (JSON.parse(line) as { id?: unknown }).id;
    } catch {
      id = undefined;
    }
    const p = typeof id === 'string' ? position.get(id) : undefined;
    return { line, key: p ?? order.length + i };
  });
  const sorted = [...keyed].sort((a, b) => a.key - b.key);
  if (sorted.every((x, i) => x === keyed[i])) {
    return;
  }
  await writeFileAtomic(file, sorted.map((x) => x.line + '\n').join(''));
}
