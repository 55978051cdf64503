/**
 * `t2vid`: the headless CLI over src/core (what a Slurm array job runs); one file per command beside this one.
 * Setting names match the core options and the VS Code settings: --font-size ↔ fontSize ↔ t2vid.render.fontSize.
 */
import { escapeControl } from '../core/util/terminal';
import { ALIGNS, COUNT_UNITS, OptionError, PRESETS, SEGMENT_MODES } from '../core/options';
import { DATASET_FORMATS } from '../core/synth';
import { OutputIsInputError } from '../core/util/fsutil';
import { engineVersion } from '../core/version';
import { defaultOf as d, UsageError } from './common';
import { DIVERSITY_HELP, diversityCommand } from './diversity';
import { EXPORT_HELP, exportCommand } from './export';
import { FRAMES_HELP, framesCommand } from './frames';
import { mergeCommand } from './merge';
import { ASSEMBLE_HELP, assembleCommand, MIX_HELP, mixCommand } from './mix';
import { PREFLIGHT_HELP, preflightCommand } from './preflight';
import { QA_HELP, qaCommand } from './qa';
import { SELECT_HELP, selectCommand } from './select';
import { synthCommand } from './synth';
import { TASK_HELP, taskCommand } from './task';
import { RESULTS_HELP, resultsCommand } from './results';

export const HELP = `t2vid — turn long-text QA data into video-like training samples (T2Vid)

Usage:
  t2vid synth INPUT... --out DIR [options]   render frames and write a training dataset
  t2vid merge DIR [--format minicpm-v]        join the shard datasets of a sharded run in DIR
  t2vid qa INPUT... --out FILE.t2vid.jsonl     generate question/answer pairs (t2vid qa --help)
  t2vid diversity FILE... [--label NAME...]    measure instruction diversity (t2vid diversity --help)
  t2vid select POOL... --k K --out FILE.jsonl   choose the K most diversity-adding instructions (t2vid select --help)
  t2vid export INPUT --format F --out DIR     a training set for one trainer, filtered and preflighted
                                              (t2vid export --help)
  t2vid preflight FILE [--format F]           check an exported dataset before training (t2vid preflight --help)
  t2vid extract-frames DATASET... --out DIR    frames of real videos with ffmpeg (t2vid extract-frames --help)
  t2vid mix --synthetic A --video B --ratio R --seed S --out DIR   mix synthetic and video samples (t2vid mix --help)
  t2vid assemble CONFIG                       mix + export + preflight from a saved *.t2vid-assemble.json
  t2vid task finetune|eval --framework F --output DIR [--dry-run]   fine-tuning and evaluation runs (t2vid task --help)
  t2vid results DIR... [--baseline NAME]      evaluation results (lmms-eval, bench_results) side by side, sweeps (t2vid results --help)
  t2vid --help | --version

Inputs: .txt/.md documents; .jsonl/.json with {context, question, answer},
L-Eval {input, instructions[], outputs[]}, LongAlpaca {instruction, output, input?};
.parquet (Hugging Face datasets); any other schema through --fields.

Preset:
  --preset ${PRESETS.join('|')}         t2vid: the paper's frames — Arimo (Arial's metrics) 20 px, 448×448,
                               20 px side margins, words mode, 115 tokens a frame (--count tokens);
                               any flag given as well overrides the preset's value (default ${d('render.preset')})
Segmentation:
  --mode ${SEGMENT_MODES.join('|')}   fit: as much text as fits each frame; words: at most N words a frame;
                               sentences: whole sentences up to N words (default: ${d('segment.mode')})
  --words N                    words per frame (default ${d('segment.wordsPerFrame')}, as the T2Vid reference)
  --count ${COUNT_UNITS.join('|')}         what --words counts: words (punctuation does not count) or the T2Vid
                               reference's NLTK tokens (each punctuation mark, n't, 's and quote counts;
                               1,000 and 3.5 are one token) (default ${d('segment.countUnit')})
  --locale TAG                 word/sentence rules, e.g. en, zh, ja (default: from the text)
Rendering (no frame ever clips: a piece that overflows fills its frame, the rest starts the next):
  --size N | WxH               frame size in pixels (default ${d('render.width')})
  --font-size N                font size in pixels (default ${d('render.fontSize')})
  --font FAMILIES              Pango family list (default "${d('render.fontFamily')}", all bundled)
  --font-file PATH             register a TTF/OTF file; name its family first in --font
  --margin N                   margins in pixels (default ${d('render.marginX')}); --margin-x N, --margin-y N
  --line-spacing N             extra pixels between lines (default ${d('render.lineSpacing')})
  --foreground C, --background C   colours, #rgb or #rrggbb (default black on white)
  --align ${ALIGNS.join('|')}    line alignment (default ${d('render.align')})
  --bit-depth 4|8              greyscale PNG depth (default ${d('render.bitDepth')}: 16 grey levels, ~0.4× the bytes of the
                               same frame as an antialiased RGB PNG; OCR reads it as well)
Input:
  --fields MAP                 field mapping, e.g. context=text,question=prompt,answer=response
                               (dotted paths reach nested fields: context=doc.body)
Run:
  --out DIR                    output folder: frames/<id>/frame_00000.png, frames/<id>/manifest.json,
                               and the dataset (minicpm-v.json)
  --format ${DATASET_FORMATS.join('|')}      dataset format (default ${d('output.format')}: the MiniCPM-V multi-image JSON)
  --jobs N                     render processes, N ≥ 1 (default: one per core; libvips lays out text in one
                               thread per process, so processes are what use every core); never more than
                               the samples, the cores, or free memory / 256 MB: a lowered N is said on stderr
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
Bad input: a line that cannot be used is reported as FILE:LINE: reason (FILE:LINE: element K: in a
JSON array) and skipped; a kept record with a problem (a dropped pair, invalid UTF-8 replaced) is a
warning; a binary file (NUL bytes, UTF-16, mostly invalid UTF-8) is skipped whole. The summary counts
lines skipped, warnings and replacements apart; the exit code is non-zero only if nothing usable was produced.
An --out that is one of the inputs is refused (2). A full disk (or quota, read-only file system) stops the
run with its summary (1); nothing half-written stays, and the same command resumes once space is freed.
Exit codes: 0 done, 1 nothing usable or an error, 2 bad usage, 130 cancelled.
`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (argv.includes('--help') || argv.includes('-h')) {
    const helps: Record<string, string> = {
      qa: QA_HELP,
      diversity: DIVERSITY_HELP,
      select: SELECT_HELP,
      export: EXPORT_HELP,
      preflight: PREFLIGHT_HELP,
      'extract-frames': FRAMES_HELP,
      mix: MIX_HELP,
      assemble: ASSEMBLE_HELP,
      task: TASK_HELP,
      results: RESULTS_HELP,
    };
    process.stdout.write(helps[command] ?? HELP);
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
      case 'diversity':
        return await diversityCommand(rest);
      case 'select':
        return await selectCommand(rest);
      case 'export':
        return await exportCommand(rest);
      case 'preflight':
        return await preflightCommand(rest);
      case 'extract-frames':
        return await framesCommand(rest);
      case 'mix':
        return await mixCommand(rest);
      case 'assemble':
        return await assembleCommand(rest);
      case 'task':
        return await taskCommand(rest);
      case 'results':
        return await resultsCommand(rest);
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
    const usage =
      e instanceof UsageError ||
      e instanceof OptionError ||
      e instanceof OutputIsInputError ||
      (e as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`t2vid: ${escapeControl((e as Error).message)}\n${usage ? "see 't2vid --help'\n" : ''}`);
    return usage ? 2 : 1;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
