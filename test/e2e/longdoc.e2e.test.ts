/**
 * E2E: the Frames view on a 150,000-word Markdown book (L-Eval documents from ../shared/data joined at test time,
 * never copied into the repo) in a real VS Code (code-server + Chromium). The view must show the frames near the
 * cursor while the rest stream in, hold only the rows near its viewport, show the total once known, scroll to the
 * end, link a frame to its text and follow typing. Frame counts are not fixed here (the paging engine changes);
 * the last frame must end where the document ends.
 * Needs `npm run build && npm run package` and `npm run setup:e2e`.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Frame } from 'playwright-core';
import { repoRoot, suiteSession, type VSCodeSession } from '../support/harness';
import { longMarkdown, openFramesView, panelFrame, statusSelection, timer, until, type DomDocument } from '../support/panel';

const WORDS = 150_000;

interface Thumb {
  index: number;
  range: [number, number] | null;
  loaded: boolean;
  pending: boolean;
  active: boolean;
  visible: boolean;
  src: string;
}

interface View {
  frames: number;
  complete: boolean;
  stats: string;
  doc: string;
  message: string | null;
  thumbs: Thumb[];
}

async function view(frame: Frame): Promise<View> {
  return frame.evaluate(() => {
    const g = globalThis as unknown as {
      document: DomDocument;
      innerHeight: number;
    };
    const doc = g.document;
    const stats = doc.getElementById('t2vid-stats');
    const message = doc.getElementById('t2vid-message');
    type T = { getBoundingClientRect(): { top: number; bottom: number; width: number } };
    const thumbs = [...doc.querySelectorAll('#t2vid-strip .t2vid-frame')].map((t) => {
      const img = t.querySelector('img') as unknown as { complete: boolean; naturalWidth: number; currentSrc: string } | null;
      const r = (t as unknown as T).getBoundingClientRect();
      const m = /^(\d+)-(\d+)$/.exec(t.dataset.range ?? '');
      return {
        index: Number(t.dataset.index),
        range: m ? ([Number(m[1]), Number(m[2])] as [number, number]) : null,
        loaded: !!img && img.complete && img.naturalWidth > 0,
        pending: t.classList.contains('t2vid-frame--pending'),
        active: t.classList.contains('t2vid-frame--active'),
        visible: r.width > 0 && r.bottom > 0 && r.top < g.innerHeight,
        src: img?.currentSrc ?? '',
      };
    });
    return {
      frames: Number(stats?.dataset.frames ?? NaN),
      complete: stats?.dataset.complete === 'true',
      stats: stats?.textContent ?? '',
      doc: doc.getElementById('t2vid-doc')?.textContent ?? '',
      message: message && !message.hidden ? (message.textContent ?? '').trim() : null,
      thumbs,
    };
  });
}

/** Scrolls the filmstrip's scroller to the end (or the top). */
async function scrollStrip(frame: Frame, where: 'end' | 'top'): Promise<void> {
  await frame.evaluate((w) => {
    const g = globalThis as unknown as { document: DomDocument; getComputedStyle(e: unknown): { overflowY: string } };
    const body = g.document.querySelector('.t2vid-body');
    const sc = (
      g.getComputedStyle(body).overflowY === 'visible' ? (g.document as unknown as { scrollingElement: unknown }).scrollingElement : body
    ) as { scrollTop: number; scrollHeight: number };
    sc.scrollTop = w === 'end' ? sc.scrollHeight : 0;
  }, where);
}

/** 1-based line and column of a text offset, as VS Code counts them (no tabs in this text). */
function lineCol(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, col: offset - (before.lastIndexOf('\n') + 1) + 1 };
}

/** Puts the cursor at line:col with Go to Line (Ctrl+G, ":line:col"). */
async function gotoLine(vscode: VSCodeSession, line: number, col: number): Promise<void> {
  const page = vscode.page;
  await page.keyboard.press('Control+g');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(`:${line}:${col}`);
  await page.waitForTimeout(200);
  await page.keyboard.press('Enter');
  await until(
    `the cursor at ${line}:${col}`,
    async () => (await statusSelection(vscode)) === `Ln ${line}, Col ${col}`,
    10_000,
    () => statusSelection(vscode),
  );
}

