import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { DatasetIndex, NO_FILTER, type LineSource } from '../../src/core/curation/dataset';
import { detectStyle, stringifyLike } from '../../src/core/curation/jsonStyle';
import { LineFile } from '../../src/core/curation/lineFile';
import { applyEdit, EditError, parseRow, REVIEW_FIELD, type RowContext } from '../../src/core/curation/records';
import { StripEngine } from '../../src/core/curation/strips';
import { resolveOptions } from '../../src/core/options';
import { readSamples } from '../../src/core/readers/index';
import { lineHash, parseCurationFromWebview, parseCurationToWebview } from '../../src/shared/protocol/curation';
import { asGenerated, CONTEXT_HEAD, rowView } from '../../src/extension/curation/viewMapping';
import { sharedData, tempDir } from '../support/helpers';

const ctx = (line: number, file = 'data.jsonl'): RowContext => ({ file, stem: 'data', line });
const CLOCK = (): string => '2026-01-01T00:00:00.000Z';

function levalLines(): { file: string; lines: string[] } {
  const file = path.join(sharedData('long-text'), 'leval-multidoc_qa.jsonl');
  return { file, lines: fs.readFileSync(file, 'utf8').split('\n') };
}

test('jsonStyle: a Python-written L-Eval line re-serializes byte for byte, and a compact line stays compact', () => {
  const { lines } = levalLines();
  for (const line of lines.filter((l) => l.trim())) {
    const style = detectStyle(line);
    assert.deepEqual(style, { spaced: true, ascii: true });
    assert.equal(stringifyLike(JSON.parse(line), style), line);
  }
  const compact = JSON.stringify({ a: 'é "x"\n', b: [1, 2.5, null, true], c: {} });
  assert.deepEqual(detectStyle(compact), { spaced: false, ascii: false });
  assert.equal(stringifyLike(JSON.parse(compact), detectStyle(compact)), compact);
  // A colon inside a string does not decide the style.
  assert.equal(detectStyle('{"a: b": 1}').spaced, true);
  assert.equal(detectStyle('{"a, b":1}').spaced, false);
});

