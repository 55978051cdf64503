/**
 * The `tokens` count (`--count tokens`, the T2Vid reference's word_tokenize): hand-checked counts, token for token
 * agreement with bench/baseline_pil.py run by Python on every shared L-Eval document, and the groups it makes.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { DEFAULT_SEGMENT, type SegmentOptions } from '../../src/core/options';
import { countSegments, countTokens, groupUnits, seedTokens, tokenStarts, toSegments, wordUnits } from '../../src/core/segment';
import { chinesePart, levalDocuments, repoRoot, sharedData } from '../support/helpers';

const tokens = (mode: SegmentOptions['mode'], n: number): SegmentOptions => ({
  ...DEFAULT_SEGMENT,
  mode,
  wordsPerFrame: n,
  countUnit: 'tokens',
});

test('tokens: hand-checked counts (contractions, quotes, numbers, abbreviations, dashes, CJK)', () => {
  const cases: Array<[string, string[] | undefined, number]> = [
    ["I don't know.", ['I', 'do', "n't", 'know', '.'], 5],
    [
      "It's a dog's life; we'll see, can't we?",
      ['It', "'s", 'a', 'dog', "'s", 'life', ';', 'we', "'ll", 'see', ',', 'ca', "n't", 'we', '?'],
      15,
    ],
    ['He said, "Stop!" and left.', ['He', 'said', ',', '``', 'Stop', '!', "''", 'and', 'left', '.'], 10],
    ['It cost $1,000 (3.5% more) at 10:30 in 1787, not 1788.', undefined, 17],
    [
      "The U.S. and e.g. the well-known o'clock rule... -- fine",
      ['The', 'U.S.', 'and', 'e.g.', 'the', 'well-known', "o'clock", 'rule', '...', '--', 'fine'],
      11,
    ],
    ['(see [1], {2} and <3>)', ['(', 'see', '[', '1', ']', ',', '{', '2', '}', 'and', '<', '3', '>', ')'], 14],
  ];
  for (const [text, expected, count] of cases) {
    if (expected) {
      assert.deepEqual(seedTokens(text), expected, text);
    }
    assert.equal(seedTokens(text).length, count, `${text}: the reference's tokens`);
    assert.equal(countTokens(text, 'en'), count, `${text}: the tokens count`);
  }
  assert.deepEqual(
    seedTokens('It cost $1,000 (3.5% more) at 10:30 in 1787, not 1788.'),
    ['It', 'cost', '$', '1,000', '(', '3.5', '%', 'more', ')', 'at', '10:30', 'in', '1787', ',', 'not', '1788', '.'],
    'numbers keep their separators; a full stop after a number is its own token',
  );
  // The reference's tokenizer keeps an unspaced Chinese clause whole; the count takes its words (as `words` does).
  assert.deepEqual(seedTokens('我们今天去了北京。然后回家'), ['我们今天去了北京', '。', '然后回家']);
  assert.equal(countTokens('我们今天去了北京。', 'zh'), 5, '我们|今天|去了|北京 + 。');
  // A quote is one token whichever way it is rewritten, and the starts point at source characters.
  const text = `'"s and x'" and don"t`;
  assert.deepEqual(
    [...tokenStarts(text, 'en')].map((i) => text[i]),
    ["'", '"', 'a', 'x', "'", '"', 'a', 'd', '"', 't'],
  );
});

/** The reference's own tokenizer (bench/baseline_pil.py, Debian's Python) over every shared L-Eval document. */
function pythonTokens(files: string[]): Map<string, { n: number; sha: string }> {
  const script = [
    'import sys, json, hashlib',
    'sys.path.insert(0, sys.argv[1])',
    'from baseline_pil import word_tokenize',
    'for name in sys.argv[2:]:',
    '    for i, line in enumerate(open(name, encoding="utf-8")):',
    '        if not line.strip(): continue',
    '        toks = word_tokenize(json.loads(line)["input"])',
    '        sha = hashlib.sha256("\\n".join(toks).encode("utf-8")).hexdigest()',
    '        print(json.dumps({"key": "%s:%d" % (name, i + 1), "n": len(toks), "sha": sha}))',
  ].join('\n');
  const r = spawnSync('/usr/bin/python3', ['-c', script, path.join(repoRoot(), 'bench'), ...files], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  assert.equal(r.status, 0, `the reference tokenizer ran (python3-pil installed?): ${r.stderr}`);
  const out = new Map<string, { n: number; sha: string }>();
  for (const line of r.stdout.split('\n').filter(Boolean)) {
    const o = JSON.parse(line) as { key: string; n: number; sha: string };
    out.set(o.key, { n: o.n, sha: o.sha });
  }
  return out;
}

test('tokens agree with the reference tokenizer token for token on every shared L-Eval document', () => {
  const docs = levalDocuments();
  const reference = pythonTokens([...new Set(docs.map((d) => d.file))]);
  assert.equal(reference.size, docs.length);
  let total = 0;
  for (const doc of docs) {
    const key = `${doc.file}:${doc.line}`;
    const ours = seedTokens(doc.input);
    const theirs = reference.get(key)!;
    assert.equal(ours.length, theirs.n, `${key}: token count`);
    assert.equal(createHash('sha256').update(ours.join('\n')).digest('hex'), theirs.sha, `${key}: the same tokens`);
    // The count, from source offsets (no rewritten copy kept), is the same wherever the text has no CJK clause.
    if (!/[\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}]/u.test(doc.input)) {
      const starts = [...tokenStarts(doc.input, 'en')];
      assert.equal(starts.length, theirs.n, `${key}: tokens counted from source offsets`);
      assert.ok(
        starts.every((s, i) => i === 0 || s > starts[i - 1]),
        `${key}: token starts increase`,
      );
    }
    total += theirs.n;
  }
  assert.ok(total > 500_000, `${total} tokens compared`);
});

