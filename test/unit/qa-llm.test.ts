import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { resolveOptions } from '../../src/core/options';
import { LlmGenerator, LlmSampleError, retryAfterMs, type LlmOptions } from '../../src/core/qa/llm';
import { generatePairsForDocument, regeneratePair } from '../../src/core/qa/regenerate';
import { frameRanges, generateQA, readQAFile } from '../../src/core/qa/run';
import type { QADocument } from '../../src/core/qa/types';
import { Renderer } from '../../src/core/render';
import type { QASummary } from '../../src/core/qa/run';
import { levalDocuments, repoRoot, tempDir } from '../support/helpers';
import { fakeOpenAI } from '../support/openaiPeer';

const KEY = 'sk-test-SECRET-4f1c9a7e';

const engine = resolveOptions();
const renderer = new Renderer(engine.render);

/** Small real documents: slices of an L-Eval context. */
function slices(count: number, chars = 1500): string[] {
  const text = levalDocuments()[0].input;
  return Array.from({ length: count }, (_, i) => text.slice(i * chars, (i + 1) * chars).trim());
}

async function doc(context: string, id = 'd'): Promise<QADocument> {
  return { id, context, frames: await frameRanges(context, renderer, engine.segment) };
}

function gen(baseURL: string, extra: Partial<LlmOptions> = {}): LlmGenerator {
  return new LlmGenerator({ baseURL, apiKey: KEY, model: 'fake-model', perDoc: 3, backoffBaseMs: 20, timeoutMs: 5000, ...extra });
}

function inputFile(dir: string, contexts: string[]): string {
  const file = path.join(dir, 'docs.jsonl');
  fs.writeFileSync(file, contexts.map((context, i) => JSON.stringify({ context, question: `q${i}`, answer: `a${i}` })).join('\n') + '\n');
  return file;
}

function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}

test('429 with Retry-After and 500 are retried; Retry-After is honoured; structured output is requested', async (t) => {
  const server = await fakeOpenAI(t);
  server.queue.push({ status: 429, headers: { 'retry-after': '1' } }, { status: 500 });
  const g = gen(server.baseURL);
  const d = await doc(slices(1)[0]);
  assert.ok(d.frames.length >= 2);
  const pairs = await g.generate(d);
  assert.equal(pairs.length, 3);
  assert.equal(server.requests.length, 3, 'two retries then success');
  const gap = server.requests[1].at - server.requests[0].at;
  assert.ok(gap >= 950, `waited ${gap.toFixed(0)} ms after Retry-After: 1`);
  assert.deepEqual([g.usage.requests, g.usage.retries, g.usage.promptTokens, g.usage.completionTokens], [3, 2, 100, 50]);
  assert.equal(server.requests[0].body.response_format?.type, 'json_schema');
  assert.equal(server.requests[0].body.model, 'fake-model');
  assert.match(server.requests[0].body.messages[1].content, /<frame index="0">/);
  for (const p of pairs) {
    assert.equal(p.provenance.generator, 'llm');
    assert.equal(p.provenance.model, 'fake-model');
    assert.equal(p.status, 'new');
    assert.ok(p.supportingFrames.every((f) => f >= 0 && f < d.frames.length));
  }
});

test('Retry-After as seconds, HTTP date and retry-after-ms', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  assert.equal(retryAfterMs(new Headers({ 'retry-after': '3' }), now), 3000);
  assert.equal(retryAfterMs(new Headers({ 'retry-after': 'Wed, 01 Jan 2025 00:00:05 GMT' }), now), 5000);
  assert.equal(retryAfterMs(new Headers({ 'retry-after': 'Tue, 31 Dec 2024 00:00:05 GMT' }), now), 0);
  assert.equal(retryAfterMs(new Headers({ 'retry-after-ms': '250', 'retry-after': '9' }), now), 250);
  assert.equal(retryAfterMs(new Headers({ 'retry-after': 'soon' }), now), undefined);
  assert.equal(retryAfterMs(new Headers(), now), undefined);
});

