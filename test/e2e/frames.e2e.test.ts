/**
 * E2E: the "Frames" view (t2vid.frames) in a real VS Code (code-server + Chromium). The frame counts are checked
 * against the engine itself (PreviewEngine in this process, same text, same options), the panel's font size field
 * against the workspace settings.json, and the frame ↔ source link against the editor's status bar.
 * One VS Code session per theme (a suite), one test per behaviour.
 * Needs `npm run setup:e2e` once; without it these tests fail with that hint (they never skip).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import type { Frame } from 'playwright-core';
import { resolveOptions } from '../../src/core/options';
import { repoRoot, suiteSession, type VSCodeSession } from '../support/harness';
import {
  enginePages,
  openFramesView,
  panelFrame,
  scrollThroughStrip,
  sleep,
  statusSelection,
  timer,
  until,
  type DomDocument,
} from '../support/panel';

/** The `input` of the first record of ../shared/data/long-text/leval-news_summ.jsonl (read, never copied into the repo). */
function newsText(): string {
  const file = path.join(repoRoot(), '..', 'shared', 'data', 'long-text', 'leval-news_summ.jsonl');
  const first = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .find((l) => l.trim());
  assert.ok(first, `${file} has no record`);
  const input = (JSON.parse(first) as { input?: unknown }).input;
  assert.equal(typeof input, 'string', `${file}: the first record has no string "input"`);
  return input as string;
}

/** The engine's pages for `text`, rendered in this process with a throwaway cache. */
interface PanelState {
  /** Thumbnails built (the rows near the viewport). */
  thumbs: number;
  statsFrames: number;
  /** Whether the stats show the total (not frames "so far"). */
  complete: boolean;
  stats: string;
  message: string | null;
  active: number[];
}

async function panelState(frame: Frame): Promise<PanelState> {
  return frame.evaluate(() => {
    const doc = (globalThis as unknown as { document: DomDocument }).document;
    const stats = doc.getElementById('t2vid-stats');
    const message = doc.getElementById('t2vid-message');
    const thumbs = [...doc.querySelectorAll('#t2vid-strip .t2vid-frame')];
    return {
      thumbs: thumbs.length,
      statsFrames: Number(stats?.dataset.frames ?? NaN),
      complete: stats?.dataset.complete === 'true',
      stats: stats?.textContent ?? '',
      message: message && !message.hidden ? (message.textContent ?? '').trim() : null,
      active: thumbs.filter((t) => t.classList.contains('t2vid-frame--active')).map((t) => Number(t.dataset.index)),
    };
  });
}

/**
 * Waits until the stats show exactly `count` frames, all of them (no render streaming in), then scrolls through the
 * filmstrip (a virtual grid) and checks that each of the `count` thumbnails shows its PNG: complete with natural
 * size width × height. `thumbs` in the result is the number of distinct thumbnails seen.
 */
async function waitForFrames(
  frame: Frame,
  count: number,
  size: { width: number; height: number },
  timeoutMs = 60_000,
): Promise<PanelState> {
  const state = await until(
    `${count} frames`,
    async () => {
      const s = await panelState(frame);
      return s.statsFrames === count && s.complete && s.message === null ? s : undefined;
    },
    timeoutMs,
    () => panelState(frame),
  );
  const images = await scrollThroughStrip(frame);
  assert.deepEqual(
    images.map((i) => i.index),
    Array.from({ length: count }, (_, i) => i),
    'thumbnails carry data-index 0..n-1 in order',
  );
  const broken = images.filter((i) => !i.complete || i.width !== size.width || i.height !== size.height);
  assert.deepEqual(broken, [], `thumbnails whose PNG did not load at ${size.width}×${size.height}`);
  return { ...state, thumbs: images.length };
}

/** 1-based line and column of a text offset, as VS Code counts them (no tabs in this text). */
function lineCol(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, col: offset - (before.lastIndexOf('\n') + 1) + 1 };
}

/** The Frames view's webview, opened from the activity bar unless it is already showing (a second click would close it). */
async function framesPanel(vscode: VSCodeSession): Promise<Frame> {
  return (await panelFrame(vscode, 2000).catch(() => undefined)) ?? openFramesView(vscode);
}

/** Moves the mouse off the activity bar and the panel, so no hover or tooltip covers them in a screenshot. */
async function screenshot(vscode: VSCodeSession, name: string): Promise<string> {
  await vscode.page.mouse.move(900, 880);
  await vscode.page
    .locator('.workbench-hover-container, .monaco-hover:not(.hidden)')
    .first()
    .waitFor({ state: 'hidden', timeout: 3000 })
    .catch(() => undefined);
  return vscode.screenshot(name);
}

const SIZE = { width: 448, height: 448 };

/**
 * The Frames view's title actions (package.json `view/title`): in the side bar's title while it is the container's
 * only view, in its pane header beside the Runs view.
 */
