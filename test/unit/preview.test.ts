import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { contextIndexAt, contextOffsets, jsonStringOffsets } from '../../src/core/jsonOffsets';
import { resolveOptions } from '../../src/core/options';
import { PreviewEngine, type PreviewPage } from '../../src/core/preview';
import { PreviewCancelled, PreviewClient } from '../../src/core/previewClient';
import { levalDocuments, tempDir } from '../support/helpers';

test('preview engine: frames cover the text, unchanged frames are reused after an edit', async (t) => {
  const dir = tempDir(t);
  const engine = new PreviewEngine(dir);
  const text = levalDocuments()[1].input.slice(0, 9000);
  const options = resolveOptions();
  const first = await engine.render(text, options);
  assert.ok(first.pages.length > 5);
  assert.equal(first.pages.map((p) => text.slice(p.range[0], p.range[1])).join(''), text);
  assert.ok(first.pages.every((p) => fs.existsSync(p.file)));
  const filesBefore = new Set(fs.readdirSync(dir));
  // Type at the end: every earlier frame keeps its file.
  const edited = text + ' And one more sentence typed at the end.';
  const second = await engine.render(edited, options);
  const same = second.pages.filter((p, i) => first.pages[i]?.file === p.file).length;
  assert.ok(same >= first.pages.length - 1, `unchanged frames keep their files (${same}/${first.pages.length})`);
  const added = fs.readdirSync(dir).filter((f) => !filesBefore.has(f));
  assert.ok(added.length <= 2, `only the changed frame is encoded again (${added.length} new files)`);
  // A settings change renders new frames.
  const bigger = await engine.render(text, resolveOptions({ render: { fontSize: 24 } }));
  assert.ok(bigger.pages.length > first.pages.length);
  assert.ok(bigger.pages.every((p) => !filesBefore.has(p.file.split('/').pop()!)));
});

test('preview engine: after an edit in the middle, the pages through the cursor come early and match the final ones', async (t) => {
  const dir = tempDir(t);
  const engine = new PreviewEngine(dir);
  const text = levalDocuments()[3].input.slice(0, 12000);
  const options = resolveOptions();
  await engine.render(text, options);
  const at = text.indexOf(' ', 6000);
  const edited = text.slice(0, at) + ' inserted' + text.slice(at);
  let early: Awaited<ReturnType<PreviewEngine['render']>>['pages'] | undefined;
  const final = await engine.render(edited, options, undefined, { focus: at + 3, after: 2, onPartial: (pages) => (early = pages) });
  assert.ok(early, 'partial pages were handed over');
  const holder = early.findIndex((p) => p.range[0] <= at + 3 && at + 3 < p.range[1]);
  assert.ok(holder >= 0, 'the partial pages include the cursor');
  assert.equal(early.length, holder + 3, 'and two more after it');
  assert.ok(early.length < final.pages.length, 'before the whole document');
  assert.deepEqual(early, final.pages.slice(0, early.length), 'the early pages are final');
  assert.ok(
    early.every((p) => fs.existsSync(p.file)),
    'and their PNGs are written',
  );
});

test('preview process: renders off the calling process; a newer request cancels the one in flight', async (t) => {
  const dir = tempDir(t);
  const client = new PreviewClient(dir);
  t.after(() => client.dispose());
  const docs = levalDocuments();
  const options = resolveOptions({ segment: { mode: 'fit' } });
  const slow = client.render(docs[0].input, options);
  const fast = client.render(docs[2].input.slice(0, 3000), resolveOptions());
  await assert.rejects(slow, PreviewCancelled);
  const result = await fast;
  assert.ok(result.pages.length >= 2);
  assert.ok(result.pages.every((p) => fs.existsSync(p.file)));
  assert.equal(result.width, 448);
});

