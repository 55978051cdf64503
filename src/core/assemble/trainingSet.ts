/**
 * The training-set model every exporter reads: a sample is its frames (absolute paths, in order), its turns (user
 * first, alternating, ending with the assistant; the first user turn without image placeholders: each exporter
 * writes its own), where it came from, and whether its frames are rendered text or a real video's.
 *
 * Readers produce it from
 * - a `t2vid synth` output folder: its `minicpm-v.json` (one entry per QA pair, as T2Vid's reformat_json.py writes
 *   L-Eval samples with several pairs: one single-turn sample per pair, the pairs sharing the frames; ids
 *   `<sample>-qNN`), the source line taken from each sample's `frames/<id>/manifest.json`;
 * - an assembled set (`samples.jsonl` + `manifest.json`, written by AssembledSetWriter below; `t2vid mix` writes one);
 * - a dataset that already has frames: MiniCPM-V / Idefics3 (`image` dict + `conversations` role/content),
 *   LLaMA-Factory / ms-swift (`messages` + `images`, or `videos` as one frame list), LLaVA / InternVL
 *   (`conversations` from/value + `image` list). Relative paths resolve against `mediaDir` (default: the dataset's
 *   folder). A record that cannot be used is reported at its line (and array element) and skipped.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ReadIssue } from '../model';
import { reportIssue, recordId, isPlainRecord, type ReaderContext } from '../readers/schema';
import { AtomicStream, writeFileAtomic } from '../util/fsutil';
import { engineVersion } from '../version';
import type { MixRecipe } from './mix';
import { layoutOf, readerContext, readRecords, type RecordAt } from './records';

export type Role = 'user' | 'assistant';
export interface Turn {
  role: Role;
  content: string;
}
export const SAMPLE_ORIGINS = ['synthetic', 'video'] as const;
export type SampleOrigin = (typeof SAMPLE_ORIGINS)[number];

export interface TrainingSample {
  id: string;
  /** Absolute paths, in frame order. */
  frames: string[];
  turns: Turn[];
  source: { file: string; line: number; element?: number };
  origin: SampleOrigin;
}

/** The files of an assembled set. */
export const ASSEMBLED_SAMPLES = 'samples.jsonl';
export const ASSEMBLED_MANIFEST = 'manifest.json';
export const ASSEMBLED_KIND = 't2vid-assembled-set';
/** The dataset file of a synth output folder (its `--format minicpm-v`). */
export const SYNTH_DATASET = 'minicpm-v.json';

export interface AssembledManifest {
  kind: typeof ASSEMBLED_KIND;
  version: 1;
  engine: string;
  /** Absent in a mix: the same inputs and seed give the same bytes. */
  createdAt?: string;
  samples: number;
  counts: Record<SampleOrigin, number>;
  frames: { total: number; min: number; max: number; mean: number };
  /** Where the samples came from (inputs of `t2vid mix` or of an export) and how many each gave. */
  sources: Array<{ path: string; kind: InputKind; samples: number; origin?: SampleOrigin; sha256?: string }>;
  seed: number | null;
  /** Filters applied before the set was written: name, limit, samples dropped. */
  filters: Array<{ name: string; limit: number; dropped: number }>;
  /** How `t2vid mix` made the set. */
  mix?: MixRecipe;
}

/** Why `value` is not a valid training sample, or undefined. */
export function sampleProblem(value: unknown): string | undefined {
  if (!isPlainRecord(value)) {
    return 'a sample must be a JSON object';
  }
  if (typeof value.id !== 'string' || value.id === '') {
    return '"id" must be a non-empty string';
  }
  if (!Array.isArray(value.frames) || !value.frames.every((f) => typeof f === 'string' && f !== '')) {
    return '"frames" must be a list of paths';
  }
  if (!Array.isArray(value.turns)) {
    return '"turns" must be a list of {role, content}';
  }
  const turns = value.turns as unknown[];
  for (let i = 0; i < turns.length; i++) {
    const t = turns[i];
    if (!isPlainRecord(t) || (t.role !== 'user' && t.role !== 'assistant') || typeof t.content !== 'string') {
      return `turn ${i + 1} must be {role: "user"|"assistant", content: string}`;
    }
  }
  const roles = rolesProblem(turns.map((t) => (t as Turn).role));
  if (roles) {
    return roles;
  }
  if (!isPlainRecord(value.source) || typeof value.source.file !== 'string' || !Number.isInteger(value.source.line)) {
    return '"source" must be {file, line}';
  }
  if (!(SAMPLE_ORIGINS as readonly unknown[]).includes(value.origin)) {
    return `"origin" must be ${SAMPLE_ORIGINS.join(' or ')}`;
  }
  return undefined;
}