test("records: an L-Eval question edit changes only that question's bytes", () => {
  const { lines } = levalLines();
  const line = lines[0];
  const row = parseRow(line, ctx(1));
  assert.ok(row.ok);
  assert.equal(row.schema, 'leval');
  assert.ok(row.pairs.length >= 2);
  const edited = applyEdit(line, { type: 'setText', pair: 1, field: 'question', value: 'Où est la clé? "quoted"' }, ctx(1));
  const oldQ = JSON.stringify(row.pairs[1].question).replace(
    /[\u0080-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  assert.equal(edited, line.replace(oldQ, '"O\\u00f9 est la cl\\u00e9? \\"quoted\\""'));
  const again = parseRow(edited, ctx(1));
  assert.ok(again.ok);
  assert.equal(again.pairs[1].question, 'Où est la clé? "quoted"');
  assert.equal(again.context, row.context);
});

test('records: L-Eval status, delete and add keep the lists aligned; status lives in t2vid_review', () => {
  const { lines } = levalLines();
  let line = lines[0];
  const before = parseRow(line, ctx(1));
  assert.ok(before.ok);
  line = applyEdit(line, { type: 'setStatus', pair: 2, status: 'accepted' }, ctx(1));
  let record = JSON.parse(line) as Record<string, unknown[]>;
  assert.deepEqual(record[REVIEW_FIELD].slice(0, 3), ['new', 'new', 'accepted']);
  assert.equal(record[REVIEW_FIELD].length, before.pairs.length);
  line = applyEdit(line, { type: 'delete', pair: 0 }, ctx(1));
  record = JSON.parse(line) as Record<string, unknown[]>;
  assert.equal(record.instructions.length, before.pairs.length - 1);
  assert.equal(record.outputs.length, before.pairs.length - 1);
  assert.equal(record.instructions[0], before.pairs[1].question);
  assert.equal(record[REVIEW_FIELD][1], 'accepted');
  line = applyEdit(line, { type: 'add' }, ctx(1));
  const after = parseRow(line, ctx(1));
  assert.ok(after.ok);
  assert.equal(after.pairs.length, before.pairs.length);
  assert.deepEqual(after.pairs.at(-1), { question: '', answer: '', status: 'new', questionReadOnly: undefined });
  assert.throws(
    () => applyEdit(line, { type: 'delete', pair: 99 }, ctx(1)),
    (e: unknown) => e instanceof EditError && /no pair 100/.test((e as Error).message),
  );
});

test('records: t2vid-qa pairs: edit marks provenance, statuses, add, replace; bad lines are error rows', () => {
  const record = {
    id: 'doc-1',
    source: { file: 'a.txt', line: 1 },
    context: 'one two three',
    frames: [[0, 13]],
    qa: [
      {
        question: 'Q?',
        answer: 'A.',
        kind: 'detail',
        supportingFrames: [0],
        provenance: { generator: 'builtin', promptVersion: 'builtin-1', createdAt: 'x', editedByUser: false, seed: 1 },
        status: 'new',
      },
    ],
  };
  let line = JSON.stringify(record);
  const row = parseRow(line, ctx(3));
  assert.ok(row.ok && row.schema === 't2vid-qa' && row.id === 'doc-1');
  assert.deepEqual(row.frames, [[0, 13]]);
  line = applyEdit(line, { type: 'setText', pair: 0, field: 'answer', value: 'B.' }, ctx(3));
  line = applyEdit(line, { type: 'setStatus', pair: 0, status: 'flagged' }, ctx(3));
  line = applyEdit(line, { type: 'add', question: 'New?' }, ctx(3), CLOCK);
  const parsed = JSON.parse(line) as typeof record;
  assert.equal(parsed.qa[0].answer, 'B.');
  assert.equal(parsed.qa[0].provenance.editedByUser, true);
  assert.equal(parsed.qa[0].status, 'flagged');
  assert.deepEqual(parsed.qa[1], {
    question: 'New?',
    answer: '',
    kind: 'other',
    supportingFrames: [],
    provenance: { generator: 'human', promptVersion: 'human', createdAt: CLOCK(), editedByUser: true },
    status: 'new',
  });
  assert.ok(!line.includes('\n'));
  const bad = parseRow('{"context": "x", "qa": [', ctx(9));
  assert.ok(!bad.ok && /not valid JSON/.test(bad.error));
  assert.throws(() => applyEdit('[1]', { type: 'add' }, ctx(4)), /data\.jsonl:4: expected a JSON object/);
  const noContext = parseRow('{"text": "x"}', ctx(5));
  assert.ok(!noContext.ok && /no context field/.test(noContext.error));
});

test('dataset index: blank lines are not rows; filters by status, generator, text and error; stats', async () => {
  const lines = [
    JSON.stringify({
      id: 'a',
      context: 'alpha text',
      frames: [[0, 10]],
      qa: [{ question: 'Where is the Lighthouse?', answer: 'x', status: 'accepted', provenance: { generator: 'llm' } }],
    }),
    '',
    'not json {',
    JSON.stringify({
      id: 'b',
      context: 'beta text',
      frames: [[0, 9]],
      qa: [{ question: 'q', answer: 'a', status: 'new', provenance: { generator: 'builtin' } }],
    }),
    '   ',
    JSON.stringify({ context: 'gamma', question: 'What about gamma?', answer: 'g' }),
  ];
  const source: LineSource = { lineCount: lines.length, lineText: (i) => lines[i] };
  const index = new DatasetIndex(source, { file: 'x.jsonl', stem: 'x' });
  assert.deepEqual(index.filter(NO_FILTER), [0, 2, 3, 5]);
  assert.equal(index.complete, false);
  assert.equal(await index.build(), true);
  assert.deepEqual(index.stats(), {
    rows: 4,
    errors: 1,
    pairs: 3,
    statuses: { new: 2, accepted: 1, rejected: 0, flagged: 0 },
    complete: true,
  });
  assert.deepEqual(index.filter({ ...NO_FILTER, status: 'accepted' }), [0]);
  assert.deepEqual(index.filter({ ...NO_FILTER, status: 'error' }), [2]);
  assert.deepEqual(index.filter({ ...NO_FILTER, generator: 'builtin' }), [3]);
  assert.deepEqual(index.filter({ ...NO_FILTER, generator: 'none' }), [5]);
  assert.deepEqual(index.filter({ ...NO_FILTER, text: 'LIGHTHOUSE' }), [0]);
  assert.deepEqual(index.filter({ ...NO_FILTER, text: 'gamma' }), [5]);
  // An in-place edit keeps the other summaries; a blank line becoming a row needs a reset.
  lines[3] = lines[3].replace('"new"', '"rejected"');
  assert.equal(index.lineChanged(3), true);
  assert.deepEqual(index.filter({ ...NO_FILTER, status: 'rejected' }), [3]);
  lines[1] = '{}';
  assert.equal(index.lineChanged(1), false);
  index.reset();
  assert.deepEqual(index.lines, [0, 1, 2, 3, 5]);
});

test('curation protocol: valid messages pass, malformed ones are rejected', () => {
  assert.ok(
    parseCurationFromWebview({
      type: 'curation/edit',
      line: 3,
      hash: lineHash('x'),
      edit: { type: 'setText', pair: 0, field: 'question', value: 'v' },
    }),
  );
  assert.ok(parseCurationFromWebview({ type: 'curation/edit', line: 3, hash: 'h', edit: { type: 'add' } }));
  assert.equal(
    parseCurationFromWebview({
      type: 'curation/edit',
      line: 3,
      hash: 'h',
      edit: { type: 'setText', pair: 0, field: 'context', value: 'v' },
    }),
    undefined,
  );
  assert.equal(parseCurationFromWebview({ type: 'curation/edit', line: -1, hash: 'h', edit: { type: 'add' } }), undefined);
  assert.equal(parseCurationFromWebview({ type: 'curation/edit', line: 1, hash: 'h', edit: { type: 'add' }, extra: 1 }), undefined);
  assert.equal(parseCurationFromWebview({ type: 'curation/requestRows', lines: new Array(201).fill(0) }), undefined);
  assert.equal(
    parseCurationFromWebview({ type: 'curation/setFilter', filter: { status: 'deleted', generator: 'all', text: '' } }),
    undefined,
  );
  assert.ok(parseCurationToWebview({ type: 'curation/notice', level: 'error', message: '<img src=x onerror=alert(1)>' }));
  assert.ok(
    parseCurationToWebview({ type: 'curation/frames', line: 1, hash: 'h', frames: [{ index: 0, src: 'x', clipped: false }], error: null }),
  );
  assert.equal(
    parseCurationToWebview({ type: 'curation/frames', line: 1, hash: 'h', frames: [{ index: 0, src: 'x' }], error: null }),
    undefined,
  );
  assert.equal(parseCurationToWebview({ type: 'curation/focus', line: 1, pair: 0, field: 'id' }), undefined);
  assert.notEqual(lineHash('ab'), lineHash('ba'));
});

test('strips: recorded ranges are drawn exactly, as content-addressed PNGs shared between runs', async (t) => {
  const dir = tempDir(t);
  const engine = new StripEngine(dir);
  const options = resolveOptions();
  const text = 'The first frame. '.repeat(10) + 'The second frame. '.repeat(10);
  const ranges: Array<[number, number]> = [
    [0, 170],
    [170, text.length],
  ];
  const pages = await engine.render({ text, options, ranges });
  assert.deepEqual(
    pages.map((p) => p.range),
    ranges,
  );
  for (const page of pages) {
    const png = fs.readFileSync(page.file);
    assert.equal(png.subarray(1, 4).toString(), 'PNG');
    assert.equal(png.readUInt32BE(16), options.render.width);
  }
  assert.ok(pages.every((p) => !p.clipped));
  // A range recorded with other settings that does not fit now is drawn cut, not refused.
  const tooMuch = 'word '.repeat(600);
  const [cut] = await engine.render({ text: tooMuch, options, ranges: [[0, tooMuch.length]] });
  assert.equal(cut.clipped, true);
  const cutPng = fs.readFileSync(cut.file);
  assert.equal(cutPng.readUInt32BE(16), options.render.width);
  assert.equal(cutPng.readUInt32BE(20), options.render.height);
  const computed = await engine.render({ text, options });
  assert.ok(computed.length >= 1);
  const again = await engine.render({ text, options, ranges });
  assert.deepEqual(
    again.map((p) => p.file),
    pages.map((p) => p.file),
  );
});

test('readers: a curated *.t2vid.jsonl feeds synth and qa with its pairs, rejected ones left out (also t2vid_review)', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'curated.t2vid.jsonl');
  const qaRecord = {
    id: 'doc-1',
    context: 'Some long context.',
    frames: [[0, 18]],
    qa: [
      { question: 'Kept?', answer: 'yes', status: 'accepted' },
      { question: 'Dropped?', answer: 'no', status: 'rejected' },
      { question: 'New?', answer: 'maybe', status: 'new' },
    ],
  };
  const leval = { input: 'Another context.', instructions: ['q1', 'q2'], outputs: ['a1', 'a2'], [REVIEW_FIELD]: ['rejected', 'flagged'] };
  fs.writeFileSync(file, `${JSON.stringify(qaRecord)}\n${JSON.stringify(leval)}\n`);
  const samples = [];
  for await (const sample of readSamples(file)) {
    samples.push(sample);
  }
  assert.deepEqual(
    samples.map((s) => s.qa),
    [
      [
        { question: 'Kept?', answer: 'yes' },
        { question: 'New?', answer: 'maybe' },
      ],
      [{ question: 'q2', answer: 'a2' }],
    ],
  );
  assert.equal(samples[0].meta?.schema, 't2vid-qa');
  // The curation editor sees every pair, rejected ones included.
  const row = parseRow(JSON.stringify(leval), ctx(2));
  assert.ok(row.ok && row.pairs.length === 2 && row.pairs[0].status === 'rejected');
});