const viewAction = (vscode: VSCodeSession, label: string) =>
  vscode.page
    .locator(
      `.part.sidebar .title-actions [aria-label="${label}"], .part.sidebar .pane-header:has-text("Frames") .actions [aria-label="${label}"]`,
    )
    .first();
const exportAction = (vscode: VSCodeSession) => viewAction(vscode, 'Export Previewed Frames');
const settingsAction = (vscode: VSCodeSession) => viewAction(vscode, 'Open Settings');

describe('Frames view (light theme)', () => {
  const text = newsText();
  const ws = suiteSession({ 'doc.md': text }, { theme: 'light' });
  const engine = Promise.all([enginePages(text, resolveOptions()), enginePages(text, resolveOptions({ render: { fontSize: 28 } }))]);
  engine.catch(() => undefined); // awaited (and reported) by each test
  /** The engine's pages at the font size the workspace now has (28 once the font-size test has set it). */
  const currentPages = async (): Promise<Awaited<typeof engine>[0]> => {
    const [defaults, large] = await engine;
    const settingsFile = path.join(ws.dir, '.vscode', 'settings.json');
    const raw = fs.existsSync(settingsFile) ? fs.readFileSync(settingsFile, 'utf8') : '{}';
    return (JSON.parse(raw) as Record<string, unknown>)['t2vid.render.fontSize'] === 28 ? large : defaults;
  };

  test("the filmstrip shows the engine's frames at the default settings", { timeout: 180_000 }, async (t) => {
    const lap = timer(t);
    const [defaults, large] = await engine;
    assert.ok(defaults.length >= 5, `the engine made only ${defaults.length} frames`);
    assert.notEqual(large.length, defaults.length, 'font size 28 must change the frame count for this text');
    const vscode = ws.vscode();
    await vscode.openFile('doc.md');
    const frame = await framesPanel(vscode);
    const state = await waitForFrames(frame, defaults.length, SIZE);
    assert.equal(state.thumbs, defaults.length, "thumbnails = the engine's frames at the default settings");
    assert.equal(state.statsFrames, defaults.length, "#t2vid-stats[data-frames] = the engine's frames");
    assert.match(state.stats, new RegExp(`^${defaults.length} frames · `), `stats: ${state.stats}`);
    lap(`view opened, ${state.thumbs} frames loaded`);
  });

  // The frame ↔ source tests below run at whatever font size this leaves (the pages for it from the engine).
  test(
    "font size 28 in the panel: written to the workspace settings and re-rendered to the engine's frames",
    { timeout: 120_000 },
    async (t) => {
      const lap = timer(t);
      const [, large] = await engine;
      const vscode = ws.vscode();
      await vscode.openFile('doc.md');
      let frame = await framesPanel(vscode);
      const fontField = frame.getByRole('textbox', { name: 'Font size' });
      await fontField.click();
      // Select the field's text with keys the input handles itself: right after focus moves from the text editor into
      // the webview, VS Code can still route Ctrl+A (Select All) to the editor.
      await fontField.press('End');
      await fontField.press('Shift+Home');
      await fontField.pressSequentially('28');
      await fontField.press('Enter');
      // First the setting (what the panel's field commits), then the re-render it causes.
      const settingsFile = path.join(ws.dir, '.vscode', 'settings.json');
      const settings = await until(
        `"t2vid.render.fontSize": 28 in ${settingsFile}`,
        async () => {
          const raw = fs.existsSync(settingsFile) ? fs.readFileSync(settingsFile, 'utf8') : '';
          return /"t2vid\.render\.fontSize"\s*:\s*28\b/.test(raw) ? raw : undefined;
        },
        10_000,
        async () => (fs.existsSync(settingsFile) ? fs.readFileSync(settingsFile, 'utf8') : '(missing)'),
      );
      assert.equal((JSON.parse(settings) as Record<string, unknown>)['t2vid.render.fontSize'], 28);
      frame = await panelFrame(vscode);
      const state = await waitForFrames(frame, large.length, SIZE);
      assert.equal(state.thumbs, large.length, "thumbnails = the engine's frames at font size 28");
      assert.equal(state.statsFrames, large.length, "#t2vid-stats[data-frames] = the engine's frames at font size 28");
      assert.equal(await frame.getByRole('textbox', { name: 'Font size' }).inputValue(), '28');
      lap(`font size 28: ${state.thumbs} frames`);
    },
  );
  test(
    'frame → source: clicking the third thumbnail selects its text in the editor, and only it is highlighted',
    { timeout: 120_000 },
    async (t) => {
      const lap = timer(t);
      const pages = await currentPages();
      const vscode = ws.vscode();
      await vscode.openFile('doc.md');
      const frame = await framesPanel(vscode);
      await waitForFrames(frame, pages.length, SIZE);
      const third = pages[2];
      const start = lineCol(text, third.range[0]);
      const end = lineCol(text, third.range[1]);
      await frame.locator('#t2vid-strip .t2vid-frame[data-index="2"]').click();
      const expected = `Ln ${end.line}, Col ${end.col} (${third.range[1] - third.range[0]} selected)`;
      const status = await until(
        `the status bar to show ${JSON.stringify(expected)}`,
        async () => {
          const s = await statusSelection(vscode);
          return /\(\d+ selected\)/.test(s) && s === expected ? s : undefined;
        },
        15_000,
        () => statusSelection(vscode),
      );
      // The selection runs from the frame's start to its end; the status bar shows its active end. This document is
      // one line, so the start line is the line shown.
      const shown = Number(/^Ln (\d+)/.exec(status)?.[1]);
      assert.equal(shown, start.line, `status "${status}": line of the frame's start offset ${third.range[0]}`);
      // The clicked thumbnail is the highlighted one, also once the editor's selection event has come back (the host
      // answers it with a highlight of its own).
      const highlighted = await until(
        'the host to settle on a highlight',
        async () => {
          const a = (await panelState(frame)).active;
          await sleep(500); // a second read, 500 ms later, must agree
          const b = (await panelState(frame)).active;
          return a.length && a.join() === b.join() ? b : undefined;
        },
        10_000,
        () => panelState(frame),
      );
      await screenshot(vscode, 'frames-light');
      assert.deepEqual(highlighted, [2], 'after clicking frame 3 (data-index 2) it, and only it, is highlighted');
      lap(`frame 3 → "${status}"`);
    },
  );

  test('source → frame: the cursor at the end of the document highlights the last thumbnail', { timeout: 120_000 }, async (t) => {
    const lap = timer(t);
    const pages = await currentPages();
    const vscode = ws.vscode();
    await vscode.openFile('doc.md');
    const frame = await framesPanel(vscode);
    await waitForFrames(frame, pages.length, SIZE);
    await vscode.page
      .locator('.monaco-editor .view-lines')
      .first()
      .click({ position: { x: 40, y: 8 } });
    await vscode.page.keyboard.press('Control+End');
    const last = pages.length - 1;
    const endPos = lineCol(text, text.length);
    await until(
      `the status bar at the end of the document`,
      async () => (await statusSelection(vscode)) === `Ln ${endPos.line}, Col ${endPos.col}`,
      10_000,
      () => statusSelection(vscode),
    );
    await until(
      `the last frame (${last}) highlighted`,
      async () => (await panelState(frame)).active.includes(last),
      10_000,
      () => panelState(frame),
    );
    assert.deepEqual((await panelState(frame)).active, [last], 'only the last thumbnail is highlighted');
    lap('Ctrl+End → last frame highlighted');
  });
});

