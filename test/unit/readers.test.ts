import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatIssue, type ReadIssue, type Sample } from '../../src/core/model';
import { parseFieldMapping, readSamples, SUPPORTED_EXTENSIONS, type ReadOptions } from '../../src/core/readers';

// ---------------------------------------------------------------------------------------------
// Fixture helpers: everything is written to a fresh temp dir and removed at the end.

/** The folder holding package.json, found by walking up (the test runs from out/test/unit/). */
function projectRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) {
      throw new Error(`no package.json above ${__dirname}`);
    }
    dir = parent;
  }
  return dir;
}

const SHARED_DATA = path.join(projectRoot(), '..', 'shared', 'data');
const LEVAL_FILES = ['coursera', 'multidoc_qa', 'news_summ', 'paper_assistant', 'scientific_qa'].map((name) =>
  path.join(SHARED_DATA, 'long-text', `leval-${name}.jsonl`),
);

const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 't2vid-readers-'));
after(() => fs.rmSync(TMP, { recursive: true, force: true }));

let fixtureCount = 0;
/** Writes a fixture in its own subfolder (so stems stay as named) and returns its path. */
function fixture(name: string, content: string | Uint8Array): string {
  const dir = path.join(TMP, String(++fixtureCount));
  fs.mkdirSync(dir);
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return file;
}

/** One JSON value per line, joined with `\n`. A string entry is written as-is (for broken lines). */
function jsonl(lines: unknown[]): string {
  return lines.map((line) => (typeof line === 'string' ? line : JSON.stringify(line))).join('\n') + '\n';
}

interface ParquetColumn {
  name: string;
  data: unknown[];
  type?: 'STRING' | 'INT64' | 'INT32';
}

/** Writes a Parquet fixture with hyparquet-writer (ESM, loaded on demand). */
async function parquetFixture(name: string, columns: ParquetColumn[], rowGroupSize?: number): Promise<string> {
  const { parquetWriteBuffer } = await import('hyparquet-writer');
  const buffer = parquetWriteBuffer({ columnData: columns, rowGroupSize });
  return fixture(name, new Uint8Array(buffer));
}

async function readAll(file: string, options: ReadOptions = {}): Promise<{ samples: Sample[]; issues: ReadIssue[] }> {
  const issues: ReadIssue[] = [];
  const samples: Sample[] = [];
  for await (const sample of readSamples(file, { ...options, onIssue: (issue) => issues.push(issue) })) {
    samples.push(sample);
  }
  return { samples, issues };
}

/** Issues as `line: message` strings, for compact assertions. */
function issueLines(issues: ReadIssue[]): number[] {
  return issues.map((issue) => issue.line);
}

const TRICKY =
  'He said "quotes" and \'single\', in 1787, the end,\r\nthen a CRLF line; emoji 😀 👩‍👩‍👧 and 中文：长文本视频化。' +
  '\ttab, back\\slash, {braces} [brackets], \u2028 separator, trailing spaces   ';

// ---------------------------------------------------------------------------------------------
// Formats and schemas

test('SUPPORTED_EXTENSIONS lists every format, the text types the Frames view previews included', () => {
  assert.deepEqual([...SUPPORTED_EXTENSIONS].sort(), [
    '.adoc',
    '.json',
    '.jsonl',
    '.markdown',
    '.md',
    '.ndjson',
    '.parquet',
    '.rst',
    '.tex',
    '.text',
    '.txt',
  ]);
});

test('JSONL T2Vid records: ids and sources use physical line numbers; blank lines are skipped', async () => {
  const file = fixture(
    'my data.jsonl',
    [
      JSON.stringify({ context: 'Alpha text', question: 'Q1?', answer: 'A1' }),
      '',
      JSON.stringify({ context: 'Beta', question: 'Q2?' }),
      '   \t',
      JSON.stringify({ id: 'custom-id', context: 'Gamma', extra: 7 }),
    ].join('\n'),
  );
  const { samples, issues } = await readAll(file);
  assert.deepEqual(issues, []);
  assert.deepEqual(samples, [
    {
      id: 'my_data-000001',
      source: { file, line: 1 },
      context: 'Alpha text',
      qa: [{ question: 'Q1?', answer: 'A1' }],
      meta: { schema: 't2vid' },
    },
    { id: 'my_data-000003', source: { file, line: 3 }, context: 'Beta', qa: [{ question: 'Q2?', answer: '' }], meta: { schema: 't2vid' } },
    { id: 'my_data-000005', source: { file, line: 5 }, context: 'Gamma', qa: [], meta: { schema: 't2vid' } },
  ]);
});