test('preview process: a long document streams its frames in order, each once, written before it is announced', async (t) => {
  const dir = tempDir(t);
  const client = new PreviewClient(dir);
  t.after(() => client.dispose());
  // Two L-Eval documents joined (about 10,000 words): long enough for several batches.
  const docs = levalDocuments();
  const text = `${docs[0].input}\n\n${docs[1].input}`;
  const batches: Array<{ at: number; pages: PreviewPage[]; written: boolean }> = [];
  const started = performance.now();
  const result = await client.render(text, resolveOptions(), undefined, (pages) =>
    batches.push({ at: performance.now() - started, pages, written: pages.every((p) => fs.existsSync(p.file)) }),
  );
  const done = performance.now() - started;
  assert.ok(batches.length >= 2, `${batches.length} batches`);
  assert.ok(
    batches.every((b) => b.pages.length > 0 && b.written),
    'every batch has frames, their PNGs already written',
  );
  const streamed = batches.flatMap((b) => b.pages);
  assert.ok(streamed.length > 0 && streamed.length <= result.pages.length);
  assert.deepEqual(streamed, result.pages.slice(0, streamed.length), 'the streamed frames are the final ones, in order, each once');
  // Streaming, not one answer at the end: the first batch holds under half the document's frames (its time is only
  // reported: speed is measured by bench/preview.ts, not asserted here).
  assert.ok(
    batches[0].pages.length < result.pages.length / 2,
    `the first batch had ${batches[0].pages.length} of ${result.pages.length} frames`,
  );
  t.diagnostic(
    `${result.pages.length} frames; first ${batches[0].pages.length} at ${batches[0].at.toFixed(0)} ms, all at ${done.toFixed(0)} ms`,
  );
});

test('preview engine: past its memory bound the layout cache deflates layouts, and frames drawn from them are identical', async (t) => {
  const text = levalDocuments()[2].input.slice(0, 20000);
  const options = resolveOptions();
  // 2 MB holds about a dozen raw layouts: most of this document's are deflated (or dropped) by the end.
  const small = new PreviewEngine(tempDir(t), 2 << 20);
  const first = await small.render(text, options);
  assert.ok(first.pages.length > 30, `${first.pages.length} frames`);
  // Remove the PNGs: the second render lays out nothing new but must encode every frame again, from cached layouts.
  for (const p of first.pages) {
    fs.rmSync(p.file, { force: true });
  }
  const second = await small.render(text, options);
  assert.deepEqual(
    second.pages.map((p) => [p.range, path.basename(p.file)]),
    first.pages.map((p) => [p.range, path.basename(p.file)]),
  );
  const fresh = await new PreviewEngine(tempDir(t)).render(text, options);
  for (let i = 0; i < fresh.pages.length; i++) {
    assert.ok(fs.readFileSync(second.pages[i].file).equals(fs.readFileSync(fresh.pages[i].file)), `frame ${i} is the same PNG`);
  }
});

test('JSON offsets map a context back to its columns in the raw line, escapes included', () => {
  const record = { question: 'q', context: 'He said "hi"\n\tthen \u00e9 left — é 😀', answer: 'a' };
  const raw = JSON.stringify(record).replace('"context":', '"context" :  ');
  const offsets = contextOffsets(raw, JSON.parse(raw), record.context)!;
  assert.ok(offsets);
  assert.equal(offsets.length, record.context.length + 1);
  for (let i = 0; i < record.context.length; i++) {
    const at = offsets[i];
    const literal = raw.slice(at, offsets[i + 1]);
    assert.equal(
      JSON.parse(`"${literal}"`.replace(/^"\\u[0-9a-f]{4}/i, (m) => m)),
      record.context[i].length === 1 ? JSON.parse(`"${literal}"`) : record.context[i],
    );
    assert.equal(contextIndexAt(offsets, at), i);
  }
  assert.equal(contextIndexAt(offsets, 0), -1, 'before the context');
  assert.equal(jsonStringOffsets('x"ab"', 0), undefined);
  const escaped = '{"context":"a\\u00e9b"}';
  const o = contextOffsets(escaped, JSON.parse(escaped), 'aéb')!;
  assert.deepEqual(o, [12, 13, 19, 20]);
});