/** Why a role sequence is not user, assistant, user, …, assistant (or undefined). */
export function rolesProblem(roles: readonly string[]): string | undefined {
  if (!roles.length) {
    return 'no turns';
  }
  for (let i = 0; i < roles.length; i++) {
    const want = i % 2 === 0 ? 'user' : 'assistant';
    if (roles[i] !== want) {
      return `turn ${i + 1} is ${JSON.stringify(roles[i])}, expected ${want} (turns alternate, user first)`;
    }
  }
  if (roles.length % 2 !== 0) {
    return "the last turn is the user's: a sample ends with the assistant";
  }
  return undefined;
}

export type InputKind = 'synth-output' | 'assembled-set' | 'dataset';

/** What an export INPUT is: a synth output folder, an assembled set folder, or a dataset file. */
export async function inputKind(input: string): Promise<InputKind> {
  const st = await fs.promises.stat(input).catch(() => undefined);
  if (!st) {
    throw new Error(`${input}: no such file or folder`);
  }
  if (!st.isDirectory()) {
    return 'dataset';
  }
  if (fs.existsSync(path.join(input, ASSEMBLED_SAMPLES)) && fs.existsSync(path.join(input, ASSEMBLED_MANIFEST))) {
    return 'assembled-set';
  }
  if (fs.existsSync(path.join(input, SYNTH_DATASET))) {
    return 'synth-output';
  }
  const shards = (await fs.promises.readdir(input)).filter((f) => /^minicpm-v\.shard-\d+-of-\d+\.json$/.test(f));
  throw new Error(
    shards.length
      ? `${input} holds ${shards.length} shard dataset${shards.length === 1 ? '' : 's'} but no ${SYNTH_DATASET}: join the shards first with t2vid merge ${input}`
      : `${input} is neither a synth output folder (${SYNTH_DATASET}) nor an assembled set (${ASSEMBLED_SAMPLES} + ${ASSEMBLED_MANIFEST})`,
  );
}

export interface ReadSetOptions {
  /** Base of relative frame paths in a dataset file (default: the file's folder). */
  mediaDir?: string;
  onIssue?: (issue: ReadIssue) => void;
  signal?: AbortSignal;
}

/** Every sample of INPUT (any kind), in file order. */
export async function* readTrainingSet(input: string, options: ReadSetOptions = {}): AsyncGenerator<TrainingSample> {
  const kind = await inputKind(input);
  if (kind === 'assembled-set') {
    yield* readAssembledSet(input, options);
  } else if (kind === 'synth-output') {
    yield* readSynthOutput(input, options);
  } else {
    yield* readDataset(input, options);
  }
}

/** The `<image_NN>` placeholders (and the newline after each) of the MiniCPM-V / Idefics3 format. */
const MINICPM_PLACEHOLDER = /<image_\d{2,}>\n?/g;
/** `<image>` / `<video>` tokens, with InternVL's `Frame-N: ` / `Image-N: ` labels and a newline after. */
const GENERIC_PLACEHOLDER = /(?:(?:Frame|Image)-?\d+: ?)?<(?:image|video)>\n?/g;

interface Raw {
  frames: string[];
  turns: Turn[];
  origin: SampleOrigin;
  id?: string;
}

