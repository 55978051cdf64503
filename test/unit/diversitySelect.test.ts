/**
 * Diversity-aware selection: hand-checkable cases over small embeddings (two clusters, near-duplicates, K larger than
 * the pool, K = 0, ties broken by the seed, the greedy step against brute force), the real shared files (L-Eval
 * instructions chosen against MVBench raise the combined Vendi score more than a random choice), and `t2vid select`
 * through the built CLI (JSON shape; the written lines are the input's lines; L-Eval records narrowed; usage errors).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import type { EmbeddingSet } from '../../src/core/diversity/embeddings';
import { sifEmbeddings } from '../../src/core/diversity/embeddings';
import { readInstructionSet } from '../../src/core/diversity/measure';
import { concatRows, selectDiverse, selectionMetrics, writeSelection } from '../../src/core/diversity/select';
import { symmetricEigenvalues, vendiFromEigenvalues } from '../../src/core/diversity/semantic';
import { seededRandom, words } from '../../src/core/diversity/text';
import { SELECT_ARGS, SELECT_HELP, type SelectReport } from '../../src/cli/select';
import { SELECT_METHODS } from '../../src/shared/diversity';
import { repoRoot, sharedData, tempDir } from '../support/helpers';

const CLI = path.join(repoRoot(), 'dist', 'cli.js');
const MVBENCH = sharedData('video-instructions', 'mvbench.jsonl');
const LEVAL = fs
  .readdirSync(sharedData('long-text'))
  .filter((f) => f.startsWith('leval-'))
  .sort()
  .map((f) => sharedData('long-text', f));

/** Unit rows from plain vectors (a zero vector: no embedding). */
function set(vectors: number[][]): EmbeddingSet {
  const d = vectors[0]!.length;
  const rows = new Float32Array(vectors.length * d);
  const present = new Uint8Array(vectors.length);
  vectors.forEach((v, i) => {
    const norm = Math.hypot(...v);
    if (norm > 0) {
      present[i] = 1;
      v.forEach((x, t) => (rows[i * d + t] = x / norm));
    }
  });
  return { dimensions: d, rows, present, count: vectors.length };
}

// Cluster A: rows 0–4 around e1 (pairwise cos > 0.99); cluster B: rows 5–6 around e2; row 7: no embedding.
const TWO_CLUSTERS = set([
  [1, 0.01, 0],
  [1, 0.02, 0.01],
  [1, 0, 0.02],
  [1, 0.03, 0],
  [1, 0.01, 0.03],
  [0.02, 1, 0],
  [0, 1, 0.01],
  [0, 0, 0],
]);
const inA = (i: number): boolean => i <= 4;
const inB = (i: number): boolean => i === 5 || i === 6;

test('vendi and facility pick from both clusters; threshold keeps one of each', () => {
  for (const method of SELECT_METHODS) {
    for (const seed of [1, 2, 3]) {
      const { picked } = selectDiverse(TWO_CLUSTERS, undefined, { k: 2, method, seed });
      assert.equal(picked.length, 2, `${method} seed ${seed}`);
      assert.ok(picked.some(inA) && picked.some(inB), `${method} seed ${seed}: ${picked.join(',')} spans both clusters`);
    }
  }
});

test('against a set covering cluster A, the first choice is from cluster B', () => {
  const against = set([
    [1, 0, 0],
    [1, 0.01, 0.01],
  ]);
  for (const method of SELECT_METHODS) {
    const { picked } = selectDiverse(TWO_CLUSTERS, against, { k: 1, method, seed: 7 });
    assert.ok(inB(picked[0]!), `${method} picked ${picked[0]}`);
  }
  // Threshold: every cluster-A row is within τ = 0.9 of the set, so only cluster B can be kept (one of its two).
  const r = selectDiverse(TWO_CLUSTERS, against, { k: 5, method: 'threshold', seed: 1 });
  assert.equal(r.picked.length, 1);
  assert.ok(inB(r.picked[0]!));
  assert.match(r.shortfall ?? '', /only 1 of the 7 pool instructions have a cosine similarity ≤ τ = 0\.9/);
});