test('tokens mode groups: exact cover, at most N tokens, never a group that could have taken the next word, close to the seed', () => {
  let ours = 0;
  let seed = 0;
  for (const doc of levalDocuments().slice(0, 40)) {
    const text = doc.input;
    const units = wordUnits(text, 'en');
    const groups = groupUnits(text, units, tokens('words', 115), 'en');
    const segs = toSegments(text, units, groups);
    assert.equal(segs.map((s) => s.text).join(''), text, `${doc.file}:${doc.line}: the pieces give back the text`);
    const counts = segs.map((s) => countTokens(s.text, 'en'));
    assert.equal(
      counts.reduce((a, b) => a + b, 0),
      countTokens(text, 'en'),
      `${doc.file}:${doc.line}: no token is cut in two`,
    );
    counts.forEach((c, i) => {
      assert.ok(c <= 115, `${doc.file}:${doc.line}: piece ${i} holds ${c} tokens`);
      if (i < counts.length - 1) {
        // The next word (with the punctuation after it) would have overflowed this piece.
        const [a, b] = groups[i + 1];
        const next = countTokens(text.slice(units[a][0], units[Math.min(b, a + 1) - 1][1]), 'en');
        assert.ok(c + next > 115, `${doc.file}:${doc.line}: piece ${i} (${c} tokens) could have taken ${next} more`);
      }
    });
    ours += segs.length;
    seed += Math.ceil(seedTokens(text).length / 115);
  }
  // A piece ends at a word, so it can hold a token or two fewer than the reference's; never many more pieces.
  assert.ok(ours >= seed && ours <= seed * 1.02, `${ours} pieces against the reference's ${seed}`);
});

test('tokens in sentences mode, and the dry run counts what groupUnits groups', async () => {
  const docs = levalDocuments();
  for (const doc of [docs[0], docs[30], docs[60]]) {
    const text = doc.input;
    const units = wordUnits(text, 'en');
    for (const mode of ['words', 'sentences', 'fit'] as const) {
      for (const n of [1, 7, 115]) {
        const options = tokens(mode, n);
        const groups = groupUnits(text, units, options, 'en');
        const counted = await countSegments(text, options, 'en');
        assert.equal(counted.words, units.length, `${mode} ${n}: words`);
        assert.equal(counted.segments, mode === 'fit' ? undefined : groups.length, `${mode} ${n}: segments`);
        if (mode === 'sentences') {
          const segs = toSegments(text, units, groups);
          assert.equal(segs.map((s) => s.text).join(''), text);
        }
      }
    }
  }
});

test('tokens on Chinese: words and punctuation count, pieces cover the text and hold at most N', () => {
  const text = chinesePart(fs.readFileSync(sharedData('seed-abstract-zh.txt'), 'utf8'));
  const units = wordUnits(text, 'zh');
  const segs = toSegments(text, units, groupUnits(text, units, tokens('words', 20), 'zh'));
  assert.equal(segs.map((s) => s.text).join(''), text);
  const counts = segs.map((s) => countTokens(s.text, 'zh'));
  assert.ok(
    counts.every((c) => c <= 20),
    counts.join(','),
  );
  assert.ok(
    counts.slice(0, -1).every((c) => c >= 18),
    `pieces are full: ${counts.join(',')}`,
  );
  // The reference's tokenizer would see a handful of tokens here (one per clause); ours counts words and marks.
  assert.ok(seedTokens(text).length < countTokens(text, 'zh') / 2);
});
