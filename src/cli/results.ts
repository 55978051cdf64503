/**
 * `t2vid results DIR...`: the evaluation results of runs side by side (lmms-eval's *_results.json files and T2Vid's
 * bench_results), and the runs of each sweep as one table.
 */
import { parseArgs } from 'node:util';
import { writeFileAtomic } from '../core/util/fsutil';
import {
  compareRuns,
  comparisonCsv,
  comparisonMarkdown,
  evaluationFolder,
  readRunResults,
  resultsTable,
  sweepMarkdown,
  uniqueNames,
} from '../core/tasks/results';
import { escapeControl, escapeControlKeepLines } from '../core/util/terminal';
import { BENCH_METRIC } from '../shared/results';
import { UsageError } from './common';

export const RESULTS_HELP = `t2vid results DIR... [--baseline NAME] [--sweep ID] [--csv FILE] [--markdown FILE] [--json]

Reads every lmms-eval *_results.json under each DIR (a run's output folder) and T2Vid's own evaluation output
(run_bench.sh's bench_results/<EXP>/<bench>/results/merge.jsonl: under DIR, DIR itself, or where a t2vid-eval run
wrote it) and prints the scores side by side: one row per task and metric, group scores lmms-eval leaves out
(MVBench, TempCompass) computed sample-weighted and labelled as ours, bench_results accuracy recomputed from pred = GT
(metric "${BENCH_METRIC}"), the T2Vid paper's reported numbers as reference. Runs that share a sweep id (their
.t2vid-run.json) are also shown as one table per sweep (a sweep's fine-tune folder stands for its evaluation in
<fine-tune>/eval), in order of the swept value: the synthetic share of each
run's dataset when its manifest.json records it, else the sweep value as a number, else the order the runs ran in.

  --baseline NAME        a run (its folder name) to show deltas against
  --sweep ID             only the runs of this sweep
  --csv FILE             also write the table as CSV
  --markdown FILE        also write it as Markdown
  --json                 print the comparison as one JSON object on stdout
Exit codes: 0 shown, 1 no result found, 2 bad usage.
`;

export const RESULTS_ARGS = {
  baseline: { type: 'string' },
  sweep: { type: 'string' },
  csv: { type: 'string' },
  markdown: { type: 'string' },
  json: { type: 'boolean' },
} as const;

export async function resultsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: RESULTS_ARGS });
  if (!positionals.length) {
    throw new UsageError('results takes one or more run folders');
  }
  let runs = uniqueNames(
    positionals.map((dir) =>
      readRunResults(evaluationFolder(dir), (message) => process.stderr.write(`t2vid results: ${escapeControl(message)}\n`)),
    ),
    process.cwd(),
  );
  if (values.sweep !== undefined) {
    runs = runs.filter((r) => r.sweepId === values.sweep);
    if (!runs.length) {
      throw new UsageError(`no run of sweep ${JSON.stringify(values.sweep)} among ${positionals.join(', ')}`);
    }
  }
  if (runs.every((r) => !r.scores.length)) {
    process.stderr.write(`t2vid results: no lmms-eval *_results.json nor bench_results under ${positionals.join(', ')}\n`);
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
  const table = resultsTable(runs);
  const sweeps = table.sweeps.map((s) => sweepMarkdown(table, s)).join('\n');
  const markdown = comparisonMarkdown(comparison) + (sweeps ? `\n${sweeps}` : '');
  if (values.markdown) {
    await writeFileAtomic(values.markdown, markdown);
  }
  if (values.json) {
    process.stdout.write(
      JSON.stringify({
        ...comparison,
        sweeps: table.sweeps.map((s) => ({ ...s, points: s.points.map((p) => ({ ...p, run: table.runs[p.run]!.name })) })),
      }) + '\n',
    );
  } else {
    process.stdout.write(escapeControlKeepLines(markdown));
  }
  return 0;
}