test('threshold drops near-duplicates and honours τ', () => {
  const pool = set([
    [1, 0, 0],
    [1, 0.05, 0], // cos 0.9988 to row 0
    [1, 0, 0.05],
    [0, 1, 0],
    [0.6, 0.8, 0], // cos 0.6 to row 0, 0.8 to row 3
  ]);
  const kept = selectDiverse(pool, undefined, { k: 10, method: 'threshold', seed: 1, tau: 0.9 }).picked;
  // One of the three near-identical rows, row 3 and row 4 (cos ≤ 0.8 to everything else).
  assert.equal(kept.filter((i) => i <= 2).length, 1);
  assert.ok(kept.includes(3) && kept.includes(4));
  assert.equal(kept.length, 3);
  // τ = 0.7: rows 3 and 4 (cos 0.8) cannot both stay.
  const strict = selectDiverse(pool, undefined, { k: 10, method: 'threshold', seed: 1, tau: 0.7 }).picked;
  assert.ok(!(strict.includes(3) && strict.includes(4)));
  for (const a of strict) {
    for (const b of strict) {
      if (a !== b) {
        let c = 0;
        for (let t = 0; t < 3; t++) {
          c += pool.rows[a * 3 + t]! * pool.rows[b * 3 + t]!;
        }
        assert.ok(c <= 0.7, `kept ${a} and ${b} at cos ${c}`);
      }
    }
  }
});

test('K larger than the pool takes every row with an embedding; K = 0 and a bad τ are errors', () => {
  for (const method of ['vendi', 'facility'] as const) {
    const r = selectDiverse(TWO_CLUSTERS, undefined, { k: 100, method, seed: 1 });
    assert.deepEqual(
      r.picked.slice().sort((a, b) => a - b),
      [0, 1, 2, 3, 4, 5, 6],
    );
    assert.equal(r.random.length, 7);
    assert.match(r.shortfall ?? '', /only 7 instructions with an embedding \(of 8\)/);
  }
  assert.throws(() => selectDiverse(TWO_CLUSTERS, undefined, { k: 0, method: 'vendi' }), /K must be a whole number ≥ 1, got 0/);
  assert.throws(() => selectDiverse(TWO_CLUSTERS, undefined, { k: 1.5, method: 'vendi' }), /K must be a whole number/);
  assert.throws(() => selectDiverse(TWO_CLUSTERS, undefined, { k: 1, method: 'threshold', tau: 2 }), /τ must be a cosine/);
});

test('deterministic for a seed; ties broken by the seed', () => {
  const identical = set(Array.from({ length: 12 }, () => [1, 2, 3]));
  for (const method of SELECT_METHODS) {
    const firsts = new Set<number>();
    for (let seed = 0; seed < 12; seed++) {
      const a = selectDiverse(identical, undefined, { k: 1, method, seed }).picked;
      const b = selectDiverse(identical, undefined, { k: 1, method, seed }).picked;
      assert.deepEqual(a, b, `${method} seed ${seed}`);
      firsts.add(a[0]!);
    }
    assert.ok(firsts.size >= 4, `${method}: the seed decides among equal rows (${[...firsts].join(',')})`);
  }
  const random = seededRandom(5);
  const pool = set(Array.from({ length: 60 }, () => Array.from({ length: 8 }, () => random() - 0.5)));
  for (const method of SELECT_METHODS) {
    assert.deepEqual(
      selectDiverse(pool, undefined, { k: 10, method, seed: 3 }),
      selectDiverse(pool, undefined, { k: 10, method, seed: 3 }),
    );
  }
});