test('LineFile: lines by byte offset (UTF-8, CRLF), edits in an overlay, atomic save keeps every other byte, backup/restore', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'big.jsonl');
  const { lines } = levalLines();
  const records = lines.filter((l) => l.trim()).slice(0, 3);
  const original = `${records[0]}\r\n{"context": "中文 é", "qa": []}\n\n${records[1]}\nnot json\n${records[2]}\n`;
  fs.writeFileSync(file, original);
  const lf = await LineFile.open(file);
  const expected = original.split('\n').map((l) => l.replace(/\r$/, ''));
  assert.equal(lf.lineCount, expected.length);
  expected.forEach((text, i) => {
    assert.equal(lf.lineText(i), text, `line ${i + 1}`);
    assert.equal(lf.isBlank(i), text.trim() === '', `line ${i + 1} blank`);
  });
  // Edit line 2 (UTF-8) and line 4; the CRLF of line 1 and every other byte stay.
  const edited2 = applyEdit(lf.lineText(1), { type: 'add', question: '哪一帧?' }, ctx(2), CLOCK);
  lf.setLine(1, edited2);
  lf.setLine(3, applyEdit(lf.lineText(3), { type: 'setStatus', pair: 0, status: 'flagged' }, ctx(4)));
  const edited1 = applyEdit(lf.lineText(0), { type: 'setStatus', pair: 1, status: 'accepted' }, ctx(1));
  lf.setLine(0, edited1);
  assert.equal(lf.dirty, true);
  const backup = lf.backup();
  await lf.save();
  const saved = fs.readFileSync(file, 'utf8');
  const want = original.split('\n');
  want[0] = `${edited1}\r`;
  want[1] = edited2;
  want[3] = lf.lineText(3);
  assert.equal(saved, want.join('\n'));
  assert.ok(saved.startsWith(`${edited1}\r\n`), 'an edited CRLF line keeps its CRLF');
  assert.equal(lf.dirty, false);
  assert.equal(lf.lineText(4), 'not json');
  assert.deepEqual(fs.readdirSync(dir), ['big.jsonl'], 'no temp file left behind');
  // A backup restores onto a file with the same lines; not onto another one.
  const fresh = await LineFile.open(file);
  assert.equal(fresh.restore(backup), true);
  assert.equal(fresh.lineText(1), edited2);
  fs.writeFileSync(path.join(dir, 'other.jsonl'), 'x\n');
  const other = await LineFile.open(path.join(dir, 'other.jsonl'));
  assert.equal(other.restore(backup), false);
  assert.equal(await fresh.changedOnDisk(), false);
  fs.appendFileSync(file, 'more\n');
  assert.equal(await fresh.changedOnDisk(), true);
  for (const f of [lf, fresh, other]) {
    f.close();
  }
  assert.throws(() => lf.setLine(0, 'a\nb'), /line break/);
  // Blank-line detection reads a line's first bytes only, but must agree with the whole line.
  const spaces = path.join(dir, 'spaces.jsonl');
  fs.writeFileSync(spaces, `${' '.repeat(100)}\n${' '.repeat(100)}x\n\u3000\t\r\n\r\n{}`);
  const sp = await LineFile.open(spaces);
  assert.deepEqual(
    [0, 1, 2, 3, 4].map((i) => sp.isBlank(i)),
    [true, false, true, true, false],
  );
  sp.setLine(0, '{"a": 1}');
  assert.equal(sp.isBlank(0), false);
  sp.close();
});

