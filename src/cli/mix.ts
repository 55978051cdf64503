/**
 * `t2vid mix`: synthetic and real video samples mixed into an assembled set; `t2vid assemble CONFIG`: a saved
 * assembly (mix, then export with preflight), as "T2Vid: Assemble Training Set…" writes it.
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { issueLine } from '../core/model';
import { readAssembleConfig, runAssemble, type AssembleSummary } from '../core/assemble/config';
import { describeFilters } from '../core/assemble/filters';
import { DEFAULT_VIDEO_FRAMES, mix, type MixSummary } from '../core/assemble/mix';
import { describePreflight, formatProblem } from '../core/assemble/preflight';
import { escapeControl } from '../core/util/terminal';
import { MIX_SELECT_MODES, type MixSelectMode } from '../shared/assemble';
import { finishRun, interruptible, UsageError, wholeNumber } from './common';
import { oneOf } from './export';

export const MIX_HELP = `t2vid mix --synthetic SRC... --video SRC... (--count-synthetic N --count-video M | --ratio R) --seed S --out DIR

Mixes synthetic (text-as-video) samples with real video samples into an assembled set (DIR/samples.jsonl +
DIR/manifest.json) that t2vid export reads. The same inputs, options and seed write the same bytes.

  --synthetic SRC        a t2vid synth output folder, an assembled set, or a dataset with frames (repeatable)
  --video SRC            a t2vid extract-frames output (its folder or video-samples.jsonl), or any training set
                         of real video frames (repeatable)
  --count-synthetic N    synthetic samples to take
  --count-video M        video samples to take
  --ratio R              instead of the counts: the synthetic share of the output (0 ≤ R < 1), with every
                         available video sample (e.g. 0.33 with 20,000 video samples takes 9,851 synthetic ones)
  --select ${MIX_SELECT_MODES.join('|')}
                         how synthetic samples are chosen: seeded at random (default), or by the diversity
                         selection (greedy Vendi gain of their instructions against the chosen video samples')
  --video-frames N       frames kept per video sample, uniformly (default ${DEFAULT_VIDEO_FRAMES}, as T2Vid subsamples)
  --seed S               seed of every random choice and of the order (required: a mix is reproducible)
  --out DIR              the assembled set's folder
  --json                 print the summary as one JSON object on stdout
Duplicates (the same turns over the same frames) are dropped before choosing, and counted.
Exit codes: 0 written, 1 an error (e.g. fewer samples than asked), 2 bad usage, 130 cancelled.
`;

export const MIX_ARGS = {
  synthetic: { type: 'string', multiple: true },
  video: { type: 'string', multiple: true },
  'count-synthetic': { type: 'string' },
  'count-video': { type: 'string' },
  ratio: { type: 'string' },
  select: { type: 'string' },
  'video-frames': { type: 'string' },
  seed: { type: 'string' },
  out: { type: 'string', short: 'o' },
  json: { type: 'boolean' },
} as const;

export const ASSEMBLE_HELP = `t2vid assemble CONFIG [--json]

Runs a saved assembly (a *.t2vid-assemble.json, as "T2Vid: Assemble Training Set…" writes it): the mix into
OUT/mix (reused when its inputs and recipe are unchanged), then the export for the config's trainer into
OUT/<format>, with its preflight. Paths in CONFIG are relative to its folder.

  --json                 print the summary as one JSON object on stdout
Exit codes: 0 written and preflight passed, 1 preflight problems or an error, 2 bad usage, 130 cancelled.
`;

export const ASSEMBLE_ARGS = { json: { type: 'boolean' } } as const;

function ratioOf(value: string | undefined): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  const r = Number(value);
  if (value.trim() === '' || !(r >= 0 && r < 1)) {
    throw new UsageError(`--ratio is the synthetic share of the output, 0 ≤ R < 1, got ${JSON.stringify(value)}`);
  }
  return r;
}

function describeMix(s: MixSummary): string[] {
  const n = (x: number): string => x.toLocaleString('en-US');
  const m = s.manifest;
  return [
    `mixed ${n(m.samples)} samples → ${path.join(s.out, 'samples.jsonl')}: ${n(s.chosen.synthetic)} synthetic of ${n(s.available.synthetic)}, ${n(s.chosen.video)} video of ${n(s.available.video)} (seed ${m.seed}, ${m.mix?.select ?? 'random'})`,
    `duplicates dropped: ${n(s.duplicates.synthetic)} synthetic, ${n(s.duplicates.video)} video; video samples subsampled to ≤ ${m.mix?.videoFrames} frames: ${n(s.subsampled)}`,
    `frames per sample: ${m.frames.min}–${m.frames.max}, mean ${m.frames.mean}`,
  ];
}

function cancelledError(e: unknown): boolean {
  return (e as Error).message === 'cancelled';
}

const onIssue = (issue: Parameters<typeof issueLine>[0]): void => {
  process.stderr.write(`t2vid: ${escapeControl(issueLine(issue))}\n`);
};

export async function mixCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: MIX_ARGS });
  if (positionals.length) {
    throw new UsageError(`mix takes its sources as --synthetic/--video, not ${JSON.stringify(positionals[0])}`);
  }
  if (!values.out) {
    throw new UsageError('mix needs --out DIR');
  }
  if (values.seed === undefined) {
    throw new UsageError('mix needs --seed S (a mix is reproducible)');
  }
  const ratio = ratioOf(values.ratio);
  const countSynthetic = wholeNumber(values['count-synthetic'], '--count-synthetic', 0);
  const countVideo = wholeNumber(values['count-video'], '--count-video', 0);
  if (ratio !== undefined && (countSynthetic !== undefined || countVideo !== undefined)) {
    throw new UsageError('give --ratio or the two counts, not both');
  }
  if (ratio === undefined && (countSynthetic === undefined || countVideo === undefined)) {
    throw new UsageError('give --count-synthetic N and --count-video M, or --ratio R');
  }
  const interrupt = interruptible('stopping the mix; nothing half-written is kept');
  try {
    const summary = await mix({
      synthetic: values.synthetic ?? [],
      video: values.video ?? [],
      countSynthetic,
      countVideo,
      ratio,
      select: oneOf<MixSelectMode>(values.select, MIX_SELECT_MODES, '--select'),
      videoFrames: wholeNumber(values['video-frames'], '--video-frames', 1),
      seed: wholeNumber(values.seed, '--seed')!,
      out: values.out,
      signal: interrupt.signal,
      onIssue,
    });
    return finishRun({ ok: true, cancelled: false, ...summary }, !!values.json, (s) => describeMix(s).join('\n'));
  } catch (e) {
    if (cancelledError(e)) {
      process.stderr.write('t2vid mix: cancelled; nothing was written\n');
      return 130;
    }
    throw e;
  } finally {
    interrupt.dispose();
  }
}

function describeAssemble(s: AssembleSummary): string {
  const lines = s.mix ? describeMix(s.mix) : [`reused the mix in ${s.mixDir} (same inputs and recipe)`];
  const e = s.exportSummary;
  lines.push(`exported ${e.written} of ${e.read} samples → ${e.file} (${e.format}, profile ${e.profile})`);
  lines.push(`filters: ${describeFilters(e.filters, e.tokenCount)}`);
  if (e.relativeTo) {
    lines.push(`paths: relative to ${e.relativeTo.dir} (${e.relativeTo.note})`);
  }
  if (s.preflight) {
    lines.push(describePreflight(s.preflight));
    for (const p of s.preflight.problems.slice(0, 20)) {
      lines.push(`  ${formatProblem(s.preflight.file, p)}`);
    }
  }
  return lines.join('\n');
}

export async function assembleCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: ASSEMBLE_ARGS });
  if (positionals.length !== 1) {
    throw new UsageError('assemble takes one CONFIG file (*.t2vid-assemble.json)');
  }
  const file = positionals[0]!;
  const config = await readAssembleConfig(file);
  const interrupt = interruptible('stopping the assembly; nothing half-written is kept');
  try {
    const summary = await runAssemble(config, path.dirname(path.resolve(file)), {
      signal: interrupt.signal,
      onIssue,
      onProgress: (p) => {
        if (!values.json && p.phase !== 'export') {
          process.stderr.write(`t2vid assemble: ${escapeControl(p.message)}\n`);
        }
      },
    });
    return finishRun({ ...summary, cancelled: summary.exportSummary.cancelled }, !!values.json, describeAssemble);
  } catch (e) {
    if (cancelledError(e)) {
      process.stderr.write('t2vid assemble: cancelled; nothing half-written is kept\n');
      return 130;
    }
    throw e;
  } finally {
    interrupt.dispose();
  }
}
