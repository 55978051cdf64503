/**
 * Synthesis: samples → frames on disk → a training dataset.
 * Resumable (a sample whose manifest is complete for the same context and settings is skipped), shardable
 * (`shard` i/n takes every n-th sample, deterministically, so a Slurm array can split a run), cancellable
 * (an AbortSignal stops launching work; what was written stays valid), and bounded in memory (inputs stream,
 * pages stream, the dataset is written as samples finish, in input order).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  writeFileAtomic,
  writeFileAtomicSync,
  isLocalFileSystem,
  AtomicStream,
  ensureWritableDir,
  assertOutputNotInput,
  describeWriteError,
  isFatalWriteError,
} from './util/fsutil';
import {
  countIssue,
  emptyInputCounts,
  type FieldMapping,
  type FrameRecord,
  type InputCounts,
  type QAPair,
  type ReadIssue,
  type Sample,
  type SourceRef,
} from './model';
import { SETTINGS } from '../shared/settings';
import { optionsKey, type EngineOptions } from './options';
import { paginate } from './paginate';
import { readSamples } from './readers/index';
import { Renderer } from './render';
import { countSegments, segmentLocale } from './segment';
import { engineVersion } from './version';
import { describeUncovered, fontStack } from './fontCoverage';
import { miniCpmVEntries } from './writers/minicpmv';

export type DatasetFormat = 'minicpm-v' | 'none';
export const DATASET_FORMATS: DatasetFormat[] = ['minicpm-v', 'none'];

export interface Shard {
  /** 0-based. */
  index: number;
  count: number;
}

export interface SynthOptions {
  /** Input files (read with readSamples), or… */
  inputs: string[];
  /** …samples already in memory (an editor's unsaved text); read before `inputs`. */
  samples?: Sample[];
  out: string;
  engine: EngineOptions;
  fields?: FieldMapping;
  /** Render processes (see parallel.ts; default: one per core). synthesize() itself runs in one process. */
  jobs?: number;
  /** Samples in flight within one process (default 3): overlaps layout, encoding and file I/O. */
  concurrency?: number;
  shard?: Shard;
  /**
   * A render process of a parallel run (parallel.ts): asked for the next sample to render (its index among the run's
   * samples, after `shard` and `limit`) each time a slot frees up; undefined when none is left. The samples are
   * handed out one at a time, so processes finish together whatever the samples' sizes.
   */
  claim?: () => Promise<number | undefined>;
  /** A parallel run's assembling pass: samples its render processes completed in this run (taken as they are, not read back). */
  completed?: ReadonlyMap<string, CompletedSample>;
  /** Called when a sample's frames and manifest are written, or found complete from an earlier run. */
  onCompleted?: (sample: CompletedSample) => void;
  /** The run's sample count when the caller has counted them (no counting pass; bad lines are counted as they are read). */
  total?: number;
  format?: DatasetFormat;
  /** Only the first N samples (after sharding). */
  limit?: number;
  /** Read and segment everything, render and write nothing. */
  dryRun?: boolean;
  /** Re-render samples even when their manifest is complete. */
  force?: boolean;
  /**
   * How frame files are written: `sync` (no thread-pool round trips; cheapest on a local disk) or `async` (through
   * the thread pool, so a network file system's latency overlaps rendering). Default: sync where `out` is on a
   * local file system (isLocalFileSystem), else async.
   */
  frameWrites?: 'sync' | 'async';
  /** Write absolute image paths into the dataset instead of paths relative to `out`. */
  absolutePaths?: boolean;
  signal?: AbortSignal;
  onProgress?: (progress: SynthProgress) => void;
  onIssue?: (issue: ReadIssue) => void;
  onSampleError?: (error: SampleError) => void;
  /** Something the person running the tool should know that is neither a bad line nor a failed sample (e.g. fewer processes than asked). */
  onNotice?: (message: string) => void;
  /** A kept sample with something to say (characters no font covers): FILE:LINE and the message. */
  onWarning?: (warning: ReadIssue) => void;
}

export interface SynthProgress {
  total: number;
  done: number;
  frames: number;
  current?: string;
}

/** A sample a render process rendered or found complete: what the assembling pass needs of it. */
export interface CompletedSample {
  id: string;
  contextSha256: string;
  frames: number;
}

export interface SampleError {
  id: string;
  source: SourceRef;
  message: string;
}