test('view mapping: a sample row and an invalid line as the webview takes them (each passes the protocol check)', () => {
  const { lines } = levalLines();
  const text = lines.find((l) => l.trim()) as string;
  const record = JSON.parse(text) as { input: string; instructions: string[]; outputs: string[] };
  const view = rowView(0, text, parseRow(text, ctx(1)));
  assert.equal(view.ok, true);
  assert.equal(view.hash, lineHash(text));
  assert.deepEqual(
    view.pairs.map((p) => p.question),
    record.instructions,
  );
  assert.deepEqual(
    view.pairs.map((p) => p.status),
    record.instructions.map(() => 'new'),
  );
  assert.equal(view.contextHead, record.input.slice(0, CONTEXT_HEAD));
  assert.equal(view.contextLength, record.input.length);
  const broken = '{"input": "cut short';
  const bad = rowView(6, broken, parseRow(broken, ctx(7)));
  assert.equal(bad.ok, false);
  assert.equal(bad.id, 'line 7');
  assert.match(bad.error ?? '', /not valid JSON/);
  assert.deepEqual(bad.pairs, []);
  for (const row of [view, bad]) {
    const message = { type: 'curation/rows', version: 1, rows: [row] };
    assert.deepEqual(parseCurationToWebview(message), message, 'the mapped row passes the protocol check');
  }
  // A pair of a format without provenance goes to the generators as a "source" pair.
  const row = parseRow(text, ctx(1));
  assert.ok(row.ok);
  const generated = asGenerated(row.pairs[0]);
  assert.equal(generated.provenance.generator, 'source');
  assert.equal(generated.question, record.instructions[0]);
});
