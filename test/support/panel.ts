/** Helpers the Frames-view E2E tests share: waiting, finding the panel's webview, engine counts, the status bar. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TestContext } from 'node:test';
import type { Frame } from 'playwright-core';
import { resolveOptions, type EngineOptions } from '../../src/core/options';
import { PreviewEngine, type PreviewResult } from '../../src/core/preview';
import type { VSCodeSession } from './harness';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The engine's pages for `text` (default settings unless given), rendered in this process with a throwaway cache. */
export async function enginePages(text: string, options: EngineOptions = resolveOptions()): Promise<PreviewResult['pages']> {
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 't2vid-e2e-engine-'));
  try {
    return (await new PreviewEngine(cache).render(text, options)).pages;
  } finally {
    fs.rmSync(cache, { recursive: true, force: true });
  }
}

/** Polls `check` until it returns a value other than undefined/false; the error names what was awaited and the last value seen. */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs: number,
  last?: () => Promise<unknown>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let value: T | undefined | false;
    try {
      value = await check();
    } catch {
      value = undefined; // a frame navigated or detached meanwhile: ask again
    }
    if (value !== undefined && value !== false) {
      return value;
    }
    if (Date.now() > deadline) {
      const seen = last ? await last().catch((e: unknown) => `(${(e as Error).message})`) : undefined;
      throw new Error(
        `E2E: timed out after ${timeoutMs / 1000} s waiting for ${what}${seen === undefined ? '' : `; last seen: ${JSON.stringify(seen)}`}`,
      );
    }
    await sleep(200);
  }
}

/** The content frame of a webview: the nested frame that holds `selector` (e.g. #t2vid-stats, #cur-list). */
export async function webviewFrame(vscode: VSCodeSession, selector: string, what: string, timeoutMs = 60_000): Promise<Frame> {
  return until(
    `${what} (a frame with ${selector})`,
    async () => {
      for (const frame of vscode.webviewFrames()) {
        if (!frame.isDetached() && (await frame.locator(selector).count()) > 0) {
          return frame;
        }
      }
      return undefined;
    },
    timeoutMs,
    async () => vscode.webviewFrames().map((f) => f.url().slice(0, 120)),
  );
}

/** The webview content frame of the Frames view. */
export async function panelFrame(vscode: VSCodeSession, timeoutMs = 60_000): Promise<Frame> {
  return webviewFrame(vscode, '#t2vid-stats', 'the Frames webview', timeoutMs);
}

/** The webview content frame of the curation editor. */
export async function curationFrame(vscode: VSCodeSession, timeoutMs = 90_000): Promise<Frame> {
  return webviewFrame(vscode, '#cur-list', 'the curation webview', timeoutMs);
}

/** Opens the T2Vid view container from its activity-bar item (falls back to the palette command). */
export async function openFramesView(vscode: VSCodeSession): Promise<Frame> {
  const item = vscode.page.locator('.part.activitybar .action-item [aria-label*="T2Vid"]').first();
  const shown = await item.waitFor({ state: 'visible', timeout: 15_000 }).then(
    () => true,
    () => false,
  );
  if (shown) {
    await item.click();
  } else {
    await vscode.runCommand('T2Vid: Show Frames Preview');
  }
  return panelFrame(vscode);
}

/**
 * The little of the DOM the page-side callbacks use. The project compiles tests without the DOM lib (they are
 * node code), so these callbacks reach `document` through globalThis with these shapes.
 */
export interface DomElement {
  id: string;
  hidden: boolean;
  textContent: string | null;
  dataset: Record<string, string | undefined>;
  classList: { contains(name: string): boolean };
  querySelector(selector: string): DomElement | null;
  getAttribute(name: string): string | null;
  hasAttribute(name: string): boolean;
  scrollIntoView(options?: { block?: string }): void;
}
export interface DomImage extends DomElement {
  complete: boolean;
  naturalWidth: number;
  naturalHeight: number;
  currentSrc: string;
  addEventListener(type: string, listener: () => void, options?: { once?: boolean }): void;
}
export interface DomDocument {
  getElementById(id: string): DomElement | null;
  querySelector(selector: string): DomElement | null;
  querySelectorAll(selector: string): Iterable<DomElement>;
}

/** The status bar's cursor item ("Ln 1, Col 672 (342 selected)"). */
export async function statusSelection(vscode: VSCodeSession): Promise<string> {
  const byId = vscode.page.locator('[id="status.editor.selection"]');
  const item = (await byId.count())
    ? byId.first()
    : vscode.page.locator('.part.statusbar .statusbar-item', { hasText: /Ln \d+, Col \d+/ }).first();
  return (await item.innerText()).trim();
}

