/**
 * Instruction embeddings from any OpenAI-compatible `/embeddings` endpoint, through the `openai` client, handled as
 * the Q&A generator handles its endpoint (src/core/qa/llm.ts):
 * - the texts are deduplicated and sent in batches (default 256 inputs a request), a bounded number in flight;
 * - our own retry loop (the SDK's is off): 429, 408, 5xx, timeouts and connection errors are retried with exponential
 *   backoff (base 500 ms, jitter), honouring Retry-After / retry-after-ms; other errors and exhausted retries throw
 *   EmbeddingError with the server's text, redacted;
 * - an on-disk cache keyed by the endpoint (base URL), the model and sha256 of each text: a folder per endpoint and
 *   model, one file per answered batch (written atomically) holding each text's hash and vector; a re-run of the same
 *   texts sends nothing, and a batch cut short by a crash loses only itself;
 * - cancellation through an AbortSignal; the key goes only into the Authorization header (registered with `redact`).
 * Vectors are L2-normalised; a zero vector counts as no embedding.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import OpenAI, { APIError } from 'openai';
import { linkedSignal, Semaphore, sleep } from '../util/async';
import { writeFileAtomic } from '../util/fsutil';
import { addSecret, redact } from '../util/redact';
import { describe, retryable, retryAfterMs } from '../qa/llm';
import { endpointKey } from '../qa/llmCache';
import type { EmbeddingSet } from './embeddings';

export const EMBEDDING_BATCH = 256;

export interface ApiEmbeddingOptions {
  /** e.g. https://api.openai.com/v1 or http://127.0.0.1:8000/v1 */
  baseURL: string;
  /** Sent as `Authorization: Bearer …` only. */
  apiKey: string;
  model: string;
  /** Inputs per request (default 256). */
  batchSize?: number;
  /** Requests in flight (default 4). */
  concurrency?: number;
  /** Per-request timeout (default 120 000 ms). */
  timeoutMs?: number;
  /** Retries after the first attempt (default 4). */
  maxRetries?: number;
  backoffBaseMs?: number;
  maxBackoffMs?: number;
  maxRetryAfterMs?: number;
  /** Cache folder; undefined: no cache. */
  cacheDir?: string;
  random?: () => number;
  onRetry?: (info: { attempt: number; reason: string; delayMs: number }) => void;
  /** Told after each batch: texts embedded so far (cached ones included) of all distinct texts. */
  onProgress?: (done: number, total: number) => void;
}

export interface EmbeddingUsage {
  requests: number;
  retries: number;
  /** Distinct texts found in the cache. */
  cacheHits: number;
  /** Distinct texts sent. */
  textsSent: number;
  promptTokens: number;
}

/** The endpoint could not embed the texts; the message says why (never contains the key). */
export class EmbeddingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EmbeddingError';
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

const MAGIC = 'T2EC';

/** One cache folder: every vector of one endpoint and model, by text hash. */
class EmbeddingCache {
  private readonly dir: string | undefined;
  private loaded: Map<string, Float32Array> | undefined;

  constructor(root: string | undefined, baseURL: string, model: string) {
    this.dir = root
      ? path.join(
          root,
          createHash('sha256')
            .update(JSON.stringify([endpointKey(baseURL), model]))
            .digest('hex')
            .slice(0, 24),
        )
      : undefined;
  }

  /** Every cached vector (files that cannot be read are left out: a miss, asked again). */
  async load(): Promise<Map<string, Float32Array>> {
    if (this.loaded) {
      return this.loaded;
    }
    const map = new Map<string, Float32Array>();
    if (this.dir) {
      const names = await fs.promises.readdir(this.dir).catch(() => [] as string[]);
      for (const name of names.filter((n) => n.endsWith('.bin')).sort()) {
        const bytes = await fs.promises.readFile(path.join(this.dir, name)).catch(() => undefined);
        if (!bytes || bytes.length < 16 || bytes.toString('ascii', 0, 4) !== MAGIC) {
          continue;
        }
        const count = bytes.readUInt32LE(8);
        const dims = bytes.readUInt32LE(12);
        const vectorsAt = 16 + count * 32;
        if (bytes.length !== vectorsAt + count * dims * 4) {
          continue;
        }
        for (let i = 0; i < count; i++) {
          const key = bytes.toString('hex', 16 + i * 32, 16 + (i + 1) * 32);
          const vector = new Float32Array(dims);
          for (let t = 0; t < dims; t++) {
            vector[t] = bytes.readFloatLE(vectorsAt + (i * dims + t) * 4);
          }
          map.set(key, vector);
        }
      }
    }
    return (this.loaded = map);
  }

