/**
 * T2Vid's own evaluation output (run_bench.sh's bench_results, written here in its exact layout: judged predictions
 * as JSON lines, merged or still in chunks), merged with lmms-eval's files into one run; sweeps grouped with their x
 * values (synthetic share from the datasets' mix manifests, a numeric sweep value, or run order); the results view's
 * table (columns, sub-tasks under their benchmark, reference rows), its sort and its plot series; `t2vid results`
 * with a sweep; a real local sweep with an evaluation step (the engine's layout: `<fine-tune>/eval`).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { planTask, startSweep, validateTaskSpec } from '../../src/core/tasks/engine';
import {
  benchExperiments,
  compareRuns,
  comparisonCsv,
  evaluationFolder,
  parseBenchPredictions,
  readBenchResults,
  readRunResults,
  resultsTable,
  sweepGroups,
  syntheticShare,
  uniqueNames,
} from '../../src/core/tasks/results';
import { parseToWebview } from '../../src/shared/protocol/results';
import { BENCH_METRIC, parentTask, sortOrder, sweepSeries } from '../../src/shared/results';
import { benchExperimentName, type TaskSpec } from '../../src/shared/tasks';
import { repoRoot, sharedData } from '../support/helpers';
import { benchLines, lmmsResults, writeBench, writeLmms, writeMixManifest, writeRunRecord } from '../support/results';

const CLI = path.join(repoRoot(), 'dist', 'cli.js');

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 't2vid-bench-'));
}

const round = (v: number): number => Math.round(v * 1e6) / 1e6;
const scoresOf = (scores: Array<{ task: string; metric: string; value: number; n?: number }>) =>
  scores.map((s) => [s.task, s.metric, round(s.value), s.n]);

test('bench_results: accuracy from pred = GT per category and overall (sample-weighted), Video-MME by duration', () => {
  const dir = tmp();
  try {
    const exp = path.join(dir, 'bench_results', 'mix-15');
    writeBench(exp, 'video-mme', { s: [60, 100], m: [45, 100], l: [30, 100] });
    // MVBench still in its 8 chunks (no merge.jsonl yet): the chunks are read together.
    writeBench(exp, 'mvbench', { 'Action Sequence': [70, 100], 'Object Shuffle': [20, 50] }, 8);
    writeBench(exp, 'temp-compass', { action: [90, 100], speed: [30, 60] });
    const { files, scores } = readBenchResults(exp);
    assert.equal(files.length, 1 + 8 + 1);
    assert.deepEqual(scoresOf(scores), [
      ['videomme', BENCH_METRIC, round((100 * 135) / 300), 300],
      ['videomme_long', BENCH_METRIC, 30, 100],
      ['videomme_medium', BENCH_METRIC, 45, 100],
      ['videomme_short', BENCH_METRIC, 60, 100],
      ['mvbench', BENCH_METRIC, round((100 * 90) / 150), 150],
      ['mvbench_action_sequence', BENCH_METRIC, 70, 100],
      ['mvbench_object_shuffle', BENCH_METRIC, 40, 50],
      ['tempcompass', BENCH_METRIC, round((100 * 120) / 160), 160],
      ['tempcompass_action', BENCH_METRIC, 90, 100],
      ['tempcompass_speed', BENCH_METRIC, 50, 60],
    ]);
    // The run's folder holds bench_results/: found under it.
    assert.deepEqual(benchExperiments(dir), [exp]);
    assert.deepEqual(benchExperiments(exp), [exp]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('bench_results: a bad line names its file, line and field; missing chunks are reported, not half-counted', () => {
  const lines = benchLines({ s: [1, 2] });
  assert.throws(() => parseBenchPredictions('merge.jsonl', `${lines[0]}\n{oops\n`, 'videomme'), /^Error: merge\.jsonl:2: not valid JSON/);
  const noGt = JSON.stringify({ ...JSON.parse(lines[1]!), GT: undefined });
  assert.throws(
    () => parseBenchPredictions('merge.jsonl', `${lines[0]}\n\n${noGt}\n`, 'videomme'),
    /^Error: merge\.jsonl:3: \$\.GT: missing/,
  );
  assert.throws(() => parseBenchPredictions('m.jsonl', '[1]\n', 'mvbench'), /m\.jsonl:1: \$: not a JSON object/);
  assert.deepEqual(parseBenchPredictions('m.jsonl', '\n', 'mvbench'), []);
  const dir = tmp();
  try {
    writeBench(dir, 'mvbench', { x: [3, 8] }, 4);
    fs.rmSync(path.join(dir, 'mvbench', 'results', '4_2.jsonl'));
    const errors: string[] = [];
    assert.deepEqual(readBenchResults(dir, (m) => errors.push(m)).scores, []);
    assert.match(errors.join('\n'), /mvbench\/results: no merge\.jsonl and 1 of 4 chunks missing \(4_2\.jsonl\)/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a t2vid-eval run: its record points at run_bench.sh output in the repo; lmms-eval files beside it merge in', () => {
  const dir = tmp();
  try {
    const repo = path.join(dir, 'T2Vid');
    const output = path.join(dir, 'runs', 'mix-15-eval');
    const spec: TaskSpec = {
      kind: 'eval',
      framework: 't2vid-eval',
      target: 'local',
      output,
      repo,
      model: '/ckpt',
      hyper: { backbone: 'Idefics3' },
    };
    writeRunRecord(spec, { sweepId: 'sweep-1', sweepValue: '15' });
    writeBench(path.join(repo, 'Idefics3', 'eval', 'bench_results', 'mix-15-eval'), 'mvbench', { a: [3, 4] });
    writeLmms(output, '20261101_120000', lmmsResults({ videomme: [52.5, 2700] }, 'videomme_perception_score'));
    const r = readRunResults(output);
    assert.equal(r.name, 'mix-15-eval');
    assert.equal(r.sweepId, 'sweep-1');
    assert.equal(r.sweepValue, '15');
    assert.equal(r.files.length, 2);
    assert.deepEqual(scoresOf(r.scores), [
      ['videomme', 'videomme_perception_score', 52.5, 2700],
      ['mvbench', BENCH_METRIC, 75, 4],
      ['mvbench_a', BENCH_METRIC, 75, 4],
    ]);
    // A sweep's evaluation of t2vid-eval (in <fine-tune>/eval): run_bench.sh's EXP is <fine-tune>-eval, so the
    // evaluations of one sweep do not overwrite each other in the checkout; the plan and the reader agree.
    assert.equal(benchExperimentName(path.join(dir, 'runs', 'mix-30', 'eval')), 'mix-30-eval');
    assert.equal(benchExperimentName('runs/mix-30/'), 'mix-30');
    const sweepEval: TaskSpec = { ...spec, output: path.join(dir, 'runs', 'mix-30', 'eval'), hyper: {} };
    assert.deepEqual(planTask(sweepEval).commands.at(-1)!.argv, ['bash', 'run_bench.sh', 'mix-30-eval', '/ckpt', '24']);
    writeRunRecord(sweepEval);
    writeBench(path.join(repo, 'MiniCPM-V', 'eval', 'bench_results', 'mix-30-eval'), 'temp-compass', { action: [1, 4] });
    assert.deepEqual(scoresOf(readRunResults(sweepEval.output).scores)[0], ['tempcompass', BENCH_METRIC, 25, 4]);
    // The real lmms-eval file beside a bench_results run: one comparison, each score on its own row.
    const real = readRunResults(sharedData('eval-results', 'qwen2.5-vl-7b-mme-hf-bf16'));
    const c = compareRuns([r, real], 'mix-15-eval');
    assert.deepEqual(
      c.rows.map((row) => [row.task, row.metric, row.values.map((v) => (v === null ? null : round(v)))]),
      [
        ['mme', 'mme_cognition_score', [null, 626.428571]],
        ['mme', 'mme_perception_score', [null, 1680.317027]],
        ['mvbench', BENCH_METRIC, [75, null]],
        ['videomme', 'videomme_perception_score', [52.5, null]],
        ['mvbench_a', BENCH_METRIC, [75, null]],
      ],
    );
    assert.match(comparisonCsv(c), /^task,metric,mix-15-eval,qwen2\.5-vl-7b-mme-hf-bf16,Δ qwen2\.5-vl-7b-mme-hf-bf16\n/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** Three runs of a sweep and one outside it; `datasets` decide the x values. */
