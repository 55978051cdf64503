/**
 * `t2vid export`: a training set (a synth output, an assembled set, or a dataset with frames) → one framework's
 * dataset file (+ its side files), filtered for a model profile, frames referenced in place, copied or linked, paths
 * written as the trainer resolves them; then preflight on what was written. Streams: one sample in memory at a time
 * (the MiniCPM-V JSON array is written element by element), the dataset written to a temp file and renamed into
 * place, so a reader sees the old file or the whole new one.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ExportFormat, FrameMode, ModelProfile } from '../../shared/profiles';
import { countIssue, emptyInputCounts, type InputCounts, type ReadIssue } from '../model';
import { AtomicStream, assertOutputNotInput, ensureWritableDir } from '../util/fsutil';
import { FORMAT_SPECS } from '../writers/index';
import type { FormatSpec, PathMode } from '../writers/format';
import { profileLimits, SampleFilter, type FilterLimits, type FilterReport } from './filters';
import { preflight, resolveProfile, type PreflightReport } from './preflight';
import type { TokenCountKind } from './tokens';
import { ASSEMBLED_SAMPLES, inputKind, readTrainingSet, SYNTH_DATASET, type InputKind, type TrainingSample } from './trainingSet';

export { FRAME_MODES, PATH_MODES, type FrameMode } from '../../shared/profiles';

export interface ExportOptions {
  input: string;
  format: ExportFormat;
  out: string;
  profile?: string;
  /** Overrides of the profile's limits (0: no limit). */
  limits?: FilterLimits;
  paths?: PathMode;
  frames?: FrameMode;
  /** Dropped samples as JSONL (each sample plus `dropped: {filter, detail}`). */
  dropped?: string;
  /** Base of relative frame paths in a dataset INPUT (default: its folder). */
  mediaDir?: string;
  /** Run preflight on the written file (default true). */
  preflight?: boolean;
  signal?: AbortSignal;
  onIssue?: (issue: ReadIssue) => void;
  onProgress?: (progress: { read: number; written: number }) => void;
}

export interface ExportSummary {
  ok: boolean;
  cancelled: boolean;
  input: string;
  inputKind: InputKind;
  format: ExportFormat;
  profile: string;
  file?: string;
  sideFiles: string[];
  /** Samples read, written, dropped by the filters. */
  read: number;
  written: number;
  dropped: number;
  filters: FilterReport[];
  tokenCount: TokenCountKind;
  paths: PathMode;
  /** What relative paths are relative to (absolute folder + the trainer's name for it). */
  relativeTo?: { dir: string; note: string };
  frames: FrameMode;
  framesPlaced: number;
  droppedFile?: string;
  issues: InputCounts;
  notice?: string;
  preflight?: PreflightReport;
  seconds: number;
}

/** Buffers small writes into ~1 MB ones. */
class Buffered {
  private parts: string[] = [];
  private size = 0;
  constructor(readonly stream: AtomicStream) {}
  async write(text: string): Promise<void> {
    this.parts.push(text);
    this.size += text.length;
    if (this.size >= 1 << 20) {
      await this.flush();
    }
  }
  async flush(): Promise<void> {
    if (this.parts.length) {
      const text = this.parts.join('');
      this.parts = [];
      this.size = 0;
      await this.stream.write(text);
    }
  }
}

/** Places frames in `out/frames/<folder>/` (copy or link), one destination folder per source folder. */
class FramePlacer {
  private readonly dirs = new Map<string, string>();
  private readonly used = new Set<string>();
  placed = 0;
  constructor(
    readonly out: string,
    readonly mode: FrameMode,
  ) {}

  async place(src: string): Promise<string> {
    if (this.mode === 'reference') {
      return src;
    }
    const srcDir = path.dirname(src);
    let dir = this.dirs.get(srcDir);
    if (!dir) {
      const base = path.basename(srcDir).replace(/[^A-Za-z0-9._-]/g, '_') || 'frames';
      let name = base;
      for (let n = 2; this.used.has(name); n++) {
        name = `${base}-${n}`;
      }
      this.used.add(name);
      dir = path.join(this.out, 'frames', name);
      this.dirs.set(srcDir, dir);
      await fs.promises.mkdir(dir, { recursive: true });
    }
    const dest = path.join(dir, path.basename(src));
    if (path.resolve(dest) === path.resolve(src)) {
      return dest;
    }
    const st = await fs.promises.lstat(dest).catch(() => undefined);
    const srcStat = await fs.promises.stat(src).catch((e: NodeJS.ErrnoException) => {
      throw new Error(`frame ${src}: ${e.code === 'ENOENT' ? 'does not exist' : e.message}`);
    });
    if (st && (await samePlaced(src, srcStat, dest, st))) {
      return dest; // placed by an earlier run (or another sample sharing the frames)
    }
    if (st) {
      await fs.promises.rm(dest);
    }
    if (this.mode === 'copy') {
      const tmp = `${dest}.partial`;
      await fs.promises.copyFile(src, tmp);
      await fs.promises.rename(tmp, dest);
    } else {
      try {
        await fs.promises.link(src, dest);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'EMLINK') {
          throw e;
        }
        await fs.promises.symlink(path.resolve(src), dest); // another file system: a symbolic link
      }
    }
    this.placed++;
    return dest;
  }
}

/**
 * Whether `dest` (already there) is `src` placed before: the same file (a hard link), a symbolic link to it, or a
 * copy with the same bytes. A folder name can map to another source folder on a later run (names are given in input
 * order), so size alone is not proof.
 */
