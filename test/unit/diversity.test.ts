/**
 * The diversity metrics on hand-computable sets (empty, one, identical, orthogonal, non-English) and the instruction
 * extraction from every format it reads.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import type { ReadIssue } from '../../src/core/model';
import { cleanInstruction, readInstructions, type Instruction } from '../../src/core/diversity/instructions';
import {
  distinctN,
  eadN,
  expectedDistinct,
  intern,
  lengthStats,
  mattr,
  nearDuplicates,
  templateConcentration,
} from '../../src/core/diversity/lexical';
import { MEASURE_PHASES, measureInstructions, measureInstructionsAsync } from '../../src/core/diversity/measure';
import { clusterEntropy, meanCosineDistanceDense, vendiDense, vendiFromEigenvalues } from '../../src/core/diversity/semantic';
import { verbAndObject } from '../../src/core/diversity/verbNoun';
import { words } from '../../src/core/diversity/text';
import type { EmbeddingSet } from '../../src/core/diversity/embeddings';
import { duckdbParquet } from '../support/duckdb';
import { sharedData, tempDir } from '../support/helpers';

const tok = (texts: string[]): string[][] => texts.map((t) => words(t));
const close = (actual: number | null, expected: number, tolerance = 1e-9): void =>
  assert.ok(actual !== null && Math.abs(actual - expected) <= tolerance, `${actual} ≈ ${expected}`);

function dense(rows: number[][]): EmbeddingSet {
  const d = rows[0]!.length;
  const out = new Float32Array(rows.length * d);
  rows.forEach((r, i) => {
    const norm = Math.hypot(...r);
    r.forEach((x, k) => (out[i * d + k] = x / norm));
  });
  return { dimensions: d, rows: out, present: new Uint8Array(rows.length).fill(1), count: rows.length };
}

test('distinct-n by hand: "a b a" + "a b c"', () => {
  const set = intern(tok(['a b a', 'a b c']));
  close(distinctN(set, 1).value, 3 / 6); // a b a a b c
  close(distinctN(set, 2).value, 3 / 4); // ab ba | ab bc
  close(distinctN(set, 3).value, 2 / 2); // aba | abc
  assert.equal(distinctN(set, 2).sampleSize, 2);
  assert.match(distinctN(set, 2).definition, /unique word 2-grams ÷ all word 2-grams \(4 here\)/);
});

test('EAD follows the paper: N ÷ V(1 − ((V−1)/V)^C)', () => {
  close(expectedDistinct(10, 3), 10 * (1 - 0.9 ** 3));
  close(expectedDistinct(10, 0), 0);
  // Huge V: the expectation tends to C (every draw new), computed without cancellation.
  close(expectedDistinct(341_479 ** 3, 1000), 1000, 1e-6);
  const set = intern(tok(['a b a', 'a b c']));
  close(eadN(set, 1, 10).value, 3 / (10 * (1 - 0.9 ** 6)));
  close(eadN(set, 2, 10).value, 3 / (100 * (1 - 0.99 ** 4)));
  // A longer set with the same distinct share gets a higher EAD than distinct-n (the bias it corrects).
  const long = intern([Array.from({ length: 1000 }, (_, i) => `w${i % 500}`)]);
  assert.ok(eadN(long, 1, 1000).value! > distinctN(long, 1).value!);
});

test('MATTR, length quantiles, template concentration by hand', () => {
  close(mattr(intern(tok(['a b a b'])), 3).value, 2 / 3); // aba, bab
  close(mattr(intern(tok(['a b', 'a b'])), 2).value, 1); // ab ba ab
  close(mattr(intern(tok(['a a b'])), 50).value, 2 / 3); // fewer words than the window: TTR of all
  const lengths = lengthStats(intern(tok(['a', 'a b', 'a b c', 'a b c d'])));
  close(lengths.mean.value, 2.5);
  close(lengths.median.value, 2.5);
  close(lengths.p10.value, 1.3);
  close(lengths.p90.value, 3.7);
  const texts = tok(['What is the man doing?', 'What is the man eating?', 'Describe this.']);
  close(templateConcentration(texts).value, 1);
  const top1 = templateConcentration(texts, 1);
  close(top1.value, 2 / 3);
  assert.deepEqual(top1.openings, [{ opening: 'what is the man', count: 2 }]);
});

test('near duplicates: Jaccard of word 3-shingles ≥ 0.8, exact duplicates included', () => {
  const base = 'the quick brown fox jumps over the lazy dog';
  // 7 shingles vs 8, 7 shared: J = 7/8 ≥ 0.8.
  close(nearDuplicates(tok([base, `${base} today`])).value, 1 / 2);
  // J = 7/8 < 0.9: apart at a higher threshold.
  close(nearDuplicates(tok([base, `${base} today`]), { threshold: 0.9 }).value, 0);
  close(nearDuplicates(tok([base, 'an entirely different sentence about cats'])).value, 0);
  close(nearDuplicates(tok([base, base, base])).value, 2 / 3);
  assert.match(nearDuplicates(tok([base])).definition, /≥ 0\.8/);
});

test('Vendi score: orthogonal = n, identical = 1, order q', () => {
  close(
    vendiDense(
      dense([
        [1, 0],
        [0, 1],
      ]),
    ).value,
    2,
    1e-9,
  );
  close(
    vendiDense(
      dense([
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
      ]),
    ).value,
    3,
    1e-9,
  );
  close(
    vendiDense(
      dense([
        [1, 2, 3],
        [1, 2, 3],
        [1, 2, 3],
        [1, 2, 3],
      ]),
    ).value,
    1,
    1e-6,
  );
  close(vendiFromEigenvalues([0.75, 0.25], 2), 1 / (0.75 ** 2 + 0.25 ** 2));
  close(vendiFromEigenvalues([0.5, 0.5], Infinity), 2);
  close(vendiFromEigenvalues([0.5, 0.5], 0.5), 2);
  close(
    meanCosineDistanceDense(
      dense([
        [1, 0],
        [0, 1],
      ]),
    ).value,
    1,
  );
  close(
    meanCosineDistanceDense(
      dense([
        [1, 1],
        [1, 1],
        [1, 1],
      ]),
    ).value,
    0,
    1e-6,
  );
  assert.equal(meanCosineDistanceDense(dense([[1, 0]])).value, null);
  // Four points in two tight, equal groups: k = 2, entropy ln 2 / ln 2 = 1.
  close(
    clusterEntropy(
      dense([
        [1, 0],
        [1, 0.01],
        [0, 1],
        [0.01, 1],
      ]),
    ).value,
    1,
    1e-9,
  );
});

test('the empty set: every metric null, nothing throws', () => {
  const r = measureInstructions([]);
  assert.equal(r.metrics.instructions!.value, 0);
  for (const [id, m] of Object.entries(r.metrics)) {
    if (id !== 'instructions') {
      assert.equal(m.value, null, `${id} of the empty set`);
    }
  }
});

test('one instruction and n identical ones', () => {
  const one = measureInstructions(['Describe the main actions of the man in the video.']);
  close(one.metrics['distinct-1']!.value, 8 / 10); // "the" three times
  close(one.metrics['exact-duplicates']!.value, 0);
  close(one.metrics.vendi!.value, 1, 1e-9);
  assert.equal(one.metrics['mean-cosine-distance']!.value, null);
  const same = measureInstructions(Array.from({ length: 5 }, () => 'What is the man doing?'));
  close(same.metrics['distinct-1']!.value, 5 / 25);
  close(same.metrics['exact-duplicates']!.value, 4 / 5);
  close(same.metrics['near-duplicates']!.value, 4 / 5);
  close(same.metrics['template-concentration']!.value, 1);
  close(same.metrics.vendi!.value, 1, 1e-6);
  close(same.metrics['vendi-tfidf']!.value, 1, 1e-6);
  close(same.metrics['mean-cosine-distance']!.value, 0, 1e-6);
});

test('a non-English set: words by ICU segmentation or letters; verb–noun flagged as English only', () => {
  const r = measureInstructions(['привет мир', 'привет друг']);
  close(r.metrics['distinct-1']!.value, 3 / 4);
  close(r.metrics['distinct-2']!.value, 1);
  assert.equal(r.metrics['verb-noun-coverage']!.value, null);
  assert.equal(r.verbNoun.english, 0);
  assert.match(r.metrics['verb-noun-coverage']!.definition, /English only \(0 of 2 instructions\)/);
  const zh = words('请总结这篇文章的主要内容');
  assert.ok(zh.length >= 4, `Chinese is segmented into words: ${zh.join('|')}`);
  const chinese = measureInstructions(['请总结这篇文章', '请总结这篇文章', '这个视频讲了什么']);
  close(chinese.metrics['exact-duplicates']!.value, 1 / 3);
  assert.equal(chinese.verbNoun.english, 0);
});

test('verb and object: first main verb, head noun of the noun phrase after it', () => {
  assert.deepEqual(verbAndObject('Please summarize these news articles.'), { verb: 'summarize', noun: 'article' });
  assert.deepEqual(verbAndObject('Describe the main actions of the man in the video.'), { verb: 'describe', noun: 'action' });
  assert.deepEqual(verbAndObject('Write a review for this paper.'), { verb: 'write', noun: 'review' });
  // A preposition after the verb: no direct object (as a dependency parse).
  assert.deepEqual(verbAndObject('What happened after the person took the food?'), { verb: 'happen' });
  assert.deepEqual(verbAndObject('Is the lexicon the same for all languages?'), {});
});

test('cleanInstruction strips placeholders, option lists and the answer boilerplate', () => {
  assert.equal(
    cleanInstruction(
      "<video>\nWhat happened after the person took the food?\nA. Ate the medicine.\nB. Tidied up the blanket.\nC. Put down the cup.\nAnswer with the option's letter from the given choices directly.",
    ),
    'What happened after the person took the food?',
  );
  assert.equal(cleanInstruction('<image_00>\n<image_01>\nSummarize the text.'), 'Summarize the text.');
  assert.equal(cleanInstruction('Options:\n(A) red\n(B) blue\nWhich colour is the car?'), 'Which colour is the car?');
  // A single line that starts "A. " is no option list.
  assert.equal(cleanInstruction('A. Lincoln wrote it. Who edited it?'), 'A. Lincoln wrote it. Who edited it?');
});

async function collect(
  file: string,
  options: Parameters<typeof readInstructions>[1] = {},
): Promise<{ got: Instruction[]; issues: ReadIssue[] }> {
  const issues: ReadIssue[] = [];
  const got: Instruction[] = [];
  for await (const i of readInstructions(file, { ...options, onIssue: (issue) => issues.push(issue) })) {
    got.push(i);
  }
  return { got, issues };
}

test('extraction from every format; bad lines reported with file and line, never fatal', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'mixed.jsonl');
  const lines = [
    { question_id: 1, prompt: "What is shown?\nA. a cat\nB. a dog\nAnswer with the option's letter from the given choices directly." },
    { question: 'How fast does the car go?' },
    {
      conversations: [
        { from: 'human', value: '<video>\nWhat is the man holding?' },
        { from: 'gpt', value: 'A cup.' },
      ],
    },
    {
      conversations: [
        { role: 'user', content: '<image_00>\n<image_01>\nSummarize the story.' },
        { role: 'assistant', content: '…' },
      ],
    },
    {
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'image' }, { type: 'text', text: 'Describe the scene.' }] },
      ],
    },
    { input: 'a long document', instructions: ['First question?', 'Second question?'], outputs: ['1', '2'] },
    {
      context: 'doc',
      qa: [
        { question: 'Rejected one?', answer: 'x', status: 'rejected' },
        { question: 'Kept one?', answer: 'y' },
      ],
    },
    { instruction: 'Translate this sentence.', input: 'Bonjour', output: 'Hello' },
    { query: 'What is the capital of France?' },
  ].map((r) => JSON.stringify(r));
  lines.splice(2, 0, '{not json');
  lines.push(JSON.stringify({ text: 'no instruction here' }));
  lines.push(JSON.stringify({ prompt: '<video>' }));
  fs.writeFileSync(file, lines.join('\n') + '\n');
  const { got, issues } = await collect(file);
  assert.deepEqual(
    got.map((i) => i.text),
    [
      'What is shown?',
      'How fast does the car go?',
      'What is the man holding?',
      'Summarize the story.',
      'Describe the scene.',
      'First question?',
      'Second question?',
      'Kept one?',
      'Translate this sentence.',
      'What is the capital of France?',
    ],
  );
  const leval = got.filter((i) => i.text.endsWith('question?'));
  assert.deepEqual(
    leval.map((i) => [i.source.line, i.index]),
    [
      [7, 0],
      [7, 1],
    ],
  );
  assert.deepEqual(
    issues.map((i) => [i.line, i.severity ?? 'skipped']),
    [
      [3, 'skipped'],
      [11, 'skipped'],
      [12, 'skipped'],
    ],
  );
  assert.match(issues[0]!.message, /invalid JSON/);
  assert.match(issues[1]!.message, /no instruction field.*keys here: text/);
  assert.match(issues[2]!.message, /empty once placeholders and options are stripped/);

  // --fields question=PATH: a mapped field; a list of strings counts each.
  const mapped = path.join(dir, 'mapped.json');
  fs.writeFileSync(mapped, JSON.stringify([{ meta: { ask: 'Mapped one?' } }, { meta: { ask: ['A?', 'B?'] } }, { meta: {} }]));
  const m = await collect(mapped, { fields: { question: 'meta.ask' } });
  assert.deepEqual(
    m.got.map((i) => i.text),
    ['Mapped one?', 'A?', 'B?'],
  );
  assert.equal(m.issues.length, 1);
  assert.equal(m.issues[0]!.element, 2);
  assert.match(m.issues[0]!.message, /no field meta\.ask/);

  // A text document holds no instructions: one file issue.
  const txt = path.join(dir, 'doc.txt');
  fs.writeFileSync(txt, 'Just prose.');
  const d = await collect(txt);
  assert.equal(d.got.length, 0);
  assert.equal(d.issues[0]!.unit, 'file');
});

test('extraction from the shared files: MVBench prompts lose their options, L-Eval gives every instruction', async () => {
  const mv = await collect(sharedData('video-instructions', 'mvbench.jsonl'));
  assert.equal(mv.got.length, 3985);
  assert.equal(mv.issues.length, 0);
  assert.equal(mv.got[0]!.text, 'What happened after the person took the food?');
  assert.ok(mv.got.every((i) => !/\nA\. |option's letter/.test(i.text)));
  const leval = await collect(sharedData('long-text', 'leval-coursera.jsonl'));
  assert.equal(leval.got.length, 172);
  assert.equal(leval.got[0]!.text, 'Question 1. What is the main goal of data science?');
});

test('extraction from Parquet (written by DuckDB): the MVBench rows as the JSONL gives them; LLaVA conversations as structs', async (t) => {
  const dir = tempDir(t);
  const jsonl = sharedData('video-instructions', 'mvbench.jsonl');
  const parquet = await duckdbParquet(path.join(dir, 'mvbench.parquet'), `SELECT * FROM read_json_auto('${jsonl}')`, {
    rowGroupSize: 1000,
  });
  const fromParquet = await collect(parquet);
  const fromJsonl = await collect(jsonl);
  assert.equal(fromParquet.issues.length, 0);
  assert.deepEqual(
    fromParquet.got.map((i) => [i.text, i.source.line, i.source.unit]),
    fromJsonl.got.map((i) => [i.text, i.source.line, 'row']),
  );
  const llava = await duckdbParquet(
    path.join(dir, 'llava.parquet'),
    `SELECT * FROM (VALUES
       ([{'from': 'human', 'value': '<video>\nWhat is the dog chasing?'}, {'from': 'gpt', 'value': 'A ball.'}]),
       ([{'from': 'gpt', 'value': 'no user turn'}])
     ) AS t(conversations)`,
  );
  const l = await collect(llava);
  assert.deepEqual(
    l.got.map((i) => i.text),
    ['What is the dog chasing?'],
  );
  assert.equal(l.issues.length, 1);
  assert.equal(l.issues[0]!.unit, 'row');
  assert.equal(l.issues[0]!.line, 2);
  assert.match(l.issues[0]!.message, /conversations has no user turn/);
});

test('measureInstructionsAsync: the same result, each phase reported, cancelled between phases', async () => {
  const texts = ['Describe the main actions of the man.', 'What is the man doing?', 'Summarize the news articles.'];
  const phases: string[] = [];
  const result = await measureInstructionsAsync(texts, { onProgress: (phase) => phases.push(phase) });
  assert.deepEqual(phases, [...MEASURE_PHASES]);
  assert.deepEqual(result, measureInstructions(texts));
  const controller = new AbortController();
  const cancelled = measureInstructionsAsync(texts, {
    signal: controller.signal,
    onProgress: (phase) => phase === 'duplicates' && controller.abort(new Error('cancelled')),
  });
  await assert.rejects(cancelled, /cancelled/);
});