export interface SynthSummary {
  ok: boolean;
  cancelled: boolean;
  dryRun: boolean;
  samples: number;
  completed: number;
  resumed: number;
  failed: number;
  /** Samples with frames but no question (plain documents): not in the dataset. */
  withoutQuestion: number;
  frames: number;
  bytes: number;
  /** Dry run: words and a-priori segments (words/sentences mode; layout may split some further). */
  words?: number;
  segments?: number;
  entries: number;
  issues: number;
  /** Input lines and files skipped, warnings about kept records, invalid UTF-8 replaced (`issues` is their sum of reports). */
  input: InputCounts;
  errors: SampleError[];
  seconds: number;
  framesPerSecond: number;
  /** Peak resident memory of the largest process of the run. */
  peakRssMB: number;
  /** Render processes that took part (parallel runs). */
  processes?: number;
  out: string;
  dataset?: string;
  shard?: string;
  /**
   * Why the run stopped before its end on a write error no later write could survive (a full disk, a quota, a
   * read-only file system): every finished sample is kept, nothing half-written is left, and re-running the same
   * command once space is freed resumes.
   */
  stopped?: string;
  /** Samples a stopped run never started (the next run renders them). */
  notStarted?: number;
  /** Characters no font of the stack covers (drawn as boxes): samples affected, characters, per Unicode script. */
  uncoveredGlyphs: { samples: number; characters: number; byScript: Record<string, number> };
}

export interface SampleManifest {
  id: string;
  source: SourceRef;
  engine: { name: 't2vid-studio'; version: string };
  optionsKey: string;
  options: EngineOptions;
  contextSha256: string;
  contextChars: number;
  frames: FrameRecord[];
  complete: true;
  createdAt: string;
}

export function frameFileName(index: number): string {
  return `frame_${String(index).padStart(5, '0')}.png`;
}

/**
 * Longest id, in UTF-8 bytes, used as a folder name (a file name may be 255 bytes; room is left for the `-2`, `-3`…
 * of repeated ids). Longer ids (a long input file name) are shortened to a prefix, a hash of the whole id, and the
 * id's `-<line>` tail: the same id on every run and every node, unique as long as the full ids are.
 */
export const MAX_ID_BYTES = 200;

export function safeId(id: string): string {
  if (Buffer.byteLength(id) <= MAX_ID_BYTES) {
    return id;
  }
  const tail = /(-\d{1,12})+$/.exec(id)?.[0] ?? '';
  const hash = createHash('sha256').update(id).digest('hex').slice(0, 12);
  const room = MAX_ID_BYTES - Buffer.byteLength(tail) - hash.length - 1;
  let head = '';
  let bytes = 0;
  for (const ch of id.slice(0, id.length - tail.length)) {
    const n = Buffer.byteLength(ch);
    if (bytes + n > room) {
      break;
    }
    head += ch;
    bytes += n;
  }
  return `${head}~${hash}${tail}`;
}

export function manifestPath(out: string, id: string): string {
  return path.join(out, 'frames', id, 'manifest.json');
}

export function datasetFileName(format: DatasetFormat, shard?: Shard): string {
  const base = format === 'minicpm-v' ? 'minicpm-v' : format;
  return shard && shard.count > 1
    ? `${base}.shard-${String(shard.index).padStart(4, '0')}-of-${String(shard.count).padStart(4, '0')}.json`
    : `${base}.json`;
}

export function parseShard(spec: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(spec.trim());
  const shard = m ? { index: Number(m[1]), count: Number(m[2]) } : undefined;
  if (!shard || shard.count < 1 || shard.index >= shard.count) {
    throw new Error(
      `--shard must be i/n with 0 ≤ i < n (e.g. 0/4, or $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT), got ${JSON.stringify(spec)}`,
    );
  }
  return shard;
}

/** Read a manifest if it is complete and matches this context and these settings. */
export async function completeManifest(out: string, id: string, key: string, contextSha: string): Promise<SampleManifest | undefined> {
  let manifest: SampleManifest;
  try {
    manifest = JSON.parse(await fs.promises.readFile(manifestPath(out, id), 'utf8')) as SampleManifest;
  } catch {
    return undefined;
  }
  if (
    manifest.complete !== true ||
    manifest.optionsKey !== key ||
    manifest.contextSha256 !== contextSha ||
    !Array.isArray(manifest.frames)
  ) {
    return undefined;
  }
  for (const frame of manifest.frames) {
    try {
      const st = await fs.promises.stat(path.join(out, frame.path));
      if (st.size !== frame.bytes) {
        return undefined;
      }
    } catch {
      return undefined;
    }
  }
  return manifest;
}

interface Planned {
  ordinal: number;
  id: string;
  sample: Sample;
}

/**
 * The samples of a run in input order with unique ids, filtered by shard and limit. Ids that repeat across
 * inputs (two files with the same name) get `-2`, `-3`…, the same way on every node.
 */
