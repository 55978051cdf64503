/**
 * `t2vid extract-frames DATASET... --video-root DIR --out DIR`: reads real video instruction sets and extracts each
 * video's frames with ffmpeg (1 fps, then 24 chosen uniformly, as T2Vid). Exit codes: 0 done (some videos may have
 * failed: reported), 1 no video extracted or an error, 2 bad usage, 130 cancelled.
 */
import { parseArgs } from 'node:util';
import { countIssue, describeInputCounts, emptyInputCounts, formatIssue, issueLine, type InputCounts } from '../core/model';
import {
  DEFAULT_EXTRACT_FPS,
  DEFAULT_EXTRACT_FRAMES,
  DEFAULT_EXTRACT_MAX_SIZE,
  extractFrames,
  VIDEO_SAMPLES_FILE,
  type ExtractSummary,
  type VideoFailure,
} from '../core/assemble/extractFrames';
import { parseVideoFieldMapping, readVideoSamples, type VideoFieldMapping, type VideoSample } from '../core/assemble/videoSet';
import { FfmpegNotFoundError, findFfmpeg } from '../core/util/ffmpeg';
import { escapeControl } from '../core/util/terminal';
import { finishRun, interruptible, UsageError, wholeNumber } from './common';

export const FRAMES_HELP = `Usage: t2vid extract-frames DATASET... --video-root DIR --out DIR [options]

Reads real video instruction sets and extracts each video's frames with the system's ffmpeg, as T2Vid
prepares its real video data: frames at --fps (1 a second), then --frames of them chosen uniformly.
Datasets (JSON, JSONL, Parquet): LLaVA {id, video, conversations:[{from, value}]}, LLaMA-Factory / ms-swift
{messages:[{role, content}], videos:[...]}, MVBench / TempCompass {video, prompt, GT}; <video> is removed.
  --video-root DIR       folder relative video paths are resolved against (default: each dataset's folder)
  --out DIR              OUT/<video>-<hash>/frame_000.png… and manifest.json per video (videos shared by
                         several samples are extracted once), and OUT/${VIDEO_SAMPLES_FILE}: one line per
                         sample with its turns, frame paths (relative to OUT) and timestamps
  --fps N                frames a second decoded before the choice (default ${DEFAULT_EXTRACT_FPS})
  --frames N             frames kept per video, chosen uniformly; a video with fewer keeps all (default ${DEFAULT_EXTRACT_FRAMES})
  --max-size N           longest side of a frame in pixels, never enlarged; 0 = source size (default ${DEFAULT_EXTRACT_MAX_SIZE})
  --jobs N               ffmpeg processes at once (default and cap: one per core, within free memory)
  --fields MAP           video=PATH,question=PATH[,answer=PATH] for other schemas (e.g. video=clip,question=q)
  --json                 print the summary as one JSON object on stdout
  --quiet                no progress line
  --help                 this text
ffmpeg: found on PATH, or T2VID_FFMPEG=/path/to/ffmpeg (ffprobe beside it or T2VID_FFPROBE).
Resume: a video whose folder holds a manifest for the same file (size, mtime) and settings is skipped.
Bad input: a record without a video or a user turn is reported as FILE:LINE: reason and skipped; a missing
or broken video is reported with the samples that use it, and the run goes on.
Exit codes: 0 done, 1 no video extracted or an error, 2 bad usage, 130 cancelled.
`;