test('a request that hangs past the timeout is abandoned and retried', async (t) => {
  const server = await fakeOpenAI(t);
  server.queue.push({ hang: true });
  const g = gen(server.baseURL, { timeoutMs: 400 });
  const started = performance.now();
  const pairs = await g.generate(await doc(slices(1)[0]));
  const took = performance.now() - started;
  assert.equal(pairs.length, 3);
  assert.equal(server.requests.length, 2, 'the hanging request, then its retry');
  assert.ok(took >= 400, `gave up after ${took.toFixed(0)} ms: it must wait out the 400 ms timeout first`);
});

test('malformed JSON and an out-of-range frame index are asked again; three bad replies fail the sample clearly', async (t) => {
  const server = await fakeOpenAI(t);
  server.queue.push({ content: '{"pairs": [ {"question": "unterminated' }, { badFrame: true });
  const g = gen(server.baseURL);
  const d = await doc(slices(1)[0]);
  assert.equal((await g.generate(d)).length, 3);
  assert.equal(server.requests.length, 3);
  const third = server.requests[2].body.messages;
  assert.match(third[third.length - 1].content, /out of range/, 'the retry tells the model what was wrong');

  server.queue.push({ content: 'not json at all' }, { content: '{"pairs": "no"}' }, { badFrame: true });
  const before = server.requests.length;
  await assert.rejects(g.generate(await doc(slices(2)[1], 'other')), (e: unknown) => {
    assert.ok(e instanceof LlmSampleError);
    assert.match((e as Error).message, /invalid 3 times.*supportingFrames\[0\] = \d+ is out of range/);
    return true;
  });
  assert.equal(server.requests.length - before, 3);

  // A 4xx other than 429 is not retried.
  server.queue.push({ status: 400 });
  const n = server.requests.length;
  await assert.rejects(g.generate(await doc(slices(3)[2], 'third')), /request failed: HTTP 400/);
  assert.equal(server.requests.length - n, 1);
});

test('regeneratePair (llm): the request lists the existing questions and the kind; a repeat is asked again; never cached', async (t) => {
  const dir = tempDir(t);
  let fresh = 0;
  const server = await fakeOpenAI(t, (body) => {
    if (!body.messages[1].content.includes('Write exactly 1 new') || (body.messages.length === 2 && fresh === 0)) {
      return undefined; // the usual reply: for one pair, "What happens in frame 1?", which already exists
    }
    fresh++;
    const pair = { question: `Which frame says fresh thing ${fresh}?`, answer: 'Frame 2', kind: 'temporal', supportingFrames: [1] };
    return { content: JSON.stringify({ pairs: [pair] }) };
  });
  const d = await doc(slices(1)[0]);
  const cacheDir = path.join(dir, 'cache');
  const existing = await gen(server.baseURL).generate(d);
  assert.deepEqual(
    existing.map((p) => [p.question, p.kind]),
    [
      ['What happens in frame 1?', 'detail'],
      ['What happens in frame 2?', 'temporal'],
      ['What happens in frame 3?', 'detail'],
    ],
  );
  const llm = { baseURL: server.baseURL, apiKey: KEY, model: 'fake-model', backoffBaseMs: 20, timeoutMs: 5000, cacheDir };
  const n = server.requests.length;
  const before = Date.now();
  const pair = await regeneratePair(d, existing, 1, { generator: 'llm', llm });
  assert.equal(server.requests.length - n, 2, 'the first reply repeated an existing question and was asked again');
  const first = server.requests[n].body.messages[1].content;
  for (const p of existing) {
    assert.ok(first.includes(p.question), `the request names the existing question ${JSON.stringify(p.question)}`);
  }
  assert.match(first, /of kind "temporal"/, 'the kind of the replaced pair is asked for');
  assert.match(first, /<frame index="0">/);
  const retry = server.requests[n + 1].body.messages;
  assert.match(retry[retry.length - 1].content, /"What happens in frame 1\?" already exists/);
  assert.deepEqual(
    [pair.question, pair.kind, pair.supportingFrames, pair.status],
    ['Which frame says fresh thing 1?', 'temporal', [1], 'new'],
  );
  assert.deepEqual(
    { ...pair.provenance, createdAt: '' },
    { generator: 'llm', model: 'fake-model', promptVersion: 'llm-qa-1', createdAt: '', editedByUser: false },
  );
  assert.ok(Date.parse(pair.provenance.createdAt) >= before - 1000);

  // The same call again: a new request, a new pair (no cache).
  const m = server.requests.length;
  const again = await regeneratePair(d, existing, 1, { generator: 'llm', llm });
  assert.equal(server.requests.length - m, 1, 'not served from a cache');
  assert.equal(again.question, 'Which frame says fresh thing 2?');
  assert.ok(!fs.existsSync(cacheDir), 'regeneration writes no cache');

  // A model that keeps repeating an existing question fails clearly.
  const stuck = await fakeOpenAI(t);
  await assert.rejects(
    regeneratePair(d, existing, 0, { generator: 'llm', llm: { ...llm, baseURL: stuck.baseURL } }),
    (e: unknown) => e instanceof LlmSampleError && /invalid 3 times.*already exists/.test((e as Error).message),
  );
  assert.equal(stuck.requests.length, 3);
  assert.match(stuck.requests[0].body.messages[1].content, /of kind "detail"/);
});

