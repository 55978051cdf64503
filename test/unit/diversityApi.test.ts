/**
 * The `/embeddings` client against the loopback OpenAI-protocol test peer: batching and deduplication, 429 with
 * Retry-After then success, 500 until the retries run out (a clear error), the on-disk cache (a re-run sends
 * nothing; another model or endpoint misses), cancellation, the key never in an error or the CLI's output; and
 * `t2vid diversity --embeddings api` / `t2vid select --embeddings api` through the built CLI.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { ApiEmbedder, EmbeddingError } from '../../src/core/diversity/apiEmbeddings';
import type { DiversityReport } from '../../src/cli/diversity';
import type { SelectReport } from '../../src/cli/select';
import { EMBEDDING_DIMS, fakeOpenAI, peerEmbedding } from '../support/openaiPeer';
import { repoRoot, tempDir } from '../support/helpers';

const KEY = 'sk-test-embeddings-0123456789abcdef';
const CLI = path.join(repoRoot(), 'dist', 'cli.js');

function unit(v: number[]): number[] {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

function assertRow(rows: Float32Array, i: number, text: string): void {
  const want = unit(peerEmbedding(text));
  for (let t = 0; t < EMBEDDING_DIMS; t++) {
    assert.ok(Math.abs(rows[i * EMBEDDING_DIMS + t]! - want[t]!) < 1e-6, `row ${i} (${text}) dimension ${t}`);
  }
}

const options = (baseURL: string, extra: Partial<ConstructorParameters<typeof ApiEmbedder>[0]> = {}) => ({
  baseURL,
  apiKey: KEY,
  model: 'embed-test',
  backoffBaseMs: 1,
  maxBackoffMs: 5,
  ...extra,
});

test('batches of 256, distinct texts sent once, rows in input order and L2-normalised', async (t) => {
  const peer = await fakeOpenAI(t);
  const texts = Array.from({ length: 600 }, (_, i) => `instruction number ${i}`);
  const withRepeats = [...texts, texts[3]!, texts[599]!];
  const embedder = new ApiEmbedder(options(peer.baseURL, { concurrency: 2 }));
  const set = await embedder.embed(withRepeats);
  assert.equal(set.count, 602);
  assert.equal(set.dimensions, EMBEDDING_DIMS);
  assert.ok(set.present.every((p) => p === 1));
  assertRow(set.rows, 0, texts[0]!);
  assertRow(set.rows, 599, texts[599]!);
  assertRow(set.rows, 600, texts[3]!);
  assert.deepEqual(
    peer.embeddingRequests.map((r) => (r.body.input as string[]).length).sort((a, b) => b - a),
    [256, 256, 88],
  );
  for (const r of peer.embeddingRequests) {
    assert.equal(r.auth, `Bearer ${KEY}`);
    assert.equal(r.body.model, 'embed-test');
    assert.equal(r.body.encoding_format, 'float');
  }
  assert.deepEqual(embedder.usage, { requests: 3, retries: 0, cacheHits: 0, textsSent: 600, promptTokens: 6000 });
});

test('a 429 with Retry-After is waited out, then the batch succeeds', async (t) => {
  const peer = await fakeOpenAI(t);
  peer.embeddingQueue.push({ status: 429, headers: { 'retry-after-ms': '120' } }, { status: 503 });
  const retries: Array<{ attempt: number; reason: string; delayMs: number }> = [];
  const embedder = new ApiEmbedder(options(peer.baseURL, { onRetry: (r) => retries.push(r) }));
  const set = await embedder.embed(['one', 'two']);
  assertRow(set.rows, 1, 'two');
  assert.equal(peer.embeddingRequests.length, 3);
  assert.equal(retries[0]!.delayMs, 120);
  assert.match(retries[0]!.reason, /HTTP 429/);
  assert.match(retries[1]!.reason, /HTTP 503/);
  assert.ok(peer.embeddingRequests[1]!.at - peer.embeddingRequests[0]!.at >= 110, 'waited for Retry-After');
  assert.equal(embedder.usage.retries, 2);
});

test('500 until the retries run out: a clear error naming the status; the key never in it', async (t) => {
  const peer = await fakeOpenAI(t);
  for (let i = 0; i < 3; i++) {
    peer.embeddingQueue.push({ status: 500, reflectAuth: true });
  }
  const embedder = new ApiEmbedder(options(peer.baseURL, { maxRetries: 2 }));
  await assert.rejects(embedder.embed(['a', 'b']), (e: Error) => {
    assert.ok(e instanceof EmbeddingError);
    assert.match(e.message, /the embeddings request failed after 3 attempts: HTTP 500/);
    assert.ok(!e.message.includes(KEY), e.message);
    assert.match(e.message, /\[redacted\]/);
    return true;
  });
  assert.equal(peer.embeddingRequests.length, 3);
  // A 400 is not retried.
  peer.embeddingQueue.push({ status: 400, message: 'input too long' });
  await assert.rejects(new ApiEmbedder(options(peer.baseURL)).embed(['c']), /failed: HTTP 400: input too long/);
  assert.equal(peer.embeddingRequests.length, 4);
});

test('the on-disk cache: a re-run sends nothing; another model or endpoint asks again', async (t) => {
  const peer = await fakeOpenAI(t);
  const cacheDir = tempDir(t);
  const texts = ['alpha', 'beta', 'gamma', 'alpha'];
  const first = await new ApiEmbedder(options(peer.baseURL, { cacheDir })).embed(texts);
  assert.equal(peer.embeddingRequests.length, 1);
  const again = new ApiEmbedder(options(peer.baseURL, { cacheDir }));
  const second = await again.embed(texts);
  assert.equal(peer.embeddingRequests.length, 1, 'nothing sent');
  assert.equal(again.usage.cacheHits, 3);
  assert.deepEqual(second, first);
  // Part cached: only the new text is sent.
  await new ApiEmbedder(options(peer.baseURL, { cacheDir })).embed(['beta', 'delta']);
  assert.deepEqual(peer.embeddingRequests[1]!.body.input, ['delta']);
  await new ApiEmbedder(options(peer.baseURL, { cacheDir, model: 'other-model' })).embed(['alpha']);
  assert.equal(peer.embeddingRequests.length, 3, 'another model misses');
  const other = await fakeOpenAI(t);
  await new ApiEmbedder(options(other.baseURL, { cacheDir })).embed(['alpha']);
  assert.equal(other.embeddingRequests.length, 1, 'another endpoint misses');
  // A damaged cache file is a miss, not an error.
  const folder = fs.readdirSync(cacheDir).map((d) => path.join(cacheDir, d));
  for (const dir of folder) {
    for (const f of fs.readdirSync(dir)) {
      fs.writeFileSync(path.join(dir, f), 'garbage');
    }
  }
  await new ApiEmbedder(options(peer.baseURL, { cacheDir })).embed(['alpha']);
  assert.equal(peer.embeddingRequests.length, 4);
  for (const dir of folder) {
    for (const f of fs.readdirSync(dir)) {
      assert.ok(!fs.readFileSync(path.join(dir, f)).includes(KEY), 'no key in the cache');
    }
  }
});

test('cancellation stops waiting at once and rejects with the reason', async (t) => {
  const peer = await fakeOpenAI(t);
  peer.embeddingQueue.push({ status: 429, headers: { 'retry-after': '30' } });
  const controller = new AbortController();
  const embedder = new ApiEmbedder(options(peer.baseURL));
  const started = performance.now();
  const pending = embedder.embed(['x'], controller.signal);
  setTimeout(() => controller.abort(new Error('cancelled')), 100);
  await assert.rejects(pending, /cancelled/);
  assert.ok(performance.now() - started < 5000);
});

test('a reply of the wrong shape is a clear error', async (t) => {
  const peer = await fakeOpenAI(t, undefined, { embed: (text) => (text === 'bad' ? [1, Number.NaN] : [1, 0]) });
  await assert.rejects(
    new ApiEmbedder(options(peer.baseURL)).embed(['good', 'bad']),
    /embedding 1 of the reply is not a list of finite numbers/,
  );
});

/** The built CLI, asynchronously (the peer answers from this process). */
function t2vid(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

test('t2vid diversity and t2vid select --embeddings api: metrics over the API vectors, cached, key never printed', async (t) => {
  const peer = await fakeOpenAI(t);
  const dir = tempDir(t);
  const file = path.join(dir, 'set.jsonl');
  const prompts = [
    'Describe the video.',
    'What is the man holding?',
    'Count the cars.',
    'What happens after the door opens?',
    'Why does she laugh?',
  ];
  fs.writeFileSync(file, prompts.map((p) => JSON.stringify({ prompt: p })).join('\n') + '\n');
  const env = { OPENAI_API_KEY: KEY };
  const api = [
    '--embeddings',
    'api',
    '--base-url',
    peer.baseURL,
    '--embedding-model',
    'embed-test',
    '--cache-dir',
    path.join(dir, 'cache'),
  ];
  const r = await t2vid(['diversity', file, '--json', ...api], env);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(!r.stdout.includes(KEY) && !r.stderr.includes(KEY));
  const report = JSON.parse(r.stdout) as DiversityReport;
  assert.match(report.embeddings, /^API embeddings, model embed-test at http:\/\/127\.0\.0\.1:\d+\/v1$/);
  const vendi = report.datasets[0]!.metrics.vendi!;
  assert.match(vendi.definition, /API embeddings, model embed-test/);
  assert.match(report.datasets[0]!.metrics['cluster-entropy']!.definition, /on the API embeddings/);
  // The value is that of the peer's vectors: 5 hash vectors in 16 dimensions are far from alike.
  assert.ok(vendi.value! > 3 && vendi.value! <= 5, String(vendi.value));
  assert.equal(peer.embeddingRequests.length, 1);
  const again = await t2vid(['diversity', file, '--json', ...api], env);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(peer.embeddingRequests.length, 1, 'the re-run is served by the cache');
  assert.equal((JSON.parse(again.stdout) as DiversityReport).datasets[0]!.metrics.vendi!.value, vendi.value);

  const noKey = await t2vid(['diversity', file, ...api], { OPENAI_API_KEY: '' });
  assert.equal(noKey.code, 2);
  assert.match(noKey.stderr, /OPENAI_API_KEY/);

  peer.embeddingQueue.push({ status: 401, reflectAuth: true });
  const failed = await t2vid(['select', file, '--k', '2', '--out', path.join(dir, 'o.jsonl'), ...api.slice(0, -2)], env);
  assert.equal(failed.code, 1);
  assert.match(failed.stderr, /HTTP 401/);
  assert.ok(!failed.stderr.includes(KEY), failed.stderr);

  const chosen = await t2vid(['select', file, '--k', '2', '--out', path.join(dir, 'o.jsonl'), '--json', ...api], env);
  assert.equal(chosen.code, 0, chosen.stderr);
  const sel = JSON.parse(chosen.stdout) as SelectReport;
  assert.equal(sel.chosen, 2);
  assert.match(sel.metrics.selected.vendi.definition, /API embeddings/);
  assert.equal(sel.api?.textsSent, 0, 'every text was cached by the diversity run');
});
