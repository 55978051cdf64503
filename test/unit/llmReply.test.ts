import assert from 'node:assert/strict';
import { test } from 'node:test';
import { extractJson, validateReply } from '../../src/core/qa/llmReply';
import { cacheKey } from '../../src/core/qa/llmCache';
import { addSecret, redact } from '../../src/core/util/redact';

const PAIRS = { pairs: [{ question: 'Q {x}?', answer: 'A "}"', kind: 'detail', supportingFrames: [0] }] };

test('extractJson: plain, ```json fence after a preamble, unlabelled fence, bare object between sentences, braces inside strings', () => {
  const json = JSON.stringify(PAIRS);
  for (const reply of [
    json,
    `Sure! Here are the questions:\n\`\`\`json\n${JSON.stringify(PAIRS, null, 2)}\n\`\`\``,
    `\`\`\`\n${json}\n\`\`\`\nDone.`,
    `Here you go: ${json} Hope this helps {not json}.`,
    `Notes {draft}\n\`\`\`text\nnothing\n\`\`\`\n\`\`\`JSON\n${json}\n\`\`\``,
    `\uFEFF${json}`,
  ]) {
    const got = extractJson(reply);
    assert.ok('data' in got, reply);
    assert.deepEqual(got.data, PAIRS);
  }
  assert.match((extractJson('no json here') as { error: string }).error, /reply is not JSON/);
  assert.match((extractJson('```json\n{"pairs": [\n```') as { error: string }).error, /reply is not JSON/);
  // Extraction never lowers the bar: the extracted value is validated like any reply.
  assert.deepEqual(validateReply('Sure!\n```json\n{"pairs": []}\n```', 3), { error: '"pairs" is empty' });
  assert.ok('pairs' in validateReply(`ok: ${JSON.stringify(PAIRS)}`, 1));
});

test('cacheKey depends on the endpoint (a trailing slash is the same endpoint)', () => {
  const doc = { context: 'text', frames: [[0, 4]] as Array<[number, number]> };
  const a = cacheKey(doc, 'default', 5, 'http://127.0.0.1:8000/v1');
  assert.equal(a, cacheKey(doc, 'default', 5, 'http://127.0.0.1:8000/v1/'));
  assert.notEqual(a, cacheKey(doc, 'default', 5, 'http://127.0.0.1:8001/v1'));
});

test('redact: registered keys (raw, JSON-escaped, URL-encoded), Bearer and api-key credentials', () => {
  const key = 'sk-unit-"quoted"\\-secret';
  addSecret(key);
  addSecret('abc'); // too short to be treated as a secret
  const text = `header Authorization: Bearer ${key}; body ${JSON.stringify({ echoed: key })}; url ?k=${encodeURIComponent(key)}; bearer xyz.123; "api_key": "zzzzzzzz"; abc stays`;
  const out = redact(text);
  assert.ok(!out.includes(key) && !out.includes(JSON.stringify(key).slice(1, -1)) && !out.includes(encodeURIComponent(key)), out);
  assert.match(out, /Bearer \[redacted\]/);
  assert.match(out, /bearer \[redacted\]/);
  assert.match(out, /"api_key": "\[redacted\]"/);
  assert.match(out, /abc stays/);
  assert.equal(redact('nothing secret'), 'nothing secret');
});
