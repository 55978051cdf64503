/**
 * The protocols are one schema per message: these tests walk the schemas themselves (not a list kept beside
 * them), so a message or a field added to a schema is covered here without touching this file, except for a valid
 * example of a new message, which the first test asks for.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as v from 'valibot';
import {
  CurationFromWebviewSchema,
  CurationToWebviewSchema,
  parseCurationFromWebview,
  parseCurationToWebview,
} from '../../src/shared/protocol/curation';
import { FromWebviewSchema, ToWebviewSchema, parseFromWebview, parseToWebview } from '../../src/shared/protocol/frames';
import {
  FromWebviewSchema as ResultsFromWebviewSchema,
  ToWebviewSchema as ResultsToWebviewSchema,
  parseFromWebview as parseResultsFromWebview,
  parseToWebview as parseResultsToWebview,
} from '../../src/shared/protocol/results';
import { parser } from '../../src/shared/protocol/schema';

type Schema = v.GenericSchema & { entries?: Record<string, Schema>; item?: Schema; options?: Schema[] };

/** A 1×1 grey PNG, base64. */
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgABSK+kcQAAAABJRU5ErkJggg==';
const settings = {
  'segment.mode': 'words',
  'segment.wordsPerFrame': 115,
  'render.fontSize': 20,
  'render.width': 448,
  'render.height': 448,
  'preview.modelProfile': 'minicpm-v-2.5',
};
const pair = {
  question: 'Which lighthouse?',
  answer: 'Ardnamurchan.',
  status: 'new',
  kind: 'detail',
  generator: 'builtin',
  model: null,
  createdAt: '2026-01-01T00:00:00Z',
  editedByUser: false,
  supportingFrames: [0, 2],
  questionReadOnly: false,
};
const row = {
  line: 4,
  hash: '0123abcd:1k',
  ok: true,
  error: null,
  id: 'sample-4',
  schema: 't2vid-qa',
  contextHead: 'The keepers…',
  contextLength: 12000,
  frameCount: 7,
  pairs: [pair],
  canAdd: true,
  canDelete: true,
  warnings: ['a warning'],
};
const filter = { status: 'all', generator: 'all', text: '' };