test('JSONL with CRLF line endings, a BOM and the .ndjson extension', async () => {
  const body = ['\uFEFF' + JSON.stringify({ context: 'first', question: 'q', answer: 'a' }), '', JSON.stringify({ context: 'third' })];
  const file = fixture('crlf.ndjson', body.join('\r\n') + '\r\n');
  const { samples, issues } = await readAll(file);
  assert.deepEqual(issues, []);
  assert.deepEqual(
    samples.map((s) => [s.id, s.source.line, s.context]),
    [
      ['crlf-000001', 1, 'first'],
      ['crlf-000003', 3, 'third'],
    ],
  );
});

test('L-Eval (real files from ../shared/data): one sample per record, qa = zip(instructions, outputs)', async () => {
  for (const file of LEVAL_FILES) {
    const records = fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .map((line, index) => ({ line: index + 1, text: line }))
      .filter((entry) => entry.text.trim() !== '')
      .map((entry) => ({
        line: entry.line,
        record: JSON.parse(entry.text) as { input: string; instructions: string[]; outputs: string[] },
      }));
    const { samples, issues } = await readAll(file);
    assert.deepEqual(issues, [], file);
    assert.equal(samples.length, records.length, file);
    assert.ok(samples.length > 0);
    const stem = path.basename(file, '.jsonl');
    samples.forEach((sample, i) => {
      const { line, record } = records[i]!;
      assert.equal(record.instructions.length, record.outputs.length);
      assert.equal(sample.id, `${stem}-${String(line).padStart(6, '0')}`);
      assert.deepEqual(sample.source, { file, line });
      assert.equal(sample.context, record.input);
      assert.deepEqual(sample.meta, { schema: 'leval' });
      assert.equal(sample.qa.length, record.instructions.length);
      assert.deepEqual(
        sample.qa,
        record.instructions.map((question, k) => ({ question, answer: record.outputs[k] })),
      );
    });
  }
  const { samples } = await readAll(LEVAL_FILES[0]!);
  assert.equal(samples[0]!.id, 'leval-coursera-000001');
});

test('LongAlpaca with the paper markers', async () => {
  const paper = 'Abstract\nWe study things.\n\nIntroduction\nMore text, 1787, "quoted".';
  const file = fixture(
    'alpaca.jsonl',
    jsonl([
      {
        instruction: `Below is a paper. Memorize the paper and answer my question after the paper.\n The paper begins. \n${paper}\n Now the paper ends. \nPlease summarize the paper in one paragraph.`,
        output: 'A summary.',
      },
      // lower case, "The paper ends." without "Now", nothing after it → the question is the text before the begin marker
      { instruction: `What is this paper about?\nthe paper begins.\n${paper}\nthe paper ends.`, output: 'Things.' },
      // only a begin marker
      { instruction: `Question first?\nThe paper begins. ${paper}`, output: 'x' },
      // only an end marker, nothing after it → no question
      { instruction: `${paper}\nNow the paper ends.`, output: 'unused' },
    ]),
  );
  const { samples, issues } = await readAll(file);
  assert.deepEqual(issues, []);
  assert.deepEqual(
    samples.map((s) => ({ context: s.context, qa: s.qa, schema: s.meta?.schema })),
    [
      { context: paper, qa: [{ question: 'Please summarize the paper in one paragraph.', answer: 'A summary.' }], schema: 'longalpaca' },
      { context: paper, qa: [{ question: 'What is this paper about?', answer: 'Things.' }], schema: 'longalpaca' },
      { context: paper, qa: [{ question: 'Question first?', answer: 'x' }], schema: 'longalpaca' },
      { context: paper, qa: [], schema: 'longalpaca' },
    ],
  );
});

