import assert from 'node:assert/strict';
import { test } from 'node:test';
import { budgetText, describeFilters, profileLimits, SampleFilter, scriptWords } from '../../src/core/assemble/filters';
import { llama3Count, llama3Decode, llama3Encode, tokenCounter } from '../../src/core/assemble/tokens';
import type { TrainingSample } from '../../src/core/assemble/trainingSet';
import { modelProfile, visualTokens, type ModelProfile } from '../../src/shared/profiles';
import { levalDocuments } from '../support/helpers';

const profile = (id: string): ModelProfile => modelProfile(id)!;

test('Llama-3 token ids match the reference tokenizer on hand-checked strings', () => {
  // Meta's llama3 test_tokenizer.py: encode("This is a test sentence.", bos=True, eos=True) = [128000, 2028, …, 13, 128001].
  assert.deepEqual(llama3Encode('This is a test sentence.'), [128000, 2028, 374, 264, 1296, 11914, 13]);
  // "Hello" = 9906, " world" = 1917 in the Llama-3 (cl100k-derived) vocabulary.
  assert.deepEqual(llama3Encode('Hello world'), [128000, 9906, 1917]);
  // The pre-tokenizer keeps punctuation with the newlines after it: "?\n" is one token (5380), ".\n" too (627).
  assert.deepEqual(llama3Encode('What is it?\nA test.'), [128000, 3923, 374, 433, 5380, 32, 1296, 13]);
  assert.deepEqual(llama3Encode('Summarize the report.\nThe report', false), [9370, 5730, 553, 279, 1934, 627, 791, 1934]);
  // A CJK character that is one token of the 128K vocabulary (HF tokenizer: 镇 → 104643).
  assert.deepEqual(llama3Encode('镇', false), [104643]);
  assert.equal(llama3Decode(llama3Encode('Ünïcödé — 长文本', false)), 'Ünïcödé — 长文本');
});

test('the cached count equals the tokenizer on every L-Eval question, answer and context (first 20K characters)', () => {
  const texts: string[] = [
    "<|begin_of_text|>a<|eot_id|> <|reserved_special_token_7|>\n\n  it's 12345 ",
    ...levalDocuments().flatMap((d) => [d.input.slice(0, 20000), ...d.instructions]),
  ];
  assert.ok(texts.length > 500);
  for (const pass of [1, 2]) {
    for (const text of texts) {
      assert.equal(llama3Count(text), llama3Encode(text).length, `pass ${pass}: ${JSON.stringify(text.slice(0, 60))}`);
    }
  }
  assert.equal(llama3Count('What is it?\nA test.', false), 7);
});

test('counts are exact for the Llama-3 profiles and labelled estimates elsewhere', () => {
  assert.equal(tokenCounter(profile('minicpm-v-2.5')).kind, 'exact');
  assert.equal(tokenCounter(profile('idefics3')).kind, 'exact');
  for (const id of ['qwen2-vl', 'internvl2.5', 'llava-video']) {
    assert.equal(tokenCounter(profile(id)).kind, 'estimate', id);
  }
});

test('visual tokens per profile as FORMATS.md gives them', () => {
  assert.equal(visualTokens(10, profile('minicpm-v-2.5'), 'images'), 960);
  assert.equal(visualTokens(10, profile('idefics3'), 'images'), 1690);
  // Qwen2-VL video frames pair up: 3 frames count as 4 → 2 × 256, plus vision_start/end.
  assert.equal(visualTokens(3, profile('qwen2-vl'), 'video'), 4 * 128 + 2);
  assert.equal(visualTokens(3, profile('qwen2-vl'), 'images'), 3 * (256 + 2));
  assert.equal(visualTokens(2, profile('llava-video'), 'video'), 364);
  assert.equal(visualTokens(2, profile('llava-video'), 'images'), 2 * 730);
  assert.equal(visualTokens(2, profile('internvl2.5'), 'images'), 512);
});

function sample(frames: number, question: string, answer: string): TrainingSample {
  return {
    id: `s${frames}`,
    frames: Array.from({ length: frames }, (_, i) => `/f/${i}.png`),
    turns: [
      { role: 'user', content: question },
      { role: 'assistant', content: answer },
    ],
    source: { file: 'x.jsonl', line: 1 },
    origin: 'synthetic',
  };
}

test('filters drop by frames, first-turn words and the token budget, hand-computed', () => {
  const minicpm = profile('minicpm-v-2.5');
  assert.deepEqual(profileLimits(minicpm), { maxFrames: 90, maxFirstTurnWords: 500, tokenBudget: 8192 });
  assert.deepEqual(profileLimits(profile('idefics3')), { maxFrames: 65, maxFirstTurnWords: 500, tokenBudget: 10240 });
  assert.deepEqual(profileLimits(profile('qwen2-vl')), { maxFrames: undefined, maxFirstTurnWords: undefined, tokenBudget: undefined });
  assert.equal(scriptWords('a  b'), 3, "Python's split(' ') counts the empty word between two spaces");

  // "What is it?\nA test." = 8 tokens with BOS (see above); 10 frames × 96 = 960 → 968.
  const s = sample(10, 'What is it?', 'A test.');
  assert.equal(budgetText(s), 'What is it?\nA test.');
  const exact = new SampleFilter(minicpm, { tokenBudget: 968 }, 'images');
  assert.deepEqual(exact.check(s), { ok: true, textTokens: 8, visualTokens: 960 });
  const tight = new SampleFilter(minicpm, { tokenBudget: 967 }, 'images');
  const v = tight.check(s);
  assert.equal(v.ok, false);
  assert.equal(v.filter, 'token-budget');
  assert.match(v.detail!, /8 text tokens \(exact\) \+ 960 visual tokens = 968 > 967/);

  const f = new SampleFilter(minicpm, profileLimits(minicpm, { maxFirstTurnWords: 3 }), 'images');
  assert.equal(f.check(sample(91, 'Why?', 'Yes.')).filter, 'max-frames');
  assert.equal(f.check(sample(80, 'Why?', 'Yes.')).ok, true, '80 × 96 + 5 text tokens ≤ 8192');
  assert.equal(f.check(sample(5, 'one two three', 'x')).filter, 'first-turn-words', '3 words is not < 3');
  assert.equal(f.check(sample(5, 'one two', 'x')).ok, true);
  // 86 × 96 = 8256 > 8192: within the frame limit, over the budget.
  const budget = new SampleFilter(minicpm, profileLimits(minicpm, { maxFrames: 0 }), 'images');
  assert.equal(budget.check(sample(86, 'Why?', 'Yes.')).filter, 'token-budget');
  assert.deepEqual(f.report(), [
    { name: 'max-frames', limit: 90, dropped: 1 },
    { name: 'first-turn-words', limit: 3, dropped: 1 },
    { name: 'token-budget', limit: 8192, dropped: 0 },
  ]);
  assert.equal(f.kept, 2);
  assert.match(
    describeFilters(f.report(), 'exact'),
    /max-frames \(≤ 90\): 1 dropped; first-turn-words \(< 3 words\): 1 dropped; token-budget \(≤ 8192, text tokens exact/,
  );
  assert.match(describeFilters(new SampleFilter(profile('qwen2-vl'), { tokenBudget: 100 }, 'video').report(), 'estimate'), /estimate/);
});