describe('Frames view: a 150,000-word document', () => {
  const text = longMarkdown(repoRoot(), WORDS);
  const ws = suiteSession({ 'book.md': text });

  test('the first frames show while the rest stream in; only rows near the viewport are built', { timeout: 300_000 }, async (t) => {
    const lap = timer(t);
    const vscode = ws.vscode();
    await vscode.openFile('book.md');
    const frame = await openFramesView(vscode);
    lap('view opened');
    const first = await until(
      'the first frames painted',
      async () => {
        const v = await view(frame);
        return v.thumbs.some((th) => th.index === 0 && th.visible && th.loaded) ? v : undefined;
      },
      120_000,
      () => view(frame).then((v) => ({ ...v, thumbs: v.thumbs.length })),
    );
    lap(`first frames painted (stats: "${first.stats}")`);
    assert.equal(first.doc, 'book.md');
    assert.deepEqual(first.thumbs[0].range?.[0], 0, 'the first frame starts at the document start');
    const total = await until(
      'the total frame count',
      async () => {
        const v = await view(frame);
        return v.complete && v.frames > 0 ? v : undefined;
      },
      240_000,
      () => view(frame).then((v) => ({ ...v, thumbs: v.thumbs.length })),
    );
    lap(`all ${total.frames} frames known: "${total.stats}"`);
    assert.ok(total.frames > 1000, `${total.frames} frames for ${WORDS} words`);
    assert.match(total.stats, new RegExp(`^${new Intl.NumberFormat('en').format(total.frames)} frames · `));
    assert.ok(
      total.thumbs.length <= 120,
      `${total.thumbs.length} thumbnails built for ${total.frames} frames (only rows near the viewport)`,
    );
  });

  test('scrolling to the end shows the last frames; the last ends where the document does', { timeout: 120_000 }, async (t) => {
    const lap = timer(t);
    const vscode = ws.vscode();
    const frame = await panelFrame(vscode);
    const { frames } = await view(frame);
    await scrollStrip(frame, 'end');
    const end = await until(
      'the last frame painted',
      async () => {
        const v = await view(frame);
        const last = v.thumbs.find((th) => th.index === frames - 1);
        return last && last.visible && last.loaded && !last.pending ? last : undefined;
      },
      30_000,
      () => view(frame).then((v) => v.thumbs.map((th) => `${th.index}${th.pending ? 'p' : ''}${th.loaded ? 'l' : ''}`).join(' ')),
    );
    lap(`frame ${frames} painted`);
    assert.ok(end.range, 'the last frame has its source range');
    assert.equal(text.slice(end.range[1]).trim(), '', 'the last frame ends where the text does');
    await scrollStrip(frame, 'top');
  });

  test('clicking a frame near the end selects its text in the editor', { timeout: 120_000 }, async (t) => {
    const lap = timer(t);
    const vscode = ws.vscode();
    const frame = await panelFrame(vscode);
    const { frames } = await view(frame);
    await scrollStrip(frame, 'end');
    const target = frames - 3;
    await until(
      `frame ${target + 1} built`,
      async () => (await view(frame)).thumbs.some((th) => th.index === target && th.range && th.visible),
      30_000,
    );
    const thumb = (await view(frame)).thumbs.find((th) => th.index === target)!;
    await frame.locator(`#t2vid-strip .t2vid-frame[data-index="${target}"]`).click();
    const [a, b] = thumb.range!;
    const end = lineCol(text, b);
    const expected = `Ln ${end.line}, Col ${end.col} (${b - a} selected)`;
    await until(
      `the status bar to show ${JSON.stringify(expected)}`,
      async () => (await statusSelection(vscode)) === expected,
      15_000,
      () => statusSelection(vscode),
    );
    await until(
      `frame ${target + 1} highlighted`,
      async () => {
        const active = (await view(frame)).thumbs.filter((th) => th.active).map((th) => th.index);
        return active.length === 1 && active[0] === target;
      },
      10_000,
      () => view(frame).then((v) => v.thumbs.filter((th) => th.active).map((th) => th.index)),
    );
    lap(`frame ${target + 1} → "${expected}"`);
  });

  test('typing in the middle of the document updates the frame under the cursor', { timeout: 180_000 }, async (t) => {
    const lap = timer(t);
    const vscode = ws.vscode();
    const frame = await panelFrame(vscode);
    const lines = text.split('\n');
    const mid = lines.findIndex((l, i) => i > lines.length / 2 && l.length > 200);
    // Into the editor (its visible part: the lines layer may be scrolled far off after the last test's reveal).
    await vscode.page
      .locator('.editor-instance .monaco-editor')
      .first()
      .click({ position: { x: 120, y: 30 } });
    await gotoLine(vscode, mid + 1, 1);
    const offset = lines.slice(0, mid).join('\n').length + 1;
    const before = await until(
      'the frame under the cursor highlighted and painted',
      async () => {
        const v = await view(frame);
        const a = v.thumbs.find((th) => th.active && th.visible && th.loaded);
        return a && a.range && a.range[0] <= offset && offset < a.range[1] ? a : undefined;
      },
      30_000,
      () => view(frame).then((v) => v.thumbs.filter((th) => th.active)),
    );
    lap(`cursor at line ${mid + 1}: frame ${before.index + 1} highlighted`);
    const started = Date.now();
    await vscode.page.keyboard.type('Zebra ');
    const after = await until(
      'the frame under the cursor to show the typed word',
      async () => {
        const v = await view(frame);
        const th = v.thumbs.find((x) => x.index === before.index);
        return th && th.loaded && !th.pending && th.src !== before.src ? th : undefined;
      },
      120_000,
      () => view(frame).then((v) => v.thumbs.find((x) => x.index === before.index)),
    );
    t.diagnostic(`typing → frame ${after.index + 1} updated in ${Date.now() - started} ms`);
    lap('typed');
  });
});
