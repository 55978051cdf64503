/**
 * The LLM Q&A generator: any OpenAI-compatible chat-completions endpoint, structured output (json_schema, strict).
 * - replies are checked by hand against the schema (shape, kinds, frame indices in range); an invalid reply is asked
 *   again up to `invalidRetries` more times, then the sample fails with a clear message;
 * - our own retry loop (the SDK's is off): 429, 5xx, timeouts and connection errors are retried with exponential
 *   backoff (base 500 ms, jitter), honouring Retry-After / retry-after-ms (seconds or HTTP date);
 * - bounded concurrency (a semaphore over requests), per-request timeout, AbortSignal cancellation;
 * - token usage summed; an optional token budget stops new requests once reached (BudgetExhaustedError);
 * - replies are taken as endpoints really send them: the JSON is extracted from a Markdown fence or a preamble before
 *   it is validated; a server that rejects `response_format: json_schema` with HTTP 400 naming it makes the run fall
 *   back once (remembered for the run, reported in the summary) to `json_object`, then to prompt-only JSON (the
 *   schema in the prompt), with the same validation;
 * - an on-disk cache keyed by sha256(prompt version, base URL, model, N, frame ranges, text): a re-run costs nothing;
 * - generateOne: one new pair unlike the questions that exist (regeneration); never cached, so asking again asks anew.
 * The API key is only ever handed to the SDK (Authorization header): never written to a file, a log or an error;
 * error text from the server goes through `redact` (a server may echo the Authorization header back).
 */
import OpenAI, { APIConnectionError, APIError } from 'openai';
import { SETTINGS } from '../../shared/settings';
import { linkedSignal, Semaphore, sleep } from '../util/async';
import { addSecret, redact } from '../util/redact';
import { cacheKey, endpointKey, LlmCache } from './llmCache';
import { buildMessages, buildRegenerateMessages, LLM_PROMPT_VERSION, questionKey, schemaInstruction } from './llmPrompts';
import { replySchema, validateReply, type RawPair } from './llmReply';
import type { GeneratedPair, GeneratedQAKind, QADocument } from './types';

export { LLM_PROMPT_VERSION, buildMessages, buildRegenerateMessages, questionKey, replySchema, validateReply, cacheKey, Semaphore };
export type { RawPair };

export interface LlmOptions {
  /** e.g. https://api.openai.com/v1 or http://127.0.0.1:8000/v1 */
  baseURL: string;
  /** Sent as `Authorization: Bearer …` only. */
  apiKey: string;
  model: string;
  /** Questions asked for per document. */
  perDoc: number;
  /** Per-request timeout (default 120 000 ms). */
  timeoutMs?: number;
  /** HTTP retries after the first attempt on 429 / 5xx / timeout / connection error (default 4). */
  maxRetries?: number;
  /** Extra requests after a reply that is not valid JSON of the right shape (default 2). */
  invalidRetries?: number;
  /** Backoff base (default 500 ms): attempt k waits base·2^k, halved at random (jitter), at most maxBackoffMs. */
  backoffBaseMs?: number;
  maxBackoffMs?: number;
  /** Longest Retry-After honoured (default 120 000 ms). */
  maxRetryAfterMs?: number;
  /** Requests in flight at once (default 4). */
  concurrency?: number;
  /** Stop starting requests once prompt + completion tokens reach this. */
  budgetTokens?: number;
  /** Cache folder (JSON files); undefined: no cache. */
  cacheDir?: string;
  temperature?: number;
  /** Jitter source (default Math.random). */
  random?: () => number;
  /** Told about every retry (for logs; never contains the key). */
  onRetry?: (info: { id: string; attempt: number; reason: string; delayMs: number }) => void;
}

export interface LlmUsage {
  promptTokens: number;
  completionTokens: number;
  /** HTTP requests sent. */
  requests: number;
  cacheHits: number;
  retries: number;
}

/** How the reply's JSON is asked for: strict structured output, JSON mode, or the schema in the prompt only. */
export type ResponseFormatMode = 'json_schema' | 'json_object' | 'prompt';
const FALLBACK: Record<ResponseFormatMode, ResponseFormatMode | undefined> = {
  json_schema: 'json_object',
  json_object: 'prompt',
  prompt: undefined,
};

