/**
 * `t2vid mix`: T2Vid's recipe after rendering, as one reproducible step — synthetic (text-as-video) samples mixed
 * with real video samples, written as an assembled set (samples.jsonl + manifest.json) that every exporter reads.
 *
 * - Synthetic sources: synth output folders, assembled sets, or any dataset with frames the training-set readers know.
 * - Video sources: `t2vid extract-frames` outputs (their video-samples.jsonl, or the folder holding it), or any
 *   training set whose samples are real video frames.
 * - Counts are given, or a ratio: the synthetic share of the output, with every available video sample.
 * - Duplicates (the same turns over the same frames) are dropped before choosing, and counted.
 * - Video samples keep at most `videoFrames` frames, chosen uniformly (as extract-frames chooses them).
 * - Synthetic samples are chosen at random (seeded) or by the diversity selection (greedy Vendi gain against the
 *   chosen video samples' instructions, with the built-in word vectors).
 * - The same inputs, options and seed give the same bytes: no time stamp, a stable order.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ReadIssue } from '../model';
import { reportIssue, isPlainRecord } from '../readers/schema';
import { sifEmbeddings } from '../diversity/embeddings';
import { selectDiverse } from '../diversity/select';
import { normalise, seededRandom, words } from '../diversity/text';
import { MIX_SELECT_MODES, type MixSelectMode } from '../../shared/assemble';
import { uniformIndices, VIDEO_SAMPLES_FILE } from './extractFrames';
import { readerContext, readRecords } from './records';
import {
  AssembledSetWriter,
  inputKind,
  readTrainingSet,
  rolesProblem,
  type AssembledManifest,
  type InputKind,
  type SampleOrigin,
  type TrainingSample,
} from './trainingSet';

/** Frames a video sample keeps by default: T2Vid subsamples its 1-fps frames to 24. */
export const DEFAULT_VIDEO_FRAMES = 24;

export interface MixOptions {
  synthetic: readonly string[];
  video: readonly string[];
  countSynthetic?: number;
  countVideo?: number;
  /** Synthetic share of the output, 0 ≤ ratio < 1, with every available video sample. */
  ratio?: number;
  select?: MixSelectMode;
  seed: number;
  videoFrames?: number;
  out: string;
  signal?: AbortSignal;
  onIssue?: (issue: ReadIssue) => void;
  onProgress?: (message: string) => void;
}

export interface MixSummary {
  out: string;
  manifest: AssembledManifest;
  available: Record<SampleOrigin, number>;
  duplicates: Record<SampleOrigin, number>;
  chosen: Record<SampleOrigin, number>;
  /** Video samples that had more frames than `videoFrames` and were subsampled. */
  subsampled: number;
}

/** What a mix was made from and how: stored in the manifest, compared by `t2vid assemble` to reuse a mix. */
export interface MixRecipe {
  select: MixSelectMode;
  ratio: number | null;
  countSynthetic: number | null;
  countVideo: number | null;
  videoFrames: number;
  available: Record<SampleOrigin, number>;
  duplicates: Record<SampleOrigin, number>;
  subsampled: number;
}

/** The manifest of a mix: an assembled-set manifest with the recipe. */
export type MixManifest = AssembledManifest & { mix: MixRecipe };

function cancelled(signal?: AbortSignal): void {
  if (signal?.aborted) {
    throw new Error('cancelled');
  }
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) {
    hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}

/** The sha256 of the file a source's samples are read from (a folder: its dataset file). */
export async function sourceSha256(source: string): Promise<string> {
  return sha256Of(await sourceFile(source));
}

/** The file a source's samples are read from (hashed into the manifest). */
async function sourceFile(source: string): Promise<string> {
  const st = await fs.promises.stat(source).catch(() => undefined);
  if (!st) {
    throw new Error(`${source}: no such file or folder`);
  }
  if (!st.isDirectory()) {
    return source;
  }
  if (fs.existsSync(path.join(source, VIDEO_SAMPLES_FILE))) {
    return path.join(source, VIDEO_SAMPLES_FILE);
  }
  const kind = await inputKind(source);
  return path.join(source, kind === 'assembled-set' ? 'samples.jsonl' : 'minicpm-v.json');
}