/** One valid example per message (optional fields present, so they are checked too). */
const EXAMPLES: Array<[string, (raw: unknown) => unknown, Schema, unknown[]]> = [
  [
    'frames, host → webview',
    parseToWebview,
    ToWebviewSchema as Schema,
    [
      {
        type: 'frames/state',
        document: { name: 'doc.jsonl', kind: 'sample', line: 3 },
        message: null,
        settings,
        start: 0,
        frames: [{ index: 0, src: 'https://x/0.png', data: PNG, range: [0, 10], words: 2 }],
        count: 3,
        complete: false,
        reveal: -1,
        wordsPerFrame: 2,
        width: 448,
        height: 448,
        rendering: false,
        renderMs: 12,
        version: 1,
      },
      { type: 'frames/range', version: 1, start: 1, frames: [{ index: 1, src: 'https://x/1.png', data: PNG, range: [10, 20], words: 2 }] },
      { type: 'frames/highlight', index: 0 },
    ],
  ],
  [
    'frames, webview → host',
    parseFromWebview,
    FromWebviewSchema as Schema,
    [
      { type: 'frames/ready', restored: true },
      { type: 'frames/selectFrame', index: 1 },
      { type: 'frames/openFrame', index: 1 },
      ...Object.entries(settings).map(([key, value]) => ({ type: 'frames/updateSetting', key, value })),
      { type: 'frames/exportFrames' },
      { type: 'frames/openSettings' },
      { type: 'frames/requestRange', version: 1, start: 0, end: 24 },
    ],
  ],
  [
    'curation, host → webview',
    parseCurationToWebview,
    CurationToWebviewSchema as Schema,
    [
      {
        type: 'curation/view',
        file: 'qa.t2vid.jsonl',
        lines: [0, 4],
        total: 2,
        filter,
        version: 1,
        frameWidth: 448,
        frameHeight: 448,
        generator: 'llm',
        llmModel: 'm',
        mode: 'large',
      },
      { type: 'curation/rows', version: 1, rows: [row] },
      { type: 'curation/stats', stats: { rows: 2, errors: 0, pairs: 1, new: 1, accepted: 0, rejected: 0, flagged: 0, complete: true } },
      { type: 'curation/frames', line: 4, hash: 'h', frames: [{ index: 0, src: 'https://x/0.png', clipped: false }], error: null },
      { type: 'curation/focus', line: 4, pair: 0, field: 'question' },
      { type: 'curation/busy', line: 4, pair: 0, busy: true },
      { type: 'curation/notice', level: 'info', message: 'saved' },
      { type: 'curation/command', command: 'next' },
    ],
  ],
  [
    'curation, webview → host',
    parseCurationFromWebview,
    CurationFromWebviewSchema as Schema,
    [
      { type: 'curation/ready' },
      { type: 'curation/requestRows', lines: [0, 4] },
      { type: 'curation/requestFrames', line: 4, hash: 'h' },
      { type: 'curation/setFilter', filter },
      { type: 'curation/edit', line: 4, hash: 'h', edit: { type: 'setText', pair: 0, field: 'answer', value: 'v' } },
      { type: 'curation/regenerate', line: 4, hash: 'h', pair: 0 },
      { type: 'curation/reveal', line: 4 },
      { type: 'curation/openFrame', line: 4, hash: 'h', index: 0 },
      { type: 'curation/setGenerator', generator: 'builtin' },
    ],
  ],
  [
    'results, host → webview',
    parseResultsToWebview,
    ResultsToWebviewSchema as unknown as Schema,
    [
      {
        type: 'results/state',
        table: {
          runs: [
            {
              name: 'mix-15',
              dir: 'runs/mix-15',
              model: 'qwen2_vl',
              sweepId: 'sweep-1',
              sweepValue: '15',
              files: 2,
              values: [52.5, null],
            },
          ],
          columns: [{ task: 'mvbench_a', metric: 'accuracy (run_bench)', computed: false, parent: 'mvbench' }],
          reference: [{ task: 'videomme', value: 53, setting: 'MiniCPM-Llama3-V 2.5' }],
          sweeps: [{ id: 'sweep-1', kind: 'synthetic-share', axis: 'synthetic share (%)', points: [{ run: 0, x: 15, label: '15 %' }] }],
          searched: ['**/*_results.json'],
          errors: ['x_results.json: not valid JSON'],
        },
        baseline: 'mix-15',
      },
    ],
  ],
  [
    'results, webview → host',
    parseResultsFromWebview,
    ResultsFromWebviewSchema as Schema,
    [
      { type: 'results/ready' },
      { type: 'results/export', format: 'csv', order: ['mix-15', 'video'], baseline: 'video' },
      { type: 'results/refresh' },
    ],
  ],
];

/** The object schemas of a union (a variant's options, nested variants flattened). */
function messageSchemas(schema: Schema): Schema[] {
  return schema.options ? schema.options.flatMap(messageSchemas) : [schema];
}

const isOptional = (s: Schema): boolean => s.type === 'exact_optional' || s.type === 'optional';

/** Every path to a field in `value` that `schema` declares, with that field's schema (into objects and arrays of objects). */
function fieldPaths(schema: Schema, value: unknown, at: Array<string | number> = []): Array<[Array<string | number>, Schema]> {
  const out: Array<[Array<string | number>, Schema]> = [];
  const inner = (s: Schema): Schema => (s as { wrapped?: Schema }).wrapped ?? s;
  for (const [key, field] of Object.entries(schema.entries ?? {})) {
    const path = [...at, key];
    out.push([path, field]);
    const child = (value as Record<string, unknown>)[key];
    const f = inner(field);
    if (f.entries && child && typeof child === 'object') {
      out.push(...fieldPaths(f, child, path));
    } else if (f.item?.entries && Array.isArray(child) && child.length) {
      out.push(...fieldPaths(f.item, child[0], [...path, 0]));
    }
  }
  return out;
}