test('LongAlpaca without markers: the last short paragraph is the question', async () => {
  const body = 'First paragraph of a long story.\nStill the first.\n\nSecond paragraph.';
  const longLast = 'x'.repeat(1000);
  const file = fixture(
    'alpaca-plain.jsonl',
    jsonl([
      { instruction: `${body}\n\n  \nWho is the hero?\n\n`, output: 'Nobody.' },
      { instruction: 'A single paragraph with no question.', output: 'o' },
      { instruction: `${body}\n\n${longLast}`, output: 'o' },
    ]),
  );
  const { samples, issues } = await readAll(file);
  assert.deepEqual(issues, []);
  assert.equal(samples[0]!.context, body);
  assert.deepEqual(samples[0]!.qa, [{ question: 'Who is the hero?', answer: 'Nobody.' }]);
  assert.equal(samples[1]!.context, 'A single paragraph with no question.');
  assert.deepEqual(samples[1]!.qa, []);
  assert.equal(samples[2]!.context, `${body}\n\n${longLast}`, 'a last paragraph of ≥1000 chars is not a question');
  assert.deepEqual(samples[2]!.qa, []);
});

test('LongAlpaca with a non-empty input: context = input, question = instruction', async () => {
  const file = fixture(
    'alpaca-input.jsonl',
    jsonl([
      { instruction: 'What happened in 1787?', input: 'The long document. In 1787, things.', output: 'Things.' },
      { instruction: 'Doc.\n\nQuestion?', input: '   ', output: 'A' },
    ]),
  );
  const { samples, issues } = await readAll(file);
  assert.deepEqual(issues, []);
  assert.equal(samples[0]!.context, 'The long document. In 1787, things.');
  assert.deepEqual(samples[0]!.qa, [{ question: 'What happened in 1787?', answer: 'Things.' }]);
  assert.equal(samples[1]!.context, 'Doc.', 'a blank input falls back to the instruction');
  assert.deepEqual(samples[1]!.qa, [{ question: 'Question?', answer: 'A' }]);
});

test('JSON array: each element gets the line it starts on', async () => {
  const text = [
    '[',
    '  {"context": "one", "question": "q1", "answer": "a1"},',
    '  {',
    '    "context": "two"',
    '  },',
    '  {"context": "three",',
    '   "question": "q3", "answer": "a3"}',
    ']',
    '',
  ].join('\n');
  const file = fixture('records.json', text);
  const { samples, issues } = await readAll(file);
  assert.deepEqual(issues, []);
  assert.deepEqual(
    samples.map((s) => [s.id, s.source, s.context, s.qa.length]),
    [
      ['records-000002', { file, line: 2, element: 0 }, 'one', 1],
      ['records-000003', { file, line: 3, element: 1 }, 'two', 0],
      ['records-000006', { file, line: 6, element: 2 }, 'three', 1],
    ],
  );
});

test('JSON: an object with a "data" array, a single object, and JSONL saved as .json', async () => {
  const wrapped = fixture(
    'wrapped.json',
    [
      '{',
      '  "version": "1.0", "note": {"data": "not this one"},',
      '  "data": [',
      '    {"context": "w1"},',
      '    {"context": "w2", "question": "q"}',
      '  ],',
      '  "after": [1]',
      '}',
    ].join('\n'),
  );
  const w = await readAll(wrapped);
  assert.deepEqual(w.issues, []);
  assert.deepEqual(
    w.samples.map((s) => [s.context, s.source.line]),
    [
      ['w1', 4],
      ['w2', 5],
    ],
  );

  const single = fixture('single.json', '\n{\n  "context": "just one",\n  "question": "q", "answer": "a"\n}\n');
  const s = await readAll(single);
  assert.deepEqual(s.issues, []);
  assert.deepEqual(
    s.samples.map((x) => [x.id, x.context, x.source.line]),
    [['single-000002', 'just one', 2]],
  );

  const disguised = fixture('lines.json', jsonl([{ context: 'l1' }, '{"context": broken', { context: 'l3', data: [1, 2] }]));
  const d = await readAll(disguised);
  assert.deepEqual(
    d.samples.map((x) => [x.id, x.context]),
    [
      ['lines-000001', 'l1'],
      ['lines-000003', 'l3'],
    ],
  );
  assert.deepEqual(issueLines(d.issues), [2]);
  assert.match(d.issues[0]!.message, /^invalid JSON: /);
});

test('JSON array bigger than a read chunk, dense in escapes, parses element by element', async () => {
  const records = Array.from({ length: 400 }, (_, i) => ({
    context: `${i}: ` + 'a\\"b\\\\c"d\u00e9\u4e2d😀\n'.repeat(400),
    question: `q${i} "x"`,
    answer: '\\',
  }));
  const file = fixture('big.json', JSON.stringify(records, null, 1));
  assert.ok(fs.statSync(file).size > 3 * (1 << 20));
  const { samples, issues } = await readAll(file);
  assert.deepEqual(issues, []);
  assert.equal(samples.length, records.length);
  samples.forEach((sample, i) => {
    assert.equal(sample.context, records[i]!.context);
    assert.deepEqual(sample.qa, [{ question: records[i]!.question, answer: '\\' }]);
  });
});