/** The samples of a `t2vid extract-frames` output: video-samples.jsonl, frames relative to its folder. */
async function* readVideoSamplesFile(file: string, options: { onIssue?: (i: ReadIssue) => void; signal?: AbortSignal }) {
  const ctx = readerContext(file, options.onIssue, options.signal);
  const base = path.dirname(path.resolve(file));
  for await (const record of readRecords(ctx, 'jsonl')) {
    const v = record.value;
    if (!isPlainRecord(v) || typeof v.id !== 'string' || !Array.isArray(v.frames) || !Array.isArray(v.turns)) {
      reportIssue(ctx, record.line, 'line', `not a ${VIDEO_SAMPLES_FILE} line: {id, frames, turns, …} expected`);
      continue;
    }
    const frames = v.frames as unknown[];
    const turns = v.turns as unknown[];
    if (!frames.length || !frames.every((f) => typeof f === 'string' && f !== '')) {
      reportIssue(ctx, record.line, 'line', '"frames" must be a non-empty list of paths');
      continue;
    }
    if (!turns.every((t) => isPlainRecord(t) && (t.role === 'user' || t.role === 'assistant') && typeof t.content === 'string')) {
      reportIssue(ctx, record.line, 'line', '"turns" must be a list of {role: user|assistant, content}');
      continue;
    }
    const typed = turns as Array<{ role: 'user' | 'assistant'; content: string }>;
    const problem = rolesProblem(typed.map((t) => t.role));
    if (problem) {
      reportIssue(ctx, record.line, 'line', problem);
      continue;
    }
    const src = isPlainRecord(v.source) && typeof v.source.file === 'string' && typeof v.source.line === 'number' ? v.source : undefined;
    const sample: TrainingSample = {
      id: v.id,
      frames: (frames as string[]).map((f) => (path.isAbsolute(f) ? f : path.resolve(base, f))),
      turns: typed.map((t) => ({ role: t.role, content: t.content })),
      source: src ? { file: src.file as string, line: src.line as number } : { file, line: record.line },
      origin: 'video',
    };
    yield sample;
  }
}

async function* readSource(source: string, origin: SampleOrigin, options: MixOptions): AsyncGenerator<TrainingSample> {
  const file = await sourceFile(source);
  if (path.basename(file) === VIDEO_SAMPLES_FILE) {
    yield* readVideoSamplesFile(file, options);
    return;
  }
  for await (const sample of readTrainingSet(source, { onIssue: options.onIssue, signal: options.signal })) {
    yield { ...sample, origin };
  }
}

/** Same turns over the same frames: one sample. */
function sampleKey(s: TrainingSample): string {
  return createHash('sha1')
    .update(JSON.stringify([s.turns.map((t) => [t.role, normalise(t.content)]), s.frames]))
    .digest('hex');
}

interface Pool {
  samples: TrainingSample[];
  duplicates: number;
  sources: AssembledManifest['sources'];
}

async function readPool(sources: readonly string[], origin: SampleOrigin, options: MixOptions): Promise<Pool> {
  const seen = new Set<string>();
  const pool: Pool = { samples: [], duplicates: 0, sources: [] };
  for (const source of sources) {
    const kind: InputKind | 'video-samples' = await sourceFile(source).then(async (f) =>
      path.basename(f) === VIDEO_SAMPLES_FILE ? 'video-samples' : inputKind(source),
    );
    let n = 0;
    for await (const sample of readSource(source, origin, options)) {
      cancelled(options.signal);
      n++;
      const key = sampleKey(sample);
      if (seen.has(key)) {
        pool.duplicates++;
        continue;
      }
      seen.add(key);
      pool.samples.push(sample);
      if (n % 5000 === 0) {
        options.onProgress?.(`${origin}: ${pool.samples.length.toLocaleString('en-US')} samples read`);
      }
    }
    pool.sources.push({
      path: path.resolve(source),
      kind: kind === 'video-samples' ? 'dataset' : kind,
      samples: n,
      origin,
      sha256: await sourceSha256(source),
    });
  }
  return pool;
}

/** `k` distinct indices of [0, n), seeded, in ascending order (so the chosen samples keep their source order). */
function sampleIndices(n: number, k: number, random: () => number): number[] {
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(random() * (n - i));
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  return idx.slice(0, k).sort((a, b) => a - b);
}

/** The first user turn: what an instruction-diversity measure reads. */
function instruction(s: TrainingSample): string {
  return s.turns.find((t) => t.role === 'user')?.content ?? '';
}

