/**
 * Evaluation results: the real lmms-eval file in ../shared/data/eval-results, and MVBench/TempCompass files written
 * here in lmms-eval's layout (sub-tasks with n-samples, no group score): the sample-weighted group score by hand,
 * runs compared with deltas, CSV and Markdown exactly, garbage reported with its file, and `t2vid results`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { compareRuns, comparisonCsv, comparisonMarkdown, parseLmmsResults, readRunResults } from '../../src/core/tasks/results';
import { repoRoot, sharedData } from '../support/helpers';
import { lmmsResults } from '../support/results';

const CLI = path.join(repoRoot(), 'dist', 'cli.js');

function run(dir: string, name: string, stamp: string, content: string): string {
  const folder = path.join(dir, name, 'Qwen__Qwen2-VL-7B-Instruct');
  fs.mkdirSync(folder, { recursive: true });
  fs.writeFileSync(path.join(folder, `${stamp}_results.json`), content);
  return path.join(dir, name);
}

test('the real lmms-eval file: MME scores with their sample count, stderr keys left out', () => {
  const dir = sharedData('eval-results', 'qwen2.5-vl-7b-mme-hf-bf16');
  const r = readRunResults(dir);
  assert.equal(r.files.length, 1);
  assert.deepEqual(
    r.scores.map((s) => [s.task, s.metric, Math.round(s.value * 1000) / 1000, s.n]),
    [
      ['mme', 'mme_cognition_score', 626.429, 2374],
      ['mme', 'mme_perception_score', 1680.317, 2374],
    ],
  );
});

test('MVBench sub-tasks: the group score is sample-weighted and marked as ours; TempCompass by prefix', () => {
  const mv = lmmsResults(
    { mvbench_action_sequence: [70, 200], mvbench_object_shuffle: [40, 100], mvbench_scene_transition: [90, 200] },
    'mvbench_accuracy',
  );
  const parsed = parseLmmsResults('a_results.json', mv);
  const group = parsed.scores.find((s) => s.task === 'mvbench')!;
  assert.equal(group.value, (70 * 200 + 40 * 100 + 90 * 200) / 500);
  assert.equal(group.n, 500);
  assert.equal(group.computed, true);
  const tc = parseLmmsResults(
    'b_results.json',
    JSON.stringify({
      results: { tempcompass_multi_choice: { 'avg_accuracy,none': 60 }, tempcompass_yes_no: { 'avg_accuracy,none': 70 } },
      'n-samples': { tempcompass_multi_choice: { effective: 1580 }, tempcompass_yes_no: { effective: 2453 } },
    }),
  );
  const t = tc.scores.find((s) => s.task === 'tempcompass')!;
  assert.ok(Math.abs(t.value - (60 * 1580 + 70 * 2453) / 4033) < 1e-9);
  assert.throws(() => parseLmmsResults('x_results.json', '{"results": 3}'), /x_results\.json: \$\.results: not an lmms-eval results file/);
  assert.throws(() => parseLmmsResults('y_results.json', '{oops'), /y_results\.json: not valid JSON/);
});

test('runs compared: deltas against the baseline, later files override, CSV and Markdown exactly', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 't2vid-results-'));
  try {
    const base = run(dir, 'video-only', '20261101_120000', lmmsResults({ videomme: [50.5, 2700] }, 'videomme_perception_score'));
    const mix = run(dir, 'mix-33', '20261101_120000', lmmsResults({ videomme: [51, 2700] }, 'videomme_perception_score'));
    run(dir, 'mix-33', '20261102_090000', lmmsResults({ videomme: [52.25, 2700] }, 'videomme_perception_score'));
    fs.writeFileSync(path.join(mix, 'Qwen__Qwen2-VL-7B-Instruct', '20261103_000000_results.json'), 'garbage');
    const errors: string[] = [];
    const runs = [readRunResults(base), readRunResults(mix, (m) => errors.push(m))];
    assert.equal(errors.length, 1);
    assert.match(errors[0]!, /20261103_000000_results\.json: not valid JSON/);
    const c = compareRuns(runs, 'video-only');
    assert.deepEqual(c.rows, [
      { task: 'videomme', metric: 'videomme_perception_score', computed: false, values: [50.5, 52.25], deltas: [0, 1.75] },
    ]);
    assert.equal(c.reference.length, 4, 'the paper’s Video-MME numbers as reference');
    assert.equal(comparisonCsv(c), 'task,metric,video-only,mix-33,Δ mix-33\nvideomme,videomme_perception_score,50.50,52.25,+1.75\n');
    const md = comparisonMarkdown(c);
    assert.ok(
      md.startsWith(
        '| task | metric | video-only | mix-33 | Δ mix-33 |\n| --- | --- | ---: | ---: | ---: |\n| videomme | videomme_perception_score | 50.50 | 52.25 | +1.75 |\n',
      ),
    );
    assert.match(md, /- videomme: 53 — MiniCPM-Llama3-V 2\.5, 10K T2Vid \+ 20K video samples/);
    assert.throws(() => compareRuns(runs, 'nope'), /the baseline "nope" is not one of the runs/);
    // The CLI: the same table, the CSV file, exit codes.
    const csv = path.join(dir, 'out.csv');
    const r = spawnSync(process.execPath, [CLI, 'results', base, mix, '--baseline', 'video-only', '--csv', csv], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(fs.readFileSync(csv, 'utf8'), comparisonCsv(c));
    assert.match(r.stdout, /\| videomme \| videomme_perception_score \| 50\.50 \| 52\.25 \| \+1\.75 \|/);
    assert.equal(spawnSync(process.execPath, [CLI, 'results', path.join(dir, 'empty')], { encoding: 'utf8' }).status, 1);
    assert.equal(spawnSync(process.execPath, [CLI, 'results', base, '--baseline', 'nope'], { encoding: 'utf8' }).status, 2);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