test('each greedy vendi step is the exact best gain in the order-2 Vendi score (brute force over eigenvalues)', () => {
  const random = seededRandom(9);
  const d = 6;
  const pool = set(Array.from({ length: 25 }, () => Array.from({ length: d }, () => random() - 0.3)));
  const against = set(Array.from({ length: 8 }, () => Array.from({ length: d }, () => random())));
  const { picked } = selectDiverse(pool, against, { k: 6, method: 'vendi', seed: 1 });
  const vendi2 = (rows: EmbeddingSet, q: number): number => {
    const cov = new Float64Array(d * d);
    for (let i = 0; i < rows.count; i++) {
      for (let a = 0; a < d; a++) {
        for (let b = 0; b < d; b++) {
          cov[a * d + b]! += (rows.rows[i * d + a]! * rows.rows[i * d + b]!) / rows.count;
        }
      }
    }
    return vendiFromEigenvalues(symmetricEigenvalues(cov, d), q);
  };
  const chosen: number[] = [];
  let previous1 = vendi2(against, 1);
  for (const pick of picked) {
    let best = -1;
    let bestScore = -Infinity;
    for (let j = 0; j < pool.count; j++) {
      if (!chosen.includes(j)) {
        const score = vendi2(concatRows([{ set: against }, { set: pool, indices: [...chosen, j] }]), 2);
        if (score > bestScore + 1e-9) {
          bestScore = score;
          best = j;
        }
      }
    }
    const got = vendi2(concatRows([{ set: against }, { set: pool, indices: [...chosen, pick] }]), 2);
    assert.ok(Math.abs(got - bestScore) < 1e-6, `step ${chosen.length}: picked ${pick} (${got}), best ${best} (${bestScore})`);
    chosen.push(pick);
    const now1 = vendi2(concatRows([{ set: against }, { set: pool, indices: chosen }]), 1);
    assert.ok(now1 > previous1, `order-1 Vendi rises at step ${chosen.length}: ${previous1} → ${now1}`);
    previous1 = now1;
  }
});

test('shared files: 200 L-Eval instructions chosen against MVBench raise the combined Vendi score more than a random 200', async () => {
  const pool = (await readInstructionSet({ label: 'leval', files: LEVAL })).instructions.map((i) => i.text);
  const video = (await readInstructionSet({ label: 'mvbench', files: [MVBENCH] })).instructions.map((i) => i.text);
  const poolSet = sifEmbeddings(pool.map((t) => words(t)));
  const videoSet = sifEmbeddings(video.map((t) => words(t)));
  const vendiOf = (indices: number[]): number =>
    selectionMetrics([...video, ...indices.map((i) => pool[i]!)], {
      embeddings: concatRows([{ set: videoSet }, { set: poolSet, indices }]),
    }).vendi.value!;
  const alone = vendiOf([]);
  for (const method of SELECT_METHODS) {
    const r = selectDiverse(poolSet, videoSet, { k: 200, method, seed: 1 });
    const chosen = vendiOf(r.picked);
    const random = vendiOf(r.random);
    console.log(
      `MVBench ${video.length} alone: Vendi ${alone.toFixed(3)}; + ${r.picked.length} L-Eval by ${method}: ${chosen.toFixed(3)}; + random ${r.random.length}: ${random.toFixed(3)}`,
    );
    if (method === 'vendi') {
      assert.equal(r.picked.length, 200);
      assert.ok(chosen > random, `vendi selection ${chosen} > random ${random}`);
      assert.ok(random > alone);
    }
  }
});

