/** The chunked, cancellable segmentation paths (wordUnitsAsync, countSegments) give exactly what the plain ones give. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countSegments, groupUnits, wordUnits, wordUnitsAsync } from '../../src/core/segment';
import type { SegmentOptions } from '../../src/core/options';

const TEXTS: Array<[string, string]> = [
  ['en', 'The first sentence. A second one, with commas; and a third!\n\nNew paragraph?  Yes.  '.repeat(400)],
  ['en', '...leading punctuation, then words. ' + 'word '.repeat(5000)],
  ['zh', '这是第一句话。这是第二句话，很长很长。'.repeat(600)],
  ['en', '!!! ??? ...'],
  ['en', ''],
];

test('wordUnitsAsync: the same ranges as wordUnits (compactly stored), over chunk boundaries too', async () => {
  for (const [locale, text] of TEXTS) {
    const plain = wordUnits(text, locale);
    const compact = await wordUnitsAsync(text, locale);
    assert.equal(compact.length, plain.length);
    for (let i = 0; i < plain.length; i++) {
      assert.deepEqual(compact.range(i), plain[i], `${locale} unit ${i}`);
    }
  }
});

test('countSegments: the words and a-priori segments groupUnits gives, in every mode', async () => {
  for (const [locale, text] of TEXTS) {
    for (const mode of ['words', 'sentences', 'fit'] as const) {
      for (const wordsPerFrame of [1, 7, 115]) {
        const options: SegmentOptions = { mode, wordsPerFrame, locale };
        const units = wordUnits(text, locale);
        const counted = await countSegments(text, options, locale);
        assert.equal(counted.words, units.length, `${locale} ${mode} ${wordsPerFrame}: words`);
        assert.equal(
          counted.segments,
          mode === 'fit' ? undefined : groupUnits(text, units, options, locale).length,
          `${locale} ${mode} ${wordsPerFrame}: segments`,
        );
      }
    }
  }
});

test('wordUnitsAsync and countSegments throw the abort reason, and pause so an abort is heard mid-text', async () => {
  const text = 'word '.repeat(200_000);
  const aborted = AbortSignal.abort(new Error('stop'));
  await assert.rejects(wordUnitsAsync(text, 'en', aborted), /stop/);
  await assert.rejects(countSegments(text, { mode: 'words', wordsPerFrame: 10, locale: 'en' }, 'en', aborted), /stop/);
  const controller = new AbortController();
  setImmediate(() => controller.abort(new Error('late')));
  await assert.rejects(countSegments(text, { mode: 'sentences', wordsPerFrame: 10, locale: 'en' }, 'en', controller.signal), /late/);
});
