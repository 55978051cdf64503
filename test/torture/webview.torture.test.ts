/**
 * Torture family "webview content": hostile dataset text shown in both webviews of a real VS Code (code-server +
 * Chromium, the installed VSIX) must stay text. Each payload tries a different way in: an <img onerror> and a
 * <script> that would set a global, a `</textarea>` that would close the field it is shown in, a `command:` link,
 * a javascript: URL, and bidi/control characters. Every case checks that the text is shown as written, that no
 * element came from it, and that no payload ran (the page's marker global stays unset).
 */
import * as assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { Frame } from 'playwright-core';
import { suiteSession } from '../support/harness';
import { curationFrameOf, panelFrame, openFramesView, until } from '../support/panel';
import { familyReport, tortureCase } from '../support/torture';

const MARK = '__t2vidPwned';
const IMG = `<img src=x onerror="window.${MARK}=1">`;
const SCRIPT = `<script>window.${MARK}=2</script>`;
const TEXTAREA = `</textarea><img src=x onerror="window.${MARK}=3">`;
const COMMAND = `[run](command:workbench.action.terminal.new) <a href="command:workbench.action.quit">quit</a>`;
const JS_URL = `<a href="javascript:window.${MARK}=4">click</a>`;
const CONTROL = 'RLO\u202Eevil\u202C BEL\u0007 ESC\u001b[2J';

const context = (extra: string): string =>
  `Lighthouse keepers kept logs of every ship that passed. ${extra} The keepers wrote the weather twice a day, and the logs were sent to the board each month. `.repeat(
    6,
  );

const record = (id: string, ctx: string, question: string, answer: string): string =>
  JSON.stringify({
    id,
    source: { file: 'hostile.jsonl', line: 1 },
    context: ctx,
    frames: [],
    qa: [
      {
        question,
        answer,
        kind: 'detail',
        supportingFrames: [],
        provenance: { generator: 'human', promptVersion: 'human', createdAt: '2026-11-28T00:00:00.000Z', editedByUser: true },
        status: 'new',
      },
    ],
  });

const DATASET =
  [
    record(`id ${IMG}`, context(SCRIPT), `Which ship? ${IMG}`, `Answer ${TEXTAREA}`),
    record('links', context(JS_URL), `Open ${COMMAND}`, `Ctl ${CONTROL}`),
  ].join('\n') + '\n';

/** What the payloads could have created or run, read in the page of `frame`. */
async function damage(frame: Frame): Promise<{ pwned: unknown; imgs: number; scripts: number; links: number }> {
  return frame.evaluate((mark) => {
    const g = globalThis as unknown as Record<string, unknown> & {
      document: { querySelectorAll(s: string): ArrayLike<{ textContent: string | null }> };
    };
    return {
      pwned: g[mark],
      imgs: g.document.querySelectorAll('img[onerror], img[src="x"]').length,
      // VS Code's own scripts are in the page too: only a script made from the data would carry the marker.
      scripts: Array.from(g.document.querySelectorAll('script')).filter((e) => (e.textContent ?? '').includes(mark)).length,
      links: g.document.querySelectorAll('a[href^="command:"], a[href^="javascript:"]').length,
    };
  }, MARK);
}

async function assertNoDamage(frame: Frame): Promise<void> {
  assert.deepEqual(await damage(frame), { pwned: undefined, imgs: 0, scripts: 0, links: 0 });
}

describe('webview content', () => {
  const ws = suiteSession({ 'hostile.t2vid.jsonl': DATASET, 'hostile.md': `# ${IMG}\n\n${context(SCRIPT + ' ' + JS_URL)}` });
  let curation: Frame | undefined;
  const curationView = async (): Promise<Frame> => {
    if (!curation || curation.isDetached()) {
      const vscode = ws.vscode();
      await vscode.openFile('hostile.t2vid.jsonl');
      curation = await curationFrameOf(vscode, 'hostile.t2vid.jsonl');
      await until(
        'both hostile rows',
        async () => ((await curation!.locator('.cur-row .cur-field__input').count()) >= 4 ? true : undefined),
        60_000,
      );
    }
    return curation;
  };
  const fieldValues = async (frame: Frame): Promise<string[]> =>
    frame.locator('.cur-field__input').evaluateAll((els) => els.map((e) => (e as unknown as { value: string }).value));

  tortureCase(
    'webview content',
    'curation editor: <img onerror> in a question is shown as text and does not run',
    async () => {
      const frame = await curationView();
      assert.ok((await fieldValues(frame)).includes(`Which ship? ${IMG}`));
      await assertNoDamage(frame);
    },
    { timeout: 240_000 },
  );

  tortureCase(
    'webview content',
    'curation editor: </textarea> in an answer stays inside its field',
    async () => {
      const frame = await curationView();
      assert.ok((await fieldValues(frame)).includes(`Answer ${TEXTAREA}`));
      assert.equal(
        await frame.locator('.cur-field__input').count(),
        4,
        'one question and one answer field per pair, no field closed early',
      );
      await assertNoDamage(frame);
    },
    { timeout: 240_000 },
  );

  tortureCase(
    'webview content',
    'curation editor: an id and a context with markup are text (id, context head)',
    async () => {
      const frame = await curationView();
      const ids = await frame.locator('.cur-row__id').allTextContents();
      assert.ok(ids.includes(`id ${IMG}`), `ids: ${JSON.stringify(ids)}`);
      const contexts = (await frame.locator('.cur-row__context').allTextContents()).join('\n');
      assert.ok(contexts.includes(SCRIPT), 'the <script> in the context is shown as text');
      await assertNoDamage(frame);
    },
    { timeout: 240_000 },
  );

  tortureCase(
    'webview content',
    'curation editor: command: and javascript: links are not links',
    async () => {
      const frame = await curationView();
      const values = await fieldValues(frame);
      assert.ok(values.includes(`Open ${COMMAND}`));
      assert.ok((await frame.locator('.cur-row__context').allTextContents()).join('\n').includes(JS_URL));
      await assertNoDamage(frame);
    },
    { timeout: 240_000 },
  );

  tortureCase(
    'webview content',
    'curation editor: bidi overrides and control characters are kept as data, nothing else happens',
    async () => {
      const frame = await curationView();
      assert.ok((await fieldValues(frame)).includes(`Ctl ${CONTROL}`));
      await assertNoDamage(frame);
    },
    { timeout: 240_000 },
  );

  tortureCase(
    'webview content',
    'Frames view: a document with markup in its title and text renders frames, and no payload runs',
    async () => {
      const vscode = ws.vscode();
      await vscode.openFile('hostile.md');
      let frame: Frame;
      try {
        frame = await panelFrame(vscode, 3000);
      } catch {
        frame = await openFramesView(vscode);
      }
      await until(
        'frames of hostile.md',
        async () => {
          const n = Number(await frame.locator('#t2vid-stats').getAttribute('data-frames'));
          const name = await frame.locator('#t2vid-doc').textContent();
          return n > 0 && name?.includes('hostile.md') ? n : undefined;
        },
        90_000,
        async () => ({
          frames: await frame.locator('#t2vid-stats').getAttribute('data-frames'),
          doc: await frame.locator('#t2vid-doc').textContent(),
          stats: await frame.locator('#t2vid-stats').textContent(),
        }),
      );
      await assertNoDamage(frame);
    },
    { timeout: 240_000 },
  );

  familyReport('webview content');
});
