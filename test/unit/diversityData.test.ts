/**
 * The diversity metrics on the real shared sets: the templated video benchmarks (MVBench, TempCompass) against the
 * L-Eval long-document instructions, in the directions the T2Vid paper reports; and `t2vid diversity --json` through
 * the built CLI (its shape, labels grouping files, usage errors).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { measureInstructions, readInstructionSet, type DiversityResult } from '../../src/core/diversity/measure';
import { DIVERSITY_METRICS, type DiversityMetricId } from '../../src/shared/diversity';
import { DIVERSITY_ARGS, DIVERSITY_HELP, type DiversityReport } from '../../src/cli/diversity';
import { repoRoot, sharedData, tempDir } from '../support/helpers';

const CLI = path.join(repoRoot(), 'dist', 'cli.js');
const MVBENCH = sharedData('video-instructions', 'mvbench.jsonl');
const TEMPCOMPASS = sharedData('video-instructions', 'tempcompass.jsonl');
const LEVAL = fs
  .readdirSync(sharedData('long-text'))
  .filter((f) => f.startsWith('leval-'))
  .sort()
  .map((f) => sharedData('long-text', f));

async function measure(label: string, files: string[], sample?: number): Promise<DiversityResult> {
  const { instructions } = await readInstructionSet({ label, files }, { sample, seed: 1 });
  return measureInstructions(instructions.map((i) => i.text));
}

test('video benchmarks are less diverse than L-Eval: distinct-2, EAD, verb–noun spread, Vendi; more templated', async () => {
  const leval = await measure('leval', LEVAL);
  const size = leval.metrics.instructions!.value!;
  // Verb–noun spread and Vendi compared on equal sizes (the L-Eval set's, seeded samples); the rest on whole sets.
  const sets: Record<string, { all: DiversityResult; same: DiversityResult }> = {
    mvbench: { all: await measure('mvbench', [MVBENCH]), same: await measure('mvbench', [MVBENCH], size) },
    tempcompass: { all: await measure('tempcompass', [TEMPCOMPASS]), same: await measure('tempcompass', [TEMPCOMPASS], size) },
  };
  const show = (id: DiversityMetricId, r: DiversityResult): string => r.metrics[id]!.value!.toFixed(4);
  const ids: DiversityMetricId[] = ['distinct-2', 'ead-2', 'template-concentration', 'verb-noun-distinct', 'vendi', 'vendi-tfidf'];
  for (const id of ids) {
    console.log(
      `${id}: L-Eval ${show(id, leval)} (n=${size}); ` +
        Object.entries(sets)
          .map(([name, s]) => `${name} ${show(id, s.all)} (all), ${show(id, s.same)} (n=${size})`)
          .join('; '),
    );
  }
  for (const [name, s] of Object.entries(sets)) {
    const v = (id: DiversityMetricId, r: DiversityResult): number => r.metrics[id]!.value!;
    assert.ok(v('distinct-2', s.all) < v('distinct-2', leval), `${name} distinct-2`);
    assert.ok(v('ead-2', s.all) < v('ead-2', leval), `${name} EAD-2`);
    assert.ok(v('distinct-2', s.same) < v('distinct-2', leval), `${name} distinct-2 at equal size`);
    assert.ok(v('template-concentration', s.all) > v('template-concentration', leval), `${name} template concentration`);
    assert.ok(v('verb-noun-distinct', s.same) < v('verb-noun-distinct', leval), `${name} verb–noun spread at equal size`);
    assert.ok(v('vendi-tfidf', s.same) < v('vendi-tfidf', leval), `${name} Vendi (TF-IDF) at equal size`);
  }
  // Word-vector Vendi: MVBench is below L-Eval; TempCompass is not (its templated questions name many different
  // objects and actions, which averaged word vectors weigh more than the shared question frames): see the README.
  assert.ok(sets.mvbench!.same.metrics.vendi!.value! < leval.metrics.vendi!.value!, 'MVBench Vendi (word vectors)');
});

function t2vid(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

test('t2vid diversity --json: one object, a dataset per label, every metric with value, sample size and definition', (t) => {
  const dir = tempDir(t);
  const bad = path.join(dir, 'bad.jsonl');
  fs.writeFileSync(bad, '{"prompt": "What is the man doing?"}\n{oops\n{"prompt": "Where is the cat?"}\n');
  const r = t2vid([
    'diversity',
    MVBENCH,
    ...LEVAL.slice(0, 2),
    bad,
    '--label',
    'mvbench',
    '--label',
    'leval',
    '--label',
    'leval',
    '--label',
    'bad',
    '--sample',
    '300',
    '--json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`skipped ${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2: invalid JSON`));
  const report = JSON.parse(r.stdout) as DiversityReport;
  assert.deepEqual(Object.keys(report).sort(), ['datasets', 'embeddings', 'metrics', 'nearThreshold', 'sample', 'seed', 'vendiQ']);
  assert.equal(report.seed, 1);
  assert.equal(report.sample, 300);
  assert.deepEqual(
    report.datasets.map((d) => [d.label, d.files.length, d.metrics.instructions!.value]),
    [
      ['mvbench', 1, 300],
      ['leval', 2, 300],
      ['bad', 1, 2],
    ],
  );
  assert.equal(report.datasets[0]!.instructionsRead, 3985);
  assert.equal(report.datasets[2]!.input.linesSkipped, 1);
  for (const d of report.datasets) {
    for (const { id } of DIVERSITY_METRICS) {
      const m = d.metrics[id as DiversityMetricId];
      assert.ok(m, `${d.label}: ${id}`);
      assert.ok(m.value === null || Number.isFinite(m.value), `${d.label}: ${id} value`);
      assert.equal(typeof m.sampleSize, 'number');
      assert.ok(m.definition.length > 20, `${d.label}: ${id} definition`);
    }
    assert.ok(d.openings.length > 0 && d.openings.length <= 10);
    assert.ok(d.verbNoun.verbs.length <= 20 && d.verbNoun.verbs.every((v) => v.nouns.length <= 4));
  }
  // Deterministic for a seed: the same command gives the same metrics.
  const again = JSON.parse(t2vid(['diversity', MVBENCH, '--sample', '300', '--json']).stdout) as DiversityReport;
  assert.deepEqual(again.datasets[0]!.metrics, report.datasets[0]!.metrics);

  const table = t2vid(['diversity', bad]);
  assert.equal(table.code, 0);
  assert.match(table.stdout, /^metric +bad\n/);
  assert.match(table.stdout, /Vendi score \(word vectors\) +1\.\d\d/);

  assert.equal(t2vid(['diversity']).code, 2);
  assert.match(t2vid(['diversity', bad, '--label', 'a', '--label', 'b']).stderr, /--label is given 2 time\(s\) for 1 file/);
  assert.equal(t2vid(['diversity', bad, '--vendi-q', '0']).code, 2);
  assert.equal(t2vid(['diversity', bad, '--embeddings', 'api']).code, 2);
  const empty = path.join(dir, 'empty.jsonl');
  fs.writeFileSync(empty, '{"text": "no instruction"}\n');
  assert.equal(t2vid(['diversity', empty]).code, 1);
});

test('t2vid diversity --help names every flag; t2vid --help lists the command', () => {
  const help = t2vid(['diversity', '--help']);
  assert.equal(help.code, 0);
  assert.equal(help.stdout, DIVERSITY_HELP);
  for (const flag of Object.keys(DIVERSITY_ARGS)) {
    assert.ok(DIVERSITY_HELP.includes(`--${flag}`), `--${flag} in the help`);
  }
  assert.match(t2vid(['--help']).stdout, /t2vid diversity FILE\.\.\./);
});