test('Parquet: rows across row groups, ids and sources with unit "row"', async () => {
  const contexts = ['c1', 'c2', 'c3', 'c4', 'c5'];
  const file = await parquetFixture(
    't2vid.parquet',
    [
      { name: 'context', data: contexts, type: 'STRING' },
      { name: 'question', data: ['q1', 'q2', 'q3', 'q4', 'q5'], type: 'STRING' },
      { name: 'answer', data: ['a1', 'a2', 'a3', 'a4', 'a5'], type: 'STRING' },
      { name: 'count', data: [1n, 2n, 3n, 4n, 5n], type: 'INT64' },
    ],
    2,
  );
  const { samples, issues } = await readAll(file);
  assert.deepEqual(issues, []);
  assert.deepEqual(
    samples.map((s) => [s.id, s.source, s.context, s.qa]),
    contexts.map((context, i) => [
      `t2vid-r${String(i + 1).padStart(6, '0')}`,
      { file, line: i + 1, unit: 'row' },
      context,
      [{ question: `q${i + 1}`, answer: `a${i + 1}` }],
    ]),
  );
});

test('Parquet: L-Eval list columns, BigInt and null contexts are reported per row', async () => {
  const leval = await parquetFixture('leval.parquet', [
    { name: 'input', data: ['doc one', 'doc two'], type: 'STRING' },
    { name: 'instructions', data: [['i1', 'i2'], ['j1']] },
    { name: 'outputs', data: [['o1', 'o2'], ['p1']] },
  ]);
  const l = await readAll(leval);
  assert.deepEqual(l.issues, []);
  assert.deepEqual(
    l.samples.map((s) => [s.context, s.qa, s.meta]),
    [
      [
        'doc one',
        [
          { question: 'i1', answer: 'o1' },
          { question: 'i2', answer: 'o2' },
        ],
        { schema: 'leval' },
      ],
      ['doc two', [{ question: 'j1', answer: 'p1' }], { schema: 'leval' }],
    ],
  );

  const numeric = await parquetFixture('numeric.parquet', [
    { name: 'context', data: [10n, 20n], type: 'INT64' },
    { name: 'question', data: ['q', 'q'], type: 'STRING' },
  ]);
  const n = await readAll(numeric);
  assert.equal(n.samples.length, 0);
  assert.deepEqual(
    n.issues.map((issue) => [issue.line, issue.unit]),
    [
      [1, 'row'],
      [2, 'row'],
    ],
  );
  assert.match(n.issues[0]!.message, /not a string.*bigint/);
  assert.equal(formatIssue(n.issues[1]!), `${numeric}: row 2: ${n.issues[1]!.message}`);

  const withNull = await parquetFixture('nulls.parquet', [{ name: 'context', data: ['fine', null, 'also fine'], type: 'STRING' }]);
  const x = await readAll(withNull);
  assert.deepEqual(
    x.samples.map((s) => s.id),
    ['nulls-r000001', 'nulls-r000003'],
  );
  assert.deepEqual(issueLines(x.issues), [2]);
  assert.match(x.issues[0]!.message, /null/);
});

test('Parquet: invalid UTF-8 in a text column is replaced, and warned with its row and count', async () => {
  const tail = ' was written in Latin-1 by an old exporter, and the rest of this long record is plain ASCII text.';
  const bad = new Uint8Array([...Buffer.from('caf'), 0xe9, ...Buffer.from(' au lait '), 0xff, 0xfe, ...Buffer.from(tail)]);
  const file = await parquetFixture('latin1.parquet', [{ name: 'context', data: ['clean text', bad], type: 'STRING' }]);
  const r = await readAll(file);
  assert.deepEqual(
    r.samples.map((s) => s.context),
    ['clean text', `caf\ufffd au lait \ufffd\ufffd${tail}`],
  );
  assert.equal(r.issues.length, 1);
  assert.deepEqual(
    { ...r.issues[0]!, file: '' },
    { file: '', line: 2, unit: 'row', message: '3 invalid UTF-8 sequences replaced with U+FFFD', severity: 'warning', replaced: 3 },
  );
  assert.equal(formatIssue(r.issues[0]!), `${file}: row 2: 3 invalid UTF-8 sequences replaced with U+FFFD`);
});