/** Logs the time each step took as a test diagnostic. */
export function timer(t: TestContext): (step: string) => void {
  let last = Date.now();
  return (step) => {
    const now = Date.now();
    t.diagnostic(`${step}: ${((now - last) / 1000).toFixed(1)} s`);
    last = now;
  };
}

/** Scrolls the virtualized list towards `line` (rows exist only near the viewport). */
export async function scrollTowards(frame: Frame, line: number): Promise<void> {
  await frame.evaluate((l) => {
    const doc = (globalThis as unknown as { document: DomDocument }).document;
    const row = doc.querySelector(`.cur-row[data-line="${l}"]`);
    const list = doc.getElementById('cur-list') as unknown as { scrollTop: number; clientHeight: number };
    if (row) {
      row.scrollIntoView({ block: 'nearest' });
      return;
    }
    const lines = [...doc.querySelectorAll('.cur-row')].map((r) => Number(r.dataset.line));
    list.scrollTop += (lines.length && Math.min(...lines) > l ? -0.8 : 0.8) * list.clientHeight;
  }, line);
}

/** The webview content frame of the curation editor of the file named `name` (several curation tabs may be open). */
export async function curationFrameOf(vscode: VSCodeSession, name: string, timeoutMs = 90_000): Promise<Frame> {
  return until(
    `the curation editor of ${name}`,
    async () => {
      for (const frame of vscode.webviewFrames()) {
        if (
          !frame.isDetached() &&
          (await frame.locator('#cur-list').count()) > 0 &&
          (await frame.locator('.cur-title__file').textContent())?.trim() === name
        ) {
          return frame;
        }
      }
      return undefined;
    },
    timeoutMs,
    async () => vscode.webviewFrames().map((f) => f.url().slice(0, 120)),
  );
}

/** Whether the editor tab of `name` shows the dirty dot. */
export async function tabDirty(vscode: VSCodeSession, name: string): Promise<boolean> {
  const tab = vscode.page.locator(`.tabs-container .tab[data-resource-name=${JSON.stringify(name)}]`).first();
  return ((await tab.getAttribute('class')) ?? '').split(/\s+/).includes('dirty');
}

/** Closes every editor ("View: Close All Editors"), answering "Don't Save" if an unsaved one asks. */
export async function closeAllEditors(vscode: VSCodeSession): Promise<void> {
  await vscode.runCommand('View: Close All Editors');
  const dontSave = vscode.page.locator('.monaco-dialog-box .monaco-button', { hasText: "Don't Save" });
  if (
    await dontSave.waitFor({ state: 'visible', timeout: 1500 }).then(
      () => true,
      () => false,
    )
  ) {
    await dontSave.click();
  }
  await until('no editor tab', async () => (await vscode.page.locator('.tabs-container .tab').count()) === 0 || undefined, 10_000);
}

/** Quick Open as a user does it: Ctrl+P, type the name, Enter; waits for the tab of that file. */
export async function quickOpen(vscode: VSCodeSession, name: string): Promise<void> {
  const page = vscode.page;
  const input = page.locator('.quick-input-widget .quick-input-box input');
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('Control+P');
    if (
      await input.waitFor({ state: 'visible', timeout: 5000 }).then(
        () => true,
        () => false,
      )
    ) {
      break;
    }
    if (attempt === 3) {
      throw new Error('E2E: Ctrl+P did not open Quick Open');
    }
    await page
      .locator('.monaco-workbench .part.statusbar')
      .click({ position: { x: 400, y: 5 } })
      .catch(() => undefined);
  }
  await input.fill(name);
  // Enter opens the first match: wait until the list shows the file first.
  await until(
    `${name} first in Quick Open`,
    async () =>
      (
        await page
          .locator('.quick-input-widget .quick-input-list .monaco-list-row .label-name')
          .first()
          .innerText()
          .catch(() => '')
      ).trim() === name
        ? true
        : undefined,
    15_000,
  );
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
  await page
    .locator(`.tabs-container .tab.active[data-resource-name=${JSON.stringify(name)}]`)
    .first()
    .waitFor({ state: 'visible' });
}

/** The number of text editors visible in the editor area (0 when a curation editor is the only editor shown). */
export async function visibleTextEditors(vscode: VSCodeSession): Promise<number> {
  return vscode.page.locator('.part.editor .monaco-editor:visible').count();
}

/** One thumbnail of the Frames view's filmstrip as seen while scrolling through it. */
export interface SeenThumb {
  index: number;
  complete: boolean;
  width: number;
  height: number;
  src: string;
}