/** Maps one dataset record to frames and turns, or says why it cannot. */
function fromRecord(value: unknown, base: string): Raw | string {
  if (!isPlainRecord(value)) {
    return 'a record must be a JSON object';
  }
  const id = typeof value.id === 'string' || typeof value.id === 'number' ? String(value.id) : undefined;
  const resolve = (p: unknown, what: string): string => {
    if (typeof p !== 'string' || p === '') {
      throw new Error(`${what} must be a non-empty path`);
    }
    return path.isAbsolute(p) ? p : path.resolve(base, p);
  };
  try {
    // MiniCPM-V / Idefics3: {image: {"<image_00>": path}, conversations: [{role, content}]}
    if (isPlainRecord(value.image) && Array.isArray(value.conversations)) {
      const frames = Object.values(value.image).map((p, i) => resolve(p, `image entry ${i + 1}`));
      return { id, frames, origin: 'synthetic', turns: turnsOf(value.conversations, 'role', 'content', MINICPM_PLACEHOLDER) };
    }
    // LLaMA-Factory / ms-swift: {messages: [{role, content}], images: [...] | videos: [[...]]}
    if (Array.isArray(value.messages)) {
      const images = value.images ?? value.image;
      const videos = value.videos ?? value.video;
      let frames: string[] = [];
      let origin: SampleOrigin = 'synthetic';
      if (videos !== undefined && images !== undefined) {
        throw new Error('both images and videos: a training sample here has one frame list');
      }
      if (videos !== undefined) {
        const list = Array.isArray(videos) ? videos : [videos];
        if (list.length !== 1 || !Array.isArray(list[0])) {
          throw new Error('"videos" names a video file, not a frame list: extract its frames first');
        }
        frames = (list[0] as unknown[]).map((p, i) => resolve(p, `videos[0][${i}]`));
        origin = 'video';
      } else if (images !== undefined) {
        frames = (Array.isArray(images) ? images : [images]).map((p, i) => resolve(p, `images[${i}]`));
      }
      const messages = (value.messages as unknown[]).filter((m) => !(isPlainRecord(m) && m.role === 'system'));
      if (messages.length !== value.messages.length) {
        throw new Error('a system message: the training-set model has none (put it in the trainer template)');
      }
      return { id, frames, origin, turns: turnsOf(messages, 'role', 'content', GENERIC_PLACEHOLDER) };
    }
    // LLaVA / InternVL: {image: [...] | "x.png", video?: "clip.mp4", conversations: [{from, value}]}
    if (Array.isArray(value.conversations)) {
      if (value.video !== undefined) {
        throw new Error('"video" names a video file, not a frame list: extract its frames first');
      }
      const images = value.image === undefined ? [] : Array.isArray(value.image) ? value.image : [value.image];
      const frames = (images as unknown[]).map((p, i) => resolve(p, `image[${i}]`));
      return { id, frames, origin: 'synthetic', turns: turnsOf(value.conversations, 'from', 'value', GENERIC_PLACEHOLDER) };
    }
  } catch (e) {
    return (e as Error).message;
  }
  return `no known training-set fields (messages, conversations) among ${Object.keys(value).slice(0, 8).join(', ') || 'none'}`;
}

const ROLE_NAMES: Record<string, Role> = { user: 'user', human: 'user', assistant: 'assistant', gpt: 'assistant' };

/** Turns with placeholders stripped from the first user turn; placeholders elsewhere are refused. */
function turnsOf(list: unknown[], roleKey: string, textKey: string, placeholder: RegExp): Turn[] {
  const turns = list.map((m, i): Turn => {
    if (!isPlainRecord(m) || typeof m[textKey] !== 'string' || typeof m[roleKey] !== 'string' || !ROLE_NAMES[m[roleKey]]) {
      throw new Error(`turn ${i + 1} must be {${roleKey}: user|assistant, ${textKey}: string}`);
    }
    const content = m[textKey];
    const stripped = i === 0 ? content.replace(placeholder, '') : content;
    placeholder.lastIndex = 0;
    if (i > 0 && placeholder.test(content)) {
      placeholder.lastIndex = 0;
      throw new Error(`turn ${i + 1} has an image placeholder: only the first user turn may carry the frames`);
    }
    placeholder.lastIndex = 0;
    return { role: ROLE_NAMES[m[roleKey]], content: i === 0 ? stripped.trimStart() : stripped };
  });
  const problem = rolesProblem(turns.map((t) => t.role));
  if (problem) {
    throw new Error(problem);
  }
  return turns;
}

function position(record: RecordAt): { line: number; element?: number } {
  return record.element === undefined ? { line: record.line } : { line: record.line, element: record.element };
}

/** A dataset file whose records already carry frames (see fromRecord). */
export async function* readDataset(file: string, options: ReadSetOptions = {}): AsyncGenerator<TrainingSample> {
  const ctx: ReaderContext = readerContext(file, options.onIssue, options.signal);
  const base = options.mediaDir ?? path.dirname(path.resolve(file));
  for await (const record of readRecords(ctx, layoutOf(file))) {
    const raw = fromRecord(record.value, base);
    if (typeof raw === 'string') {
      reportIssue(ctx, record.line, 'line', raw, record.element !== undefined ? { element: record.element } : {});
      continue;
    }
    // Many elements of a JSON array can share a line: their ids carry the element index too.
    const id =
      raw.id ?? recordId(ctx.stem, { line: record.line, unit: 'line' }) + (record.element !== undefined ? `-e${record.element}` : '');
    yield { id, frames: raw.frames, turns: raw.turns, source: { file, ...position(record) }, origin: raw.origin };
  }
}

