/** `t2vid export INPUT --format F --out DIR`: a training set in one framework's format, filtered, then preflighted. */
import { parseArgs } from 'node:util';
import { issueLine } from '../core/model';
import { describeFilters } from '../core/assemble/filters';
import { exportTrainingSet, FRAME_MODES, PATH_MODES, type ExportSummary, type FrameMode } from '../core/assemble/export';
import { describePreflight, formatProblem } from '../core/assemble/preflight';
import type { PathMode } from '../core/writers/format';
import { EXPORT_FORMATS, MODEL_PROFILE_IDS, type ExportFormat } from '../shared/profiles';
import { escapeControl } from '../core/util/terminal';
import { finishRun, interruptible, UsageError, wholeNumber } from './common';

export const EXPORT_HELP = `t2vid export INPUT --format FORMAT --out DIR [options]

INPUT: a t2vid synth output folder (its minicpm-v.json; one sample per QA pair), an assembled set
(a folder with samples.jsonl + manifest.json, as t2vid mix writes), or a dataset file that already has
frames (MiniCPM-V/Idefics3 image dicts, LLaMA-Factory/ms-swift messages+images or videos frame lists,
LLaVA/InternVL conversations+image lists).

  --format ${EXPORT_FORMATS.join('|')}
                               minicpm-v, idefics3: T2Vid's trainers (JSON array, <image_NN> placeholders)
                               ms-swift: JSONL messages+images (minicpmv2_5, idefics3; videos for Qwen-VL)
                               llamafactory: sharegpt JSON + dataset_info.json entry (Qwen2-VL: videos)
                               llava-video: JSON array, image list; internvl: JSONL + internvl-meta.json
  --out DIR                    output folder
  --profile ${MODEL_PROFILE_IDS.join('|')}
                               model whose limits apply (default: the format's own model)
  --max-frames N               override the profile's frame limit (0: none)
  --token-budget N             override the profile's context budget (0: none)
  --max-first-turn-words N     override the first-turn limit: first user turn < N words (0: none)
  --paths absolute|relative    default absolute for minicpm-v, idefics3, ms-swift (their loaders open the path
                               as written, from the trainer's working directory); relative to DIR otherwise
                               (LLaMA-Factory dataset_dir, InternVL meta root, LLaVA --image_folder)
  --frames reference|copy|link reference frames in place (default), or copy / hard-link them to DIR/frames
  --dropped FILE               write the samples the filters dropped (JSONL, with the reason)
  --media-dir DIR              base of relative frame paths in a dataset INPUT (default: its folder)
  --no-preflight               skip the preflight of the written file
  --json                       print the summary as one JSON object on stdout
  --quiet                      no running count on a terminal
Exit codes: 0 written and preflight passed, 1 nothing written / preflight problems / an error, 2 bad usage, 130 cancelled.
`;

export const EXPORT_ARGS = {
  format: { type: 'string' },
  out: { type: 'string', short: 'o' },
  profile: { type: 'string' },
  'max-frames': { type: 'string' },
  'token-budget': { type: 'string' },
  'max-first-turn-words': { type: 'string' },
  paths: { type: 'string' },
  frames: { type: 'string' },
  dropped: { type: 'string' },
  'media-dir': { type: 'string' },
  'no-preflight': { type: 'boolean' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
} as const;

export function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], flag: string): T | undefined {
  if (value === undefined) {
    return undefined;
  }
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`${flag} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value as T;
}

/** The preflight problems a report lists on stderr (the rest are counted). */
const LISTED_PROBLEMS = 20;

function report(s: ExportSummary): string {
  const lines: string[] = [];
  if (s.cancelled) {
    return `cancelled after ${s.read} samples: nothing was written`;
  }
  lines.push(`exported ${s.written} of ${s.read} samples → ${s.file} (${s.format}, profile ${s.profile}) in ${s.seconds.toFixed(1)} s`);
  lines.push(`filters: ${describeFilters(s.filters, s.tokenCount)}${s.droppedFile ? ` → dropped samples in ${s.droppedFile}` : ''}`);
  lines.push(s.relativeTo ? `paths: relative to ${s.relativeTo.dir} (${s.relativeTo.note})` : 'paths: absolute');
  lines.push(
    s.frames === 'reference'
      ? 'frames: referenced in place'
      : `frames: ${s.frames === 'copy' ? 'copied' : 'linked'} to DIR/frames (${s.framesPlaced} new)`,
  );
  for (const f of s.sideFiles) {
    lines.push(`also wrote ${f}`);
  }
  if (s.notice) {
    lines.push(`note: ${s.notice}`);
  }
  if (s.preflight) {
    lines.push(describePreflight(s.preflight));
    for (const p of s.preflight.problems.slice(0, LISTED_PROBLEMS)) {
      lines.push(`  ${formatProblem(s.preflight.file, p)}`);
    }
  }
  return lines.join('\n');
}

export async function exportCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: EXPORT_ARGS });
  if (positionals.length !== 1) {
    throw new UsageError('export takes one INPUT: a synth output folder, an assembled set, or a dataset file');
  }
  const format = oneOf<ExportFormat>(values.format, EXPORT_FORMATS, '--format');
  if (!format) {
    throw new UsageError(`export needs --format (${EXPORT_FORMATS.join(', ')})`);
  }
  if (!values.out) {
    throw new UsageError('export needs --out DIR');
  }
  oneOf(values.profile, MODEL_PROFILE_IDS, '--profile');
  // On a terminal, a one-line count (the total is not known before the input is read through).
  const live = process.stderr.isTTY && !values.quiet && !values.json;
  const clearLine = (): void => {
    if (live) {
      process.stderr.write('\r\x1b[K');
    }
  };
  const interrupt = interruptible('stopping the export; nothing half-written is kept');
  let summary: ExportSummary;
  try {
    summary = await exportTrainingSet({
      input: positionals[0],
      format,
      out: values.out,
      profile: values.profile,
      limits: {
        maxFrames: wholeNumber(values['max-frames'], '--max-frames', 0),
        tokenBudget: wholeNumber(values['token-budget'], '--token-budget', 0),
        maxFirstTurnWords: wholeNumber(values['max-first-turn-words'], '--max-first-turn-words', 0),
      },
      paths: oneOf<PathMode>(values.paths, PATH_MODES, '--paths'),
      frames: oneOf<FrameMode>(values.frames, FRAME_MODES, '--frames'),
      dropped: values.dropped,
      mediaDir: values['media-dir'],
      preflight: !values['no-preflight'],
      signal: interrupt.signal,
      onIssue: (issue) => {
        clearLine();
        process.stderr.write(`t2vid: ${escapeControl(issueLine(issue))}\n`);
      },
      onProgress: live ? ({ read, written }) => process.stderr.write(`\r${read} samples read, ${written} written…\x1b[K`) : undefined,
    });
  } finally {
    clearLine();
    interrupt.dispose();
  }
  return finishRun(summary, !!values.json, report);
}
