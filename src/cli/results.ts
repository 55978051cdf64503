/** `t2vid results DIR...`: the evaluation results of runs side by side (lmms-eval's *_results.json files). */
import { parseArgs } from 'node:util';
import { writeFileAtomic } from '../core/util/fsutil';
import { compareRuns, comparisonCsv, comparisonMarkdown, readRunResults } from '../core/tasks/results';
import { escapeControl, escapeControlKeepLines } from '../core/util/terminal';
import { UsageError } from './common';

export const RESULTS_HELP = `t2vid results DIR... [--baseline NAME] [--csv FILE] [--markdown FILE] [--json]

Reads every lmms-eval *_results.json under each DIR (a run's output folder) and prints the scores side by side:
one row per task and metric, group scores lmms-eval leaves out (MVBench, TempCompass) computed sample-weighted and
labelled as ours, the T2Vid paper's reported numbers as reference.

  --baseline NAME        a run (its folder name) to show deltas against
  --csv FILE             also write the table as CSV
  --markdown FILE        also write it as Markdown
  --json                 print the comparison as one JSON object on stdout
Exit codes: 0 shown, 1 no result found, 2 bad usage.
`;

export const RESULTS_ARGS = {
  baseline: { type: 'string' },
  csv: { type: 'string' },
  markdown: { type: 'string' },
  json: { type: 'boolean' },
} as const;

export async function resultsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: RESULTS_ARGS });
  if (!positionals.length) {
    throw new UsageError('results takes one or more run folders');
  }
  const runs = positionals.map((dir) =>
    readRunResults(dir, (message) => process.stderr.write(`t2vid results: ${escapeControl(message)}\n`)),
  );
  if (runs.every((r) => !r.scores.length)) {
    process.stderr.write(`t2vid results: no lmms-eval *_results.json under ${positionals.join(', ')}\n`);
    return 1;
  }
  let comparison;
  try {
    comparison = compareRuns(runs, values.baseline);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (values.csv) {
    await writeFileAtomic(values.csv, comparisonCsv(comparison));
  }
  if (values.markdown) {
    await writeFileAtomic(values.markdown, comparisonMarkdown(comparison));
  }
  if (values.json) {
    process.stdout.write(JSON.stringify(comparison) + '\n');
  } else {
    process.stdout.write(escapeControlKeepLines(comparisonMarkdown(comparison)));
  }
  return 0;
}