  /** Remembers the vectors (for this run) and, with a folder, writes them as one file. */
  async write(keys: Buffer[], vectors: Float32Array[]): Promise<void> {
    keys.forEach((k, i) => this.loaded?.set(k.toString('hex'), vectors[i]!));
    if (!this.dir || !keys.length) {
      return;
    }
    const dims = vectors[0]!.length;
    const bytes = Buffer.alloc(16 + keys.length * 32 + keys.length * dims * 4);
    bytes.write(MAGIC, 0, 'ascii');
    bytes.writeUInt32LE(1, 4);
    bytes.writeUInt32LE(keys.length, 8);
    bytes.writeUInt32LE(dims, 12);
    keys.forEach((k, i) => k.copy(bytes, 16 + i * 32));
    const vectorsAt = 16 + keys.length * 32;
    vectors.forEach((v, i) => v.forEach((x, t) => bytes.writeFloatLE(x, vectorsAt + (i * dims + t) * 4)));
    await fs.promises.mkdir(this.dir, { recursive: true });
    await writeFileAtomic(path.join(this.dir, `${createHash('sha256').update(bytes).digest('hex').slice(0, 32)}.bin`), bytes);
  }
}

export class ApiEmbedder {
  readonly usage: EmbeddingUsage = { requests: 0, retries: 0, cacheHits: 0, textsSent: 0, promptTokens: 0 };
  private readonly client: OpenAI;
  private readonly semaphore: Semaphore;
  private readonly cache: EmbeddingCache;
  private readonly o: Required<Omit<ApiEmbeddingOptions, 'cacheDir' | 'onRetry' | 'onProgress' | 'apiKey'>> &
    Pick<ApiEmbeddingOptions, 'onRetry' | 'onProgress'>;

  constructor(options: ApiEmbeddingOptions) {
    if (!options.baseURL) {
      throw new Error('API embeddings need a base URL (--base-url)');
    }
    if (!options.model) {
      throw new Error('API embeddings need a model name (--embedding-model)');
    }
    if (!options.apiKey) {
      throw new Error('API embeddings need an API key (OPENAI_API_KEY)');
    }
    this.o = {
      baseURL: options.baseURL,
      model: options.model,
      batchSize: Math.max(1, Math.floor(options.batchSize ?? EMBEDDING_BATCH)),
      concurrency: Math.max(1, Math.floor(options.concurrency ?? 4)),
      timeoutMs: options.timeoutMs ?? 120_000,
      maxRetries: options.maxRetries ?? 4,
      backoffBaseMs: options.backoffBaseMs ?? 500,
      maxBackoffMs: options.maxBackoffMs ?? 30_000,
      maxRetryAfterMs: options.maxRetryAfterMs ?? 120_000,
      random: options.random ?? Math.random,
      onRetry: options.onRetry,
      onProgress: options.onProgress,
    };
    addSecret(options.apiKey);
    this.client = new OpenAI({ baseURL: options.baseURL, apiKey: options.apiKey, timeout: this.o.timeoutMs, maxRetries: 0 });
    this.semaphore = new Semaphore(this.o.concurrency);
    this.cache = new EmbeddingCache(options.cacheDir, options.baseURL, options.model);
  }

  /** What the definitions call these embeddings. */
  get kind(): string {
    return `API embeddings, model ${this.o.model} at ${redact(endpointKey(this.o.baseURL))}`;
  }

  /** One embedding request with the retry loop. */
  private async request(inputs: string[], signal?: AbortSignal): Promise<Float32Array[]> {
    for (let attempt = 0; ; attempt++) {
      signal?.throwIfAborted();
      const release = await this.semaphore.acquire(signal);
      let delay: number;
      let reason: string;
      try {
        this.usage.requests++;
        const linked = linkedSignal(signal);
        const reply = await this.client.embeddings
          .create({ model: this.o.model, input: inputs, encoding_format: 'float' }, { signal: linked.signal })
          .finally(linked.dispose);
        this.usage.promptTokens += reply.usage?.prompt_tokens ?? 0;
        return this.check(reply, inputs.length);
      } catch (e) {
        if (signal?.aborted) {
          throw signal.reason;
        }
        if (e instanceof EmbeddingError) {
          throw e;
        }
        reason = describe(e);
        if (!retryable(e) || attempt >= this.o.maxRetries) {
          const tries = attempt + 1;
          throw new EmbeddingError(`the embeddings request failed${tries > 1 ? ` after ${tries} attempts` : ''}: ${reason}`);
        }
        const after = e instanceof APIError ? retryAfterMs(e.headers) : undefined;
        if (after !== undefined) {
          delay = Math.min(after, this.o.maxRetryAfterMs);
        } else {
          const full = Math.min(this.o.maxBackoffMs, this.o.backoffBaseMs * 2 ** attempt);
          delay = full / 2 + (this.o.random() * full) / 2;
        }
      } finally {
        release();
      }
      this.usage.retries++;
      this.o.onRetry?.({ attempt: attempt + 1, reason, delayMs: delay });
      await sleep(delay, signal);
    }
  }