async function samePlaced(src: string, srcStat: fs.Stats, dest: string, destStat: fs.Stats): Promise<boolean> {
  if (destStat.isSymbolicLink()) {
    return path.resolve(path.dirname(dest), await fs.promises.readlink(dest)) === path.resolve(src);
  }
  if (destStat.dev === srcStat.dev && destStat.ino === srcStat.ino) {
    return true;
  }
  if (destStat.size !== srcStat.size) {
    return false;
  }
  const [a, b] = await Promise.all([fs.promises.readFile(src), fs.promises.readFile(dest)]);
  return a.equals(b);
}

function toPosix(p: string): string {
  return path.sep === '/' ? p : p.split(path.sep).join('/');
}

export async function exportTrainingSet(options: ExportOptions): Promise<ExportSummary> {
  const started = performance.now();
  const spec: FormatSpec = FORMAT_SPECS[options.format];
  if (!spec) {
    throw new Error(`unknown format ${JSON.stringify(options.format)}`);
  }
  const profile: ModelProfile = resolveProfile(options.profile, spec);
  const limits = profileLimits(profile, options.limits);
  const pathMode = options.paths ?? spec.defaultPaths;
  const frameMode = options.frames ?? 'reference';
  const out = path.resolve(options.out);
  const kind = await inputKind(options.input);
  await ensureWritableDir(out);
  const file = path.join(out, spec.fileName);
  const inputFile =
    kind === 'dataset' ? options.input : path.join(options.input, kind === 'assembled-set' ? ASSEMBLED_SAMPLES : SYNTH_DATASET);
  await assertOutputNotInput(file, [inputFile], 'the dataset file');
  if (options.dropped) {
    await assertOutputNotInput(options.dropped, [inputFile, file], '--dropped');
  }
  const filter = new SampleFilter(profile, limits, spec.visualInput(profile));
  const issues = emptyInputCounts();
  const summary: ExportSummary = {
    ok: false,
    cancelled: false,
    input: options.input,
    inputKind: kind,
    format: spec.format,
    profile: profile.id,
    sideFiles: [],
    read: 0,
    written: 0,
    dropped: 0,
    filters: [],
    tokenCount: filter.tokenKind,
    paths: pathMode,
    frames: frameMode,
    framesPlaced: 0,
    issues,
    seconds: 0,
  };
  const notice = spec.notice?.(profile);
  if (notice) {
    summary.notice = notice;
  }
  if (pathMode === 'relative') {
    summary.relativeTo = { dir: out, note: spec.relativeTo };
  }
  const placer = new FramePlacer(out, frameMode);
  const stream = new AtomicStream(file);
  const writer = new Buffered(stream);
  const droppedStream = options.dropped ? new AtomicStream(path.resolve(options.dropped)) : undefined;
  const droppedWriter = droppedStream ? new Buffered(droppedStream) : undefined;
  const json = spec.layout === 'json';
  try {
    if (json) {
      await writer.write('[');
    }
    const samples = readTrainingSet(options.input, {
      mediaDir: options.mediaDir,
      signal: options.signal,
      onIssue: (issue) => {
        countIssue(issues, issue);
        options.onIssue?.(issue);
      },
    });
    for await (const sample of samples as AsyncGenerator<TrainingSample>) {
      if (options.signal?.aborted) {
        break;
      }
      summary.read++;
      const verdict = filter.check(sample);
      if (!verdict.ok) {
        summary.dropped++;
        await droppedWriter?.write(JSON.stringify({ ...sample, dropped: { filter: verdict.filter, detail: verdict.detail } }) + '\n');
        continue;
      }
      const frames: string[] = [];
      for (const f of sample.frames) {
        const placed = await placer.place(f);
        frames.push(pathMode === 'absolute' ? path.resolve(placed) : toPosix(path.relative(out, placed)));
      }
      const entry = JSON.stringify(spec.entry(sample, frames, { profile, index: summary.written }));
      await writer.write(json ? (summary.written ? ',\n' : '\n') + entry : entry + '\n');
      summary.written++;
      if (options.onProgress && summary.read % 1000 === 0) {
        options.onProgress({ read: summary.read, written: summary.written });
      }
    }
    if (options.signal?.aborted) {
      throw options.signal.reason;
    }
    if (json) {
      await writer.write(summary.written ? '\n]\n' : ']\n');
    }
    await writer.flush();
    await stream.commit();
    if (droppedWriter && droppedStream) {
      await droppedWriter.flush();
      await droppedStream.commit();
      summary.droppedFile = droppedStream.file;
    }
  } catch (e) {
    await stream.abort();
    await droppedStream?.abort();
    if (!options.signal?.aborted) {
      throw e;
    }
  }
  if (options.signal?.aborted) {
    summary.cancelled = true;
    summary.seconds = (performance.now() - started) / 1000;
    return summary;
  }
  summary.file = file;
  summary.framesPlaced = placer.placed;
  summary.filters = filter.report();
  summary.sideFiles = (await spec.sideFiles?.({ out, file, samples: summary.written, profile })) ?? [];
  if (options.preflight !== false) {
    summary.preflight = await preflight(file, { format: spec.format, profile: profile.id, limits: options.limits, signal: options.signal });
  }
  summary.ok = summary.written > 0 && (summary.preflight?.ok ?? true);
  summary.seconds = (performance.now() - started) / 1000;
  return summary;
}