test('generatePairsForDocument (llm): the pairs for one document, cached like a run', async (t) => {
  const dir = tempDir(t);
  const server = await fakeOpenAI(t);
  const d = await doc(slices(1)[0]);
  const llm = { baseURL: server.baseURL, apiKey: KEY, model: 'fake-model', cacheDir: path.join(dir, 'cache') };
  const pairs = await generatePairsForDocument(d, { generator: 'llm', llm, perDoc: 4 });
  assert.equal(pairs.length, 4);
  assert.match(server.requests[0].body.messages[1].content, /Write exactly 4 question-answer pairs/);
  assert.ok(pairs.every((p) => p.provenance.generator === 'llm' && p.provenance.model === 'fake-model' && p.status === 'new'));
  const again = await generatePairsForDocument(d, { generator: 'llm', llm, perDoc: 4 });
  assert.equal(server.requests.length, 1, 'the second call is served from the cache');
  assert.deepEqual(again, pairs);
});

test('a run: the hopeless sample fails alone, others succeed in order; the cache makes a re-run free; the key stays out of files', async (t) => {
  const dir = tempDir(t);
  const contexts = slices(4);
  contexts[1] = 'HOPELESS ' + contexts[1];
  const server = await fakeOpenAI(t, (body) => (body.messages[1].content.includes('HOPELESS') ? { badFrame: true } : undefined));
  const input = inputFile(dir, contexts);
  const out = path.join(dir, 'qa.t2vid.jsonl');
  const cacheDir = path.join(dir, 'cache');
  const llm = { baseURL: server.baseURL, apiKey: KEY, model: 'fake-model', cacheDir, backoffBaseMs: 20 };
  const s1 = await generateQA({ inputs: [input], out, generator: 'llm', perDoc: 2, llm, concurrency: 2 });
  assert.deepEqual([s1.samples, s1.generated, s1.failed, s1.pairs], [4, 3, 1, 6]);
  assert.equal(s1.ok, true);
  assert.equal(s1.errors.length, 1);
  assert.equal(s1.errors[0].id, 'docs-000002');
  assert.match(s1.errors[0].message, /out of range/);
  assert.equal(s1.requests, 3 + 3, 'three good samples, three tries for the hopeless one');
  assert.deepEqual([s1.promptTokens, s1.completionTokens], [600, 300]);
  const records = await readQAFile(out);
  assert.deepEqual(
    records.map((r) => r.id),
    ['docs-000001', 'docs-000003', 'docs-000004'],
  );
  assert.ok(records.every((r) => r.qa.length === 3 && r.qa.every((p) => p.supportingFrames.every((f) => f < r.frames.length))));
  assert.deepEqual(
    records.map((r) => r.qa.map((p) => p.provenance.generator)),
    Array(3).fill(['source', 'llm', 'llm']),
    'the input pair, then 2 generated',
  );
  assert.deepEqual(
    records.map((r) => r.qa[0].question),
    ['q0', 'q2', 'q3'],
  );

  for (const req of server.requests) {
    assert.equal(req.auth, `Bearer ${KEY}`);
  }

  // A fresh output with the same cache: no request for the three good samples.
  const out2 = path.join(dir, 'again.t2vid.jsonl');
  const n = server.requests.length;
  const s2 = await generateQA({ inputs: [input], out: out2, generator: 'llm', perDoc: 2, llm, concurrency: 2 });
  assert.equal(s2.cacheHits, 3);
  assert.equal(server.requests.length - n, 3, 'only the hopeless sample is asked again');
  assert.deepEqual([s2.promptTokens, s2.completionTokens], [300, 150]);
  assert.deepEqual(
    (await readQAFile(out2)).map((r) => r.qa.slice(1)),
    records.map((r) => r.qa.slice(1)),
    'the same generated pairs, from the cache',
  );

  // A re-run into the same output only retries the failed sample.
  const m = server.requests.length;
  const s3 = await generateQA({ inputs: [input], out, generator: 'llm', perDoc: 2, llm });
  assert.deepEqual([s3.resumed, s3.failed, s3.generated], [3, 1, 0]);
  assert.equal(server.requests.length - m, 3);

  const files = filesUnder(dir);
  assert.ok(
    files.some((f) => f.startsWith(cacheDir)),
    'cache files written',
  );
  for (const f of files) {
    assert.ok(!fs.readFileSync(f, 'utf8').includes(KEY), `the key is not in ${f}`);
  }
});