/**
 * Scrolls the Frames view's filmstrip (a virtual grid: only rows near the viewport exist) from the top to the end,
 * waiting at each step for the frames to arrive (no placeholder left) and their images to load; returns every
 * thumbnail seen, by index order, and scrolls back to the top.
 */
export async function scrollThroughStrip(frame: Frame, timeoutMs = 20_000): Promise<SeenThumb[]> {
  return frame.evaluate(async (timeout) => {
    type El = DomImage & { getBoundingClientRect(): { top: number; bottom: number } };
    const g = globalThis as unknown as {
      document: DomDocument & { scrollingElement: unknown };
      getComputedStyle(e: unknown): { overflowY: string };
      requestAnimationFrame(f: () => void): void;
    };
    const doc = g.document;
    const body = doc.querySelector('.t2vid-body');
    const sc = (g.getComputedStyle(body).overflowY === 'visible' ? doc.scrollingElement : body) as {
      scrollTop: number;
      clientHeight: number;
      scrollHeight: number;
    };
    const frameTick = (): Promise<void> => new Promise((r) => g.requestAnimationFrame(() => g.requestAnimationFrame(() => r())));
    const settle = async (): Promise<void> => {
      const deadline = Date.now() + timeout;
      for (;;) {
        await frameTick();
        const thumbs = [...doc.querySelectorAll('#t2vid-strip .t2vid-frame')] as unknown as El[];
        const waiting = thumbs.filter((t) => {
          const img = t.querySelector('img') as DomImage | null;
          return t.classList.contains('t2vid-frame--pending') || !img || !(img.complete && img.naturalWidth > 0);
        });
        if (!waiting.length || Date.now() > deadline) {
          return;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const seen = new Map<number, { index: number; complete: boolean; width: number; height: number; src: string }>();
    sc.scrollTop = 0;
    for (;;) {
      await settle();
      for (const t of [...doc.querySelectorAll('#t2vid-strip .t2vid-frame')] as unknown as El[]) {
        const img = t.querySelector('img') as DomImage | null;
        const index = Number(t.dataset.index);
        seen.set(index, {
          index,
          complete: !!img && img.complete && !t.classList.contains('t2vid-frame--pending'),
          width: img?.naturalWidth ?? 0,
          height: img?.naturalHeight ?? 0,
          src: img?.currentSrc ?? '',
        });
      }
      if (sc.scrollTop + sc.clientHeight >= sc.scrollHeight - 1) {
        break;
      }
      sc.scrollTop += Math.max(40, Math.floor(sc.clientHeight * 0.8));
    }
    sc.scrollTop = 0;
    await frameTick();
    return [...seen.values()].sort((a, b) => a.index - b.index);
  }, timeoutMs);
}

/**
 * A Markdown document of exactly `words` words from the L-Eval contexts in <root>/../shared/data/long-text (sorted
 * files, records in order, their paragraphs kept, each document under a heading; the last one cut): a book-length
 * text built at test time, never copied into the repo.
 */
export function longMarkdown(root: string, words: number): string {
  const dir = path.join(root, '..', 'shared', 'data', 'long-text');
  const parts: string[] = ['# A long document', ''];
  let count = 0;
  for (const name of fs
    .readdirSync(dir)
    .filter((n) => /^leval-.*\.jsonl$/.test(n))
    .sort()) {
    for (const line of fs.readFileSync(path.join(dir, name), 'utf8').split('\n')) {
      if (!line.trim() || count >= words) {
        continue;
      }
      const input = (JSON.parse(line) as { input?: unknown }).input;
      if (typeof input !== 'string') {
        continue;
      }
      const paragraphs: string[] = [];
      for (const para of input.split(/\n\s*\n/)) {
        const w = para.split(/\s+/).filter(Boolean);
        if (!w.length || count >= words) {
          continue;
        }
        const take = w.slice(0, words - count);
        count += take.length;
        paragraphs.push(take.join(' '));
      }
      parts.push(`## ${name.replace(/\.jsonl$/, '')}, document ${parts.length - 1}`, '', paragraphs.join('\n\n'), '');
    }
  }
  if (count < words) {
    throw new Error(`${dir} holds only ${count} words (${words} wanted)`);
  }
  return parts.join('\n');
}

/**
 * Answers code-server's save dialog (VS Code's simple file dialog: a quick input holding the path) with `file`: the
 * dialog fills its own default in after it shows, so the path is typed until the input holds it.
 */
export async function answerSaveDialog(v: VSCodeSession, file: string): Promise<void> {
  const input = v.page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible' });
  await until(
    'the save dialog holding the path',
    async () => {
      await input.fill(file);
      await sleep(300);
      return (await input.inputValue()) === file ? true : undefined;
    },
    15_000,
  );
  await input.press('Enter');
}
