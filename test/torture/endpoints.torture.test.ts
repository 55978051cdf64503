/**
 * Torture family "endpoints": `t2vid qa --generator llm` against a real OpenAI-protocol HTTP server on loopback
 * (test/support/openaiPeer.ts) that behaves as real endpoints do: JSON in a Markdown fence after a preamble, a 400 for
 * `response_format: json_schema` (and for json_object), another server serving a different model under the same
 * name, and an error body that echoes the Authorization header (the key must never be printed or written).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fakeOpenAI, type Fault } from '../support/openaiPeer';
import { familyReport, leftoverTempFiles, listFiles, runCli, tortureCase, type CliResult } from '../support/torture';
import { tempDir } from '../support/helpers';

const FAMILY = 'endpoints';
const KEY = 'sk-torture-SECRET-0123456789abcdef';

const DOCS = [
  'The keeper lit the lamp at dusk. Ships passed the rocks safely all night. At dawn the keeper put the lamp out and slept.',
  'Rain fell on the harbour for three days. The boats stayed in. On the fourth day the sun came out and the fleet sailed.',
  'A letter arrived from the city. It asked the keeper to retire. He wrote back that the light still needed him.',
];

function workspace(t: { after: (fn: () => void) => void }, docs = DOCS): { root: string; input: string } {
  const root = tempDir(t, 't2vid-torture-endpoints-');
  fs.mkdirSync(path.join(root, 'in'));
  const input = path.join(root, 'in', 'docs.jsonl');
  fs.writeFileSync(input, docs.map((context, i) => JSON.stringify({ context, question: `q${i}?`, answer: `a${i}` })).join('\n') + '\n');
  return { root, input };
}

interface QaSummary {
  ok: boolean;
  generated: number;
  failed: number;
  requests: number;
  cacheHits: number;
  responseFormat?: string;
  responseFormatFallbacks?: Array<{ from: string; to: string; reason: string }>;
  errors: Array<{ id: string; message: string; source: { file: string; line: number } }>;
}

function qa(root: string, input: string, baseURL: string, extra: string[] = [], out = 'out/docs.t2vid.jsonl'): Promise<CliResult> {
  return runCli(
    ['qa', input, '--out', out, '--generator', 'llm', '--base-url', baseURL, '--model', 'default', '--per-doc', '2', '--quiet', ...extra],
    {
      cwd: root,
      env: { OPENAI_API_KEY: KEY },
      timeoutMs: 60_000,
    },
  );
}

/** The records of a .t2vid.jsonl output. */
function records(file: string): Array<{ id: string; qa?: Array<{ answer: string; provenance: { generator: string } }> }> {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

function generatedAnswers(file: string): string[] {
  return records(file).flatMap((r) => (r.qa ?? []).filter((p) => p.provenance.generator === 'llm').map((p) => p.answer));
}

/** What every case checks at the end: nothing outside in/ and out/, no temp file left, the key nowhere. */
function clean(root: string, r: CliResult): void {
  assert.deepEqual(
    listFiles(root).filter((f) => !f.startsWith(`in${path.sep}`) && !f.startsWith(`out${path.sep}`)),
    [],
  );
  assert.deepEqual(leftoverTempFiles(path.join(root, 'out')), []);
  assert.ok(!r.stdout.includes(KEY) && !r.stderr.includes(KEY), 'the API key is never printed');
  for (const f of listFiles(path.join(root, 'out'))) {
    assert.ok(!fs.readFileSync(path.join(root, 'out', f), 'utf8').includes(KEY), `the API key is not written to ${f}`);
  }
}

tortureCase(
  FAMILY,
  'replies with a preamble and the JSON in a ```json fence are extracted and validated: every sample generated, no re-asking',
  async (t) => {
    const server = await fakeOpenAI(t, () => ({ fenced: true }));
    const { root, input } = workspace(t);
    const r = await qa(root, input, server.baseURL, ['--json']);
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout) as QaSummary;
    assert.equal(s.generated, DOCS.length);
    assert.equal(s.failed, 0);
    assert.equal(server.requests.length, DOCS.length, 'one request per sample: the fenced reply is accepted the first time');
    assert.equal(generatedAnswers(path.join(root, 'out', 'docs.t2vid.jsonl')).length, 2 * DOCS.length);
    clean(root, r);
  },
);

