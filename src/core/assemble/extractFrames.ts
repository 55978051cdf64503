/**
 * Frame extraction from real videos, as T2Vid prepares its real video data: frames at `fps` (default 1 a second),
 * then at most `frames` (default 24) of them chosen uniformly (`uniformIndices`). One ffmpeg process per video
 * writes every `fps` frame (PNG, scaled to fit `maxSize` on the long side, never enlarged) into a hidden partial
 * folder; the chosen ones are renamed `frame_000.png`…, the rest deleted, the manifest written, and the folder renamed
 * into place last: `OUT/<video folder>/` exists only complete, so a re-run skips it (resume) and redoes anything
 * partial. Frames are kept per video (samples that share a video share its frames). A missing or broken video is
 * reported per video with the samples that use it, and the run goes on. `OUT/video-samples.jsonl` (written atomically
 * at the end) lists every sample whose video has frames, with its frame paths (relative to OUT) and timestamps.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { processCap } from '../parallel';
import { ensureWritableDir, writeFileAtomic } from '../util/fsutil';
import { findFfmpeg, lastError, probeVideo, runTool, type FfmpegTools, type VideoProbe } from '../util/ffmpeg';
import type { VideoSample, VideoTurn } from './videoSet';
import type { SourceRef } from '../model';

/** Frames a second decoded before the uniform choice (T2Vid: 1). */
export const DEFAULT_EXTRACT_FPS = 1;
/** Frames kept per video (T2Vid: 24). */
export const DEFAULT_EXTRACT_FRAMES = 24;
/** Longest side of a written frame, in pixels; 0 keeps the source size. Smaller videos are never enlarged. */
export const DEFAULT_EXTRACT_MAX_SIZE = 448;
/** The per-video manifest's name; its presence (matching the source and settings) marks a video done. */
export const VIDEO_MANIFEST = 'manifest.json';
/** The list of extracted samples written in OUT. */
export const VIDEO_SAMPLES_FILE = 'video-samples.jsonl';
const MANIFEST_VERSION = 1;

export interface ExtractSettings {
  fps: number;
  frames: number;
  maxSize: number;
}

/** OUT/<folder>/manifest.json */
export interface VideoManifest extends ExtractSettings {
  version: number;
  /** The video path as the first sample using it wrote it, and resolved. */
  video: string;
  videoPath: string;
  /** Identity of the source at extraction time (a re-run redoes the video if either changed). */
  size: number;
  mtimeMs: number;
  probe: VideoProbe;
  /** How many frames ffmpeg wrote at `fps` before the choice. */
  decoded: number;
  /** The kept frames: file (in the folder), index among the `fps` frames, timestamp in seconds (index / fps). */
  chosen: Array<{ file: string; index: number; time: number }>;
}

/** One line of video-samples.jsonl. */
export interface ExtractedSample {
  id: string;
  video: string;
  videoPath: string;
  turns: VideoTurn[];
  source: SourceRef;
  /** Frame paths relative to OUT, forward slashes, in time order. */
  frames: string[];
  /** Seconds from the start of the video, one per frame. */
  timestamps: number[];
}

export interface VideoFailure {
  video: string;
  videoPath: string;
  /** The samples that use this video. */
  samples: Array<{ id: string; source: SourceRef }>;
  reason: string;
  kind: 'missing' | 'broken';
}

export interface ExtractProgress {
  total: number;
  done: number;
  extracted: number;
  resumed: number;
  failed: number;
  /** Frames written by this run (resumed videos' frames not counted). */
  framesWritten: number;
}

export interface ExtractOptions extends Partial<ExtractSettings> {
  out: string;
  /** Parallel ffmpeg processes (default and cap: `processCap()`, one per core within free memory; never more than videos). */
  jobs?: number;
  /** Default: `findFfmpeg()` (throws FfmpegNotFoundError before any work when absent). */
  tools?: FfmpegTools;
  signal?: AbortSignal;
  onProgress?: (progress: ExtractProgress) => void;
  onFailure?: (failure: VideoFailure) => void;
  /** Said once when `jobs` was lowered. */
  onNotice?: (message: string) => void;
}

