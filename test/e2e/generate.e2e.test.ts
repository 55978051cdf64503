/**
 * E2E: Q&A generation from the palette and regeneration in the curation editor, in a real VS Code (code-server +
 * Chromium). "T2Vid: Generate Q&A for Active Document" on an L-Eval text (from ../shared/data) writes
 * t2vid-out/<name>.t2vid.jsonl with the built-in generator and opens it in the curation editor; "Regenerate" replaces
 * a pair with a new built-in question; a status filter hides the row; then "T2Vid: Set API Key…" stores a key in
 * SecretStorage, the generator setting switches to the LLM, and "Regenerate" asks a real HTTP server on loopback that
 * speaks the OpenAI protocol (it must receive the key as a Bearer token; the key must be in no file). Every step is
 * checked in the file on disk after Ctrl+S.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Frame } from 'playwright-core';
import type { QARecord } from '../../src/core/qa/types';
import { fakeOpenAI } from '../support/openaiPeer';
import { repoRoot, suiteSession, type VSCodeSession } from '../support/harness';
import { curationFrameOf, timer, until, type DomDocument, type DomElement } from '../support/panel';

const KEY = 'sk-e2e-SECRET-77d0c2';
const PER_DOC = 4;

function levalInput(): string {
  const file = path.join(repoRoot(), '..', 'shared', 'data', 'long-text', 'leval-news_summ.jsonl');
  const first = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .find((l) => l.trim());
  assert.ok(first, `${file} is empty`);
  return (JSON.parse(first) as { input: string }).input;
}

interface Shown {
  questions: string[];
  provenance: string[];
  statuses: string[];
}

async function shownPairs(frame: Frame): Promise<Shown | undefined> {
  return frame.evaluate(() => {
    const doc = (globalThis as unknown as { document: DomDocument }).document;
    const row = doc.querySelector('.cur-row[data-line="0"]');
    if (!row || row.classList.contains('cur-row--loading')) {
      return undefined;
    }
    const all = (s: string): DomElement[] => [
      ...(row as unknown as { querySelectorAll(s: string): Iterable<DomElement> }).querySelectorAll(s),
    ];
    return {
      questions: all('textarea[data-field="question"]').map((a) => (a as unknown as { value: string }).value),
      provenance: all('.cur-pair__prov').map((p) => p.textContent ?? ''),
      statuses: all('.cur-status').map((p) => p.textContent ?? ''),
    };
  });
}

async function waitPairs(frame: Frame, what: string, check: (s: Shown) => boolean, timeoutMs = 30_000): Promise<Shown> {
  return until(
    what,
    async () => {
      const s = await shownPairs(frame);
      return s && check(s) ? s : undefined;
    },
    timeoutMs,
    () => shownPairs(frame),
  );
}

async function save(vscode: VSCodeSession, file: string, check: (r: QARecord) => boolean, what: string): Promise<QARecord> {
  await vscode.page.keyboard.press('Control+s');
  return until(
    `${what} on disk`,
    async () => {
      const record = JSON.parse(fs.readFileSync(file, 'utf8').split('\n')[0]) as QARecord;
      return check(record) ? record : undefined;
    },
    10_000,
    async () => fs.readFileSync(file, 'utf8').slice(0, 400),
  );
}

describe('Q&A: generate for the active document, regenerate (built-in, then LLM with a key from SecretStorage), filter', () => {
  let endpoint: Awaited<ReturnType<typeof fakeOpenAI>> | undefined;
  let closeEndpoint: (() => void | Promise<void>) | undefined;
  const peer = (): Awaited<ReturnType<typeof fakeOpenAI>> => {
    assert.ok(endpoint, 'the OpenAI-compatible peer did not start');
    return endpoint;
  };
  // Before the session's own hook: its settings name the peer's URL.
  before(async () => {
    endpoint = await fakeOpenAI({ after: (fn) => (closeEndpoint = fn) });
  });
  after(async () => {
    await closeEndpoint?.();
  });
  const ws = suiteSession({ 'article.txt': levalInput() }, () => ({
    settings: {
      'files.autoSave': 'off',
      't2vid.qa.perDoc': PER_DOC,
      't2vid.qa.baseUrl': peer().baseURL,
      't2vid.qa.model': 'fake-model',
    },
  }));
  const out = path.join(ws.dir, 't2vid-out', 'article.t2vid.jsonl');
  // The steps build on each other (one generated file, edited in turn); each reports on its own.
  let frame: Frame;
  let shown: Shown;
  const started = (): { vscode: VSCodeSession; frame: Frame } => {
    assert.ok(frame, 'the curation editor did not open (see the first test)');
    return { vscode: ws.vscode(), frame };
  };

  test(
    '"Generate Q&A for Active Document" writes t2vid-out/article.t2vid.jsonl and opens it in the curation editor',
    { timeout: 180_000 },
    async (t) => {
      const lap = timer(t);
      const vscode = ws.vscode();
      // 1. Generate for the active document → t2vid-out/article.t2vid.jsonl, opened in the curation editor.
      await vscode.openFile('article.txt');
      await vscode.runCommand('T2Vid: Generate Q&A for Active Document');
      frame = await curationFrameOf(vscode, 'article.t2vid.jsonl');
      shown = await waitPairs(frame, `${PER_DOC} built-in pairs`, (s) => s.questions.length === PER_DOC);
      // The result opens in the curation editor only (the one editor of *.t2vid.jsonl), beside no text editor of it.
      assert.equal(
        await vscode.page.locator('.tabs-container .tab[data-resource-name="article.t2vid.jsonl"]').count(),
        1,
        'one tab for the result',
      );
      assert.equal(
        await vscode.page.locator('.tabs-container .tab.active[data-resource-name="article.t2vid.jsonl"]').count(),
        1,
        'the result is the active tab',
      );
      const generated = JSON.parse(fs.readFileSync(out, 'utf8').split('\n')[0]) as QARecord;
      assert.deepEqual(
        shown.questions,
        generated.qa.map((p) => p.question),
      );
      assert.ok(generated.qa.every((p) => p.provenance.generator === 'builtin' && p.supportingFrames.length > 0));
      assert.ok(
        shown.provenance.every((p) => p.includes('builtin')),
        `provenance shown: ${shown.provenance.join(' | ')}`,
      );
      lap(`1. generated ${generated.qa.length} pairs (${generated.frames.length} frames)`);
    },
  );

  test('"Regenerate" (built-in) replaces pair 1 with a question not asked before, saved with Ctrl+S', { timeout: 60_000 }, async (t) => {
    const lap = timer(t);
    const { vscode, frame } = started();
    // 2. Regenerate pair 1 with the built-in generator: a question not asked before.
    const before = shown.questions;
    await frame.locator('.cur-row[data-line="0"] .cur-pair[data-pair="0"] .cur-button', { hasText: 'Regenerate' }).click();
    shown = await waitPairs(frame, 'pair 1 regenerated', (s) => s.questions[0] !== before[0]);
    assert.ok(!before.includes(shown.questions[0]), `the new question "${shown.questions[0]}" was asked before`);
    assert.deepEqual(shown.questions.slice(1), before.slice(1));
    const record = await save(vscode, out, (r) => r.qa[0].question === shown.questions[0], 'the regenerated pair');
    assert.equal(record.qa[0].provenance.generator, 'builtin');
    assert.equal(record.qa[0].status, 'new');
    lap(`2. regenerated: "${shown.questions[0]}"`);
  });

  test('reject pair 2: the Accepted filter hides the row, Rejected shows it', { timeout: 60_000 }, async (t) => {
    const lap = timer(t);
    const { frame } = started();
    // 3. Reject pair 2; the Accepted filter hides the row, Rejected shows it.
    await frame.locator('.cur-row[data-line="0"] .cur-pair[data-pair="1"] .cur-button', { hasText: 'Reject' }).click();
    await waitPairs(frame, 'pair 2 rejected', (s) => s.statuses[1] === 'Rejected');
    const pick = async (value: string): Promise<void> => {
      await frame.locator('#cur-filter-status').click();
      await frame.locator(`#cur-filter-status vscode-option[value="${value}"]`).click();
    };
    await pick('accepted');
    await until(
      '"0 of 1 shown"',
      async () => (await frame.locator('#cur-shown').textContent()) === '0 of 1 shown' || undefined,
      10_000,
      () => frame.locator('#cur-shown').textContent(),
    );
    await pick('rejected');
    await until(
      '"1 of 1 shown"',
      async () => (await frame.locator('#cur-shown').textContent()) === '1 of 1 shown' || undefined,
      10_000,
      () => frame.locator('#cur-shown').textContent(),
    );
    await pick('all');
    lap('3. reject + filters');
  });

  test(
    '"Set API Key…" stores the key in SecretStorage; "Regenerate" with the LLM sends it as a Bearer token; no file holds it',
    { timeout: 120_000 },
    async (t) => {
      const lap = timer(t);
      const { vscode, frame } = started();
      // 4. The LLM: key into SecretStorage through the palette, generator setting → llm, regenerate pair 3.
      await vscode.runCommand('T2Vid: Set API Key…', { opensInput: true });
      const input = vscode.page.locator('.quick-input-widget .quick-input-box input[type="password"]');
      await input.waitFor({ state: 'visible' });
      assert.equal(await input.getAttribute('type'), 'password', 'the key is typed into a password box');
      await input.fill(KEY);
      await vscode.page.keyboard.press('Enter');
      await vscode.waitForNotification('API key stored');
      // "Regenerate with" → LLM (the t2vid.qa.generator workspace setting).
      await frame.locator('#cur-generator').click();
      await frame.locator('#cur-generator vscode-option[value="llm"]').click();
      const workspaceSettings = path.join(ws.dir, '.vscode', 'settings.json');
      await until(
        'the workspace setting t2vid.qa.generator = llm',
        async () =>
          (fs.existsSync(workspaceSettings) && /"t2vid\.qa\.generator":\s*"llm"/.test(fs.readFileSync(workspaceSettings, 'utf8'))) ||
          undefined,
        10_000,
      );
      await frame.locator('.cur-row[data-line="0"] .cur-pair[data-pair="2"] .cur-button', { hasText: 'Regenerate' }).click();
      shown = await until(
        'pair 3 from the LLM',
        async () => {
          const s = await shownPairs(frame);
          return s && /^What happens in frame \d+\?$/.test(s.questions[2]) ? s : undefined;
        },
        30_000,
        async () => ({
          shot: await vscode.screenshot('generate-llm-failed'),
          notice: await frame.locator('#cur-notice').textContent(),
          toasts: await vscode.notifications(),
          requests: peer().requests.length,
          pairs: await shownPairs(frame),
        }),
      );
      assert.ok(peer().requests.length >= 1, 'the endpoint was called');
      assert.equal(peer().requests.at(-1)?.auth, `Bearer ${KEY}`);
      const record = await save(vscode, out, (r) => r.qa[2].provenance.generator === 'llm', 'the LLM pair');
      assert.equal(record.qa[2].provenance.model, 'fake-model');
      assert.equal(record.qa[1].status, 'rejected');
      for (const file of fs.readdirSync(ws.dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile())) {
        assert.ok(!fs.readFileSync(path.join(file.parentPath, file.name), 'utf8').includes(KEY), `${file.name} holds the API key`);
      }
      assert.ok(
        !fs.readFileSync(path.join(vscode.root, 'user-data', 'User', 'settings.json'), 'utf8').includes(KEY),
        'the key is not in user settings',
      );
      await vscode.screenshot('curation-generated');
      lap(`4. LLM regenerate: "${shown.questions[2]}"`);
    },
  );
});