/** A 400 that names response_format (or json_schema): the server does not take that kind of structured output. */
function rejectsResponseFormat(e: unknown): boolean {
  if (!(e instanceof APIError) || e.status !== 400) {
    return false;
  }
  let body = '';
  try {
    body = JSON.stringify(e.error ?? '');
  } catch {
    // unprintable body: the message alone
  }
  return /response_format|json_schema|json_object/i.test(`${e.message} ${body}`);
}

/** The token budget is spent: no new request was started. */
export class BudgetExhaustedError extends Error {
  constructor(
    readonly budgetTokens: number,
    readonly usedTokens: number,
  ) {
    super(`token budget reached (${usedTokens} of ${budgetTokens} tokens used): no new requests`);
    this.name = 'BudgetExhaustedError';
  }
}

/** One sample could not be generated; the message says why (never contains the key). */
export class LlmSampleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LlmSampleError';
  }
}

/** Retry-After (seconds or HTTP date) or retry-after-ms, in ms; undefined if absent or unreadable. */
export function retryAfterMs(headers: Headers | undefined, now = Date.now()): number | undefined {
  if (!headers || typeof headers.get !== 'function') {
    return undefined;
  }
  const ms = headers.get('retry-after-ms');
  if (ms && /^\d+(\.\d+)?$/.test(ms.trim())) {
    return Number(ms);
  }
  const value = headers.get('retry-after')?.trim();
  if (!value) {
    return undefined;
  }
  if (/^\d+(\.\d+)?$/.test(value)) {
    return Number(value) * 1000;
  }
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** An error as one line for the user: the server's own text, with any key or bearer token redacted. */
export function describe(e: unknown): string {
  if (e instanceof APIError && e.status) {
    return redact(`HTTP ${e.status}${e.message ? `: ${e.message.replace(/^\d+\s*/, '')}` : ''}`);
  }
  if (e instanceof APIConnectionError) {
    return redact(e.constructor.name === 'APIConnectionTimeoutError' ? 'request timed out' : `connection error: ${e.message}`);
  }
  return redact((e as Error)?.message ?? String(e));
}

export function retryable(e: unknown): boolean {
  if (e instanceof APIConnectionError) {
    return true; // includes timeouts
  }
  return e instanceof APIError && typeof e.status === 'number' && (e.status === 429 || e.status === 408 || e.status >= 500);
}

export class LlmGenerator {
  readonly usage: LlmUsage = { promptTokens: 0, completionTokens: 0, requests: 0, cacheHits: 0, retries: 0 };
  /** Set once a request was refused because the budget is spent. */
  budgetExhausted = false;
  /** How replies are asked for now: starts strict, lowered once per run when the server refuses it. */
  responseFormat: ResponseFormatMode = 'json_schema';
  /** Each fall-back of this run, with the server's reason (redacted). */
  readonly formatFallbacks: Array<{ from: ResponseFormatMode; to: ResponseFormatMode; reason: string }> = [];
  private readonly client: OpenAI;
  private readonly semaphore: Semaphore;
  private readonly cache: LlmCache;
  private readonly o: Required<Omit<LlmOptions, 'budgetTokens' | 'cacheDir' | 'temperature' | 'onRetry' | 'apiKey'>> &
    Pick<LlmOptions, 'budgetTokens' | 'cacheDir' | 'temperature' | 'onRetry'>;

  constructor(options: LlmOptions) {
    if (!options.baseURL) {
      throw new Error('the LLM generator needs a base URL');
    }
    if (!options.model) {
      throw new Error('the LLM generator needs a model name');
    }
    if (!options.apiKey) {
      throw new Error('the LLM generator needs an API key');
    }
    this.o = {
      baseURL: options.baseURL,
      model: options.model,
      perDoc: Math.max(1, Math.floor(options.perDoc)),
      timeoutMs: options.timeoutMs ?? SETTINGS['qa.timeoutMs'].default,
      maxRetries: options.maxRetries ?? 4,
      invalidRetries: options.invalidRetries ?? 2,
      backoffBaseMs: options.backoffBaseMs ?? 500,
      maxBackoffMs: options.maxBackoffMs ?? 30_000,
      maxRetryAfterMs: options.maxRetryAfterMs ?? 120_000,
      concurrency: Math.max(1, options.concurrency ?? SETTINGS['qa.concurrency'].default),
      random: options.random ?? Math.random,
      budgetTokens: options.budgetTokens,
      cacheDir: options.cacheDir,
      temperature: options.temperature,
      onRetry: options.onRetry,
    };
    addSecret(options.apiKey);
    this.client = new OpenAI({ baseURL: options.baseURL, apiKey: options.apiKey, timeout: this.o.timeoutMs, maxRetries: 0 });
    this.semaphore = new Semaphore(this.o.concurrency);
    this.cache = new LlmCache(options.cacheDir);
  }

  get model(): string {
    return this.o.model;
  }

  private usedTokens(): number {
    return this.usage.promptTokens + this.usage.completionTokens;
  }

  /** One chat completion, with our retry loop; a hopeless request throws LlmSampleError. */
  private async request(
    id: string,
    messages: Array<{ role: 'system' | 'user' | 'assistant'; content: string }>,
    signal?: AbortSignal,
  ): Promise<OpenAI.Chat.Completions.ChatCompletion> {
    for (let attempt = 0; ; attempt++) {
      signal?.throwIfAborted();
      const release = await this.semaphore.acquire(signal);
      let delay = 0;
      let reason = '';
      let fellBack = false;
      const format = this.responseFormat;
      try {
        if (this.o.budgetTokens !== undefined && this.usedTokens() >= this.o.budgetTokens) {
          this.budgetExhausted = true;
          throw new BudgetExhaustedError(this.o.budgetTokens, this.usedTokens());
        }
        this.usage.requests++;
        // The client adds an 'abort' listener per request to the signal it is given and never removes it: give it one of its own.
        const linked = linkedSignal(signal);
        const reply = await this.client.chat.completions
          .create(
            {
              model: this.o.model,
              messages:
                format === 'json_schema'
                  ? messages
                  : [...messages.slice(0, 1), { role: 'system', content: schemaInstruction(replySchema()) }, ...messages.slice(1)],
              ...(format === 'json_schema'
                ? { response_format: { type: 'json_schema', json_schema: { name: 't2vid_qa_pairs', schema: replySchema(), strict: true } } }
                : format === 'json_object'
                  ? { response_format: { type: 'json_object' } }
                  : {}),
              ...(this.o.temperature !== undefined ? { temperature: this.o.temperature } : {}),
            },
            { signal: linked.signal },
          )
          .finally(linked.dispose);
        this.usage.promptTokens += reply.usage?.prompt_tokens ?? 0;
        this.usage.completionTokens += reply.usage?.completion_tokens ?? 0;
        return reply;
      } catch (e) {
        if (signal?.aborted) {
          throw signal.reason;
        }
        if (e instanceof BudgetExhaustedError) {
          throw e;
        }
        reason = describe(e);
        const lower = FALLBACK[format];
        if (lower && rejectsResponseFormat(e)) {
          // Once per run: the first request to be refused lowers the mode; others in flight just ask again.
          if (this.responseFormat === format) {
            this.responseFormat = lower;
            this.formatFallbacks.push({ from: format, to: lower, reason });
          }
          fellBack = true;
        } else if (!retryable(e) || attempt >= this.o.maxRetries) {
          const tries = attempt + 1;
          throw new LlmSampleError(`request failed${tries > 1 ? ` after ${tries} attempts` : ''}: ${reason}`);
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
      if (fellBack) {
        attempt--; // not a failed attempt: the same request in a form the server takes
        continue;
      }
      this.usage.retries++;
      this.o.onRetry?.({ id, attempt: attempt + 1, reason, delayMs: delay });
      await sleep(delay, signal);
    }
  }

  private toPairs(raw: RawPair[], createdAt: string): GeneratedPair[] {
    return raw.map((p) => ({
      ...p,
      provenance: { generator: 'llm', model: this.o.model, promptVersion: LLM_PROMPT_VERSION, createdAt, editedByUser: false },
      status: 'new',
    }));
  }

  /**
   * Ask until a reply passes `check` (the schema check, then `extra`), telling the model what was wrong each time;
   * after 1 + invalidRetries invalid replies, throw LlmSampleError.
   */
  private async ask(
    doc: QADocument,
    base: Array<{ role: 'system' | 'user'; content: string }>,
    extra: (pairs: RawPair[]) => string | undefined,
    signal?: AbortSignal,
  ): Promise<RawPair[]> {
    const n = doc.frames.length;
    let messages: Array<{ role: 'system' | 'user' | 'assistant'; content: string }> = base;
    let problem = '';
    const attempts = 1 + this.o.invalidRetries;
    for (let i = 0; i < attempts; i++) {
      const reply = await this.request(doc.id, messages, signal);
      const choice = reply.choices?.[0];
      const content = choice?.message?.content;
      const refusal = (choice?.message as { refusal?: string | null } | undefined)?.refusal;
      let check: { pairs: RawPair[] } | { error: string } = refusal
        ? { error: `the model refused: ${refusal}` }
        : choice?.finish_reason === 'length'
          ? { error: 'reply cut off at the length limit' }
          : validateReply(content, n);
      if ('pairs' in check) {
        const error = extra(check.pairs);
        if (error === undefined) {
          return check.pairs;
        }
        check = { error };
      }
      problem = check.error;
      messages = [
        ...base,
        { role: 'assistant', content: typeof content === 'string' ? content.slice(0, 20_000) : '' },
        { role: 'user', content: `That reply is not valid: ${problem}. Reply again with JSON matching the schema only.` },
      ];
    }
    throw new LlmSampleError(`the model's reply was invalid ${attempts} times; last problem: ${problem}`);
  }

  /** Question/answer pairs for one document; throws LlmSampleError, BudgetExhaustedError, or the abort reason. */
  async generate(doc: QADocument, signal?: AbortSignal): Promise<GeneratedPair[]> {
    const n = doc.frames.length;
    if (n === 0 || !doc.context.trim()) {
      throw new LlmSampleError('empty context: nothing to ask about');
    }
    const key = cacheKey(doc, this.o.model, this.o.perDoc, this.o.baseURL);
    const cached = await this.cache.read(key, n);
    if (cached) {
      this.usage.cacheHits++;
      return this.toPairs(cached.pairs.slice(0, this.o.perDoc), cached.createdAt);
    }
    const pairs = await this.ask(doc, buildMessages(doc, this.o.perDoc), () => undefined, signal);
    const createdAt = new Date().toISOString();
    await this.cache.write({
      key,
      promptVersion: LLM_PROMPT_VERSION,
      baseURL: endpointKey(this.o.baseURL),
      model: this.o.model,
      perDoc: this.o.perDoc,
      frameCount: n,
      createdAt,
      pairs,
    });
    return this.toPairs(pairs.slice(0, this.o.perDoc), createdAt);
  }

  /**
   * ONE new pair whose question differs from every question in `existingQuestions` (compared by questionKey), of
   * `kind` if the model obliges (asked, not enforced). Never cached: each call is a new request, so asking again
   * gives a new pair. A reply repeating an existing question counts as invalid and is asked again.
   */
  async generateOne(
    doc: QADocument,
    existingQuestions: readonly string[],
    kind?: GeneratedQAKind,
    signal?: AbortSignal,
  ): Promise<GeneratedPair> {
    if (doc.frames.length === 0 || !doc.context.trim()) {
      throw new LlmSampleError('empty context: nothing to ask about');
    }
    const taken = new Set(existingQuestions.map(questionKey));
    const pairs = await this.ask(
      doc,
      buildRegenerateMessages(doc, existingQuestions, kind),
      (raw) =>
        taken.has(questionKey(raw[0].question))
          ? `the question ${JSON.stringify(raw[0].question)} already exists; write a different one`
          : undefined,
      signal,
    );
    return this.toPairs(pairs.slice(0, 1), new Date().toISOString())[0];
  }
}
