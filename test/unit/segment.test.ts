import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { test } from 'node:test';
import { DEFAULT_SEGMENT, type SegmentOptions } from '../../src/core/options';
import { countWords, groupUnits, SegmentCache, segmentLocale, sentenceRanges, toSegments, wordUnits } from '../../src/core/segment';
import { latinWordSegments } from '../../src/core/wordBreak';
import { chinesePart, levalDocuments, sharedData } from '../support/helpers';

const words = (n: number): SegmentOptions => ({ ...DEFAULT_SEGMENT, mode: 'words', wordsPerFrame: n });
const sentences = (n: number): SegmentOptions => ({ ...DEFAULT_SEGMENT, mode: 'sentences', wordsPerFrame: n });

function segmentsOf(text: string, options: SegmentOptions) {
  const locale = segmentLocale(text, options.locale);
  const units = wordUnits(text, locale);
  return toSegments(text, units, groupUnits(text, units, options, locale));
}

function assertCovers(text: string, segs: Array<{ text: string; range: [number, number] }>): void {
  assert.equal(segs.map((s) => s.text).join(''), text, 'segments joined give back the text exactly');
  let at = 0;
  for (const s of segs) {
    assert.equal(s.range[0], at, 'ranges are contiguous');
    assert.equal(text.slice(s.range[0], s.range[1]), s.text);
    at = s.range[1];
  }
  assert.equal(at, text.length);
}

test('words mode preserves every character (quotes, "1787,", CRLF, emoji, tabs) and covers the text', () => {
  const text = '  The "Constitution" was signed in 1787, not 1788.\r\nIt\'s — arguably — the “oldest” one 👩‍👩‍👧 still\tused…  ';
  for (const n of [1, 2, 3, 5, 115]) {
    const segs = segmentsOf(text, words(n));
    assertCovers(text, segs);
    for (const s of segs.slice(0, -1)) {
      assert.equal(countWords(s.text), n, `each full segment holds ${n} words`);
    }
  }
  const segs = segmentsOf(text, words(3));
  assert.ok(segs[1].text.includes('1787,'), 'numbers keep their punctuation: no "1787 ,"');
  assert.ok(!segs.some((s) => s.text.includes('``')), 'no tokenizer quote rewriting');
});

test('words mode on real L-Eval documents: exact cover, N words a segment', () => {
  for (const doc of levalDocuments().slice(0, 12)) {
    const segs = segmentsOf(doc.input, words(115));
    assertCovers(doc.input, segs);
    const counts = segs.map((s) => countWords(s.text));
    assert.ok(
      counts.slice(0, -1).every((c) => c === 115),
      `${doc.file}:${doc.line}: all but the last segment hold 115 words`,
    );
    assert.ok(counts[counts.length - 1] >= 1 && counts[counts.length - 1] <= 115);
  }
});

test('long texts segment in chunks without changing any boundary', () => {
  const doc = levalDocuments()[0].input.repeat(3);
  assert.ok(doc.length > 20000);
  const reference = [...new Intl.Segmenter('en', { granularity: 'word' }).segment(doc)].filter((s) => s.isWordLike).length;
  assert.equal(countWords(doc, 'en'), reference);
  const units = wordUnits(doc, 'en');
  assert.equal(units.length, reference);
  assert.equal(units[0][0], 0);
  assert.equal(units[units.length - 1][1], doc.length);
});

test('the segment cache gives exactly what segmenting from scratch gives, edit after edit', () => {
  const en = levalDocuments()[0].input.repeat(2);
  const zh = chinesePart(fs.readFileSync(sharedData('seed-abstract-zh.txt'), 'utf8')).repeat(8);
  for (const [locale, start] of [
    ['en', en],
    ['zh', zh],
  ] as const) {
    const cache = new SegmentCache(1 << 16); // small: evictions happen too
    let text = start;
    let seed = 7;
    const random = (n: number): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    for (let i = 0; i < 40; i++) {
      // Type, delete and paste at random places, as an editor would.
      const at = random(text.length + 1);
      const edit = i % 3 === 0 ? '' : i % 3 === 1 ? 'lorem ' : locale === 'zh' ? '。新的句子，' : '.\n\nA new line. ';
      text = text.slice(0, at) + edit + text.slice(at + (i % 3 === 0 ? random(40) : 0));
      assert.deepEqual(wordUnits(text, locale, 0, text.length, cache), wordUnits(text, locale), `${locale} edit ${i}: word units`);
      assert.deepEqual(sentenceRanges(text, locale, cache), sentenceRanges(text, locale), `${locale} edit ${i}: sentences`);
      const page = text.slice(at, at + 500);
      assert.equal(countWords(page, locale, cache), countWords(page, locale), `${locale} edit ${i}: word count`);
    }
  }
});