/** A synth output folder: its minicpm-v.json, the source line of each sample from its frames' manifest. */
export async function* readSynthOutput(dir: string, options: ReadSetOptions = {}): AsyncGenerator<TrainingSample> {
  const file = path.join(dir, SYNTH_DATASET);
  const ctx = readerContext(file, options.onIssue, options.signal);
  const base = path.resolve(dir);
  let manifestDir = '';
  let manifestSource: TrainingSample['source'] | undefined;
  for await (const record of readRecords(ctx, 'json')) {
    const raw = fromRecord(record.value, base);
    if (typeof raw === 'string') {
      reportIssue(ctx, record.line, 'line', raw, record.element !== undefined ? { element: record.element } : {});
      continue;
    }
    const frameDir = raw.frames.length ? path.dirname(raw.frames[0]) : '';
    if (frameDir !== manifestDir) {
      manifestDir = frameDir;
      manifestSource = undefined;
      try {
        const m = JSON.parse(await fs.promises.readFile(path.join(frameDir, 'manifest.json'), 'utf8')) as {
          source?: TrainingSample['source'];
        };
        if (m.source && typeof m.source.file === 'string' && Number.isInteger(m.source.line)) {
          manifestSource = {
            file: m.source.file,
            line: m.source.line,
            ...(m.source.element !== undefined ? { element: m.source.element } : {}),
          };
        }
      } catch {
        // no manifest (frames written by hand): the dataset line is the source
      }
    }
    yield {
      id: raw.id ?? recordId(ctx.stem, { line: record.line, unit: 'line' }),
      frames: raw.frames,
      turns: raw.turns,
      source: manifestSource ?? { file, ...position(record) },
      origin: 'synthetic',
    };
  }
}

/** An assembled set: samples.jsonl, frames relative to the set's folder or absolute; its manifest is checked. */
export async function* readAssembledSet(dir: string, options: ReadSetOptions = {}): AsyncGenerator<TrainingSample> {
  await readAssembledManifest(dir);
  const file = path.join(dir, ASSEMBLED_SAMPLES);
  const ctx = readerContext(file, options.onIssue, options.signal);
  const base = path.resolve(dir);
  for await (const record of readRecords(ctx, 'jsonl')) {
    const problem = sampleProblem(record.value);
    if (problem) {
      reportIssue(ctx, record.line, 'line', problem);
      continue;
    }
    const sample = record.value as TrainingSample;
    sample.frames = sample.frames.map((f) => (path.isAbsolute(f) ? f : path.resolve(base, f)));
    yield sample;
  }
}

export async function readAssembledManifest(dir: string): Promise<AssembledManifest> {
  const file = path.join(dir, ASSEMBLED_MANIFEST);
  let value: unknown;
  try {
    value = JSON.parse(await fs.promises.readFile(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
  if (!isPlainRecord(value) || value.kind !== ASSEMBLED_KIND || value.version !== 1) {
    throw new Error(`${file}: not an assembled-set manifest (kind "${ASSEMBLED_KIND}", version 1)`);
  }
  return value as unknown as AssembledManifest;
}

/**
 * Writes an assembled set: samples.jsonl streamed to a temp file and renamed on close, then manifest.json (both
 * atomic). Frames inside the set's folder are written relative to it, others absolute.
 */
export class AssembledSetWriter {
  private readonly stream: AtomicStream;
  private readonly base: string;
  private readonly counts: Record<SampleOrigin, number> = { synthetic: 0, video: 0 };
  private frames = { total: 0, min: Infinity, max: 0 };
  private samples = 0;

  constructor(readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true });
    this.base = path.resolve(dir);
    this.stream = new AtomicStream(path.join(dir, ASSEMBLED_SAMPLES));
  }

  async add(sample: TrainingSample): Promise<void> {
    const frames = sample.frames.map((f) => {
      const rel = path.relative(this.base, f);
      return rel.startsWith('..') || path.isAbsolute(rel) ? f : rel;
    });
    await this.stream.write(JSON.stringify({ ...sample, frames }) + '\n');
    this.samples++;
    this.counts[sample.origin]++;
    this.frames.total += frames.length;
    this.frames.min = Math.min(this.frames.min, frames.length);
    this.frames.max = Math.max(this.frames.max, frames.length);
  }

  async close(
    info: Pick<AssembledManifest, 'sources' | 'seed' | 'filters' | 'mix'>,
    options: { timestamp?: boolean } = {},
  ): Promise<AssembledManifest> {
    await this.stream.commit();
    const manifest: AssembledManifest = {
      kind: ASSEMBLED_KIND,
      version: 1,
      engine: `t2vid-studio ${engineVersion()}`,
      ...(options.timestamp === false ? {} : { createdAt: new Date().toISOString() }),
      samples: this.samples,
      counts: this.counts,
      frames: {
        total: this.frames.total,
        min: this.samples ? this.frames.min : 0,
        max: this.frames.max,
        mean: this.samples ? Math.round((this.frames.total / this.samples) * 100) / 100 : 0,
      },
      ...info,
    };
    await writeFileAtomic(path.join(this.dir, ASSEMBLED_MANIFEST), JSON.stringify(manifest, null, 1) + '\n');
    return manifest;
  }

  async abort(): Promise<void> {
    await this.stream.abort();
  }
}
