/**
 * `t2vid`: the headless CLI over src/core (what a Slurm array job runs).
 * Setting names match the core options and the VS Code settings: --font-size ↔ fontSize ↔ t2vid.render.fontSize.
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { OptionError } from './core/options';
import { parseFieldMapping } from './core/readers/index';
import { runWorker, synthesizeParallel } from './core/parallel';
import { runStripWorker } from './core/curation/strips';
import { runPreviewWorker } from './core/previewClient';
import { DATASET_FORMATS, datasetFileName, parseShard, type DatasetFormat, type SynthSummary } from './core/synth';
import { engineVersion } from './core/version';
import { mergeShards } from './core/merge';
import { ENGINE_ARGS, engineFromArgs, finishRun, interruptible, progressBar, stderrReporters, UsageError, wholeNumber } from './cliCommon';
import { QA_HELP, qaCommand } from './qaCommand';

const HELP = `t2vid — turn long-text QA data into video-like training samples (T2Vid)

Usage:
  t2vid synth INPUT... --out DIR [options]   render frames and write a training dataset
  t2vid merge DIR [--format minicpm-v]        join the shard datasets of a sharded run in DIR
  t2vid qa INPUT... --out FILE.t2vid.jsonl     generate question/answer pairs (t2vid qa --help)
  t2vid --help | --version

Inputs: .txt/.md documents; .jsonl/.json with {context, question, answer},
L-Eval {input, instructions[], outputs[]}, LongAlpaca {instruction, output, input?};
.parquet (Hugging Face datasets); any other schema through --fields.

Segmentation:
  --mode words|sentences|fit   words: N words a frame; sentences: whole sentences up to N words;
                               fit: as much text as fits each frame (default: words)
  --words N                    words per frame (default 115, as the T2Vid reference)
  --locale TAG                 word/sentence rules, e.g. en, zh, ja (default: from the text)
Rendering (no frame ever clips: a piece that overflows is split further):
  --size N | WxH               frame size in pixels (default 448)
  --font-size N                font size in pixels (default 20)
  --font FAMILIES              Pango family list (default "DejaVu Sans,Noto Sans SC", both bundled)
  --font-file PATH             register a TTF/OTF file; name its family first in --font
  --margin N                   margins in pixels (default 20); --margin-x N, --margin-y N
  --line-spacing N             extra pixels between lines (default 0)
  --foreground C, --background C   colours, #rgb or #rrggbb (default black on white)
  --align left|centre|right    line alignment (default left)
  --bit-depth 4|8              greyscale PNG depth (default 4: 16 grey levels, ~0.4× the bytes of the
                               same frame as an antialiased RGB PNG; OCR reads it as well)
Input:
  --fields MAP                 field mapping, e.g. context=text,question=prompt,answer=response
                               (dotted paths reach nested fields: context=doc.body)
Run:
  --out DIR                    output folder: frames/<id>/frame_00000.png, frames/<id>/manifest.json,
                               and the dataset (minicpm-v.json)
  --format minicpm-v|none      dataset format (default minicpm-v: the MiniCPM-V multi-image JSON)
  --jobs N                     render processes (default: one per core; libvips lays out text in one
                               thread per process, so processes are what use every core)
  --shard i/n                  take every n-th sample starting at i (0-based); deterministic, so a
                               Slurm array can run --shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT;
                               each shard writes minicpm-v.shard-IIII-of-NNNN.json; join with t2vid merge
  --limit N                    only the first N samples (after --shard)
  --absolute-paths             write absolute image paths into the dataset (default: relative to DIR)
  --force                      re-render samples that are already complete
  --dry-run                    read and segment everything, report counts, write nothing
  --json                       print the run summary as one JSON object on stdout
  --quiet                      no progress bar

Resume: re-running the same command skips every sample whose manifest is complete for the same
context and settings; an interrupted run (Ctrl-C, a killed job) picks up where it stopped.
Bad input: a line that cannot be used is reported as FILE:LINE: reason and skipped; the exit code
is non-zero only if nothing usable was produced.
Exit codes: 0 done, 1 nothing usable or an error, 2 bad usage, 130 cancelled.
`;

function report(summary: SynthSummary): string {
  const lines: string[] = [];
  if (summary.dryRun) {
    lines.push(`dry run: ${summary.samples} samples, ${summary.entries} QA pairs, ${summary.words} words` + (summary.segments !== undefined ? `, ${summary.segments} segments before layout` : ''));
  } else {
    lines.push(
      `${summary.cancelled ? 'cancelled' : 'done'}: ${summary.completed} samples rendered, ${summary.resumed} already complete, ${summary.failed} failed; ` +
        `${summary.frames} frames (${(summary.bytes / Math.max(1, summary.frames) / 1024).toFixed(1)} KB each) in ${summary.seconds.toFixed(1)} s = ${summary.framesPerSecond.toFixed(0)} frames/s`,
    );
    if (summary.dataset) {
      lines.push(`dataset: ${summary.dataset} (${summary.entries} entries)`);
    }
    if (summary.withoutQuestion) {
      lines.push(`${summary.withoutQuestion} sample${summary.withoutQuestion === 1 ? " has" : "s have"} no question: frames only, not in the dataset`);
    }
    if (summary.cancelled) {
      lines.push('run the same command again to resume');
    }
  }
  if (summary.issues) {
    lines.push(`${summary.issues} input lines skipped (reported above)`);
  }
  return lines.join('\n');
}

async function synthCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
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
    },
  });
  if (!positionals.length) {
    throw new UsageError('synth needs at least one INPUT file');
  }
  if (!values.out && !values['dry-run']) {
    throw new UsageError('synth needs --out DIR');
  }
  const format = (values.format ?? 'minicpm-v') as DatasetFormat;
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
  const bar = process.stderr.isTTY && !values.quiet
    ? progressBar<{ total: number; done: number; frames: number }>(process.stderr, (p, seconds) => `${p.frames} frames · ${(seconds > 0 ? p.frames / seconds : 0).toFixed(0)} frames/s`)
    : undefined;
  const clearLine = (): void => bar?.clear();
  const interrupt = interruptible('finishing the frames in flight');
  const summary = await synthesizeParallel({
    inputs: positionals,
    out: values.out ?? '.',
    engine,
    fields,
    jobs: wholeNumber(values.jobs, '--jobs'),
    shard,
    format,
    limit: wholeNumber(values.limit, '--limit'),
    dryRun: values['dry-run'],
    force: values.force,
    absolutePaths: values['absolute-paths'],
    signal: interrupt.signal,
    onProgress: bar?.update,
    ...stderrReporters(clearLine),
  });
  clearLine();
  interrupt.dispose();
  return finishRun(summary, json, report);
}

async function mergeCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { format: { type: 'string' }, json: { type: 'boolean' } } });
  if (positionals.length !== 1) {
    throw new UsageError('merge takes one folder: the --out folder of the sharded run');
  }
  const format = (values.format ?? 'minicpm-v') as DatasetFormat;
  if (format === 'none' || !DATASET_FORMATS.includes(format)) {
    throw new UsageError(`--format must be minicpm-v, got ${JSON.stringify(values.format)}`);
  }
  const result = await mergeShards(positionals[0], format);
  if (values.json) {
    process.stdout.write(JSON.stringify(result) + '\n');
  } else {
    process.stderr.write(`merged ${result.shards} shards, ${result.entries} entries → ${path.join(positionals[0], datasetFileName(format))}\n`);
  }
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(command === 'qa' ? QA_HELP : HELP);
    return 0;
  }
  try {
    switch (command) {
      case 'synth':
        return await synthCommand(rest);
      case 'merge':
        return await mergeCommand(rest);
      case 'qa':
        return await qaCommand(rest);
      case '__worker':
        runWorker();
        return -1;
      case '__preview':
        runPreviewWorker(rest[0]);
        return -1;
      case '__strips':
        runStripWorker(rest[0]);
        return -1;
      case '--version':
      case '-v':
        process.stdout.write(`${engineVersion()}\n`);
        return 0;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(HELP);
        return 0;
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    }
  } catch (e) {
    const usage = e instanceof UsageError || e instanceof OptionError || (e as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`t2vid: ${(e as Error).message}\n${usage ? "see 't2vid --help'\n" : ''}`);
    return usage ? 2 : 1;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    if (code >= 0) {
      process.exitCode = code;
    }
  });
}