test('Chinese: dictionary words, not characters or whitespace, and exact text', () => {
  const text = fs.readFileSync(sharedData('seed-abstract-zh.txt'), 'utf8');
  assert.equal(segmentLocale(text, ''), 'zh');
  const zh = chinesePart(text);
  const segs = segmentsOf(zh, words(20));
  assertCovers(zh, segs);
  const cjkChars = [...zh].filter((c) => /\p{Script=Han}/u.test(c)).length;
  const w = countWords(zh, 'zh');
  assert.ok(w < cjkChars, `words (${w}) group several characters (${cjkChars})`);
  assert.ok(w > cjkChars / 4, `but are not whole sentences (${w})`);
  assert.ok(segs.length > 2);
});

test('Japanese text is detected and segments', () => {
  const text = '吾輩は猫である。名前はまだ無い。どこで生れたかとんと見当がつかぬ。';
  assert.equal(segmentLocale(text, ''), 'ja');
  const segs = segmentsOf(text, words(4));
  assertCovers(text, segs);
  assert.ok(segs.length >= 3);
});

test('sentences mode never splits a sentence unless it alone exceeds the limit', () => {
  const text =
    'One two three. Four five six seven. Eight nine. ' +
    'This sentence is deliberately much longer than the limit allows for one frame to hold. Short one.';
  const segs = segmentsOf(text, sentences(6));
  assertCovers(text, segs);
  const bounds = new Set(sentenceRanges(text, 'en').map((r) => r[1]));
  for (const s of segs) {
    const wc = countWords(s.text);
    assert.ok(wc <= 6, `segment within the limit: ${JSON.stringify(s.text)}`);
    if (!bounds.has(s.range[1])) {
      // only a long sentence may be cut inside
      const long = sentenceRanges(text, 'en').find((r) => r[0] <= s.range[0] && s.range[1] <= r[1]);
      assert.ok(long && countWords(text.slice(long[0], long[1])) > 6, `cut inside a short sentence: ${JSON.stringify(s.text)}`);
    }
  }
  assert.equal(segs[0].text, 'One two three. ');
  assert.equal(segs[1].text, 'Four five six seven. Eight nine. ');
});

test('sentences mode on a real document packs whole sentences', () => {
  const doc = levalDocuments()[3].input;
  const segs = segmentsOf(doc, sentences(60));
  assertCovers(doc, segs);
  const ends = new Set(sentenceRanges(doc, 'en').map((r) => r[1]));
  const whole = segs.filter((s) => ends.has(s.range[1])).length;
  assert.ok(whole / segs.length > 0.9, `most segments end on a sentence boundary (${whole}/${segs.length})`);
  assert.ok(segs.every((s) => countWords(s.text) <= 60));
});

test('edge cases: empty, punctuation only, a single word', () => {
  assert.deepEqual(segmentsOf('', words(5)), []);
  const p = segmentsOf('— … !!', words(5));
  assertCovers('— … !!', p);
  assert.equal(p.length, 1);
  assertCovers('word', segmentsOf('word', words(5)));
});

test('the Latin word-break rules give exactly what Intl.Segmenter (en) gives: every shared document, random strings', () => {
  const seg = new Intl.Segmenter('en', { granularity: 'word' });
  const same = (t: string): boolean => {
    const fast = latinWordSegments(t);
    if (!fast) {
      return true;
    }
    const ref = [...seg.segment(t)];
    return (
      ref.length === fast.start.length &&
      ref.every((s, i) => s.index === fast.start[i] && s.segment.length === fast.length[i] && (s.isWordLike ? 1 : 0) === fast.wordLike[i])
    );
  };
  // Real prose, in the 2,048-character chunks segment.ts hands over (most English chunks take the fast path).
  let chunks = 0;
  let fastChunks = 0;
  for (const doc of levalDocuments()) {
    for (let at = 0; at < doc.input.length; at += 2048) {
      const t = doc.input.slice(at, at + 2048);
      chunks++;
      fastChunks += latinWordSegments(t) ? 1 : 0;
      assert.ok(same(t), `${doc.file}:${doc.line}: chunk at ${at}`);
    }
  }
  assert.ok(fastChunks / chunks > 0.5, `the fast path took ${fastChunks} of ${chunks} chunks`);
  // Random strings over the alphabet the rules cover, biased to the characters the rules treat specially.
  const alphabet = 'aZé3 _.\':,;\r\n\t\u000b\u000c\u0085‘’“”—–…•-!?()"ªµº×÷ÿſ0\u00a0¹θΣω∑≤→−‖′″';
  let a = 7;
  const rnd = (): number => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let k = 0; k < 100_000; k++) {
    let t = '';
    for (let n = 1 + Math.floor(rnd() * 12); n > 0; n--) {
      t += alphabet[Math.floor(rnd() * alphabet.length)];
    }
    assert.ok(same(t), JSON.stringify(t));
  }
  // Outside the alphabet: no answer, so Intl.Segmenter decides.
  assert.equal(latinWordSegments('naïve 中文'), undefined);
  assert.equal(latinWordSegments('soft\u00adhyphen'), undefined);
});
