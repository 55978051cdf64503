/** `t2vid synth INPUT... --out DIR`: render frames and write a training dataset. */
import { parseArgs } from 'node:util';
import { describeInputCounts } from '../core/model';
import { OPTION_TABLE } from '../core/options';
import { parseFieldMapping } from '../core/readers/index';
import { synthesizeParallel } from '../core/parallel';
import { DATASET_FORMATS, parseShard, type DatasetFormat, type SynthSummary } from '../core/synth';
import { ENGINE_ARGS, engineFromArgs, finishRun, interruptible, progressBar, stderrReporters, UsageError, wholeNumber } from './common';

/** The flags of `t2vid synth`. */
export const SYNTH_ARGS = {
  out: { type: 'string', short: 'o' },
  ...ENGINE_ARGS,
  fields: { type: 'string' },
  format: { type: 'string' },
  jobs: { type: 'string', short: 'j' },
  shard: { type: 'string' },
  limit: { type: 'string' },
  'absolute-paths': { type: 'boolean' },
  force: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
} as const;

function report(summary: SynthSummary): string {
  const lines: string[] = [];
  if (summary.dryRun) {
    lines.push(
      `${summary.cancelled ? 'cancelled ' : ''}dry run: ${summary.samples} samples, ${summary.entries} QA pairs, ${summary.words} words` +
        (summary.segments !== undefined ? `, ${summary.segments} segments before layout` : ''),
    );
  } else {
    lines.push(
      `${summary.cancelled ? 'cancelled' : summary.stopped ? 'stopped' : 'done'}: ${summary.completed} samples rendered, ${summary.resumed} already complete, ${summary.failed} failed` +
        (summary.notStarted ? `, ${summary.notStarted} not started` : '') +
        '; ' +
        `${summary.frames} frames (${(summary.bytes / Math.max(1, summary.frames) / 1024).toFixed(1)} KB each) in ${summary.seconds.toFixed(1)} s = ${summary.framesPerSecond.toFixed(0)} frames/s`,
    );
    if (summary.dataset) {
      lines.push(`dataset: ${summary.dataset} (${summary.entries} entries)`);
    }
    if (summary.withoutQuestion) {
      lines.push(
        `${summary.withoutQuestion} sample${summary.withoutQuestion === 1 ? ' has' : 's have'} no question: frames only, not in the dataset`,
      );
    }
    if (summary.cancelled) {
      lines.push('run the same command again to resume');
    }
  }
  const tofu = summary.uncoveredGlyphs;
  if (tofu?.characters) {
    const scripts = Object.entries(tofu.byScript)
      .map(([s, n]) => `${s} ${n}`)
      .join(', ');
    lines.push(
      `${tofu.characters} characters in ${tofu.samples} sample${tofu.samples === 1 ? '' : 's'} no font covers (${scripts}): drawn as boxes (reported above)`,
    );
  }
  if (summary.stopped) {
    lines.push(`the run stopped: ${summary.stopped}`);
  }
  const input = describeInputCounts(summary.input);
  if (input) {
    lines.push(input);
  }
  return lines.join('\n');
}

export async function synthCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: SYNTH_ARGS });
  if (!positionals.length) {
    throw new UsageError('synth needs at least one INPUT file');
  }
  if (!values.out && !values['dry-run']) {
    throw new UsageError('synth needs --out DIR');
  }
  const format = (values.format ?? OPTION_TABLE['output.format'].default) as DatasetFormat;
  if (!DATASET_FORMATS.includes(format)) {
    throw new UsageError(`--format must be one of ${DATASET_FORMATS.join(', ')}, got ${JSON.stringify(values.format)}`);
  }
  const engine = engineFromArgs(values);
  const usage = <T>(parse: () => T): T => {
    try {
      return parse();
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  };
  const shard = values.shard ? usage(() => parseShard(values.shard!)) : undefined;
  const fields = values.fields ? usage(() => parseFieldMapping(values.fields!)) : undefined;
  const json = !!values.json;
  const bar =
    process.stderr.isTTY && !values.quiet
      ? progressBar<{ total: number; done: number; frames: number }>(
          process.stderr,
          (p, seconds) => `${p.frames} frames · ${(seconds > 0 ? p.frames / seconds : 0).toFixed(0)} frames/s`,
        )
      : undefined;
  const clearLine = (): void => bar?.clear();
  const interrupt = interruptible('finishing the frames in flight');
  const summary = await synthesizeParallel({
    inputs: positionals,
    out: values.out ?? '.',
    engine,
    fields,
    jobs: wholeNumber(values.jobs, '--jobs', 1),
    shard,
    format,
    limit: wholeNumber(values.limit, '--limit'),
    dryRun: values['dry-run'],
    force: values.force,
    absolutePaths: values['absolute-paths'],
    signal: interrupt.signal,
    onProgress: bar?.update,
    ...stderrReporters(clearLine),
    onNotice: (message) => {
      clearLine();
      process.stderr.write(`t2vid: ${message}\n`);
    },
  });
  clearLine();
  interrupt.dispose();
  return finishRun(summary, json, report);
}