  /** The reply's vectors in input order, or EmbeddingError naming what is wrong with it. */
  private check(reply: OpenAI.Embeddings.CreateEmbeddingResponse, n: number): Float32Array[] {
    const data = Array.isArray(reply?.data) ? reply.data : undefined;
    if (!data || data.length !== n) {
      throw new EmbeddingError(`the endpoint answered ${data ? `${data.length} embeddings` : 'without a data list'} for ${n} inputs`);
    }
    const out: Float32Array[] = new Array<Float32Array>(n);
    let dims = -1;
    data.forEach((item, position) => {
      const index = typeof item?.index === 'number' ? item.index : position;
      const v = item?.embedding as unknown;
      if (!Array.isArray(v) || !v.length || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
        throw new EmbeddingError(`embedding ${index} of the reply is not a list of finite numbers`);
      }
      if (dims >= 0 && v.length !== dims) {
        throw new EmbeddingError(`the reply's embeddings differ in length (${dims} and ${v.length})`);
      }
      if (index < 0 || index >= n || out[index]) {
        throw new EmbeddingError(`the reply's embedding index ${index} is out of range or repeated`);
      }
      dims = v.length;
      out[index] = Float32Array.from(v as number[]);
    });
    return out;
  }

  /** Embeddings of `texts`, one row each, L2-normalised. Throws EmbeddingError or the abort reason. */
  async embed(texts: readonly string[], signal?: AbortSignal): Promise<EmbeddingSet> {
    const cached = await this.cache.load();
    const keyOf = texts.map((t) => sha256(t));
    const hexOf = keyOf.map((k) => k.toString('hex'));
    // Distinct texts not in the cache, in first-appearance order.
    const missing = new Map<string, number>();
    const distinct = new Set<string>();
    hexOf.forEach((hex, i) => {
      distinct.add(hex);
      if (!cached.has(hex) && !missing.has(hex)) {
        missing.set(hex, i);
      }
    });
    this.usage.cacheHits += distinct.size - missing.size;
    const todo = [...missing.values()];
    let done = distinct.size - missing.size;
    this.o.onProgress?.(done, distinct.size);
    const batches: number[][] = [];
    for (let i = 0; i < todo.length; i += this.o.batchSize) {
      batches.push(todo.slice(i, i + this.o.batchSize));
    }
    const controller = new AbortController();
    const linked = signal ? AbortSignal.any([signal, controller.signal]) : controller.signal;
    try {
      await Promise.all(
        batches.map(async (batch) => {
          try {
            const vectors = await this.request(
              batch.map((i) => texts[i]!),
              linked,
            );
            this.usage.textsSent += batch.length;
            await this.cache.write(
              batch.map((i) => keyOf[i]!),
              vectors,
            );
            done += batch.length;
            this.o.onProgress?.(done, distinct.size);
          } catch (e) {
            // One batch failing stops the others from starting more requests.
            controller.abort(e);
            throw e;
          }
        }),
      );
    } catch (e) {
      throw signal?.aborted ? signal.reason : e;
    }
    let dims = 0;
    for (const hex of hexOf) {
      dims = cached.get(hex)?.length ?? dims;
      if (dims) {
        break;
      }
    }
    const rows = new Float32Array(texts.length * dims);
    const present = new Uint8Array(texts.length);
    hexOf.forEach((hex, i) => {
      const v = cached.get(hex)!;
      if (v.length !== dims) {
        throw new EmbeddingError(
          `the cache and the endpoint give embeddings of ${v.length} and ${dims} dimensions for model ${this.o.model}: delete the cache folder`,
        );
      }
      let norm = 0;
      for (let t = 0; t < dims; t++) {
        norm += v[t]! * v[t]!;
      }
      if (norm > 0) {
        const inv = 1 / Math.sqrt(norm);
        for (let t = 0; t < dims; t++) {
          rows[i * dims + t] = v[t]! * inv;
        }
        present[i] = 1;
      }
    });
    return { dimensions: dims, rows, present, count: texts.length };
  }
}
