/**
 * A real HTTP server on loopback speaking the OpenAI chat-completions protocol, with injected faults (429 with
 * Retry-After, 5xx, hangs, malformed JSON, out-of-range frames) and the ways real endpoints behave: replies wrapped in
 * a Markdown fence after a preamble (local models without guided decoding), a 400 for a response_format the server
 * does not take (older vLLM / llama.cpp), an error body that echoes the Authorization header. Used by the Q&A tests,
 * the endpoints torture family and the curation E2E test.
 */
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the fake endpoint does with one request. */
export type Fault =
  | { status: number; headers?: Record<string, string>; message?: string; param?: string; reflectAuth?: boolean }
  | { fenced: true }
  | { hang: true }
  | { content: string }
  | { badFrame: true };

export interface Seen {
  at: number;
  auth: string | undefined;
  body: { model: string; messages: Array<{ role: string; content: string }>; response_format?: { type: string } };
}

/** A real HTTP server speaking the OpenAI chat-completions protocol, with injected faults. */
export async function fakeOpenAI(
  t: { after: (fn: () => void | Promise<void>) => void },
  decide?: (body: Seen['body']) => Fault | undefined,
  options: {
    /** Put into every answer, so two servers serving "the same" model name answer differently. */
    tag?: string;
    /** response_format types this server refuses with a 400 naming response_format (as older vLLM / llama.cpp do). */
    refuseFormats?: string[];
    /** `/embeddings`: the vector of a text (default: EMBEDDING_DIMS numbers derived from sha256 of the text). */
    embed?: (text: string) => number[];
  } = {},
) {
  const queue: Fault[] = [];
  const requests: Seen[] = [];
  /** `/embeddings`: faults served in order (one per request), and every request seen. */
  const embeddingQueue: Array<Extract<Fault, { status: number }>> = [];
  const embeddingRequests: EmbeddingSeen[] = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/v1/embeddings') {
        const body = JSON.parse(raw) as EmbeddingSeen['body'];
        embeddingRequests.push({ at: performance.now(), auth: req.headers.authorization, body });
        const fault = embeddingQueue.shift();
        if (fault) {
          res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers });
          const message = fault.reflectAuth
            ? `invalid credentials in header "Authorization: ${req.headers.authorization ?? ''}"`
            : (fault.message ?? `injected ${fault.status}`);
          res.end(JSON.stringify({ error: { message, type: 'server_error', param: null } }));
          return;
        }
        const inputs = typeof body.input === 'string' ? [body.input] : body.input;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            object: 'list',
            model: body.model,
            data: inputs.map((text, index) => ({ object: 'embedding', index, embedding: (options.embed ?? peerEmbedding)(text) })),
            usage: { prompt_tokens: inputs.length * 10, total_tokens: inputs.length * 10 },
          }),
        );
        return;
      }
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
        res.writeHead(404).end();
        return;
      }
      const body = JSON.parse(raw) as Seen['body'];
      requests.push({ at: performance.now(), auth: req.headers.authorization, body });
      const refused = body.response_format && options.refuseFormats?.includes(body.response_format.type);
      const fault: Fault | undefined = refused
        ? {
            status: 400,
            param: 'response_format',
            message: `Unsupported parameter: 'response_format' of type '${body.response_format!.type}' is not supported by this server`,
          }
        : (decide?.(body) ?? queue.shift());
      if (fault && 'hang' in fault) {
        return; // never answer
      }
      if (fault && 'status' in fault) {
        res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers });
        const message = fault.reflectAuth
          ? `invalid credentials in header "Authorization: ${req.headers.authorization ?? ''}"`
          : (fault.message ?? `injected ${fault.status}`);
        res.end(
          JSON.stringify({
            error: { message, type: fault.status === 400 ? 'invalid_request_error' : 'server_error', param: fault.param ?? null },
          }),
        );
        return;
      }
      const prompt = body.messages.map((m) => m.content).join('\n');
      const frames = Number(/The text has (\d+) frames/.exec(prompt)?.[1] ?? 1);
      const n = Number(/Write exactly (\d+)/.exec(prompt)?.[1] ?? 1);
      const pairs = Array.from({ length: n }, (_, i) => ({
        question: `What happens in frame ${(i % frames) + 1}?`,
        answer: `Answer ${i}${options.tag ? ` from ${options.tag}` : ''}`,
        kind: i % 2 ? 'temporal' : 'detail',
        supportingFrames: [fault && 'badFrame' in fault ? frames + 5 : i % frames],
      }));
      const content =
        fault && 'content' in fault
          ? fault.content
          : fault && 'fenced' in fault
            ? `Sure! Here are the questions:\n\n\`\`\`json\n${JSON.stringify({ pairs }, null, 2)}\n\`\`\`\n\nLet me know if you need more.`
            : JSON.stringify({ pairs });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id: `chatcmpl-${requests.length}`,
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model: body.model,
          choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 100, completion_tokens: 50, total_tokens: 150 },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return { baseURL, queue, requests, embeddingQueue, embeddingRequests };
}

/** One `/embeddings` request the peer saw. */
export interface EmbeddingSeen {
  at: number;
  auth: string | undefined;
  body: { model: string; input: string | string[]; encoding_format?: string };
}

/** Dimensions of the peer's default embeddings. */
export const EMBEDDING_DIMS = 16;

/** The peer's default embedding of a text: EMBEDDING_DIMS numbers in [-1, 1) from sha256 of the text (not normalised). */
export function peerEmbedding(text: string): number[] {
  const digest = createHash('sha256').update(text).digest();
  return Array.from({ length: EMBEDDING_DIMS }, (_, i) => (digest[i * 2]! * 256 + digest[i * 2 + 1]!) / 32768 - 1);
}
