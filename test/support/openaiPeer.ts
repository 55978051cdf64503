/**
 * A real HTTP server on loopback speaking the OpenAI chat-completions protocol, with injected faults (429 with
 * Retry-After, 5xx, hangs, malformed JSON, out-of-range frames). Used by the Q&A tests and the curation E2E test.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the fake endpoint does with one request. */
export type Fault =
  | { status: number; headers?: Record<string, string> }
  | { hang: true }
  | { content: string }
  | { badFrame: true };

export interface Seen {
  at: number;
  auth: string | undefined;
  body: { model: string; messages: Array<{ role: string; content: string }>; response_format?: { type: string } };
}

/** A real HTTP server speaking the OpenAI chat-completions protocol, with injected faults. */
export async function fakeOpenAI(t: { after: (fn: () => void | Promise<void>) => void }, decide?: (body: Seen['body']) => Fault | undefined) {
  const queue: Fault[] = [];
  const requests: Seen[] = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
        res.writeHead(404).end();
        return;
      }
      const body = JSON.parse(raw) as Seen['body'];
      requests.push({ at: performance.now(), auth: req.headers.authorization, body });
      const fault = decide?.(body) ?? queue.shift();
      if (fault && 'hang' in fault) {
        return; // never answer
      }
      if (fault && 'status' in fault) {
        res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers });
        res.end(JSON.stringify({ error: { message: `injected ${fault.status}`, type: 'server_error' } }));
        return;
      }
      const prompt = body.messages.map((m) => m.content).join('\n');
      const frames = Number(/The text has (\d+) frames/.exec(prompt)?.[1] ?? 1);
      const n = Number(/Write exactly (\d+)/.exec(prompt)?.[1] ?? 1);
      const pairs = Array.from({ length: n }, (_, i) => ({
        question: `What happens in frame ${(i % frames) + 1}?`,
        answer: `Answer ${i}`,
        kind: i % 2 ? 'temporal' : 'detail',
        supportingFrames: [fault && 'badFrame' in fault ? frames + 5 : i % frames],
      }));
      const content = fault && 'content' in fault ? fault.content : JSON.stringify({ pairs });
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
  return { baseURL, queue, requests };
}