test('Parquet: field mapping into a struct column (dotted path)', async () => {
  const file = await parquetFixture('struct.parquet', [
    {
      name: 'meta',
      data: [
        { body: 'body one', prompt: 'p1' },
        { body: 'body two', prompt: 'p2' },
      ],
    },
    { name: 'reply', data: ['r1', 'r2'], type: 'STRING' },
  ]);
  const { samples, issues } = await readAll(file, { fields: parseFieldMapping('context=meta.body,question=meta.prompt,answer=reply') });
  assert.deepEqual(issues, []);
  assert.deepEqual(
    samples.map((s) => [s.context, s.qa, s.meta]),
    [
      ['body one', [{ question: 'p1', answer: 'r1' }], { schema: 'mapped' }],
      ['body two', [{ question: 'p2', answer: 'r2' }], { schema: 'mapped' }],
    ],
  );
});

test('field paths into lists: conversations.0.value and conversations[0].value are the same; malformed paths refused', async () => {
  const file = fixture(
    'sharegpt.jsonl',
    jsonl([
      {
        text: 'T1',
        conversations: [
          { from: 'human', value: 'Q1' },
          { from: 'gpt', value: 'A1' },
        ],
        grid: [['x', 'y']],
      },
    ]),
  );
  for (const spec of [
    'context=text,question=conversations.0.value,answer=conversations.1.value',
    'context=text,question=conversations[0].value,answer=conversations[1].value',
    'context=grid[0][1],question=conversations[0].value',
  ]) {
    const { samples, issues } = await readAll(file, { fields: parseFieldMapping(spec) });
    assert.deepEqual(issues, [], spec);
    assert.equal(samples.length, 1, spec);
    assert.equal(samples[0]!.qa[0]!.question, 'Q1', spec);
  }
  for (const bad of [
    'question=conversations[x].value',
    'question=conversations[0]value',
    'question=[0].value',
    'question=a..b',
    'question=a[0',
    'context=.a',
  ]) {
    assert.throws(() => parseFieldMapping(bad), /is not a valid field path/, bad);
  }
});

test('field mapping on JSONL: names, dotted paths, missing fields', async () => {
  const file = fixture(
    'mapped.jsonl',
    jsonl([
      { text: 'T1', prompt: 'P1', response: 'R1', meta: { body: 'B1' } },
      { prompt: 'P2', response: 'R2', meta: { body: 'B2' }, other: 1 },
      { text: 'T3', response: 'R3', meta: {} },
      { 'meta.body': 'literal key wins', text: 'T4', prompt: 'P4', response: 'R4' },
    ]),
  );
  const plain = await readAll(file, { fields: parseFieldMapping('context=text,question=prompt,answer=response') });
  assert.deepEqual(
    plain.samples.map((s) => [s.source.line, s.context, s.qa, s.meta]),
    [
      [1, 'T1', [{ question: 'P1', answer: 'R1' }], { schema: 'mapped' }],
      [3, 'T3', [], { schema: 'mapped' }],
      [4, 'T4', [{ question: 'P4', answer: 'R4' }], { schema: 'mapped' }],
    ],
  );
  assert.deepEqual(issueLines(plain.issues), [2, 3]);
  assert.equal(plain.issues[0]!.message, 'no field text; keys here: prompt, response, meta, other');
  assert.match(plain.issues[1]!.message, /no field prompt/);

  const dotted = await readAll(file, { fields: parseFieldMapping('context=meta.body,question=prompt') });
  assert.deepEqual(
    dotted.samples.map((s) => [s.source.line, s.context, s.qa]),
    [
      [1, 'B1', [{ question: 'P1', answer: '' }]],
      [2, 'B2', [{ question: 'P2', answer: '' }]],
      [4, 'literal key wins', [{ question: 'P4', answer: '' }]],
    ],
  );
  assert.deepEqual(issueLines(dotted.issues), [3]);
  assert.match(dotted.issues[0]!.message, /^no field meta\.body; keys here: text, response, meta$/);
});