function withField(
  value: unknown,
  path: Array<string | number>,
  edit: (parent: Record<string | number, unknown>, key: string | number) => void,
): unknown {
  const copy = structuredClone(value);
  let parent = copy as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) {
    parent = parent[key] as Record<string | number, unknown>;
  }
  edit(parent, path[path.length - 1]);
  return copy;
}

test('schemas: every message type of every direction has a valid example, and it is accepted as it is', () => {
  for (const [name, parse, schema, examples] of EXAMPLES) {
    const types = new Set(messageSchemas(schema).map((s) => (s.entries?.type as unknown as { literal: string }).literal));
    assert.deepEqual(new Set(examples.map((e) => (e as { type: string }).type)), types, `${name}: one example per message type`);
    for (const example of examples) {
      assert.deepEqual(parse(example), example, `${name}: ${JSON.stringify(example).slice(0, 120)}`);
    }
  }
});

test('schemas: each field of each message, at any depth, is checked: missing, of the wrong type, or with a stranger beside it', () => {
  let checked = 0;
  for (const [name, parse, schema, examples] of EXAMPLES) {
    for (const example of examples) {
      const type = (example as { type: string }).type;
      const own = messageSchemas(schema).find((s) => v.is(s, example));
      assert.ok(own, `${name}: ${type} has a schema`);
      for (const [path, field] of fieldPaths(own as Schema, example)) {
        const where = `${name}: ${type}.${path.join('.')}`;
        // The field's value turned into another JS type (a number into a string, a string into a number, …).
        const current = path.reduce<unknown>((o, k) => (o as Record<string | number, unknown>)[k], example);
        const swapped =
          typeof current === 'number'
            ? String(current)
            : typeof current === 'string'
              ? 42
              : typeof current === 'boolean'
                ? String(current)
                : 0;
        for (const wrong of [swapped, Symbol('wrong'), { wrong: true }, [[]]]) {
          assert.equal(
            parse(withField(example, path, (p, k) => (p[k] = wrong))),
            undefined,
            `${where} = ${String(typeof wrong)} is rejected`,
          );
        }
        if (!isOptional(field)) {
          assert.equal(parse(withField(example, path, (p, k) => delete p[k])), undefined, `${where} missing is rejected`);
        }
        checked++;
      }
      assert.equal(
        parse({ ...(example as object), injected: '<img src=x onerror=alert(1)>' }),
        undefined,
        `${name}: ${type} with an unknown field`,
      );
      assert.equal(parse({ ...(example as object), type: type.split('/')[1] }), undefined, `${name}: ${type} without its view scope`);
    }
  }
  assert.ok(checked > 100, `${checked} fields checked`);
});

test('schemas: a field added to a message is validated with nothing else to change (the type and the check are one)', () => {
  // A real message schema with one more field, as a developer would add it.
  const openFrame = messageSchemas(FromWebviewSchema as Schema).find((s) => v.is(s, { type: 'frames/openFrame', index: 1 })) as Schema;
  const extended = v.strictObject({ ...(openFrame.entries as v.ObjectEntries), zoom: v.picklist(['fit', 'actual']) });
  const parse = parser(extended);
  // The type the receiver gets has the new field...
  const message: v.InferOutput<typeof extended> | undefined = parse({ type: 'frames/openFrame', index: 1, zoom: 'fit' });
  assert.deepEqual(message, { type: 'frames/openFrame', index: 1, zoom: 'fit' });
  // ...and the check requires it and checks its value, without any second list of fields to update.
  assert.equal(parse({ type: 'frames/openFrame', index: 1 }), undefined);
  assert.equal(parse({ type: 'frames/openFrame', index: 1, zoom: 'huge' }), undefined);
  assert.equal(parse({ type: 'frames/openFrame', index: 1, zoom: 2 }), undefined);
});

test('schemas: a message scoped to the other view is rejected by each parser', () => {
  assert.equal(parseFromWebview({ type: 'curation/ready' }), undefined);
  assert.equal(parseCurationFromWebview({ type: 'frames/ready' }), undefined);
  assert.equal(parseToWebview({ type: 'curation/command', command: 'next' }), undefined);
  assert.equal(parseCurationToWebview({ type: 'frames/highlight', index: 0 }), undefined);
});