tortureCase(FAMILY, 'a reply with text before and after a bare JSON object (no fence) is extracted', async (t) => {
  const server = await fakeOpenAI(t, (body) => {
    const n = Number(/Write exactly (\d+)/.exec(body.messages.map((m) => m.content).join('\n'))?.[1] ?? 1);
    const pairs = Array.from({ length: n }, (_, i) => ({
      question: `Q ${i}: what {braces} "quoted"?`,
      answer: `A ${i}`,
      kind: 'detail',
      supportingFrames: [0],
    }));
    return { content: `Here you go: ${JSON.stringify({ pairs })} Hope this helps {not json}.` };
  });
  const { root, input } = workspace(t);
  const r = await qa(root, input, server.baseURL, ['--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((JSON.parse(r.stdout) as QaSummary).generated, DOCS.length);
  assert.equal(server.requests.length, DOCS.length);
  clean(root, r);
});

tortureCase(
  FAMILY,
  'a fenced reply of the wrong shape is still invalid: that sample fails (FILE:LINE) after 3 tries, the others are generated',
  async (t) => {
    const server = await fakeOpenAI(t, (body): Fault =>
      body.messages.some((m) => m.content.includes('letter arrived'))
        ? { content: 'Sure!\n```json\n{"pairs": []}\n```' }
        : { fenced: true },
    );
    const { root, input } = workspace(t);
    const r = await qa(root, input, server.baseURL, ['--json']);
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout) as QaSummary;
    assert.equal(s.generated, 2);
    assert.equal(s.failed, 1);
    assert.ok(r.stderr.includes(`${input}:3:`), `the failed sample is located: ${r.stderr}`);
    assert.match(s.errors[0].message, /invalid 3 times.*"pairs" is empty/);
    assert.equal(generatedAnswers(path.join(root, 'out', 'docs.t2vid.jsonl')).length, 4);
    clean(root, r);
  },
);

tortureCase(
  FAMILY,
  'a 400 naming response_format for json_schema: falls back once to json_object (schema in the prompt), remembered and reported',
  async (t) => {
    const server = await fakeOpenAI(t, undefined, { refuseFormats: ['json_schema'] });
    const { root, input } = workspace(t);
    const r = await qa(root, input, server.baseURL, ['--json', '--concurrency', '1']);
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout) as QaSummary;
    assert.equal(s.generated, DOCS.length);
    assert.equal(s.responseFormat, 'json_object');
    assert.equal(s.responseFormatFallbacks?.length, 1);
    assert.match(s.responseFormatFallbacks![0].reason, /HTTP 400.*response_format/);
    const types = server.requests.map((q) => q.body.response_format?.type);
    assert.deepEqual(
      types,
      ['json_schema', 'json_object', 'json_object', 'json_object'],
      'json_schema is tried once per run, not once per sample',
    );
    const asked = server.requests[1].body.messages.map((m) => m.content).join('\n');
    assert.match(asked, /matching this JSON schema: \{/, 'the schema is spelled out in the prompt');
    clean(root, r);
  },
);

tortureCase(FAMILY, 'json_schema and json_object both refused: prompt-only JSON, same validation; the human summary says so', async (t) => {
  const server = await fakeOpenAI(t, () => ({ fenced: true }), { refuseFormats: ['json_schema', 'json_object'] });
  const { root, input } = workspace(t);
  const r = await qa(root, input, server.baseURL, ['--concurrency', '1']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /refused response_format json_schema .*json_object instead/);
  assert.match(r.stderr, /refused response_format json_object .*JSON in the prompt only/);
  const types = server.requests.map((q) => q.body.response_format?.type ?? 'none');
  assert.deepEqual(types, ['json_schema', 'json_object', 'none', 'none', 'none']);
  assert.equal(generatedAnswers(path.join(root, 'out', 'docs.t2vid.jsonl')).length, 2 * DOCS.length);
  clean(root, r);
});

tortureCase(
  FAMILY,
  'the reply cache is keyed by base URL: another server serving "default" gets asked, not served the first one\'s answers',
  async (t) => {
    const a = await fakeOpenAI(t, undefined, { tag: 'server A' });
    const b = await fakeOpenAI(t, undefined, { tag: 'server B' });
    const { root, input } = workspace(t);
    const cache = ['--cache-dir', path.join('out', 'cache')];
    const first = await qa(root, input, a.baseURL, [...cache, '--json'], 'out/a.t2vid.jsonl');
    assert.equal(first.code, 0, first.stderr);
    const second = await qa(root, input, b.baseURL, [...cache, '--json'], 'out/b.t2vid.jsonl');
    assert.equal(second.code, 0, second.stderr);
    assert.equal(b.requests.length, DOCS.length, 'server B is asked for every sample');
    const answers = generatedAnswers(path.join(root, 'out', 'b.t2vid.jsonl'));
    assert.equal(answers.length, 2 * DOCS.length);
    assert.ok(
      answers.every((x) => x.endsWith('from server B')),
      `answers come from server B: ${answers.join(' | ')}`,
    );
    // The cache still works for the same server (and a trailing slash is the same endpoint).
    const third = await qa(root, input, `${a.baseURL}/`, [...cache, '--json'], 'out/a2.t2vid.jsonl');
    assert.equal(third.code, 0, third.stderr);
    assert.equal((JSON.parse(third.stdout) as QaSummary).cacheHits, DOCS.length);
    assert.equal(a.requests.length, DOCS.length, 'no new request to server A');
    clean(root, second);
  },
);

tortureCase(
  FAMILY,
  'an endpoint that echoes the Authorization header in its 401 body: the key is redacted on stderr, in --json and in files',
  async (t) => {
    const server = await fakeOpenAI(t, () => ({ status: 401, reflectAuth: true }));
    const { root, input } = workspace(t);
    const r = await qa(root, input, server.baseURL, ['--json']);
    assert.equal(r.code, 1, 'nothing usable');
    assert.equal(server.requests[0].auth, `Bearer ${KEY}`, 'the key was sent (and echoed back by the server)');
    const s = JSON.parse(r.stdout) as QaSummary;
    assert.equal(s.failed, DOCS.length);
    assert.match(s.errors[0].message, /HTTP 401.*Authorization: Bearer \[redacted\]/);
    assert.match(r.stderr, /Bearer \[redacted\]/);
    assert.ok(r.stderr.includes(`${input}:1:`), 'each failed sample is located');
    clean(root, r);
  },
);

tortureCase(FAMILY, 'the echoed key is redacted in the human report too (no --json)', async (t) => {
  const server = await fakeOpenAI(t, (body): Fault | undefined =>
    body.messages.some((m) => m.content.includes('Rain fell'))
      ? { status: 403, message: `key ${KEY} is not allowed for this model` }
      : undefined,
  );
  const { root, input } = workspace(t);
  const r = await qa(root, input, server.baseURL);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /HTTP 403: key \[redacted\] is not allowed/);
  assert.equal(generatedAnswers(path.join(root, 'out', 'docs.t2vid.jsonl')).length, 4, 'the other samples are generated');
  clean(root, r);
});

familyReport(FAMILY);