test('parseFieldMapping: valid specs and clear errors', () => {
  assert.deepEqual(parseFieldMapping('context=text,question=prompt,answer=response'), {
    context: 'text',
    question: 'prompt',
    answer: 'response',
  });
  assert.deepEqual(parseFieldMapping(' context = meta.body , question=q '), { context: 'meta.body', question: 'q' });
  const bad: [string, RegExp][] = [
    ['ctx=text', /unknown key "ctx"; only context, question and answer/],
    ['context=text,prompt=q', /unknown key "prompt"/],
    ['context', /"context" is not key=field/],
    ['context=', /"context" has no field name/],
    ['context=a,,question=b', /empty entry/],
    ['context=a,context=b', /"context" is given twice/],
    ['context=a,answer=b', /answer is mapped but question is not/],
    ['context=meta..body', /not a valid field path/],
    ['', /empty/],
  ];
  for (const [spec, message] of bad) {
    assert.throws(
      () => parseFieldMapping(spec),
      (error: unknown) => {
        assert.ok(error instanceof Error);
        assert.match(error.message, message);
        assert.ok(error.message.includes(`"${spec}"`), error.message);
        return true;
      },
    );
  }
});

// ---------------------------------------------------------------------------------------------
// Malformed input: reported with exact lines, neighbours survive