function wholeCount(value: number | undefined, name: string): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  if (!Number.isInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a whole number ≥ 0, got ${value}`);
  }
  return value;
}

/** Checks the options without reading anything (the CLI and the config reader call it first). */
export function checkMixOptions(o: Pick<MixOptions, 'countSynthetic' | 'countVideo' | 'ratio' | 'select' | 'videoFrames' | 'seed'>): void {
  wholeCount(o.countSynthetic, 'the synthetic count');
  wholeCount(o.countVideo, 'the video count');
  const counts = o.countSynthetic !== undefined || o.countVideo !== undefined;
  if (o.ratio !== undefined) {
    if (counts) {
      throw new RangeError('give either both counts or a ratio, not both');
    }
    if (!(o.ratio >= 0 && o.ratio < 1)) {
      throw new RangeError(`the ratio is the synthetic share of the output, 0 ≤ R < 1, got ${o.ratio}`);
    }
  } else if (o.countSynthetic === undefined || o.countVideo === undefined) {
    throw new RangeError('give both counts (synthetic and video) or a ratio');
  }
  if (o.select !== undefined && !MIX_SELECT_MODES.includes(o.select)) {
    throw new RangeError(`select must be one of ${MIX_SELECT_MODES.join(', ')}, got ${String(o.select)}`);
  }
  if (o.videoFrames !== undefined && (!Number.isInteger(o.videoFrames) || o.videoFrames < 1)) {
    throw new RangeError(`video frames must be a whole number ≥ 1, got ${o.videoFrames}`);
  }
  if (!Number.isInteger(o.seed)) {
    throw new RangeError(`the seed must be a whole number, got ${o.seed}`);
  }
}

export async function mix(options: MixOptions): Promise<MixSummary> {
  checkMixOptions(options);
  const select = options.select ?? 'random';
  const videoFrames = options.videoFrames ?? DEFAULT_VIDEO_FRAMES;
  if (!options.synthetic.length && !options.video.length) {
    throw new Error('no source: give synthetic and/or video sources');
  }
  options.onProgress?.('reading the synthetic samples');
  const synthetic = await readPool(options.synthetic, 'synthetic', options);
  options.onProgress?.('reading the video samples');
  const video = await readPool(options.video, 'video', options);
  cancelled(options.signal);

  const available = { synthetic: synthetic.samples.length, video: video.samples.length };
  let countVideo: number;
  let countSynthetic: number;
  if (options.ratio !== undefined) {
    countVideo = available.video;
    countSynthetic = Math.round((countVideo * options.ratio) / (1 - options.ratio));
  } else {
    countVideo = options.countVideo!;
    countSynthetic = options.countSynthetic!;
  }
  const short = (origin: SampleOrigin, asked: number, pool: Pool): string =>
    `asked for ${asked.toLocaleString('en-US')} ${origin} samples, only ${pool.samples.length.toLocaleString('en-US')} available` +
    (pool.duplicates ? ` (after dropping ${pool.duplicates.toLocaleString('en-US')} duplicates)` : '');
  if (countVideo > available.video) {
    throw new Error(short('video', countVideo, video));
  }
  if (countSynthetic > available.synthetic) {
    throw new Error(short('synthetic', countSynthetic, synthetic));
  }
  if (countVideo + countSynthetic === 0) {
    throw new Error('the mix would be empty: both counts are 0');
  }

  const random = seededRandom(options.seed);
  const chosenVideo = sampleIndices(available.video, countVideo, random).map((i) => video.samples[i]!);
  let chosenSynthetic: TrainingSample[];
  if (select === 'diverse' && countSynthetic > 0) {
    options.onProgress?.(`choosing ${countSynthetic.toLocaleString('en-US')} synthetic samples for diversity`);
    const pool = sifEmbeddings(synthetic.samples.map((s) => words(instruction(s))));
    const against = chosenVideo.length ? sifEmbeddings(chosenVideo.map((s) => words(instruction(s)))) : undefined;
    const result = selectDiverse(pool, against, { k: countSynthetic, method: 'vendi', seed: options.seed, signal: options.signal });
    const picked = new Set(result.picked);
    // Samples with no known word cannot be placed by the selection: the rest of K is filled at random from them.
    if (picked.size < countSynthetic) {
      const rest = synthetic.samples.map((_, i) => i).filter((i) => !picked.has(i));
      for (const i of sampleIndices(rest.length, countSynthetic - picked.size, random)) {
        picked.add(rest[i]!);
      }
    }
    chosenSynthetic = [...picked].sort((a, b) => a - b).map((i) => synthetic.samples[i]!);
  } else {
    chosenSynthetic = sampleIndices(available.synthetic, countSynthetic, random).map((i) => synthetic.samples[i]!);
  }
  cancelled(options.signal);

  let subsampled = 0;
  const all = [
    ...chosenSynthetic,
    ...chosenVideo.map((s) => {
      if (s.frames.length <= videoFrames) {
        return s;
      }
      subsampled++;
      return { ...s, frames: uniformIndices(s.frames.length, videoFrames).map((i) => s.frames[i]!) };
    }),
  ];
  // One seeded shuffle of the whole mix (a trainer reads it in order).
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }

  options.onProgress?.(`writing ${all.length.toLocaleString('en-US')} samples`);
  const writer = new AssembledSetWriter(options.out);
  try {
    for (const sample of all) {
      cancelled(options.signal);
      await writer.add(sample);
    }
  } catch (e) {
    await writer.abort();
    throw e;
  }
  const recipe: MixRecipe = {
    select,
    ratio: options.ratio ?? null,
    countSynthetic: options.ratio === undefined ? countSynthetic : null,
    countVideo: options.ratio === undefined ? countVideo : null,
    videoFrames,
    available,
    duplicates: { synthetic: synthetic.duplicates, video: video.duplicates },
    subsampled,
  };
  const manifest = await writer.close(
    { sources: [...synthetic.sources, ...video.sources], seed: options.seed, filters: [], mix: recipe },
    { timestamp: false },
  );
  return {
    out: path.resolve(options.out),
    manifest,
    available,
    duplicates: recipe.duplicates,
    chosen: { synthetic: chosenSynthetic.length, video: chosenVideo.length },
    subsampled,
  };
}