test('the token budget stops new requests; a later run continues', async (t) => {
  const dir = tempDir(t);
  const server = await fakeOpenAI(t);
  const input = inputFile(dir, slices(4));
  const out = path.join(dir, 'qa.t2vid.jsonl');
  const llm = { baseURL: server.baseURL, apiKey: KEY, model: 'fake-model', cacheDir: path.join(dir, 'cache'), budgetTokens: 200 };
  const s1 = await generateQA({ inputs: [input], out, generator: 'llm', perDoc: 2, llm, concurrency: 1 });
  assert.equal(server.requests.length, 2, '150 tokens < 200 → a second request; 300 ≥ 200 → stop');
  assert.deepEqual([s1.generated, s1.skipped, s1.failed, s1.budgetExhausted], [2, 2, 0, true]);
  assert.equal(s1.promptTokens + s1.completionTokens, 300);
  const s2 = await generateQA({
    inputs: [input],
    out,
    generator: 'llm',
    perDoc: 2,
    llm: { ...llm, budgetTokens: undefined },
    concurrency: 1,
  });
  assert.deepEqual([s2.resumed, s2.generated, s2.budgetExhausted], [2, 2, false]);
  assert.deepEqual(
    (await readQAFile(out)).map((r) => r.id),
    ['docs-000001', 'docs-000002', 'docs-000003', 'docs-000004'],
  );
});