test('malformed JSONL lines are reported with their line numbers and skipped', async () => {
  const file = fixture(
    'bad.jsonl',
    jsonl([
      { context: 'good one', question: 'q', answer: 'a' }, // 1
      '{"context": "broken",', // 2 invalid JSON
      [1, 2, 3], // 3 array
      42, // 4 number
      null, // 5 null
      { foo: 1, bar: 2 }, // 6 no context field
      { context: '   \n  ' }, // 7 empty context
      { context: 'ok', question: 5, answer: 'a' }, // 8 non-string question: sample kept, pair skipped
      { input: 'doc', instructions: ['i1', 'i2', 'i3'], outputs: ['o1', 'o2'] }, // 9 mismatched L-Eval
      { context: 12 }, // 10 non-string context
      'plain words', // 11 invalid JSON
      '"a string"', // 12 string
      { context: 'last good', question: 'q', answer: null }, // 13 non-string answer
    ]),
  );
  const { samples, issues } = await readAll(file);
  assert.deepEqual(issueLines(issues), [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
  const byLine = new Map(issues.map((issue) => [issue.line, issue.message]));
  assert.match(byLine.get(2)!, /^invalid JSON: /);
  assert.equal(byLine.get(3), 'expected a JSON object, got an array');
  assert.equal(byLine.get(4), 'expected a JSON object, got a number');
  assert.equal(byLine.get(5), 'expected a JSON object, got null');
  assert.equal(
    byLine.get(6),
    'no context field: expected {context, question, answer}, L-Eval {input, instructions, outputs}, LongAlpaca {instruction, output} or a --fields mapping; keys here: foo, bar',
  );
  assert.equal(byLine.get(7), 'empty context');
  assert.match(byLine.get(8)!, /question field "question" is not a string \(got a number\); QA pair skipped/);
  assert.match(byLine.get(9)!, /3 instructions but 2 outputs/);
  assert.match(byLine.get(10)!, /context field "context" is not a string \(got a number\)/);
  assert.match(byLine.get(11)!, /^invalid JSON: /);
  assert.equal(byLine.get(12), 'expected a JSON object, got a string');
  assert.match(byLine.get(13)!, /answer field "answer" is not a string \(got null\)/);
  assert.ok(issues.every((issue) => issue.file === file && issue.unit === undefined));
  assert.equal(formatIssue(issues[0]!), `${file}:2: ${issues[0]!.message}`);

  assert.deepEqual(
    samples.map((s) => [s.source.line, s.context, s.qa]),
    [
      [1, 'good one', [{ question: 'q', answer: 'a' }]],
      [8, 'ok', []],
      [
        9,
        'doc',
        [
          { question: 'i1', answer: 'o1' },
          { question: 'i2', answer: 'o2' },
        ],
      ],
      [13, 'last good', []],
    ],
  );
});

test('truncated JSON array: issue at the line where the broken element starts; earlier elements survive', async () => {
  const file = fixture(
    'truncated.json',
    ['[', '  {"context": "first"},', '  {"context": "second", "question": "q"},', '  {"context": "third", "qu'].join('\n'),
  );
  const { samples, issues } = await readAll(file);
  assert.deepEqual(
    samples.map((s) => [s.context, s.source.line]),
    [
      ['first', 2],
      ['second', 3],
    ],
  );
  assert.deepEqual(issueLines(issues), [4]);
  assert.match(issues[0]!.message, /end of file/);
});

test('JSON array with unbalanced brackets and bad elements', async () => {
  const unbalanced = fixture(
    'unbalanced.json',
    ['[', ' {"context": "a"},', ' {"context": "b", "x": [1, 2},', ' {"context": "c"}', ']'].join('\n'),
  );
  const u = await readAll(unbalanced);
  assert.deepEqual(
    u.samples.map((s) => [s.context, s.source.line]),
    [
      ['a', 2],
      ['c', 4],
    ],
  );
  assert.deepEqual(issueLines(u.issues), [3]);
  assert.match(u.issues[0]!.message, /^invalid JSON: "}" on line 3 does not close "\[" \(unbalanced brackets\)$/);

  const mixed = fixture(
    'mixed.json',
    [
      '[',
      ' {"context": "ok1"},',
      ' {"context": "trailing comma",},',
      ' 42,',
      ' "str",',
      ' {"nothing": true},',
      ' {"context": "ok2"}',
      ']',
    ].join('\n'),
  );
  const m = await readAll(mixed);
  assert.deepEqual(
    m.samples.map((s) => [s.context, s.source.line]),
    [
      ['ok1', 2],
      ['ok2', 7],
    ],
  );
  assert.deepEqual(issueLines(m.issues), [3, 4, 5, 6]);
  assert.match(m.issues[0]!.message, /^invalid JSON: /);
  assert.equal(m.issues[1]!.message, 'expected a JSON object, got a number');
  assert.equal(m.issues[2]!.message, 'expected a JSON object, got a string');
  assert.match(m.issues[3]!.message, /^no context field: .*keys here: nothing$/);

  const empty = fixture('empty.json', '  \n');
  const e = await readAll(empty);
  assert.equal(e.samples.length, 0);
  assert.deepEqual(issueLines(e.issues), [1]);
});

// ---------------------------------------------------------------------------------------------
// Exact characters

test('contexts come out character for character (quotes, "1787,", CRLF, emoji, Chinese)', async () => {
  const record = { context: TRICKY, question: `Q: ${TRICKY}`, answer: `A: ${TRICKY}` };
  const expectedQa = [{ question: record.question, answer: record.answer }];

  const viaJsonl = await readAll(fixture('tricky.jsonl', jsonl([record])));
  assert.equal(viaJsonl.samples[0]!.context, TRICKY);
  assert.deepEqual(viaJsonl.samples[0]!.qa, expectedQa);

  const viaJson = await readAll(fixture('tricky.json', JSON.stringify([record, record], null, 2)));
  assert.deepEqual(
    viaJson.samples.map((s) => s.context),
    [TRICKY, TRICKY],
  );

  const viaParquet = await readAll(
    await parquetFixture('tricky.parquet', [
      { name: 'context', data: [TRICKY], type: 'STRING' },
      { name: 'question', data: [record.question], type: 'STRING' },
      { name: 'answer', data: [record.answer], type: 'STRING' },
    ]),
  );
  assert.equal(viaParquet.samples[0]!.context, TRICKY);
  assert.deepEqual(viaParquet.samples[0]!.qa, expectedQa);

  // A text document: BOM removed, everything else (CRLF, trailing whitespace) kept.
  const doc = `${TRICKY}\r\n\r\nSecond paragraph.\r\n`;
  const viaText = await readAll(fixture('tricky.txt', '\uFEFF' + doc));
  assert.equal(viaText.samples[0]!.context, doc);
  for (const result of [viaJsonl, viaJson, viaParquet, viaText]) {
    assert.deepEqual(result.issues, []);
  }
});

test('text documents: id from the sanitized stem, one sample, empty file → issue', async () => {
  const md = fixture('notes 1 (draft).md', '# Title\n\nBody text.\n');
  const { samples, issues } = await readAll(md);
  assert.deepEqual(issues, []);
  assert.deepEqual(samples, [{ id: 'notes_1__draft_', source: { file: md, line: 1 }, context: '# Title\n\nBody text.\n', qa: [] }]);

  const chinese = fixture('数据.markdown', '中文');
  assert.equal((await readAll(chinese)).samples[0]!.id, '__');
  const upper = fixture('UPPER.TEXT', 'x');
  assert.equal((await readAll(upper)).samples[0]!.id, 'UPPER');

  const empty = fixture('empty.txt', '\uFEFF \r\n\t\n');
  const e = await readAll(empty);
  assert.deepEqual(e.samples, []);
  assert.deepEqual(e.issues, [{ file: empty, line: 1, message: 'empty context' }]);

  const seed = path.join(SHARED_DATA, 'seed-abstract-zh.txt');
  const s = await readAll(seed);
  assert.equal(s.samples.length, 1);
  assert.equal(s.samples[0]!.id, 'seed-abstract-zh');
  assert.equal(s.samples[0]!.context, fs.readFileSync(seed, 'utf8').replace(/^\uFEFF/, ''));
});

// ---------------------------------------------------------------------------------------------
// Errors, abort, streaming

test('unknown extension and missing files are errors that name the file', async () => {
  const csv = fixture('table.csv', 'a,b\n1,2\n');
  await assert.rejects(readAll(csv), (error: unknown) => {
    assert.ok(error instanceof Error);
    assert.ok(error.message.includes(csv), error.message);
    assert.match(error.message, /\.jsonl/);
    assert.match(error.message, /\.parquet/);
    return true;
  });
  const missing = path.join(TMP, 'does-not-exist.jsonl');
  await assert.rejects(readAll(missing), (error: unknown) => {
    assert.ok(error instanceof Error);
    assert.ok(error.message.includes(missing), error.message);
    return true;
  });
  const directory = path.join(TMP, 'folder.json');
  fs.mkdirSync(directory);
  await assert.rejects(readAll(directory), (error: unknown) => error instanceof Error && error.message.includes(directory));
  // An unreadable Parquet footer is one issue for the file (the run goes on with the other inputs), not an error.
  const notParquet = fixture('fake.parquet', 'this is not parquet');
  const fake = await readAll(notParquet);
  assert.deepEqual(fake.samples, []);
  assert.equal(fake.issues.length, 1);
  assert.equal(fake.issues[0]!.file, notParquet);
  assert.equal(fake.issues[0]!.unit, 'file');
  assert.match(fake.issues[0]!.message, /^not a readable Parquet file \(.+\); no row read$/);
});

test('abort signal stops reading with signal.reason', async () => {
  const lines = Array.from({ length: 5000 }, (_, i) => ({ context: `record ${i}`, question: 'q', answer: 'a' }));
  for (const [name, content] of [
    ['abort.jsonl', jsonl(lines)],
    ['abort.json', JSON.stringify(lines, null, 1)],
  ] as const) {
    const file = fixture(name, content);
    const controller = new AbortController();
    const reason = new Error('stop now');
    let seen = 0;
    await assert.rejects(
      (async () => {
        for await (const sample of readSamples(file, { signal: controller.signal })) {
          assert.ok(sample);
          seen++;
          if (seen === 3) {
            controller.abort(reason);
          }
        }
      })(),
      (error: unknown) => error === reason,
    );
    assert.equal(seen, 3, name);
  }

  const parquet = await parquetFixture('abort.parquet', [{ name: 'context', data: ['a', 'b', 'c'], type: 'STRING' }]);
  const pre = new AbortController();
  pre.abort(new Error('already'));
  for (const file of [parquet, LEVAL_FILES[0]!]) {
    await assert.rejects(readAll(file, { signal: pre.signal }), (error: unknown) => error === pre.signal.reason);
  }
});

test('streaming: a ~200 MB JSONL file is read with RSS under 300 MB', async () => {
  const file = path.join(TMP, 'huge.jsonl');
  const filler = 'Streaming test text, with "quotes", 1787, and 中文. '.repeat(40);
  const fd = fs.openSync(file, 'w');
  let records = 0;
  try {
    let written = 0;
    while (written < 200 * 1024 * 1024) {
      const block: string[] = [];
      for (let k = 0; k < 1000; k++, records++) {
        block.push(JSON.stringify({ context: `${records}: ${filler}`, question: `q${records}`, answer: `a${records}` }));
      }
      written += fs.writeSync(fd, block.join('\n') + '\n');
    }
  } finally {
    fs.closeSync(fd);
  }
  try {
    let count = 0;
    let maxRss = process.memoryUsage().rss;
    for await (const sample of readSamples(file)) {
      count++;
      if (count % 1000 === 0) {
        maxRss = Math.max(maxRss, process.memoryUsage().rss);
        assert.equal(sample.qa[0]!.question, `q${count - 1}`);
      }
    }
    assert.equal(count, records);
    assert.ok(maxRss < 300 * 1024 * 1024, `RSS peaked at ${(maxRss / 1048576).toFixed(0)} MB`);
  } finally {
    fs.rmSync(file, { force: true });
  }
});
