/**
 * Torture family "JSON shapes": one-line arrays whose problems are located by element index (`FILE:LINE: element K:`),
 * `{"data": [...]}` wrappers, truncated files, 10k-deep nesting, unbalanced brackets, trailing garbage, wrong field
 * types; kept records are warned about (not "skipped"), and the summary (text and --json, synth and qa) counts the
 * lines skipped and the warnings apart. Every good record still comes out; nothing is written outside --out.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { assertClean, familyReport, runCli, synthIn, tortureCase, tortureWorkspace, type CliResult } from '../support/torture';

const FAMILY = 'JSON shapes';

const workspace = (t: { after: (fn: () => void) => void }, files: Record<string, string | Buffer>): { root: string; inputs: string[] } =>
  tortureWorkspace(t, files, 't2vid-torture-json-');
const clean = assertClean;
const synth = synthIn;

interface Summary {
  samples: number;
  entries: number;
  issues: number;
  input: { linesSkipped: number; filesSkipped: number; warnings: number; invalidUtf8: number };
}

function summaryOf(r: CliResult): Summary {
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Summary;
}

/** The stderr lines that report an issue (`skipped …` / `warning …`), with the workspace's path cut to `in/…`. */
function reported(r: CliResult): string[] {
  return r.stderr
    .split('\n')
    .filter((l) => /^(skipped|warning) /.test(l))
    .map((l) => l.replace(/\S*\/in\//, 'in/'));
}

/** Contexts in the written dataset (minicpm-v.json) are not stored; the entries' ids are. */
function datasetIds(root: string): string[] {
  const entries = JSON.parse(fs.readFileSync(path.join(root, 'out', 'minicpm-v.json'), 'utf8')) as Array<{ id: string }>;
  return entries.map((e) => e.id);
}

const rec = (i: number): Record<string, unknown> => ({
  context: `Record ${i} tells of the harbour and its ${i} boats.`,
  question: `How many boats in record ${i}?`,
  answer: `${i}`,
});

tortureCase(FAMILY, 'a one-line JSON array: every problem located as FILE:1: element K, every good element rendered', async (t) => {
  const elements = [
    rec(0),
    { context: 5 },
    rec(2),
    'just a string',
    { nope: 1 },
    rec(5),
    { context: 'ok', question: { not: 'text' }, answer: 'a' },
  ];
  const { root, inputs } = workspace(t, { 'flat.json': JSON.stringify(elements) });
  const r = await synth(root, inputs, '--json');
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(reported(r), [
    'skipped in/flat.json:1: element 1: context field "context" is not a string (got a number)',
    'skipped in/flat.json:1: element 3: expected a JSON object, got a string',
    reported(r)[2],
    'warning in/flat.json:1: element 6: question field "question" is not a string (got an object); QA pair skipped',
  ]);
  assert.match(reported(r)[2], /^skipped in\/flat\.json:1: element 4: no context field/);
  const s = summaryOf(r);
  assert.equal(s.samples, 4, 'elements 0, 2, 5 and 6');
  assert.equal(s.entries, 3, 'the three good pairs are in the dataset');
  assert.equal(datasetIds(root).length, 3);
  assert.deepEqual(s.input, { linesSkipped: 3, filesSkipped: 0, rowGroupsSkipped: 0, warnings: 1, invalidUtf8: 0 });
  clean(root);
});

tortureCase(FAMILY, 'lines skipped and warnings are counted apart in the text summary; kept records say "warning"', async (t) => {
  const leval = {
    input: 'A long document about lighthouses and the keepers who lived in them.',
    instructions: ['Who lived there?', 5, 'What was lit?'],
    outputs: ['keepers', 'a lamp'],
  };
  const text = [JSON.stringify(leval), '{"context": "broken', JSON.stringify(rec(3))].join('\n') + '\n';
  const { root, inputs } = workspace(t, { 'mixed.jsonl': text });
  const r = await synth(root, inputs, '--dry-run');
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(reported(r), [
    'warning in/mixed.jsonl:1: 3 instructions but 2 outputs; kept the 2 pair(s) that have both',
    'warning in/mixed.jsonl:1: instructions[1] is not a string (got a number); QA pair skipped',
    reported(r)[2],
  ]);
  assert.match(reported(r)[2], /^skipped in\/mixed\.jsonl:2: invalid JSON/);
  assert.match(r.stderr, /^1 input line skipped, 2 warnings \(reported above\)$/m);
  assert.doesNotMatch(r.stderr, /3 input lines skipped/);
  assert.match(r.stderr, /dry run: 2 samples, 2 QA pairs/);
  clean(root);
});

tortureCase(FAMILY, 'a record with several problems is skipped once, with all of them, and counted as one line', async (t) => {
  // Line 2: the mapped question is missing AND the context is binary: two problems, one record left out.
  const text =
    [JSON.stringify(rec(1)), JSON.stringify({ context: 'PK\u0003\u0004\u0000\u0000', answer: 'a' }), JSON.stringify(rec(3))].join('\n') +
    '\n';
  const { root, inputs } = workspace(t, { 'twice.jsonl': text });
  const r = await synth(root, inputs, '--dry-run', '--json', '--fields', 'context=context,question=prompt,answer=answer');
  assert.equal(r.code, 0, r.stderr);
  const lines = reported(r);
  const skipped = lines.filter((l) => l.startsWith('skipped'));
  assert.deepEqual(skipped, [
    'skipped in/twice.jsonl:2: no field prompt; QA pair skipped; the context is binary content (a NUL character at character 4)',
  ]);
  assert.deepEqual(
    lines.filter((l) => l.startsWith('warning')),
    ['warning in/twice.jsonl:1: no field prompt; QA pair skipped', 'warning in/twice.jsonl:3: no field prompt; QA pair skipped'],
    'the kept records miss the mapped question: warnings, not "skipped"',
  );
  const s = summaryOf(r);
  assert.equal(s.input.linesSkipped, 1);
  assert.equal(s.input.warnings, 2);
  assert.equal(s.samples, 2);
  clean(root);
});

tortureCase(FAMILY, 'qa: the report counts lines skipped and warnings apart too', async (t) => {
  const leval = {
    input: 'A long document about lighthouses and the keepers who lived in them, written out at length.',
    instructions: ['Who lived there?', 7],
    outputs: ['keepers', 'x'],
  };
  const text = [JSON.stringify(leval), '[1, 2', JSON.stringify(rec(3))].join('\n') + '\n';
  const { root, inputs } = workspace(t, { 'qa.jsonl': text });
  const r = await runCli(['qa', ...inputs, '--out', path.join('out', 'qa.t2vid.jsonl'), '--quiet'], { cwd: root, timeoutMs: 100_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^warning \S*in\/qa\.jsonl:1: instructions\[1\] is not a string/m);
  assert.match(r.stderr, /^skipped \S*in\/qa\.jsonl:2: invalid JSON/m);
  assert.match(r.stderr, /^1 input line skipped, 1 warning \(reported above\)$/m);
  const out = fs
    .readFileSync(path.join(root, 'out', 'qa.t2vid.jsonl'), 'utf8')
    .trim()
    .split('\n');
  assert.equal(out.length, 2, 'both usable records are in the output');
  clean(root);
});

tortureCase(FAMILY, '{"data": [...]} on one line: problems located by element index inside data', async (t) => {
  const { root, inputs } = workspace(t, { 'wrapped.json': JSON.stringify({ version: 2, data: [rec(0), { context: null }, rec(2)] }) });
  const r = await synth(root, inputs, '--dry-run', '--json');
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(reported(r), ['skipped in/wrapped.json:1: element 1: context field "context" is not a string (got null)']);
  assert.equal(summaryOf(r).samples, 2);
  clean(root);
});

tortureCase(FAMILY, 'a pretty-printed array: each element reported at the line it starts on, with its index', async (t) => {
  const text = [
    '[',
    `  ${JSON.stringify(rec(0))}, ${JSON.stringify({ context: 1 })},`,
    '  {',
    '    "context": [],',
    '    "question": "q"',
    '  },',
    `  ${JSON.stringify(rec(3))}`,
    ']',
    '',
  ].join('\n');
  const { root, inputs } = workspace(t, { 'pretty.json': text });
  const r = await synth(root, inputs, '--dry-run', '--json');
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(reported(r), [
    'skipped in/pretty.json:2: element 1: context field "context" is not a string (got a number)',
    'skipped in/pretty.json:3: element 2: context field "context" is not a string (got an array)',
  ]);
  assert.equal(summaryOf(r).samples, 2);
  clean(root);
});

tortureCase(FAMILY, 'a truncated JSON array: the cut element reported with line and index, every earlier element rendered', async (t) => {
  const full = JSON.stringify([rec(0), rec(1), rec(2)], null, 1);
  const cut = full.slice(0, full.lastIndexOf('"answer"'));
  const { root, inputs } = workspace(t, { 'cut.json': cut });
  const r = await synth(root, inputs, '--json');
  assert.equal(r.code, 0, r.stderr);
  const lines = reported(r);
  assert.equal(lines.length, 1, lines.join('\n'));
  assert.match(lines[0], /^skipped in\/cut\.json:\d+: element 2: invalid JSON: unexpected end of file inside this element/);
  assert.equal(datasetIds(root).length, 2, 'elements 0 and 1 are in the dataset');
  assert.equal(summaryOf(r).input.linesSkipped, 1);
  clean(root);
});

tortureCase(FAMILY, 'a 10k-deep nested element is reported at its element; no stack overflow; the others are read', async (t) => {
  const deep = '{"context": ' + '['.repeat(10_000) + ']'.repeat(10_000) + '}';
  const text = `[${JSON.stringify(rec(0))},\n${deep},\n${JSON.stringify(rec(2))}]\n`;
  const { root, inputs } = workspace(t, { 'deep.json': text });
  const r = await synth(root, inputs, '--dry-run', '--json');
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /RangeError|Maximum call stack|\n\s+at /);
  assert.deepEqual(reported(r), ['skipped in/deep.json:2: element 1: context field "context" is not a string (got an array)']);
  assert.equal(summaryOf(r).samples, 2);
  clean(root);
});

tortureCase(FAMILY, 'an unbalanced bracket inside one element: that element reported, the later ones still read', async (t) => {
  const text = `[${JSON.stringify(rec(0))}, {"context": "a", "question": ["q"}, ${JSON.stringify(rec(2))}, ${JSON.stringify(rec(3))}]`;
  const { root, inputs } = workspace(t, { 'unbalanced.json': text });
  const r = await synth(root, inputs, '--dry-run', '--json');
  assert.equal(r.code, 0, r.stderr);
  const lines = reported(r);
  assert.equal(lines.length, 1, lines.join('\n'));
  assert.match(
    lines[0],
    /^skipped in\/unbalanced\.json:1: element 1: invalid JSON: "\}" on line 1 does not close "\[" \(unbalanced brackets\)/,
  );
  assert.equal(summaryOf(r).samples, 3);
  clean(root);
});

tortureCase(FAMILY, 'text after the top-level array is reported at its line; every record of the array is kept', async (t) => {
  const text = `${JSON.stringify([rec(0), rec(1)], null, 1)}\ngarbage after the end\n`;
  const { root, inputs } = workspace(t, { 'trailing.json': text });
  const r = await synth(root, inputs, '--json');
  assert.equal(r.code, 0, r.stderr);
  const lines = reported(r);
  assert.equal(lines.length, 1);
  assert.match(
    lines[0],
    new RegExp(`^skipped in/trailing\\.json:${text.split('\n').length - 1}: unexpected text after the end of the top-level JSON value`),
  );
  assert.equal(datasetIds(root).length, 2);
  clean(root);
});

tortureCase(FAMILY, 'wrong field types in JSONL: unusable records skipped, records with a bad pair kept with a warning', async (t) => {
  const text =
    [
      JSON.stringify(rec(0)),
      JSON.stringify({ context: { text: 'nested' }, question: 'q', answer: 'a' }),
      JSON.stringify({ context: 'Kept, but its answer is a list.', question: 'q', answer: ['a'] }),
      JSON.stringify({ context: '   ', question: 'q', answer: 'a' }),
      JSON.stringify([1, 2, 3]),
      JSON.stringify(rec(5)),
    ].join('\n') + '\n';
  const { root, inputs } = workspace(t, { 'types.jsonl': text });
  const r = await synth(root, inputs, '--json');
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(reported(r), [
    'skipped in/types.jsonl:2: context field "context" is not a string (got an object)',
    'warning in/types.jsonl:3: answer field "answer" is not a string (got an array); QA pair skipped',
    'skipped in/types.jsonl:4: empty context',
    'skipped in/types.jsonl:5: expected a JSON object, got an array',
  ]);
  const s = summaryOf(r);
  assert.deepEqual(s.input, { linesSkipped: 3, filesSkipped: 0, rowGroupsSkipped: 0, warnings: 1, invalidUtf8: 0 });
  assert.equal(s.samples, 3);
  assert.deepEqual(datasetIds(root).length, 2, 'the two records with a pair are in the dataset (the third has frames only)');
  clean(root);
});

tortureCase(FAMILY, 'an input with nothing usable: rc 1, every line reported, the summary says how many were skipped', async (t) => {
  const { root, inputs } = workspace(t, { 'none.json': JSON.stringify([{ a: 1 }, { b: 2 }, 3]) });
  const r = await synth(root, inputs);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(reported(r).length, 3);
  assert.match(r.stderr, /^3 input lines skipped \(reported above\)$/m);
  clean(root);
});

familyReport(FAMILY);