export interface ExtractSummary extends ExtractProgress {
  settings: ExtractSettings;
  ok: boolean;
  cancelled: boolean;
  out: string;
  jobs: number;
  /** Samples given, and samples written to video-samples.jsonl. */
  samples: number;
  samplesWritten: number;
  missing: number;
  broken: number;
  failures: VideoFailure[];
  seconds: number;
}

/**
 * Indices of `n` frames chosen uniformly among `count`: all of them when count ≤ n, else the middle of each of n equal
 * spans, `floor(i·count/n + count/(2n))` (MiniCPM-V's `uniform_sample`, which T2Vid's preprocessing follows).
 */
export function uniformIndices(count: number, n: number): number[] {
  if (count <= n) {
    return Array.from({ length: count }, (_, i) => i);
  }
  const gap = count / n;
  return Array.from({ length: n }, (_, i) => Math.floor(i * gap + gap / 2));
}

/** A folder name for a video: its path as written, made safe, plus 8 hex digits of the resolved path (no collisions). */
export function videoFolderName(video: string, videoPath: string): string {
  const base = video
    .replace(/\.[A-Za-z0-9]{1,5}$/u, '')
    .replace(/[^A-Za-z0-9._-]+/gu, '_')
    .replace(/^[._]+/u, '')
    .slice(-80);
  const hash = createHash('sha256').update(videoPath).digest('hex').slice(0, 8);
  return `${base || 'video'}-${hash}`;
}

function frameName(k: number, n: number): string {
  return `frame_${String(k).padStart(Math.max(3, String(n - 1).length), '0')}.png`;
}

/** ffmpeg's filter chain: `fps`, then fit inside maxSize×maxSize keeping the aspect ratio, never enlarging. */
export function filterChain(settings: ExtractSettings): string {
  const fps = `fps=${settings.fps}`;
  if (settings.maxSize <= 0) {
    return fps;
  }
  const m = settings.maxSize;
  return `${fps},scale=w='min(${m},iw)':h='min(${m},ih)':force_original_aspect_ratio=decrease`;
}