function sweepRuns(dir: string, values: string[], manifests: Array<[number, number] | null>): string[] {
  return values.map((value, i) => {
    const set = path.join(dir, 'sets', `set-${i}`);
    const m = manifests[i];
    if (m) {
      writeMixManifest(set, m[0], m[1], null);
    }
    const output = path.join(dir, 'runs', `run-${i}`);
    writeRunRecord(
      { kind: 'eval', framework: 'lmms-eval', target: 'local', output, dataset: path.join(set, 'swift', 'ms-swift.jsonl') },
      { sweepId: 'sweep-a', sweepValue: value, createdAt: `2026-11-0${3 - i}T00:00:00Z` },
    );
    writeBench(path.join(output, 'bench_results', `run-${i}`), 'mvbench', { a: [10 * (i + 1), 100] });
    return output;
  });
}

test('sweeps: x is the synthetic share from the mix manifests, else a numeric sweep value, else run order', () => {
  const dir = tmp();
  try {
    // Manifests: 0 %, 50 %, 15 % synthetic.
    const withShares = sweepRuns(
      path.join(dir, 'a'),
      ['video', 'half', 'mix'],
      [
        [0, 100],
        [100, 100],
        [15, 85],
      ],
    );
    assert.equal(syntheticShare(path.join(dir, 'a', 'sets', 'set-2', 'samples.jsonl')), 15);
    assert.equal(syntheticShare(path.join(dir, 'a', 'sets', 'set-2')), 15);
    const other = path.join(dir, 'a', 'runs', 'alone');
    writeBench(other, 'mvbench', { a: [1, 2] });
    const runs = [...withShares, other].map((d) => readRunResults(d));
    const [sweep] = sweepGroups(runs);
    assert.equal(sweepGroups(runs).length, 1, 'the run outside the sweep is in no sweep');
    assert.equal(sweep!.kind, 'synthetic-share');
    assert.deepEqual(
      sweep!.points.map((p) => [p.run, p.x, p.label]),
      [
        ['run-0', 0, '0 %'],
        ['run-2', 15, '15 %'],
        ['run-1', 50, '50 %'],
      ],
    );
    // One manifest missing: the sweep values, which are numbers here ("30 %" too).
    const numeric = sweepRuns(path.join(dir, 'b'), ['0', '30 %', '7.5'], [[0, 1], null, [1, 1]]).map((d) => readRunResults(d));
    const n = sweepGroups(numeric)[0]!;
    assert.equal(n.kind, 'number');
    assert.deepEqual(
      n.points.map((p) => [p.run, p.x]),
      [
        ['run-0', 0],
        ['run-2', 7.5],
        ['run-1', 30],
      ],
    );
    // Names around one number (the datasets' folders of a sweep): that number.
    const mixes = sweepRuns(path.join(dir, 'd'), ['mix-30', 'mix-0', 'mix-7.5'], [null, null, null]).map((d) => readRunResults(d));
    const m = sweepGroups(mixes)[0]!;
    assert.equal(m.kind, 'number');
    assert.equal(m.axis, 'N in mix-N');
    assert.deepEqual(
      m.points.map((p) => [p.run, p.x, p.label]),
      [
        ['run-1', 0, 'mix-0'],
        ['run-2', 7.5, 'mix-7.5'],
        ['run-0', 30, 'mix-30'],
      ],
    );
    // Names: the order the runs were created in (run-2 first here).
    const named = sweepRuns(path.join(dir, 'c'), ['video', 'mixed', 'text'], [null, null, null]).map((d) => readRunResults(d));
    const c = sweepGroups(named)[0]!;
    assert.equal(c.kind, 'category');
    assert.deepEqual(
      c.points.map((p) => [p.run, p.x, p.label]),
      [
        ['run-2', 0, 'text'],
        ['run-1', 1, 'mixed'],
        ['run-0', 2, 'video'],
      ],
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the results table: sub-tasks after their benchmark, sweeps by index, valid for the webview; sort and plot series', () => {
  const dir = tmp();
  try {
    const outputs = sweepRuns(dir, ['0', '10', '20'], [null, null, null]);
    writeLmms(outputs[0]!, '20261101_120000', lmmsResults({ videomme: [50, 2700] }, 'videomme_perception_score'));
    const runs = outputs.map((d) => readRunResults(d));
    const table = resultsTable(runs, { relativeTo: dir, searched: [dir] });
    assert.deepEqual(
      table.columns.map((c) => [c.task, c.parent ?? null]),
      [
        ['mvbench', null],
        ['mvbench_a', 'mvbench'],
        ['videomme', null],
      ],
    );
    assert.deepEqual(
      table.runs.map((r) => [r.name, r.dir, r.values]),
      [
        ['run-0', path.join('runs', 'run-0'), [10, 10, 50]],
        ['run-1', path.join('runs', 'run-1'), [20, 20, null]],
        ['run-2', path.join('runs', 'run-2'), [30, 30, null]],
      ],
    );
    assert.equal(table.reference.length, 4);
    assert.deepEqual(table.sweeps[0]!.points, [
      { run: 0, x: 0, label: '0' },
      { run: 1, x: 10, label: '10' },
      { run: 2, x: 20, label: '20' },
    ]);
    assert.ok(parseToWebview({ type: 'results/state', table }), 'the table passes the protocol check');
    // Sorting: descending by MVBench, and by videomme with runs lacking it last in either direction.
    assert.deepEqual(
      sortOrder(
        table.runs.map((r) => r.values[0]!),
        'descending',
      ),
      [2, 1, 0],
    );
    assert.deepEqual(sortOrder([null, 3, 1, null, 2], 'ascending'), [2, 4, 1, 0, 3]);
    assert.deepEqual(sortOrder([null, 3, 1, null, 2], 'descending'), [1, 4, 2, 0, 3]);
    assert.deepEqual(sortOrder(['b', 'a', 'c'], 'ascending'), [1, 0, 2]);
    // The plot: one line per benchmark (not per sub-task), a point per run that has the score.
    const series = sweepSeries(
      table.sweeps[0]!.points,
      [0, 2],
      table.runs.map((r) => r.values),
    );
    assert.deepEqual(series, [
      {
        column: 0,
        points: [
          { x: 0, y: 10, run: 0 },
          { x: 10, y: 20, run: 1 },
          { x: 20, y: 30, run: 2 },
        ],
      },
      { column: 2, points: [{ x: 0, y: 50, run: 0 }] },
    ]);
    assert.equal(parentTask('videomme_w_subtitle', new Set(['videomme', 'videomme_w_subtitle'])), 'videomme');
    assert.equal(parentTask('mlvu_dev', new Set(['mlvu_dev', 'mvbench'])), undefined);
    // Runs with the same folder name keep names of their own.
    const twin = path.join(dir, 'other', 'run-0');
    writeBench(twin, 'mvbench', { a: [1, 2] });
    assert.deepEqual(
      uniqueNames([runs[0]!, readRunResults(twin)], dir).map((r) => r.name),
      [path.join('runs', 'run-0'), path.join('other', 'run-0')],
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('t2vid results: bench_results beside lmms-eval, a sweep section, --sweep', () => {
  const dir = tmp();
  try {
    const outputs = sweepRuns(dir, ['0', '10', '20'], [null, null, null]);
    const other = path.join(dir, 'runs', 'video-only');
    writeLmms(other, '20261101_120000', lmmsResults({ videomme: [50.5, 2700] }, 'videomme_perception_score'));
    const r = spawnSync(process.execPath, [CLI, 'results', ...outputs, other, '--baseline', 'run-0'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /\| mvbench \| accuracy \(run_bench\) \| 10 \| 20 \| \+10\.00 \| 30 \| \+20\.00 \| {2}\| {2}\|/);
    assert.match(r.stdout, /Sweep sweep-a — x: swept value\n/);
    assert.match(
      r.stdout,
      /\| swept value \| run \| mvbench · accuracy \(run_bench\) \|\n\| --- \| --- \| ---: \|\n\| 0 \| run-0 \| 10 \|\n\| 10 \| run-1 \| 20 \|\n\| 20 \| run-2 \| 30 \|/,
    );
    const only = spawnSync(process.execPath, [CLI, 'results', ...outputs, other, '--sweep', 'sweep-a', '--json'], { encoding: 'utf8' });
    assert.equal(only.status, 0, only.stderr);
    const json = JSON.parse(only.stdout) as { runs: string[]; sweeps: Array<{ points: Array<{ run: string; x: number }> }> };
    assert.deepEqual(json.runs, ['run-0', 'run-1', 'run-2']);
    assert.deepEqual(
      json.sweeps[0]!.points.map((p) => [p.run, p.x]),
      [
        ['run-0', 0],
        ['run-1', 10],
        ['run-2', 20],
      ],
    );
    assert.equal(spawnSync(process.execPath, [CLI, 'results', other, '--sweep', 'nope'], { encoding: 'utf8' }).status, 2);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test(
  'a real local sweep with an evaluation step: each evaluation is a run of its own in <fine-tune>/eval, x from the mixes',
  { timeout: 120_000 },
  async () => {
    const dir = tmp();
    try {
      const datasets = [
        ['mix-0', 0, 100],
        ['mix-15', 15, 85],
      ].map(([name, synthetic, video]) => {
        const set = path.join(dir, 'sets', String(name));
        writeMixManifest(set, Number(synthetic), Number(video), null);
        return path.join(set, 'samples.jsonl');
      });
      // The evaluation writes an lmms-eval results file, as lmms-eval does, into its output ($T2VID_OUTPUT).
      const evaluate = [
        'case "$T2VID_OUTPUT" in *mix-15*) s=61.5 ;; *) s=55 ;; esac',
        'mkdir -p "$T2VID_OUTPUT/ckpt"',
        'printf \'{"results": {"videomme": {"alias": "videomme", "videomme_perception_score,none": %s}}, "n-samples": {"videomme": {"effective": 2700}}}\' "$s" > "$T2VID_OUTPUT/ckpt/20261129_050000_results.json"',
      ].join('\n');
      const out = path.join(dir, 'sweep');
      const spec = validateTaskSpec(
        {
          kind: 'finetune',
          framework: 'custom',
          target: 'local',
          output: out,
          datasets,
          command: ['/bin/sh', '-c', 'echo trained on "$T2VID_DATASET"'],
          evaluate: { framework: 'custom', command: ['/bin/sh', '-c', evaluate] },
        },
        't',
      );
      const runs = await startSweep(spec);
      assert.deepEqual(
        runs.map((r) => [r.spec.kind, r.state, path.relative(out, r.spec.output)]),
        [
          ['finetune', 'done', 'mix-0'],
          ['eval', 'done', path.join('mix-0', 'eval')],
          ['finetune', 'done', 'mix-15'],
          ['eval', 'done', path.join('mix-15', 'eval')],
        ],
      );
      // The fine-tune's folder does not take its evaluation's scores (that is another run); it stands for it in the CLI.
      assert.deepEqual(readRunResults(path.join(out, 'mix-0')).scores, []);
      assert.equal(evaluationFolder(path.join(out, 'mix-0')), path.join(out, 'mix-0', 'eval'));
      const evals = ['mix-0', 'mix-15'].map((n) => readRunResults(path.join(out, n, 'eval')));
      assert.deepEqual(
        evals.map((r) => [r.name, r.dataset, r.scores.map((s) => s.value)]),
        [
          ['mix-0/eval', datasets[0], [55]],
          ['mix-15/eval', datasets[1], [61.5]],
        ],
      );
      const sweep = sweepGroups(evals)[0]!;
      assert.equal(sweep.kind, 'synthetic-share');
      assert.deepEqual(
        sweep.points.map((p) => [p.run, p.x]),
        [
          ['mix-0/eval', 0],
          ['mix-15/eval', 15],
        ],
      );
      const r = spawnSync(process.execPath, [CLI, 'results', path.join(out, 'mix-0'), path.join(out, 'mix-15')], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /\| 0 % \| mix-0\/eval \| 55 \|\n\| 15 % \| mix-15\/eval \| 61\.50 \|/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);