// No wall-clock bound on how soon it returns: the requests hang and their timeout (60 s) is far longer than this
// test's, so a cancellation that did not abort them fails the test by its timeout.
test('cancellation stops promptly: hanging requests are aborted, finished records kept', { timeout: 30_000 }, async (t) => {
  const dir = tempDir(t);
  const contexts = slices(4);
  contexts[0] = 'ANSWERED ' + contexts[0];
  const server = await fakeOpenAI(t, (body) => (body.messages[1].content.includes('ANSWERED') ? undefined : { hang: true }));
  const input = inputFile(dir, contexts);
  const out = path.join(dir, 'qa.t2vid.jsonl');
  const controller = new AbortController();
  let aborted = false;
  let timer: NodeJS.Timeout | undefined;
  const s = await generateQA({
    inputs: [input],
    out,
    generator: 'llm',
    perDoc: 2,
    llm: { baseURL: server.baseURL, apiKey: KEY, model: 'fake-model', cacheDir: path.join(dir, 'cache'), timeoutMs: 60_000 },
    concurrency: 2,
    signal: controller.signal,
    onProgress: (p) => {
      if (p.done === 1 && !timer) {
        // The first sample is written; two requests now hang. Cancel a moment later.
        timer = setTimeout(() => {
          aborted = true;
          controller.abort(new Error('cancelled'));
        }, 400);
      }
    },
  });
  assert.ok(aborted);
  assert.equal(s.cancelled, true);
  assert.equal(s.failed, 0, 'a cancelled sample is not a failure');
  assert.deepEqual(
    (await readQAFile(out)).map((r) => r.id),
    ['docs-000001'],
  );
  assert.equal(server.requests.length, 3, 'one answered, two in flight when cancelled, none started after');
});

/** The built CLI (`node dist/cli.js …`), run asynchronously so that the in-process fake endpoint can answer it. */
function cli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(repoRoot(), 'dist', 'cli.js'), ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('t2vid qa --generator llm (the built CLI): records with llm provenance, the key nowhere, a re-run sends nothing', async (t) => {
  const dir = tempDir(t);
  const server = await fakeOpenAI(t);
  const input = inputFile(dir, slices(3));
  const out = path.join(dir, 'qa.t2vid.jsonl');
  const args = [
    'qa',
    input,
    '--out',
    out,
    '--generator',
    'llm',
    '--base-url',
    server.baseURL,
    '--model',
    'cli-model',
    '--per-doc',
    '2',
    '--json',
  ];
  const r1 = await cli(args, { OPENAI_API_KEY: KEY });
  assert.equal(r1.code, 0, r1.stderr);
  const s1 = JSON.parse(r1.stdout) as QASummary;
  assert.deepEqual(
    [s1.ok, s1.generator, s1.samples, s1.generated, s1.failed, s1.pairs, s1.sourcePairs, s1.requests, s1.cacheHits],
    [true, 'llm', 3, 3, 0, 6, 3, 3, 0],
  );
  assert.deepEqual([s1.promptTokens, s1.completionTokens], [300, 150]);
  assert.equal(s1.out, out);
  assert.ok(server.requests.every((r) => r.auth === `Bearer ${KEY}` && r.body.model === 'cli-model'));
  const records = await readQAFile(out);
  assert.deepEqual(
    records.map((r) => r.id),
    ['docs-000001', 'docs-000002', 'docs-000003'],
  );
  for (const [i, r] of records.entries()) {
    assert.deepEqual(
      r.qa.map((p) => p.provenance.generator),
      ['source', 'llm', 'llm'],
    );
    assert.deepEqual([r.qa[0].question, r.qa[0].answer], [`q${i}`, `a${i}`]);
    for (const p of r.qa.slice(1)) {
      assert.deepEqual(
        [p.provenance.model, p.provenance.promptVersion, p.provenance.editedByUser, p.status],
        ['cli-model', 'llm-qa-1', false, 'new'],
      );
      assert.ok(p.supportingFrames.length && p.supportingFrames.every((f) => f >= 0 && f < r.frames.length));
    }
  }
  const written = fs.readFileSync(out, 'utf8');
  for (const text of [written, r1.stdout, r1.stderr, ...filesUnder(dir).map((f) => fs.readFileSync(f, 'utf8'))]) {
    assert.ok(!text.includes(KEY), 'the API key appears in no output, log or file');
  }

  // The same command again: everything is resumed, no request is sent, the file is unchanged.
  const r2 = await cli(args, { OPENAI_API_KEY: KEY });
  assert.equal(r2.code, 0, r2.stderr);
  const s2 = JSON.parse(r2.stdout) as QASummary;
  assert.deepEqual([s2.resumed, s2.generated, s2.requests, s2.pairs], [3, 0, 0, 0]);
  assert.equal(server.requests.length, 3);
  assert.equal(fs.readFileSync(out, 'utf8'), written);
});

