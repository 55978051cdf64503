/**
 * Locating and running the system's `ffmpeg` and `ffprobe` (the decoder behind `t2vid extract-frames`).
 * `T2VID_FFMPEG` names the ffmpeg binary (its `ffprobe` is looked for beside it, or named by `T2VID_FFPROBE`);
 * otherwise both are searched on PATH. Arguments are always passed as an array, never through a shell.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** What to do when ffmpeg is missing: said in every "not found" error. */
export const FFMPEG_INSTALL_HINT =
  'install ffmpeg (Debian/Ubuntu: apt-get install ffmpeg; Fedora: dnf install ffmpeg; macOS: brew install ffmpeg; ' +
  'Windows: winget install ffmpeg) or set T2VID_FFMPEG to the ffmpeg binary';

export interface FfmpegTools {
  ffmpeg: string;
  ffprobe: string;
}

/** ffmpeg or ffprobe is not installed (or T2VID_FFMPEG / T2VID_FFPROBE names no executable file). */
export class FfmpegNotFoundError extends Error {}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  const exts = process.platform === 'win32' ? (env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';') : [''];
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') {
      continue;
    }
    for (const ext of exts) {
      const candidate = path.join(dir, name + ext);
      if (isExecutable(candidate)) {
        return candidate;
      }
    }
  }
  return undefined;
}

/** Finds ffmpeg and ffprobe, or throws FfmpegNotFoundError saying what to install or set. */
export function findFfmpeg(env: NodeJS.ProcessEnv = process.env): FfmpegTools {
  const exe = process.platform === 'win32' ? '.exe' : '';
  let ffmpeg: string | undefined;
  if (env.T2VID_FFMPEG) {
    ffmpeg = path.resolve(env.T2VID_FFMPEG);
    if (!isExecutable(ffmpeg)) {
      throw new FfmpegNotFoundError(`T2VID_FFMPEG=${env.T2VID_FFMPEG} is not an executable file; ${FFMPEG_INSTALL_HINT}`);
    }
  } else {
    ffmpeg = onPath('ffmpeg', env);
    if (!ffmpeg) {
      throw new FfmpegNotFoundError(`ffmpeg was not found on PATH; ${FFMPEG_INSTALL_HINT}`);
    }
  }
  let ffprobe: string | undefined;
  if (env.T2VID_FFPROBE) {
    ffprobe = path.resolve(env.T2VID_FFPROBE);
    if (!isExecutable(ffprobe)) {
      throw new FfmpegNotFoundError(`T2VID_FFPROBE=${env.T2VID_FFPROBE} is not an executable file; ${FFMPEG_INSTALL_HINT}`);
    }
  } else {
    const beside = path.join(path.dirname(ffmpeg), `ffprobe${exe}`);
    ffprobe = isExecutable(beside) ? beside : onPath('ffprobe', env);
    if (!ffprobe) {
      throw new FfmpegNotFoundError(
        `ffprobe (part of ffmpeg) was not found beside ${ffmpeg} or on PATH; ${FFMPEG_INSTALL_HINT} (or set T2VID_FFPROBE)`,
      );
    }
  }
  return { ffmpeg, ffprobe };
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  /** The last 8 KB of stderr (ffmpeg's error messages). */
  stderr: string;
}

const STDERR_KEEP = 8192;

/** Processes started by `runTool` and not yet ended: killed on abort. */
const running = new Set<ChildProcess>();

/**
 * Runs `file args…` (no shell) and collects its output. An abort kills the process (SIGTERM, then SIGKILL after 2 s)
 * and rejects with `signal.reason` once it has exited. A binary that cannot be started rejects with its spawn error.
 */
export function runTool(
  file: string,
  args: readonly string[],
  options: { signal?: AbortSignal; stdout?: boolean } = {},
): Promise<RunResult> {
  const { signal } = options;
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const child = spawn(file, args, { stdio: ['ignore', options.stdout ? 'pipe' : 'ignore', 'pipe'], windowsHide: true });
    running.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_KEEP);
    });
    let killTimer: NodeJS.Timeout | undefined;
    const onAbort = (): void => {
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), 2000);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (error) => {
      running.delete(child);
      signal?.removeEventListener('abort', onAbort);
      clearTimeout(killTimer);
      reject(error);
    });
    child.on('close', (code, sig) => {
      running.delete(child);
      signal?.removeEventListener('abort', onAbort);
      clearTimeout(killTimer);
      if (signal?.aborted) {
        reject(signal.reason);
      } else {
        resolve({ code, signal: sig, stdout, stderr });
      }
    });
  });
}

/** How many ffmpeg/ffprobe processes this module is running now (for tests). */
export function runningTools(): number {
  return running.size;
}

/** What ffprobe says about a video's first video stream. */
export interface VideoProbe {
  /** Seconds (the container's duration, else the stream's), undefined when neither is known. */
  duration?: number;
  /** Average frame rate (frames per second), undefined when unknown. */
  frameRate?: number;
  width: number;
  height: number;
  codec: string;
}

function rate(value: unknown): number | undefined {
  if (typeof value !== 'string') {
    return undefined;
  }
  const [num, den] = value.split('/').map(Number);
  const r = den === undefined ? num : num! / den;
  return r !== undefined && Number.isFinite(r) && r > 0 ? r : undefined;
}

function seconds(value: unknown): number | undefined {
  const n = typeof value === 'string' || typeof value === 'number' ? Number(value) : NaN;
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

/** The last meaningful line of a tool's stderr, for an error message. */
export function lastError(stderr: string): string {
  const lines = stderr
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  return lines.slice(-2).join(' / ') || '(no message)';
}

/** Probes a video with ffprobe; throws an Error saying why it is not a readable video. */
export async function probeVideo(tools: FfmpegTools, file: string, signal?: AbortSignal): Promise<VideoProbe> {
  const result = await runTool(
    tools.ffprobe,
    [
      '-v',
      'error',
      '-select_streams',
      'v:0',
      '-show_entries',
      'stream=codec_name,width,height,avg_frame_rate,r_frame_rate,duration:format=duration',
      '-of',
      'json',
      // Absolute, so never read as an option.
      path.resolve(file),
    ],
    { signal, stdout: true },
  );
  if (result.code !== 0) {
    throw new Error(`ffprobe cannot read it: ${lastError(result.stderr)}`);
  }
  let parsed: { streams?: Array<Record<string, unknown>>; format?: Record<string, unknown> };
  try {
    parsed = JSON.parse(result.stdout) as typeof parsed;
  } catch {
    throw new Error('ffprobe printed no JSON');
  }
  const stream = parsed.streams?.[0];
  if (!stream) {
    throw new Error('no video stream');
  }
  const width = Number(stream.width);
  const height = Number(stream.height);
  if (!(width > 0 && height > 0)) {
    throw new Error('the video stream has no frame size');
  }
  return {
    duration: seconds(parsed.format?.duration) ?? seconds(stream.duration),
    frameRate: rate(stream.avg_frame_rate) ?? rate(stream.r_frame_rate),
    width,
    height,
    codec: typeof stream.codec_name === 'string' ? stream.codec_name : 'unknown',
  };
}