describe('Frames view (dark theme)', () => {
  const text = newsText();
  const ws = suiteSession({ 'doc.md': text, 'empty.txt': '' }, { theme: 'dark' });

  test("the filmstrip in the dark theme shows the engine's frames", { timeout: 180_000 }, async (t) => {
    const lap = timer(t);
    const pages = await enginePages(text, resolveOptions());
    const vscode = ws.vscode();
    await vscode.openFile('doc.md');
    const frame = await framesPanel(vscode);
    const state = await waitForFrames(frame, pages.length, SIZE);
    assert.equal(state.statsFrames, pages.length, "#t2vid-stats[data-frames] = the engine's frames");
    assert.match(state.stats, new RegExp(`^${pages.length} frames · `), `stats: ${state.stats}`);
    await screenshot(vscode, 'frames-dark');
    lap(`view opened, ${state.thumbs} frames loaded`);
    // The view's title bar: Export while there are frames (context key t2vid.hasFrames), Settings always.
    await exportAction(vscode).waitFor({ state: 'visible', timeout: 10_000 });
    await settingsAction(vscode).waitFor({ state: 'visible', timeout: 10_000 });
  });

  test('an empty document: no frames, a message naming the document', { timeout: 120_000 }, async (t) => {
    const lap = timer(t);
    const vscode = ws.vscode();
    await vscode.openFile('empty.txt');
    const frame = await framesPanel(vscode);
    const message = await until(
      'the empty-document message',
      async () => {
        const s = await panelState(frame);
        return s.message !== null && s.thumbs === 0 ? s.message : undefined;
      },
      30_000,
      () => panelState(frame),
    );
    assert.match(message, /empty/i, `message: ${message}`);
    assert.match(message, /empty\.txt/, `message names the document: ${message}`);
    assert.equal((await panelState(frame)).statsFrames, 0);
    // No frames: Export leaves the view title (t2vid.hasFrames is false); Settings stays.
    await exportAction(vscode).waitFor({ state: 'hidden', timeout: 10_000 });
    assert.ok(await settingsAction(vscode).isVisible(), 'Open Settings stays in the view title');
    await screenshot(vscode, 'frames-empty');
    lap(`empty.txt → "${message}"`);
  });
});