async function readManifest(dir: string): Promise<VideoManifest | undefined> {
  try {
    const parsed = JSON.parse(await fs.promises.readFile(path.join(dir, VIDEO_MANIFEST), 'utf8')) as VideoManifest;
    return parsed.version === MANIFEST_VERSION && Array.isArray(parsed.chosen) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

async function isDone(dir: string, videoPath: string, stat: fs.Stats, settings: ExtractSettings): Promise<VideoManifest | undefined> {
  const m = await readManifest(dir);
  if (
    !m ||
    m.videoPath !== videoPath ||
    m.size !== stat.size ||
    m.mtimeMs !== stat.mtimeMs ||
    m.fps !== settings.fps ||
    m.frames !== settings.frames ||
    m.maxSize !== settings.maxSize
  ) {
    return undefined;
  }
  for (const frame of m.chosen) {
    if (!fs.existsSync(path.join(dir, frame.file))) {
      return undefined;
    }
  }
  return m;
}

class VideoError extends Error {
  constructor(
    message: string,
    readonly kind: 'missing' | 'broken',
  ) {
    super(message);
  }
}

/** Extracts one video into `dir` (replacing whatever is there), or throws VideoError / the abort reason. */
async function extractVideo(
  tools: FfmpegTools,
  video: string,
  videoPath: string,
  stat: fs.Stats,
  dir: string,
  settings: ExtractSettings,
  signal: AbortSignal | undefined,
): Promise<VideoManifest> {
  let probe: VideoProbe;
  try {
    probe = await probeVideo(tools, videoPath, signal);
  } catch (e) {
    signal?.throwIfAborted();
    throw new VideoError((e as Error).message, 'broken');
  }
  const partial = path.join(path.dirname(dir), `.${path.basename(dir)}.partial`);
  await fs.promises.rm(partial, { recursive: true, force: true });
  await fs.promises.mkdir(partial, { recursive: true });
  try {
    const args = ['-nostdin', '-v', 'error', '-i', videoPath, '-map', '0:v:0', '-an', '-sn', '-dn', '-vf', filterChain(settings)];
    args.push('-f', 'image2', '-start_number', '0', path.join(partial, 'all_%06d.png'));
    const result = await runTool(tools.ffmpeg, args, { signal });
    const all = (await fs.promises.readdir(partial)).filter((f) => f.startsWith('all_')).sort();
    if (result.code !== 0 && all.length === 0) {
      throw new VideoError(`ffmpeg failed (exit ${result.code ?? result.signal}): ${lastError(result.stderr)}`, 'broken');
    }
    if (all.length === 0) {
      throw new VideoError(`ffmpeg decoded no frame${result.stderr ? `: ${lastError(result.stderr)}` : ''}`, 'broken');
    }
    // A video ffmpeg decoded only in part (it exits non-zero on a truncated stream) still gives the frames it has.
    const keep = uniformIndices(all.length, settings.frames);
    const chosen = keep.map((index, k) => ({ file: frameName(k, keep.length), index, time: index / settings.fps }));
    const kept = new Set(keep);
    for (let i = 0; i < all.length; i++) {
      const from = path.join(partial, all[i]!);
      if (kept.has(i)) {
        await fs.promises.rename(from, path.join(partial, chosen[keep.indexOf(i)]!.file));
      } else {
        await fs.promises.rm(from);
      }
    }
    const manifest: VideoManifest = {
      version: MANIFEST_VERSION,
      video,
      videoPath,
      size: stat.size,
      mtimeMs: stat.mtimeMs,
      ...settings,
      probe,
      decoded: all.length,
      chosen,
    };
    await writeFileAtomic(path.join(partial, VIDEO_MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
    signal?.throwIfAborted();
    await fs.promises.rm(dir, { recursive: true, force: true });
    await fs.promises.rename(partial, dir);
    return manifest;
  } catch (e) {
    await fs.promises.rm(partial, { recursive: true, force: true });
    throw e;
  }
}

function checkSettings(options: ExtractOptions): ExtractSettings {
  const fps = options.fps ?? DEFAULT_EXTRACT_FPS;
  const frames = options.frames ?? DEFAULT_EXTRACT_FRAMES;
  const maxSize = options.maxSize ?? DEFAULT_EXTRACT_MAX_SIZE;
  if (!(Number.isFinite(fps) && fps > 0 && fps <= 60)) {
    throw new RangeError(`fps must be a number > 0 and ≤ 60, got ${fps}`);
  }
  if (!(Number.isInteger(frames) && frames >= 1 && frames <= 10000)) {
    throw new RangeError(`frames must be a whole number from 1 to 10000, got ${frames}`);
  }
  if (!(Number.isInteger(maxSize) && maxSize >= 0 && maxSize <= 16384)) {
    throw new RangeError(`maxSize must be a whole number from 0 (source size) to 16384, got ${maxSize}`);
  }
  return { fps, frames, maxSize };
}

/**
 * Extracts the frames of every video the samples use into `options.out` and writes `video-samples.jsonl` there.
 * Never throws for a bad video (reported through `onFailure` and the summary); throws when ffmpeg is missing or the
 * output folder is not writable. Cancelled (signal): running ffmpeg processes are killed, partial folders removed,
 * finished videos kept, and the summary says `cancelled` (no video-samples.jsonl is written).
 */
export async function extractFrames(samples: VideoSample[], options: ExtractOptions): Promise<ExtractSummary> {
  const started = performance.now();
  const settings = checkSettings(options);
  const tools = options.tools ?? findFfmpeg();
  const out = path.resolve(options.out);
  await ensureWritableDir(out);

  // One job per distinct video; samples sharing a video share its frames.
  const byVideo = new Map<string, { video: string; videoPath: string; samples: VideoSample[] }>();
  for (const sample of samples) {
    const entry = byVideo.get(sample.videoPath) ?? { video: sample.video, videoPath: sample.videoPath, samples: [] };
    entry.samples.push(sample);
    byVideo.set(sample.videoPath, entry);
  }
  const videos = [...byVideo.values()];
  const cap = processCap();
  const wanted = options.jobs ?? cap;
  const jobs = Math.max(1, Math.min(wanted, cap, videos.length || 1));
  if (options.jobs !== undefined && jobs < options.jobs) {
    options.onNotice?.(
      `--jobs ${options.jobs} lowered to ${jobs} (${videos.length} video(s), ${cap} process(es) this machine runs at once)`,
    );
  }
  const progress: ExtractProgress = { total: videos.length, done: 0, extracted: 0, resumed: 0, failed: 0, framesWritten: 0 };
  const failures: VideoFailure[] = [];
  const results = new Map<string, { folder: string; manifest: VideoManifest }>();
  const signal = options.signal;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < videos.length && !signal?.aborted) {
      const entry = videos[next++]!;
      const folder = videoFolderName(entry.video, entry.videoPath);
      const dir = path.join(out, folder);
      try {
        let stat: fs.Stats;
        try {
          stat = await fs.promises.stat(entry.videoPath);
        } catch (e) {
          throw new VideoError(`video file not found (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, 'missing');
        }
        if (!stat.isFile()) {
          throw new VideoError('not a file', 'missing');
        }
        const done = await isDone(dir, entry.videoPath, stat, settings);
        const manifest = done ?? (await extractVideo(tools, entry.video, entry.videoPath, stat, dir, settings, signal));
        results.set(entry.videoPath, { folder, manifest });
        if (done) {
          progress.resumed++;
        } else {
          progress.extracted++;
          progress.framesWritten += manifest.chosen.length;
        }
      } catch (e) {
        if (signal?.aborted) {
          return;
        }
        const failure: VideoFailure = {
          video: entry.video,
          videoPath: entry.videoPath,
          samples: entry.samples.map((s) => ({ id: s.id, source: s.source })),
          reason: (e as Error).message,
          kind: e instanceof VideoError ? e.kind : 'broken',
        };
        failures.push(failure);
        progress.failed++;
        options.onFailure?.(failure);
      }
      progress.done++;
      options.onProgress?.({ ...progress });
    }
  };
  await Promise.all(Array.from({ length: jobs }, () => worker()));
  const cancelled = signal?.aborted === true;

  let samplesWritten = 0;
  if (!cancelled) {
    const lines: string[] = [];
    for (const sample of samples) {
      const result = results.get(sample.videoPath);
      if (!result) {
        continue;
      }
      const line: ExtractedSample = {
        id: sample.id,
        video: sample.video,
        videoPath: sample.videoPath,
        turns: sample.turns,
        source: sample.source,
        frames: result.manifest.chosen.map((c) => `${result.folder}/${c.file}`),
        timestamps: result.manifest.chosen.map((c) => c.time),
      };
      lines.push(JSON.stringify(line));
    }
    samplesWritten = lines.length;
    await writeFileAtomic(path.join(out, VIDEO_SAMPLES_FILE), lines.length ? lines.join('\n') + '\n' : '');
  }
  return {
    ...progress,
    settings,
    ok: !cancelled && progress.extracted + progress.resumed > 0,
    cancelled,
    out,
    jobs,
    samples: samples.length,
    samplesWritten,
    missing: failures.filter((f) => f.kind === 'missing').length,
    broken: failures.filter((f) => f.kind === 'broken').length,
    failures,
    seconds: (performance.now() - started) / 1000,
  };
}