function t2vid(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

test('t2vid select --json: the shape, and the written lines are the input lines in input order', (t) => {
  const dir = tempDir(t);
  const pool = path.join(dir, 'pool.jsonl');
  // 60 MVBench lines (one instruction each) as the pool, CRLF kept on one line, against a TempCompass-like set.
  const lines = fs.readFileSync(MVBENCH, 'utf8').split('\n').slice(0, 60);
  lines[7] = `${lines[7]}\r`;
  fs.writeFileSync(pool, lines.join('\n') + '\n');
  const against = path.join(dir, 'against.jsonl');
  fs.writeFileSync(against, fs.readFileSync(MVBENCH, 'utf8').split('\n').slice(2000, 2100).join('\n') + '\n');
  const out = path.join(dir, 'chosen.jsonl');
  const r = t2vid(['select', pool, '--k', '15', '--against', against, '--out', out, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as SelectReport;
  assert.equal(report.method, 'vendi');
  assert.equal(report.chosen, 15);
  assert.equal(report.pool.instructions, 60);
  assert.equal(report.against?.instructions, 100);
  assert.equal(report.written.records, 15);
  assert.equal(report.written.copied, 15);
  assert.equal(report.selection.length, 15);
  for (const phase of ['before', 'selected', 'random'] as const) {
    for (const id of ['distinct-2', 'template-concentration', 'vendi', 'vendi-tfidf', 'mean-cosine-distance'] as const) {
      const m = report.metrics[phase]![id];
      assert.equal(typeof m.value, 'number', `${phase} ${id}`);
      assert.ok(m.definition.length > 10 && m.sampleSize > 0);
    }
  }
  assert.equal(report.metrics.selected.vendi.sampleSize, 115);
  const written = fs.readFileSync(out);
  assert.equal(written[written.length - 1], 0x0a);
  const outLines = written.toString('utf8').slice(0, -1).split('\n');
  const at = outLines.map((l) => lines.indexOf(l));
  assert.ok(
    at.every((i) => i >= 0),
    'every written line is an input line, byte for byte',
  );
  assert.deepEqual(
    at,
    at.slice().sort((a, b) => a - b),
    'in input order',
  );
  assert.deepEqual(
    at.map((i) => i + 1).sort((a, b) => a - b),
    report.selection.map((s) => s.line).sort((a, b) => a - b),
  );
});

test('t2vid select on L-Eval: records narrowed to the chosen instructions, outputs aligned', (t) => {
  const dir = tempDir(t);
  const file = LEVAL.find((f) => f.endsWith('news_summ.jsonl')) ?? LEVAL[0]!;
  const out = path.join(dir, 'chosen.jsonl');
  const r = t2vid(['select', file, '--k', '9', '--method', 'facility', '--out', out, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as SelectReport;
  assert.equal(report.written.instructions, 9);
  assert.equal(report.metrics.before, null);
  const source = fs.readFileSync(file, 'utf8').split('\n');
  let instructions = 0;
  for (const line of fs.readFileSync(out, 'utf8').trimEnd().split('\n')) {
    const record = JSON.parse(line) as { instructions: string[]; outputs: string[]; input: string };
    const original = source.map((l) => (l.trim() ? (JSON.parse(l) as typeof record) : undefined)).find((o) => o?.input === record.input)!;
    assert.ok(original, 'the record comes from the input');
    record.instructions.forEach((ins, i) => {
      const j = original.instructions.indexOf(ins);
      assert.ok(j >= 0);
      assert.equal(record.outputs[i], original.outputs[j], 'outputs stay with their instructions');
    });
    if (record.instructions.length === original.instructions.length) {
      assert.ok(source.includes(line), 'a whole record is its line, byte for byte');
    }
    instructions += record.instructions.length;
  }
  assert.equal(instructions, 9);
});

test('t2vid select: usage errors, bad lines with file and line, --out equal to an input refused', (t) => {
  const dir = tempDir(t);
  const pool = path.join(dir, 'pool.jsonl');
  fs.writeFileSync(
    pool,
    '{"prompt": "Describe the video."}\n{"prompt": \n{"prompt": "Count the red cars."}\n{"prompt": "What happens first?"}\n',
  );
  const out = path.join(dir, 'out.jsonl');
  const zero = t2vid(['select', pool, '--k', '0', '--out', out]);
  assert.equal(zero.code, 2);
  assert.match(zero.stderr, /--k takes a whole number ≥ 1, got "0"/);
  assert.equal(t2vid(['select', pool, '--out', out]).code, 2);
  assert.equal(t2vid(['select', pool, '--k', '2']).code, 2);
  assert.match(t2vid(['select', pool, '--k', '2', '--out', path.join(dir, 'x.json')]).stderr, /JSON Lines/);
  assert.match(t2vid(['select', pool, '--k', '2', '--out', out, '--method', 'best']).stderr, /--method must be vendi, facility, threshold/);
  assert.match(t2vid(['select', pool, '--k', '2', '--out', out, '--tau', '0.5']).stderr, /--tau applies to --method threshold/);
  assert.match(t2vid(['select', pool, '--k', '2', '--out', out, '--base-url', 'http://x']).stderr, /apply to --embeddings api/);
  const same = t2vid(['select', pool, '--k', '2', '--out', pool]);
  assert.equal(same.code, 2);
  assert.match(same.stderr, /is the input/);
  const big = t2vid(['select', pool, '--k', '50', '--out', out, '--json']);
  assert.equal(big.code, 0, big.stderr);
  assert.ok(big.stderr.includes(`${pool}:2:`), big.stderr);
  assert.match(big.stderr, /3 chosen of --k 50/);
  assert.equal((JSON.parse(big.stdout) as SelectReport).chosen, 3);
  assert.equal(
    fs.readFileSync(out, 'utf8'),
    '{"prompt": "Describe the video."}\n{"prompt": "Count the red cars."}\n{"prompt": "What happens first?"}\n',
  );
  const text = t2vid(['select', pool, '--k', '2', '--out', out]);
  assert.equal(text.code, 0);
  assert.match(text.stdout, /Vendi score \(word vectors\)/);
  assert.match(text.stdout, /wrote 2 records holding 2 instructions/);
  const help = t2vid(['select', '--help']);
  assert.equal(help.stdout, SELECT_HELP);
  for (const flag of Object.keys(SELECT_ARGS)) {
    assert.ok(SELECT_HELP.includes(`--${flag}`), `--${flag} in the help`);
  }
});

test('writeSelection: JSON arrays and Parquet become JSON lines; a *.t2vid.jsonl record is narrowed with its statuses', async (t) => {
  const dir = tempDir(t);
  const array = path.join(dir, 'set.json');
  fs.writeFileSync(array, JSON.stringify([{ prompt: 'First?' }, { prompt: 'Second?' }, { prompt: 'Third?' }], null, 2));
  const { parquetWriteBuffer } = await import('hyparquet-writer');
  const parquet = path.join(dir, 'set.parquet');
  fs.writeFileSync(
    parquet,
    new Uint8Array(
      parquetWriteBuffer({
        columnData: [
          { name: 'question', data: ['Row one?', 'Row two?'], type: 'STRING' },
          { name: 'n', data: [1n, 2n], type: 'INT64' },
        ],
      }),
    ),
  );
  const qa = path.join(dir, 'pool.t2vid.jsonl');
  const record = {
    context: 'text',
    qa: [
      { question: 'Q zero?', answer: 'a0' },
      { question: 'Q one?', answer: 'a1', status: 'rejected' },
      { question: 'Q two?', answer: 'a2' },
    ],
    t2vid_review: ['accepted', 'new', 'edited'],
  };
  const whole = JSON.stringify({ context: 'other', qa: [{ question: 'Only one?', answer: 'x' }] });
  fs.writeFileSync(qa, `${JSON.stringify(record)}\n${whole}\n`);
  const { instructions } = await readInstructionSet({ label: 'pool', files: [array, parquet, qa] });
  assert.deepEqual(
    instructions.map((i) => i.text),
    ['First?', 'Second?', 'Third?', 'Row one?', 'Row two?', 'Q zero?', 'Q two?', 'Only one?'],
  );
  const out = path.join(dir, 'out.jsonl');
  const written = await writeSelection(instructions, [1, 4, 6, 7], out);
  assert.deepEqual(written, { records: 4, copied: 1, narrowed: 1, converted: 2, instructions: 4 });
  assert.deepEqual(fs.readFileSync(out, 'utf8').trimEnd().split('\n'), [
    JSON.stringify({ prompt: 'Second?' }),
    JSON.stringify({ question: 'Row two?', n: 2 }),
    JSON.stringify({ ...record, qa: [record.qa[2]], t2vid_review: ['edited'] }),
    whole,
  ]);
});