async function* plan(options: SynthOptions, onIssue?: (issue: ReadIssue) => void): AsyncGenerator<Planned> {
  const seen = new Set<string>();
  let global = 0;
  let taken = 0;
  let want: number | undefined;
  const sources: Array<Iterable<Sample> | AsyncIterable<Sample>> = [
    options.samples ?? [],
    ...options.inputs.map((input) => readSamples(input, { fields: options.fields, onIssue, signal: options.signal })),
  ];
  for (const source of sources) {
    for await (const sample of source) {
      const base = safeId(sample.id);
      let id = base;
      for (let n = 2; seen.has(id); n++) {
        id = `${base}-${n}`;
      }
      seen.add(id);
      const ordinal = global++;
      if (options.shard && ordinal % options.shard.count !== options.shard.index) {
        continue;
      }
      if (options.limit !== undefined && taken >= options.limit) {
        return;
      }
      const local = taken++;
      if (options.claim) {
        // Claims only grow: skip what other processes took.
        want ??= await options.claim();
        if (want === undefined) {
          return;
        }
        if (local < want) {
          continue;
        }
        want = undefined;
      }
      yield { ordinal, id, sample };
    }
  }
}

/** How many samples a run takes (after shard and limit), reading the inputs once; bad lines go to `onIssue`. */
export async function countSamples(options: SynthOptions, onIssue?: (issue: ReadIssue) => void): Promise<number> {
  let n = 0;
  for await (const _ of plan({ ...options, claim: undefined }, onIssue)) {
    n++;
  }
  return n;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function peakRssMB(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

export async function synthesize(options: SynthOptions): Promise<SynthSummary> {
  const started = performance.now();
  const out = path.resolve(options.out);
  const format = options.format ?? SETTINGS['output.format'].default;
  const { engine, signal } = options;
  const key = optionsKey(engine, engineVersion());
  for (const input of options.inputs) {
    if (!fs.existsSync(input)) {
      throw new Error(`input not found: ${input}`);
    }
  }
  const summary: SynthSummary = {
    ok: false,
    cancelled: false,
    dryRun: !!options.dryRun,
    samples: 0,
    completed: 0,
    resumed: 0,
    failed: 0,
    withoutQuestion: 0,
    frames: 0,
    bytes: 0,
    entries: 0,
    issues: 0,
    input: emptyInputCounts(),
    errors: [],
    seconds: 0,
    framesPerSecond: 0,
    peakRssMB: 0,
    out,
    shard: options.shard ? `${options.shard.index}/${options.shard.count}` : undefined,
    uncoveredGlyphs: { samples: 0, characters: 0, byScript: {} },
  };
  // The font stack (bundled fonts + --font-file, validated here before any work) and what each sample needs of it.
  // A render process of a parallel run (claim) leaves this to the assembling pass, which reads every sample.
  const stack = options.claim ? undefined : fontStack(engine.render.fontFile || undefined);
  const checkGlyphs = (id: string, sample: Sample): void => {
    const u = stack?.uncovered(sample.context);
    if (!u) {
      return;
    }
    const g = summary.uncoveredGlyphs;
    g.samples++;
    g.characters += u.count;
    for (const s of u.byScript) {
      g.byScript[s.script] = (g.byScript[s.script] ?? 0) + s.count;
    }
    options.onWarning?.({ ...sample.source, message: `sample ${id}: ${describeUncovered(u)}` });
  };
  const finish = (): SynthSummary => {
    summary.seconds = (performance.now() - started) / 1000;
    summary.framesPerSecond = summary.seconds > 0 ? summary.frames / summary.seconds : 0;
    summary.peakRssMB = peakRssMB();
    summary.ok = !summary.cancelled && summary.samples > 0 && (summary.dryRun || summary.completed + summary.resumed > 0);
    return summary;
  };

  // Pass 1: read everything once, to report bad input up front and to know the total for progress.
  const onIssue = (issue: ReadIssue): void => {
    summary.issues++;
    countIssue(summary.input, issue);
    options.onIssue?.(issue);
  };
  let total = 0;
  if (options.dryRun) {
    summary.words = 0;
    summary.segments = engine.segment.mode === 'fit' ? undefined : 0;
    try {
      for await (const { id, sample } of plan(options, onIssue)) {
        checkGlyphs(id, sample);
        const locale = segmentLocale(sample.context, engine.segment.locale);
        // Chunked, linear, and cancellable between chunks: a 50 MB one-line document neither holds every word's
        // range in memory nor keeps Ctrl-C / SIGTERM waiting.
        const counted = await countSegments(sample.context, engine.segment, locale, signal);
        summary.words += counted.words;
        if (summary.segments !== undefined) {
          summary.segments += counted.segments ?? 0;
        }
        summary.samples++;
        summary.entries += sample.qa.length;
        options.onProgress?.({ total: 0, done: summary.samples, frames: 0, current: sample.id });
      }
    } catch (e) {
      if (!signal?.aborted) {
        throw e;
      }
    }
    summary.cancelled = !!signal?.aborted;
    return finish();
  }
  await assertOutputNotInput(out, options.inputs);
  await ensureWritableDir(out);
  if (format !== 'none') {
    await assertOutputNotInput(path.join(out, datasetFileName(format, options.shard)), options.inputs, 'the dataset file');
  }
  // A known total (the parallel run counted) or a claiming render process (its share is not known up front) skip
  // the counting pass: bad lines are then counted as the main pass reads them.
  const countFirst = options.total === undefined && !options.claim;
  if (countFirst) {
    for await (const _ of plan(options, onIssue)) {
      total++;
    }
  } else {
    total = options.total ?? 0;
  }
  const renderer = new Renderer(engine.render);
  await renderer.init();

  const dataset = format === 'none' ? undefined : new AtomicStream(path.join(out, datasetFileName(format, options.shard)));
  let firstEntry = true;
  try {
    await dataset?.write('[');
  } catch (e) {
    await dataset?.abort();
    if (!isFatalWriteError(e)) {
      throw e;
    }
    summary.stopped = `${describeWriteError(e)} writing ${dataset?.file}: nothing was rendered; free space and run the same command again`;
    return finish();
  }
  // Results come back out of order; entries are written in input order.
  const ready = new Map<number, QAPair[] | undefined>();
  const frameCounts = new Map<number, { id: string; frames: number }>();
  let nextToWrite = 0;
  let writing = Promise.resolve();
  // A write error no later write can survive (ENOSPC, EDQUOT, EROFS…): no new sample starts, the run ends with its summary.
  let fatal: unknown;
  const stopOn = (e: unknown): boolean => {
    if (!isFatalWriteError(e)) {
      return false;
    }
    fatal ??= e;
    return true;
  };
  const flush = (): void => {
    while (ready.has(nextToWrite)) {
      const qa = ready.get(nextToWrite);
      const info = frameCounts.get(nextToWrite);
      ready.delete(nextToWrite);
      frameCounts.delete(nextToWrite);
      nextToWrite++;
      if (!dataset || !qa || !qa.length || !info) {
        continue;
      }
      const paths = Array.from({ length: info.frames }, (_, i) => {
        const rel = `frames/${info.id}/${frameFileName(i)}`;
        return options.absolutePaths ? path.join(out, rel) : rel;
      });
      const entries = miniCpmVEntries(info.id, paths, qa);
      summary.entries += entries.length;
      const text = entries.map((e, k) => (firstEntry && k === 0 ? '\n' : ',\n') + JSON.stringify(e)).join('');
      firstEntry = false;
      writing = writing.then(async () => {
        if (fatal === undefined) {
          await dataset.write(text).catch((e: unknown) => {
            if (!stopOn(e)) {
              throw e;
            }
          });
        }
      });
      writing.catch(() => undefined); // awaited at the end; never an unhandled rejection meanwhile
    }
  };

  // Frames are small files written in the hot loop: synchronously on a local disk (no thread-pool round trips),
  // through the thread pool on a network file system, where a write may wait on a server.
  const syncWrites = (options.frameWrites ?? (isLocalFileSystem(out) ? 'sync' : 'async')) === 'sync';
  /** Renders a sample (or finds it complete) and gives its frame count. */
  const renderSample = async (id: string, sample: Sample): Promise<number> => {
    const contextSha = sha256(sample.context);
    const fresh = options.completed?.get(id);
    if (fresh && fresh.contextSha256 === contextSha) {
      summary.resumed++;
      return fresh.frames;
    }
    if (!options.force) {
      const done = await completeManifest(out, id, key, contextSha);
      if (done) {
        summary.resumed++;
        options.onCompleted?.({ id, contextSha256: contextSha, frames: done.frames.length });
        return done.frames.length;
      }
    }
    const dir = path.join(out, 'frames', id);
    await fs.promises.rm(dir, { recursive: true, force: true });
    await fs.promises.mkdir(dir, { recursive: true });
    const frames: FrameRecord[] = [];
    // Up to 4 frames encode and write while the next is laid out; the first failure stops the sample, and every
    // queued write is settled (never left to reject unhandled) before the sample's folder is removed.
    const writes = new Set<Promise<void>>();
    let failure: { error: unknown } | undefined;
    let bytes = 0;
    try {
      for await (const page of paginate(sample.context, renderer, { segment: engine.segment, signal })) {
        if (failure || fatal !== undefined) {
          break;
        }
        const rel = `frames/${id}/${frameFileName(page.index)}`;
        const record: FrameRecord = { index: page.index, path: rel, range: page.range, bytes: 0 };
        frames.push(record);
        const write: Promise<void> = renderer
          .encode(page.block)
          .then(async (png) => {
            record.bytes = png.length;
            if (syncWrites) {
              writeFileAtomicSync(path.join(out, rel), png);
            } else {
              await writeFileAtomic(path.join(out, rel), png);
            }
            bytes += png.length;
          })
          .catch((error: unknown) => {
            failure ??= { error };
          })
          .finally(() => writes.delete(write));
        writes.add(write);
        if (writes.size >= 4) {
          await Promise.race(writes);
        }
      }
      await Promise.all(writes);
      if (!failure && fatal !== undefined) {
        failure = { error: fatal };
      }
      if (failure) {
        throw failure.error;
      }
    } catch (e) {
      await Promise.all(writes);
      // Nothing of a failed sample stays: no frame folder without a manifest (the next run renders it again).
      await fs.promises.rm(dir, { recursive: true, force: true }).catch(() => undefined);
      throw e;
    }
    const manifest: SampleManifest = {
      id,
      source: sample.source,
      engine: { name: 't2vid-studio', version: engineVersion() },
      optionsKey: key,
      options: engine,
      contextSha256: contextSha,
      contextChars: sample.context.length,
      frames,
      complete: true,
      createdAt: new Date().toISOString(),
    };
    try {
      await writeFileAtomic(manifestPath(out, id), JSON.stringify(manifest, null, 1));
    } catch (e) {
      await fs.promises.rm(dir, { recursive: true, force: true }).catch(() => undefined);
      throw e;
    }
    summary.bytes += bytes;
    summary.frames += frames.length;
    summary.completed++;
    options.onCompleted?.({ id, contextSha256: contextSha, frames: frames.length });
    return frames.length;
  };

  const jobs = Math.max(1, options.concurrency ?? 3);
  const inFlight = new Set<Promise<void>>();
  let position = 0;
  let done = 0;
  try {
    for await (const { id, sample } of plan(options, countFirst ? undefined : onIssue)) {
      if (signal?.aborted || fatal !== undefined) {
        break;
      }
      const slot = position++;
      summary.samples++;
      checkGlyphs(id, sample);
      const task = renderSample(id, sample)
        .then(
          (frames) => {
            frameCounts.set(slot, { id, frames });
            ready.set(slot, sample.qa);
            if (!sample.qa.length) {
              summary.withoutQuestion++;
            }
          },
          (e: unknown) => {
            ready.set(slot, undefined);
            if (signal?.aborted) {
              return;
            }
            summary.failed++;
            const message = stopOn(e)
              ? `${describeWriteError(e)} writing frames/${id}: the sample's frames were removed`
              : ((e as Error).message ?? String(e));
            const error: SampleError = { id, source: sample.source, message };
            summary.errors.push(error);
            options.onSampleError?.(error);
          },
        )
        .finally(() => {
          inFlight.delete(task);
          done++;
          flush();
          options.onProgress?.({ total, done, frames: summary.frames, current: id });
        });
      inFlight.add(task);
      if (inFlight.size >= jobs) {
        await Promise.race(inFlight);
      }
    }
    await Promise.all(inFlight);
    await writing;
    if (signal?.aborted) {
      summary.cancelled = true;
      await dataset?.abort();
      return finish();
    }
    if (dataset && fatal === undefined) {
      try {
        await dataset.write(firstEntry ? ']\n' : '\n]\n');
        await dataset.commit();
        summary.dataset = dataset.file;
      } catch (e) {
        if (!stopOn(e)) {
          throw e;
        }
      }
    }
  } catch (e) {
    await Promise.allSettled(inFlight);
    await writing.catch(() => undefined);
    await dataset?.abort();
    if (signal?.aborted) {
      summary.cancelled = true;
      return finish();
    }
    if (!stopOn(e)) {
      throw e;
    }
  }
  if (fatal !== undefined) {
    await dataset?.abort();
    summary.stopped = `${describeWriteError(fatal)}: every finished sample is kept; free space and run the same command again to resume`;
    summary.notStarted = Math.max(0, total - summary.samples);
  }
  const result = finish();
  if (summary.stopped) {
    result.ok = false;
  }
  return result;
}