export const FRAMES_ARGS = {
  'video-root': { type: 'string' },
  out: { type: 'string' },
  fps: { type: 'string' },
  frames: { type: 'string' },
  'max-size': { type: 'string' },
  jobs: { type: 'string' },
  fields: { type: 'string' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export interface FramesReport extends ExtractSummary {
  input: InputCounts;
}

function describeFailure(failure: VideoFailure): string {
  const [first] = failure.samples;
  const more = failure.samples.length > 1 ? ` (and ${failure.samples.length - 1} more sample(s))` : '';
  const where = first ? formatIssue({ ...first.source, message: `${first.id}${more}:` }) : '';
  return escapeControl(`${failure.kind} ${where} ${failure.videoPath}: ${failure.reason}`);
}

function report(summary: FramesReport): string {
  const lines = [
    summary.cancelled
      ? `cancelled: ${summary.extracted} video(s) extracted before the stop are kept in ${summary.out}`
      : `${summary.extracted} video(s) extracted (${summary.framesWritten} frames), ${summary.resumed} already done, ` +
        `${summary.failed} failed (${summary.missing} missing, ${summary.broken} broken) in ${summary.seconds.toFixed(1)} s`,
  ];
  if (!summary.cancelled) {
    lines.push(`${summary.samplesWritten} of ${summary.samples} sample(s) written to ${summary.out}/${VIDEO_SAMPLES_FILE}`);
  }
  const input = describeInputCounts(summary.input);
  if (input) {
    lines.push(input);
  }
  return lines.join('\n');
}

function fpsValue(value: string | undefined): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0 || n > 60) {
    throw new UsageError(`--fps takes a number > 0 and ≤ 60, got ${JSON.stringify(value)}`);
  }
  return n;
}

export async function framesCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: FRAMES_ARGS });
  if (values.help) {
    process.stdout.write(FRAMES_HELP);
    return 0;
  }
  if (!positionals.length) {
    throw new UsageError('extract-frames needs at least one DATASET');
  }
  if (!values.out) {
    throw new UsageError('extract-frames needs --out DIR');
  }
  const fps = fpsValue(values.fps);
  const frames = wholeNumber(values.frames, '--frames', 1, 10000);
  const maxSize = wholeNumber(values['max-size'], '--max-size', 0, 16384);
  const jobs = wholeNumber(values.jobs, '--jobs', 1);
  let fields: VideoFieldMapping | undefined;
  try {
    fields = values.fields ? parseVideoFieldMapping(values.fields) : undefined;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  let tools;
  try {
    tools = findFfmpeg();
  } catch (e) {
    if (e instanceof FfmpegNotFoundError) {
      process.stderr.write(`t2vid extract-frames: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  const tty = process.stderr.isTTY === true && !values.quiet;
  let shown = false;
  const clear = (): void => {
    if (shown) {
      process.stderr.write('\r\x1b[K');
      shown = false;
    }
  };
  const input = emptyInputCounts();
  const interrupt = interruptible('finished videos are kept, the ones in progress are removed');
  try {
    const samples: VideoSample[] = [];
    for (const file of positionals) {
      for await (const sample of readVideoSamples(file, {
        videoRoot: values['video-root'],
        fields,
        signal: interrupt.signal,
        onIssue: (issue) => {
          countIssue(input, issue);
          clear();
          process.stderr.write(`${issueLine(issue)}\n`);
        },
      })) {
        samples.push(sample);
      }
    }
    let last = 0;
    const summary = await extractFrames(samples, {
      out: values.out,
      fps,
      frames,
      maxSize,
      jobs,
      tools,
      signal: interrupt.signal,
      onNotice: (message) => {
        clear();
        process.stderr.write(`${message}\n`);
      },
      onFailure: (failure) => {
        clear();
        process.stderr.write(`${describeFailure(failure)}\n`);
      },
      onProgress: (p) => {
        const now = performance.now();
        if (tty && (now - last > 100 || p.done === p.total)) {
          last = now;
          shown = true;
          process.stderr.write(
            `\r${p.done}/${p.total} videos · ${p.framesWritten} frames · ${p.resumed} done before · ${p.failed} failed\x1b[K`,
          );
        }
      },
    });
    clear();
    return finishRun<FramesReport>({ ...summary, input }, values.json === true, report);
  } catch (e) {
    clear();
    if (interrupt.signal.aborted) {
      process.stderr.write('t2vid extract-frames: cancelled\n');
      return 130;
    }
    throw e;
  } finally {
    interrupt.dispose();
  }
}
