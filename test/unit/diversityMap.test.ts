/** The diversity map (core/diversity/map.ts): seeded sampling shares, determinism for a seed, sizes, sources kept. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Instruction } from '../../src/core/diversity/instructions';
import { diversityMap, MAP_MAX_POINTS, mapQuotas } from '../../src/core/diversity/map';

const VERBS = ['describe', 'summarize', 'explain', 'list', 'compare', 'identify', 'translate', 'count'];
const OBJECTS = ['the story', 'the paper', 'the main finding', 'each character', 'the weather', 'the method', 'the results'];

function set(file: string, n: number, offset = 0): Instruction[] {
  return Array.from({ length: n }, (_, i) => ({
    text: `${VERBS[(i + offset) % VERBS.length]} ${OBJECTS[(i * 3 + offset) % OBJECTS.length]} in paragraph ${i}`,
    source: { file, line: i + 1 },
    index: 0,
  }));
}

test('quotas: equal shares, what a small set leaves goes to the larger ones, never above a set or the budget', () => {
  assert.deepEqual(mapQuotas([50_000, 300], 10_000), [9_700, 300]);
  assert.deepEqual(mapQuotas([6_000, 6_000], 10_000), [5_000, 5_000]);
  assert.deepEqual(mapQuotas([10, 20], 10_000), [10, 20]);
  assert.deepEqual(mapQuotas([0, 7], 5), [0, 5]);
  assert.deepEqual(mapQuotas([], 10), []);
  const q = mapQuotas([3, 3, 3], 7);
  assert.equal(
    q.reduce((a, b) => a + b, 0),
    7,
  );
  assert.ok(q.every((x) => x <= 3));
});

test('the map is deterministic for a seed and differs for another seed; each point keeps its source and text', async () => {
  const sets = [
    { label: 'a', instructions: set('/data/a.jsonl', 90) },
    { label: 'b', instructions: set('/data/b.jsonl', 60, 3) },
  ];
  const one = await diversityMap(sets, { seed: 7, maxPoints: 100 });
  const again = await diversityMap(sets, { seed: 7, maxPoints: 100 });
  const other = await diversityMap(sets, { seed: 8, maxPoints: 100 });
  assert.deepEqual(one, again);
  assert.notDeepEqual(
    one.points.map((p) => [p.x, p.y]),
    other.points.map((p) => [p.x, p.y]),
  );
  assert.equal(one.method, 'umap');
  assert.deepEqual(one.datasets, ['a', 'b']);
  assert.equal(one.points.length, 100);
  assert.deepEqual(
    one.counts.map((c) => [c.given, c.sampled, c.noEmbedding]),
    [
      [90, 50, 0],
      [60, 50, 0],
    ],
  );
  for (const p of one.points) {
    assert.ok(Number.isFinite(p.x) && Number.isFinite(p.y));
    const source = sets[p.dataset]!.instructions[p.line - 1]!;
    assert.equal(p.file, source.source.file);
    assert.equal(p.text, source.text);
    assert.equal(p.unit, 'line');
  }
  // A seeded sample: the same lines for the same seed, other lines for another.
  const lines = (m: typeof one): string =>
    m.points
      .filter((p) => p.dataset === 0)
      .map((p) => p.line)
      .join(',');
  assert.notEqual(lines(one), lines(other));
  assert.match(one.definition, /UMAP/);
});

test('instructions with no known word are left out and counted; tiny and empty sets; the ceiling', async () => {
  const unknown: Instruction[] = [
    { text: 'qqqzx vvvbnm', source: { file: '/x.jsonl', line: 1 }, index: 0 },
    { text: 'describe the story', source: { file: '/x.jsonl', line: 2 }, index: 0 },
  ];
  const m = await diversityMap([
    { label: 'x', instructions: unknown },
    { label: 'empty', instructions: [] },
  ]);
  assert.equal(m.points.length, 1);
  assert.deepEqual(m.counts, [
    { given: 2, sampled: 2, noEmbedding: 1 },
    { given: 0, sampled: 0, noEmbedding: 0 },
  ]);
  assert.deepEqual([m.points[0]!.x, m.points[0]!.y], [0, 0]);
  assert.deepEqual((await diversityMap([])).points, []);
  // maxPoints above the ceiling is held to it (checked on the quotas, not by projecting 10K points here).
  assert.equal(MAP_MAX_POINTS, 10_000);
  const aborted = new AbortController();
  aborted.abort(new Error('cancelled'));
  await assert.rejects(diversityMap([{ label: 'a', instructions: set('/a', 40) }], { signal: aborted.signal }), /cancelled/);
});