test('t2vid qa --generator llm against an endpoint that always answers 500: per-sample errors, exit 1, written records kept', async (t) => {
  const dir = tempDir(t);
  const good = await fakeOpenAI(t);
  const broken = await fakeOpenAI(t, () => ({ status: 500, headers: { 'retry-after-ms': '5' } }));
  const contexts = slices(5);
  const input = inputFile(dir, contexts.slice(0, 2));
  const common = ['--generator', 'llm', '--model', 'm', '--per-doc', '2', '--json'];

  // Nothing usable: every sample fails, each reported on stderr; the exit code says so.
  const fresh = path.join(dir, 'fresh.t2vid.jsonl');
  const r0 = await cli(['qa', input, '--out', fresh, '--base-url', broken.baseURL, ...common], { OPENAI_API_KEY: KEY });
  assert.equal(r0.code, 1, r0.stderr);
  const s0 = JSON.parse(r0.stdout) as QASummary;
  assert.deepEqual([s0.ok, s0.generated, s0.failed, s0.retries], [false, 0, 2, 8]);
  assert.equal(broken.requests.length, 10, 'each sample: the first attempt and 4 retries');
  for (const id of ['docs-000001', 'docs-000002']) {
    assert.match(r0.stderr, new RegExp(`failed .*docs\\.jsonl:\\d+: ${id}: request failed after 5 attempts: HTTP 500`));
  }
  assert.ok(!fs.existsSync(fresh), 'no record for a failed sample, and no 0-byte output file (issue 9, #12)');
  assert.ok(!r0.stdout.includes(KEY) && !r0.stderr.includes(KEY));

  // Records written by an earlier run survive a run in which every request fails.
  const out = path.join(dir, 'qa.t2vid.jsonl');
  const r1 = await cli(['qa', input, '--out', out, '--base-url', good.baseURL, ...common], { OPENAI_API_KEY: KEY });
  assert.equal(r1.code, 0, r1.stderr);
  const before = fs.readFileSync(out, 'utf8');
  fs.writeFileSync(input, contexts.map((context, i) => JSON.stringify({ context, question: `q${i}`, answer: `a${i}` })).join('\n') + '\n');
  const r2 = await cli(['qa', input, '--out', out, '--base-url', broken.baseURL, ...common], { OPENAI_API_KEY: KEY });
  const s2 = JSON.parse(r2.stdout) as QASummary;
  assert.deepEqual([s2.resumed, s2.generated, s2.failed], [2, 0, 3]);
  assert.equal(r2.code, 0, 'as for t2vid synth: non-zero only when nothing usable is in the output');
  assert.equal((r2.stderr.match(/^failed .*request failed after 5 attempts: HTTP 500/gm) ?? []).length, 3);
  assert.equal(fs.readFileSync(out, 'utf8'), before, 'the earlier records are kept byte for byte');

  // Once the endpoint works again, only the failed samples are asked for.
  const n = good.requests.length;
  const r3 = await cli(['qa', input, '--out', out, '--base-url', good.baseURL, ...common], { OPENAI_API_KEY: KEY });
  assert.equal(r3.code, 0, r3.stderr);
  assert.equal(good.requests.length - n, 3);
  assert.ok(fs.readFileSync(out, 'utf8').startsWith(before));
  assert.deepEqual(
    (await readQAFile(out)).map((r) => r.id),
    ['docs-000001', 'docs-000002', 'docs-000003', 'docs-000004', 'docs-000005'],
  );
});
