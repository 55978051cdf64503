/**
 * UI latency of the Frames view in a real VS Code (code-server + Chromium, through the E2E harness), for a
 * 5,000-word Markdown document (L-Eval text from ../shared/data, 15 words per line):
 *
 *  1. panel first paint: click on the T2Vid activity-bar item → stats with data-frames > 0, and → the first visible
 *     thumbnail <img> loaded. Cold (first open of the session: extension activation, render process start, empty
 *     preview cache), then warm re-opens (hide and show the view again).
 *     Then the first open in a second browser session on a profile that has shown the view once (a regular session:
 *     VS Code's webview host is then in the browser profile), unless T2VID_UI_SKIP_USED_PROFILE is set.
 *  2. keystroke → updated preview: one character at the end of the document (the last thumbnail's src changes), and
 *     a word typed in the middle (the thumbnail under the cursor changes), 10 repetitions each, until the new image
 *     has loaded in the webview.
 *
 * Two clocks per figure: "in-page" = timestamps taken inside the browser (keydown/mousedown in the workbench page,
 * MutationObserver / img load / 10 ms polling in the webview frame; the two documents' performance clocks are put on
 * one time base with a measured offset), and "wall" = performance.now() in this process around Playwright calls,
 * polling ≤ 10 ms. Writes bench/RESULTS-ui.md. Run by `npm run bench`; `node out/bench/ui.js` alone takes ~1-2 min.
 *
 * `node out/bench/ui.js --long` measures only a 150,000-word Markdown book (L-Eval text, built at run time): the
 * cold first open, then with the cursor in the middle of the book, re-opening the view (warm: the extension has the
 * book's frames) → the frame under the cursor painted, and scrolling the filmstrip to the end → the last frame
 * painted. It writes its section of bench/RESULTS-ui.md ("## 150,000-word document"), leaving the rest.
 * Exit 0 when measured (targets missed or not), 1 when the measurement itself failed.
 */
import { clockOffset, mousedowns, recordMousedowns } from '../test/support/browser';
import { packageRoot } from '../src/core/fonts';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Frame, type Page } from 'playwright-core';
import { CHROMIUM, e2eCache, startVSCode, type VSCodeSession } from '../test/support/harness';
import { longMarkdown } from '../test/support/panel';

const DEBOUNCE_MS = 80; // src/extension/framesView.ts
const WORDS = 5000;
const WORDS_PER_LINE = 15;
const REPS = 10;
const WARM_REOPENS = 3;
const SETTLE_MS = 400;
const TARGET_KEY_MS = 300;
const TARGET_PAINT_MS = 1000;
const LONG_WORDS = 150_000;
const TARGET_LONG_OPEN_MS = 1500;
const TARGET_LONG_SCROLL_MS = 1000;
const LONG_SECTION = '## 150,000-word document';
const RESULTS = (root: string): string => path.join(root, 'bench', 'RESULTS-ui.md');

/** Writes `section` (starting with its "## " heading) into RESULTS-ui.md in place of the one with that heading. */
function writeSection(root: string, heading: string, section: string): void {
  const file = RESULTS(root);
  const old = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Frames view UI latency (real VS Code)\n';
  const at = old.indexOf(`\n${heading}\n`);
  const rest = at < 0 ? '' : old.slice(at + 1 + heading.length).search(/\n## /);
  const before = at < 0 ? old.trimEnd() : old.slice(0, at).trimEnd();
  const after = at < 0 || rest === '' || rest < 0 ? '' : old.slice(at + 1 + heading.length + rest).trimEnd();
  const text = `${before}\n\n${section.trimEnd()}\n${after ? `${after}\n` : ''}`;
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
type Any = any;

/** The first 5,000 words of the `input` fields of leval-*.jsonl (sorted), 15 words per line. */
function document5000(root: string): string {
  const dir = path.join(root, '..', 'shared', 'data', 'long-text');
  const words: string[] = [];
  for (const name of fs
    .readdirSync(dir)
    .filter((n) => /^leval-.*\.jsonl$/.test(n))
    .sort()) {
    for (const line of fs.readFileSync(path.join(dir, name), 'utf8').split('\n')) {
      if (words.length >= WORDS) {
        break;
      }
      if (line.trim()) {
        const input = (JSON.parse(line) as { input?: unknown }).input;
        if (typeof input === 'string') {
          words.push(...input.split(/\s+/).filter(Boolean));
        }
      }
    }
  }
  if (words.length < WORDS) {
    throw new Error(`only ${words.length} words in ${dir}`);
  }
  const lines: string[] = [];
  for (let i = 0; i < WORDS; i += WORDS_PER_LINE) {
    lines.push(words.slice(i, Math.min(WORDS, i + WORDS_PER_LINE)).join(' '));
  }
  return lines.join('\n');
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const max = (xs: number[]): number => Math.max(...xs);
const fmt = (ms: number | undefined): string => (ms === undefined || !Number.isFinite(ms) ? '–' : ms.toFixed(0));

/** The Frames webview's content frame (the one with #t2vid-stats), not one of `exclude`; polls every 10 ms. */
async function findPanelFrame(vscode: VSCodeSession, exclude: Set<Frame>, timeoutMs: number): Promise<Frame | undefined> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    for (const frame of vscode.webviewFrames()) {
      if (exclude.has(frame) || frame.isDetached()) {
        continue;
      }
      try {
        if ((await frame.locator('#t2vid-stats').count()) > 0) {
          return frame;
        }
      } catch {
        // navigating: ask again
      }
    }
    await sleep(10);
  }
  return undefined;
}

function activityItem(page: Page) {
  return page.locator('.part.activitybar .action-item [aria-label*="T2Vid"]').first();
}

interface Paint {
  /** Wall clock (this process), from just before the click call. */
  wallStats: number;
  wallImg: number;
  /** In-page: mousedown in the workbench → the webview saw the condition (10 ms polling). */
  pageStats: number;
  pageImg: number;
  /** The webview document's timeOrigin after the mousedown (the iframe's navigation start). */
  webviewStart: number;
  /** The stats were already there at the first in-frame check: the in-page figure is an upper bound. */
  statsAtFirstCheck: boolean;
  frames: number;
  renderTime: string;
  /** Resource timing of the first visible image: responseEnd after the mousedown, if the entry exists. */
  imgFetched?: number;
  /** The mousedown, as Date.now() time. */
  clickEpoch: number;
  /** The webview host (outer) frame's timeOrigin after the mousedown. */
  hostStart?: number;
  /** The content document: response end and DOMContentLoaded after the mousedown. */
  docResponseEnd?: number;
  docLoaded?: number;
  /** The webview's own performance mark for the first host state with frames painted, after the mousedown. */
  framesMark?: number;
  /** VS Code's webview host marks (webview/index.html/content/…) after the mousedown: started, workerReady, wroteInnerContent. */
  hostMarks?: Record<string, number>;
  stats: string;
}

/** Clicks the activity-bar item and measures until stats, then the first visible thumbnail. */
async function measurePaint(
  vscode: VSCodeSession,
  exclude: Set<Frame>,
  which: 'any' | 'active' = 'any',
): Promise<{ paint: Paint; frame: Frame }> {
  const page = vscode.page;
  const item = activityItem(page);
  await item.waitFor({ state: 'visible', timeout: 30_000 });
  await recordMousedowns(page);
  const pageOff = await clockOffset(page);
  const t0 = performance.now();
  await item.click();
  const frame = await findPanelFrame(vscode, exclude, 60_000);
  if (!frame) {
    throw new Error('the Frames webview did not appear within 60 s of the click');
  }
  const first = await frame.evaluate(() => {
    const g = globalThis as Any;
    const s = g.document.getElementById('t2vid-stats');
    return Number(s?.dataset.frames ?? 0) > 0;
  });
  await frame.waitForFunction(
    () => {
      const g = globalThis as Any;
      const s = g.document.getElementById('t2vid-stats');
      if (Number(s?.dataset.frames ?? 0) > 0) {
        g.__t2vidStatsAt ??= g.performance.timeOrigin + g.performance.now();
        return true;
      }
      return false;
    },
    undefined,
    { polling: 10, timeout: 60_000 },
  );
  const tStats = performance.now();
  const img = await frame.waitForFunction(
    (w: 'any' | 'active') => {
      const g = globalThis as Any;
      const doc = g.document;
      const vh = g.innerHeight;
      const thumbs = [...doc.querySelectorAll('#t2vid-strip .t2vid-frame')] as Any[];
      const visible = thumbs.find((t) => {
        const r = t.getBoundingClientRect();
        return r.width > 0 && r.bottom > 0 && r.top < vh && (w === 'any' || t.classList.contains('t2vid-frame--active'));
      });
      const im = visible?.querySelector('img');
      if (im && im.complete && im.naturalWidth > 0) {
        g.__t2vidImgAt ??= g.performance.timeOrigin + g.performance.now();
        return { index: Number(visible.dataset.index), src: im.currentSrc as string };
      }
      return false;
    },
    which,
    { polling: 10, timeout: 60_000 },
  );
  const tImg = performance.now();
  const shown = (await img.jsonValue()) as { index: number; src: string };
  const webOff = await clockOffset(frame);
  const inFrame = await frame.evaluate((src: string) => {
    const g = globalThis as Any;
    const entry = g.performance.getEntriesByName(src)[0];
    return {
      statsAt: g.__t2vidStatsAt as number,
      imgAt: g.__t2vidImgAt as number,
      origin: g.performance.timeOrigin as number,
      fetched: entry ? ((g.performance.timeOrigin + entry.responseEnd) as number) : undefined,
      mark: (() => {
        const m = g.performance.getEntriesByName('t2vid:frames')[0];
        return m ? ((g.performance.timeOrigin + m.startTime) as number) : undefined;
      })(),
      frames: Number(g.document.getElementById('t2vid-stats').dataset.frames),
      stats: (g.document.getElementById('t2vid-stats').textContent ?? '') as string,
      renderTime: (g.document.getElementById('t2vid-render-time')?.textContent ?? '') as string,
      nav: (() => {
        const n = g.performance.getEntriesByType('navigation')[0];
        return n
          ? { responseEnd: g.performance.timeOrigin + n.responseEnd, dcl: g.performance.timeOrigin + n.domContentLoadedEventEnd }
          : undefined;
      })() as { responseEnd: number; dcl: number } | undefined,
    };
  }, shown.src);
  const host = frame.parentFrame();
  const hostOrigin = host
    ? await Promise.all([clockOffset(host), host.evaluate(() => (globalThis as Any).performance.timeOrigin as number)]).catch(
        () => undefined,
      )
    : undefined;
  const hostMarks = host
    ? await host
        .evaluate(() => {
          const out: Record<string, number> = {};
          for (const m of (globalThis as Any).performance.getEntriesByType('mark') as Any[]) {
            const name = /^webview\/index\.html\/content\/(\w+)$/.exec(String(m.name))?.[1];
            if (name && !(name in out)) {
              out[name] = m.startTime as number;
            }
          }
          return out;
        })
        .catch(() => undefined)
    : undefined;
  if (host && process.env.T2VID_UI_HOST_TIMING) {
    const entries = await host
      .evaluate(() =>
        ((globalThis as Any).performance.getEntries() as Any[]).map(
          (e) =>
            `${e.entryType} ${String(e.name).slice(-60)} ${Math.round(e.startTime)}..${Math.round(e.responseEnd ?? e.startTime + e.duration)}`,
        ),
      )
      .catch(() => []);
    process.stderr.write(`ui bench: webview host frame entries (ms after its start): ${entries.join(' | ')}\n`);
  }
  const downs = await mousedowns(page);
  if (!downs.length) {
    throw new Error('no mousedown recorded for the activity-bar click');
  }
  const down = downs[downs.length - 1] - pageOff;
  const web = (t: number): number => t - webOff;
  return {
    frame,
    paint: {
      wallStats: tStats - t0,
      wallImg: tImg - t0,
      pageStats: web(inFrame.statsAt) - down,
      pageImg: web(inFrame.imgAt) - down,
      webviewStart: web(inFrame.origin) - down,
      statsAtFirstCheck: first,
      frames: inFrame.frames,
      renderTime: inFrame.renderTime,
      imgFetched: inFrame.fetched === undefined ? undefined : web(inFrame.fetched) - down,
      clickEpoch: down,
      hostStart: hostOrigin ? hostOrigin[1] - hostOrigin[0] - down : undefined,
      docResponseEnd: inFrame.nav ? web(inFrame.nav.responseEnd) - down : undefined,
      docLoaded: inFrame.nav ? web(inFrame.nav.dcl) - down : undefined,
      framesMark: inFrame.mark === undefined ? undefined : web(inFrame.mark) - down,
      hostMarks:
        hostOrigin && hostMarks
          ? Object.fromEntries(Object.entries(hostMarks).map(([k, t]) => [k, hostOrigin[1] - hostOrigin[0] + t - down]))
          : undefined,
      stats: inFrame.stats,
    },
  };
}

/** The status bar's cursor item, e.g. "Ln 334, Col 52". */
async function statusSelection(page: Page): Promise<string> {
  const byId = page.locator('[id="status.editor.selection"]');
  const item = (await byId.count())
    ? byId.first()
    : page.locator('.part.statusbar .statusbar-item', { hasText: /Ln \d+, Col \d+/ }).first();
  return (await item.innerText()).trim();
}

async function waitStatus(page: Page, expected: string, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await statusSelection(page).catch(() => '')) === expected) {
      return true;
    }
    await sleep(50);
  }
  return false;
}

interface Rep {
  /** Last keydown (in-page) → the watched thumbnail's src (or data-frames) changed in the webview. */
  toChange: number;
  /** Last keydown (in-page) → the new image loaded. */
  toLoaded: number;
  /** Wall clock: keyboard.type returned → the new image loaded (seen by 10 ms polling). */
  wall: number;
  /** First → last keydown of the typed text. */
  typing: number;
  /** Updates of the watched thumbnail before the preview settled (1 = a single state). */
  updates: number;
  /** The host's render time shown in #t2vid-render-time. */
  renderMs: number;
}

/** Arms a MutationObserver on the webview for one repetition; `which`: the last thumbnail or the highlighted one. */
async function arm(frame: Frame, which: 'last' | 'active'): Promise<{ index: number; hadActive: boolean }> {
  return frame.evaluate((w: 'last' | 'active') => {
    const g = globalThis as Any;
    const doc = g.document;
    const now = (): number => g.performance.timeOrigin + g.performance.now();
    const thumbs = [...doc.querySelectorAll('#t2vid-strip .t2vid-frame')] as Any[];
    const active = doc.querySelector('#t2vid-strip .t2vid-frame--active');
    const target = w === 'last' ? thumbs[thumbs.length - 1] : (active ?? thumbs[Math.floor(thumbs.length / 2)]);
    const position = target.dataset.position as string;
    target.scrollIntoView({ block: 'center' });
    const stats = doc.getElementById('t2vid-stats');
    const watched = (): Any =>
      w === 'last'
        ? [...doc.querySelectorAll('#t2vid-strip .t2vid-frame')].pop()
        : doc.querySelector(`#t2vid-strip .t2vid-frame[data-position="${position}"]`);
    g.__t2vidBench?.observer.disconnect();
    const b: Any = {
      src0: target.querySelector('img').src,
      frames0: stats.dataset.frames,
      changes: [] as Array<{ at: number; src: string; frames: string }>,
      loads: [] as Array<{ at: number; src: string }>,
      lastMut: now(),
    };
    const check = (): void => {
      b.lastMut = now();
      const t = watched();
      const img = t?.querySelector('img');
      const src = (img?.src ?? '') as string;
      const frames = stats.dataset.frames as string;
      const prev = b.changes.length ? b.changes[b.changes.length - 1] : { src: b.src0, frames: b.frames0 };
      if (src !== prev.src || frames !== prev.frames) {
        b.changes.push({ at: now(), src, frames });
        if (img) {
          const loaded = (): void => {
            if (img.src === src && img.naturalWidth > 0) {
              b.loads.push({ at: now(), src });
            }
          };
          if (img.complete && img.naturalWidth > 0 && img.currentSrc === src) {
            loaded();
          } else {
            img.addEventListener('load', loaded, { once: true });
          }
        }
      }
    };
    b.observer = new g.MutationObserver(check);
    b.observer.observe(doc.getElementById('app'), {
      subtree: true,
      childList: true,
      attributes: true,
      attributeFilter: ['src', 'data-frames', 'aria-busy'],
    });
    g.__t2vidBench = b;
    return { index: Number(target.dataset.index), hadActive: !!active };
  }, which);
}

async function keystrokeReps(vscode: VSCodeSession, frame: Frame, which: 'last' | 'active', text: string, label: string): Promise<Rep[]> {
  const page = vscode.page;
  await page.evaluate(() => {
    const g = globalThis as Any;
    g.__t2vidKeys = [];
    if (!g.__t2vidKeysInstalled) {
      g.__t2vidKeysInstalled = true;
      g.addEventListener('keydown', (e: Any) => g.__t2vidKeys.push(g.performance.timeOrigin + e.timeStamp), true);
    }
  });
  const reps: Rep[] = [];
  for (let i = 0; i < REPS; i++) {
    const pageOff = await clockOffset(page);
    const webOff = await clockOffset(frame);
    const armed = await arm(frame, which);
    if (which === 'active' && !armed.hadActive) {
      process.stderr.write(`ui bench: ${label} rep ${i + 1}: no highlighted thumbnail, watching frame ${armed.index}\n`);
    }
    await page.evaluate(() => ((globalThis as Any).__t2vidKeys = []));
    await page.keyboard.type(text);
    const t0 = performance.now();
    // Poll every 10 ms until settled: no change of src, data-frames or aria-busy for SETTLE_MS and the last src
    // loaded. The wall figure is when this process first saw the image of the final update loaded.
    const deadline = Date.now() + 30_000;
    const seen = new Map<number, number>();
    let b: Any;
    for (;;) {
      b = await frame.evaluate((settle: number) => {
        const g = globalThis as Any;
        const x = g.__t2vidBench;
        const last = x.changes[x.changes.length - 1];
        const now = g.performance.timeOrigin + g.performance.now();
        const loaded = !!last && x.loads.some((l: Any) => l.src === last.src);
        return {
          loaded,
          settled: loaded && now - x.lastMut >= settle,
          changes: x.changes,
          loads: x.loads,
          renderTime: (g.document.getElementById('t2vid-render-time')?.textContent ?? '') as string,
        };
      }, SETTLE_MS);
      if (b.loaded && !seen.has(b.changes.length)) {
        seen.set(b.changes.length, performance.now() - t0);
      }
      if (b.settled) {
        break;
      }
      if (Date.now() > deadline) {
        throw new Error(`${label} rep ${i + 1}: the preview did not update and settle within 30 s: ${JSON.stringify(b).slice(0, 500)}`);
      }
      await sleep(b.changes.length ? 10 : 5);
    }
    const wall = seen.get(b.changes.length) ?? NaN;
    const keys = (await page.evaluate(() => (globalThis as Any).__t2vidKeys as number[])).map((k) => k - pageOff);
    if (!keys.length) {
      throw new Error(`${label}: no keydown recorded`);
    }
    const lastKey = keys[keys.length - 1];
    const final = b.changes[b.changes.length - 1] as { at: number; src: string };
    const load = (b.loads as Array<{ at: number; src: string }>).find((l) => l.src === final.src);
    const m = /rendered in ([\d.]+) (ms|s)/.exec(b.renderTime as string);
    reps.push({
      toChange: final.at - webOff - lastKey,
      toLoaded: (load ? load.at : NaN) - webOff - lastKey,
      wall,
      typing: lastKey - keys[0],
      updates: b.changes.length,
      renderMs: m ? Number(m[1]) * (m[2] === 's' ? 1000 : 1) : NaN,
    });
    await frame.evaluate(() => (globalThis as Any).__t2vidBench?.observer.disconnect());
    const r = reps[reps.length - 1];
    if (r.updates > 1) {
      const rel = (t: number): string => (t - webOff - lastKey).toFixed(0);
      process.stderr.write(
        `ui bench: ${label} ${i + 1}: ${r.updates} updates; keydowns at ${keys.map((k) => (k - lastKey).toFixed(0)).join(',')} ms, ` +
          `src changes at ${(b.changes as Array<{ at: number }>).map((c) => rel(c.at)).join(',')} ms (relative to the last keydown)\n`,
      );
    }
    process.stderr.write(
      `ui bench: ${label} ${i + 1}/${REPS}: key→src ${fmt(r.toChange)} ms, key→img loaded ${fmt(r.toLoaded)} ms (wall ${fmt(r.wall)} ms), render ${fmt(r.renderMs)} ms, updates ${r.updates}\n`,
    );
  }
  return reps;
}

/**
 * Puts the cursor at line:col with Go to Line: Ctrl+G opens the quick input with ":" typed, so the value is
 * ":line:col" (without the colon it would be a file search). Falls back to Quick Open (Ctrl+P) with the same value.
 * No arrow-key fallback: Markdown wraps words by default, so ArrowDown moves by screen lines.
 */
async function gotoLine(page: Page, line: number, col: number): Promise<void> {
  const input = page.locator('.quick-input-widget .quick-input-box input');
  for (const key of ['Control+g', 'Control+p']) {
    await page.keyboard.press(key);
    if (
      await input.waitFor({ state: 'visible', timeout: 5000 }).then(
        () => true,
        () => false,
      )
    ) {
      await input.fill(`:${line}:${col}`);
      await sleep(200); // the quick input picks the value up as it is typed
      await page.keyboard.press('Enter');
      await page
        .locator('.quick-input-widget')
        .waitFor({ state: 'hidden', timeout: 5000 })
        .catch(() => undefined);
      if (await waitStatus(page, `Ln ${line}, Col ${col}`, 3000)) {
        return;
      }
      await page.keyboard.press('Escape');
    }
  }
  throw new Error(`could not put the cursor at ${line}:${col}; status bar: ${await statusSelection(page)}`);
}

/** When the extension host logged the activation of this extension by the view (Date.now() time), if it did. */
function activationEpoch(session: VSCodeSession): number | undefined {
  const logs = path.join(session.root, 'user-data', 'logs');
  for (const dir of fs.existsSync(logs) ? fs.readdirSync(logs) : []) {
    for (const host of fs.readdirSync(path.join(logs, dir)).filter((d) => d.startsWith('exthost'))) {
      const file = path.join(logs, dir, host, 'remoteexthost.log');
      const line = fs.existsSync(file)
        ? fs
            .readFileSync(file, 'utf8')
            .split('\n')
            .find((l) => /_doActivateExtension t2vid\.t2vid-studio/.test(l))
        : undefined;
      const m = line && /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d\.\d{3})/.exec(line);
      if (m) {
        return new Date(`${m[1]}T${m[2]}`).getTime(); // the log writes local time
      }
    }
  }
  return undefined;
}

/** How many extension hosts of the session have logged that their eager extensions are activated. */
function readyHosts(session: VSCodeSession): number {
  const logs = path.join(session.root, 'user-data', 'logs');
  let n = 0;
  for (const dir of fs.existsSync(logs) ? fs.readdirSync(logs) : []) {
    for (const host of fs.readdirSync(path.join(logs, dir)).filter((d) => d.startsWith('exthost'))) {
      const file = path.join(logs, dir, host, 'remoteexthost.log');
      if (fs.existsSync(file) && fs.readFileSync(file, 'utf8').includes('Eager extensions activated')) {
        n++;
      }
    }
  }
  return n;
}

/**
 * First paint in a browser profile that has shown the view once before, as in a regular session (VS Code's webview
 * host page and its service worker are then in the profile): a persistent profile opens the workbench, shows the
 * Frames view and closes; a second browser on that profile opens the workbench again (a new window: a new
 * extension host, so activation and the render process start again; the preview's PNG cache on disk is warm) and
 * the view's first open is measured.
 */
async function usedProfilePaint(session: VSCodeSession, file: string): Promise<Paint> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 't2vid-ui-profile-'));
  const xdg = (name: string): string => path.join(session.root, name);
  try {
    for (let pass = 1; ; pass++) {
      const context = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        args: [
          '--no-sandbox',
          '--disable-gpu',
          '--disable-background-networking',
          '--disable-component-update',
          '--no-first-run',
          '--disable-sync',
          '--disable-quic',
        ],
        env: { ...process.env, XDG_CONFIG_HOME: xdg('xdg-config'), XDG_DATA_HOME: xdg('xdg-data'), XDG_CACHE_HOME: xdg('xdg-cache') },
        viewport: { width: 1400, height: 900 },
        timeout: 60_000,
      });
      try {
        const page = context.pages()[0] ?? (await context.newPage());
        page.setDefaultTimeout(30_000);
        const hosts = readyHosts(session);
        await page.goto(session.url, { waitUntil: 'domcontentloaded', timeout: 60_000 });
        await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
        for (const deadline = Date.now() + 60_000; readyHosts(session) <= hosts; await sleep(100)) {
          if (Date.now() > deadline) {
            throw new Error(`used profile, pass ${pass}: no new extension host`);
          }
        }
        // Quick Open the document, as the harness does.
        const input = page.locator('.quick-input-widget .quick-input-box input');
        await page.keyboard.press('Control+p');
        await input.waitFor({ state: 'visible' });
        await input.fill(file);
        await page.locator('.quick-input-widget .quick-input-list .monaco-list-row').first().waitFor({ state: 'visible' });
        await page.keyboard.press('Enter');
        await page
          .locator(`.tabs-container .tab.active[data-resource-name=${JSON.stringify(file)}]`)
          .first()
          .waitFor({ state: 'visible' });
        await sleep(1000);
        const view: VSCodeSession = { ...session, page, webviewFrames: () => page.frames().filter((f) => f.url().includes('webview')) };
        const { paint } = await measurePaint(view, new Set(view.webviewFrames()));
        if (pass === 2) {
          return paint;
        }
        process.stderr.write(`ui bench: used profile, first session (fresh profile): ${JSON.stringify(paint)}\n`);
        await page.keyboard.press('Control+Shift+E'); // the Explorer again, so the next window starts without the view
        await sleep(1500);
      } finally {
        await context.close().catch(() => undefined);
      }
    }
  } finally {
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

function versionOf(file: string): string {
  try {
    return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version?: string }).version ?? '?';
  } catch {
    return '?';
  }
}

function verdict(xs: number[], target: number): string {
  if (!xs.length || xs.some((x) => !Number.isFinite(x))) {
    return 'not measured';
  }
  return max(xs) < target ? 'pass' : median(xs) < target ? 'FAIL (max; median ok)' : 'FAIL';
}

async function main(): Promise<number> {
  const root = packageRoot();
  const load = os.loadavg();
  const started = new Date();
  const cpus = os.cpus();
  const text = document5000(root);
  const lines = text.split('\n');
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 't2vid-ui-bench-'));
  fs.writeFileSync(path.join(ws, 'doc5000.md'), text);
  let vscode: VSCodeSession | undefined;
  try {
    const tStart = performance.now();
    vscode = await startVSCode({ workspace: ws, startTimeout: 90_000 });
    const page = vscode.page;
    const browserVersion = page.context().browser()?.version() ?? '?';
    process.stderr.write(`ui bench: VS Code up in ${((performance.now() - tStart) / 1000).toFixed(1)} s\n`);
    await vscode.openFile('doc5000.md');
    let prewarmNote = '';
    if (process.env.T2VID_UI_PREWARM_WEBVIEW) {
      // Attribution experiment: show another webview (the Markdown preview) first, so the browser's webview
      // machinery (service worker, host page) is warm before the T2Vid view's cold first paint.
      await page.keyboard.press('Control+k');
      await page.keyboard.press('v'); // Markdown: Open Preview to the Side
      const t = Date.now();
      while (vscode.webviewFrames().length < 2 && Date.now() - t < 30_000) {
        await sleep(100);
      }
      await sleep(2000);
      await page.keyboard.press('Control+1'); // doc5000.md is the active editor again (the preview is not a text editor)
      await page.locator('.tabs-container .tab.active[data-resource-name="doc5000.md"]').first().waitFor({ state: 'visible' });
      await page.keyboard.press('Control+Shift+E'); // back to the Explorer, so the T2Vid click opens the view
      prewarmNote = 'T2VID_UI_PREWARM_WEBVIEW: the Markdown preview (a webview) was opened before the cold click. ';
    }
    await sleep(1000); // let the editor and the workbench settle before the timed click

    // 1. First paint, cold, then warm re-opens.
    const cold = await measurePaint(vscode, new Set(vscode.webviewFrames()));
    let frame = cold.frame;
    process.stderr.write(`ui bench: cold first paint: ${JSON.stringify(cold.paint)}\n`);
    const warm: Paint[] = [];
    let warmNote = '';
    try {
      for (let i = 0; i < WARM_REOPENS; i++) {
        await sleep(1000);
        const old = new Set(vscode.webviewFrames());
        await activityItem(page).click(); // hides the side bar
        const gone = Date.now() + 5000;
        while (!frame.isDetached() && Date.now() < gone) {
          await sleep(50);
        }
        if (!frame.isDetached()) {
          warmNote = 'the hidden webview was not disposed (its frame stayed attached); ';
        }
        await sleep(1000);
        const w = await measurePaint(vscode, old);
        frame = w.frame;
        warm.push(w.paint);
        process.stderr.write(`ui bench: warm re-open ${i + 1}: ${JSON.stringify(w.paint)}\n`);
      }
    } catch (e) {
      warmNote += `warm re-open not measured: ${(e as Error).message.split('\n')[0]}`;
      frame = (await findPanelFrame(vscode, new Set(), 30_000)) ?? frame;
    }
    const activation = activationEpoch(vscode);
    const frames = Number(await frame.evaluate(() => (globalThis as Any).document.getElementById('t2vid-stats').dataset.frames));

    // 2. Keystrokes. Focus the editor, cursor at the end.
    await page
      .locator('.monaco-editor .view-lines')
      .first()
      .click({ position: { x: 40, y: 8 } });
    await page.keyboard.press('Control+End');
    const endStatus = `Ln ${lines.length}, Col ${lines[lines.length - 1].length + 1}`;
    if (!(await waitStatus(page, endStatus))) {
      throw new Error(`Ctrl+End: expected "${endStatus}", status bar shows "${await statusSelection(page)}"`);
    }
    await sleep(1000);
    const end = await keystrokeReps(vscode, frame, 'last', 'x', 'end');
    const midLine = Math.ceil(lines.length / 2);
    await gotoLine(page, midLine, 1);
    await sleep(1000);
    const middle = await keystrokeReps(vscode, frame, 'active', 'lorem ', 'middle');

    // 3. First paint in a browser profile that has shown the view before (a second browser on a kept profile).
    let used: Paint | undefined;
    let usedNote = '';
    if (!process.env.T2VID_UI_SKIP_USED_PROFILE) {
      await page.keyboard.press('Control+Shift+E'); // this window leaves the Explorer as the workspace's last view
      await sleep(1500);
      try {
        used = await usedProfilePaint(vscode, 'doc5000.md');
        process.stderr.write(`ui bench: used profile: ${JSON.stringify(used)}\n`);
      } catch (e) {
        usedNote = `used-profile first paint not measured: ${(e as Error).message.split('\n')[0]}`;
      }
    }

    // 4. Report.
    const cs = versionOf(path.join(e2eCache(), 'node_modules', 'code-server', 'package.json'));
    const vsc = versionOf(path.join(e2eCache(), 'node_modules', 'code-server', 'lib', 'vscode', 'package.json'));
    const header =
      `Machine: ${cpus.length} cores (${cpus[0]?.model.trim() ?? '?'}), load average at start ${load.map((l) => l.toFixed(2)).join(' / ')} (1/5/15 min), ` +
      `at end ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' / ')}; ${started.toISOString().slice(0, 16)}Z; code-server ${cs} (VS Code ${vsc}), Chromium ${browserVersion}; ` +
      `document: ${WORDS} words, ${lines.length} lines, ${frames} frames (default settings; stats: "${cold.paint.stats}").`;
    const row = (name: string, n: number, inPage: number[], wall: number[], target: number): string =>
      `| ${name} | ${n} | ${fmt(median(inPage))} | ${fmt(max(inPage))} | ${fmt(median(wall))} | ${fmt(max(wall))} | < ${target} | ${verdict([...inPage, ...wall], target)} |`;
    const paints = (ps: Paint[], k: 'Stats' | 'Img'): [number[], number[]] => [ps.map((p) => p[`page${k}`]), ps.map((p) => p[`wall${k}`])];
    const table = [
      '| measurement | n | in-page median | in-page max | wall median | wall max | target | result |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
      row('first paint (cold): click → stats data-frames > 0', 1, ...paints([cold.paint], 'Stats'), TARGET_PAINT_MS),
      row('first paint (cold): click → first visible thumbnail loaded', 1, ...paints([cold.paint], 'Img'), TARGET_PAINT_MS),
      ...(used
        ? [
            row('first paint (profile used before): click → stats data-frames > 0', 1, ...paints([used], 'Stats'), TARGET_PAINT_MS),
            row('first paint (profile used before): click → first visible thumbnail loaded', 1, ...paints([used], 'Img'), TARGET_PAINT_MS),
          ]
        : []),
      ...(warm.length
        ? [
            row('re-open (warm): click → stats data-frames > 0', warm.length, ...paints(warm, 'Stats'), TARGET_PAINT_MS),
            row('re-open (warm): click → first visible thumbnail loaded', warm.length, ...paints(warm, 'Img'), TARGET_PAINT_MS),
          ]
        : []),
      row(
        'keystroke at end → last thumbnail updated and loaded',
        end.length,
        end.map((r) => r.toLoaded),
        end.map((r) => r.wall),
        TARGET_KEY_MS,
      ),
      row(
        'word in middle → thumbnail under cursor updated and loaded',
        middle.length,
        middle.map((r) => r.toLoaded),
        middle.map((r) => r.wall),
        TARGET_KEY_MS,
      ),
    ];
    const breakdown = (name: string, reps: Rep[]): string =>
      `| ${name} | ${fmt(median(reps.map((r) => r.toChange)))} / ${fmt(max(reps.map((r) => r.toChange)))} | ` +
      `${fmt(median(reps.map((r) => r.toLoaded - r.toChange)))} / ${fmt(max(reps.map((r) => r.toLoaded - r.toChange)))} | ` +
      `${fmt(median(reps.map((r) => r.renderMs)))} / ${fmt(max(reps.map((r) => r.renderMs)))} | ` +
      `${fmt(median(reps.map((r) => r.toChange - DEBOUNCE_MS - r.renderMs)))} | ${fmt(median(reps.map((r) => r.typing)))} | ${max(reps.map((r) => r.updates))} |`;
    const paintNote = (label: string, p: Paint): string =>
      `${label}: webview host frame started ${fmt(p.hostStart)} ms after the mousedown` +
      (p.hostMarks?.started !== undefined && p.hostMarks.workerReady !== undefined
        ? ` (VS Code's webview host: content received ${fmt(p.hostMarks.started)} ms, its service worker ready ${fmt(p.hostMarks.workerReady)} ms, ` +
          `inner content written ${fmt(p.hostMarks.wroteInnerContent)} ms)`
        : '') +
      `, the content document ${fmt(p.webviewStart)} ms ` +
      `(its HTML received ${fmt(p.docResponseEnd)} ms, DOMContentLoaded ${fmt(p.docLoaded)} ms); ` +
      `${p.framesMark === undefined ? '' : `first host state with frames painted (performance mark t2vid:frames) at ${fmt(p.framesMark)} ms; `}stats at ${fmt(p.pageStats)} ms` +
      `${p.statsAtFirstCheck ? ' (already there at the first check: an upper bound)' : ''}; first visible image fetched (resource timing) at ${fmt(p.imgFetched)} ms, loaded at ${fmt(p.pageImg)} ms; ${p.renderTime || 'no render time shown'}.`;
    const activationNote =
      activation === undefined
        ? 'Cold: no activation line for t2vid.t2vid-studio in the extension host log.'
        : `Cold: the extension host logged the activation of t2vid.t2vid-studio (onView:t2vid.frames) ${fmt(activation - cold.paint.clickEpoch)} ms after the mousedown (log time, 1 ms resolution).`;
    const lines2 = [
      header,
      '',
      `Milliseconds. Keystroke figures include the extension's ${DEBOUNCE_MS} ms debounce (src/extension/framesView.ts DEBOUNCE_MS), the ` +
        'document sync to the extension host, the render, the state message and the image load in the webview. ' +
        '"In-page": from the keydown / mousedown event in the workbench page to the change seen by a MutationObserver and the img load event ' +
        "(first paint: 10 ms polling in the webview frame), both documents' performance.timeOrigin + now() put on one time base. " +
        '"Wall": performance.now() in the bench process, from page.keyboard.type() returning (first paint: from just before the click call) ' +
        'to Playwright seeing the loaded image (10 ms polling). Cold first paint includes extension activation, the webview, starting the ' +
        'render process and rendering every frame into an empty cache, in a fresh browser profile (the first webview the profile ever shows). ' +
        '"Profile used before": the first open of the view in a second browser session on a profile that has shown it once (VS Code\'s ' +
        'webview host page and service worker already in the profile; a new window, so a new extension host, activation and render process; ' +
        'the PNG cache on disk warm), as in a regular session. Result: pass if every sample (both clocks) is under the target.',
      '',
      ...table,
      '',
      'Where the keystroke time goes (median / max, in-page):',
      '',
      '| scenario | key → src changed | src changed → img loaded | host render (#t2vid-render-time) | rest (key → src − debounce − render), median | typing span | updates per edit |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
      breakdown('1 char at end', end),
      breakdown(`"lorem " at line ${midLine}`, middle),
      '',
      activationNote,
      paintNote('Cold', cold.paint),
      ...(used
        ? [
            paintNote(
              'Profile used before (a second browser session on a profile that showed the view once; new window, new extension host)',
              used,
            ),
          ]
        : []),
      ...warm.map((p, i) => paintNote(`Warm ${i + 1}`, p)),
      ...(warmNote || prewarmNote || usedNote ? [`Note: ${prewarmNote}${warmNote}${usedNote}`] : []),
    ];
    const out = lines2.join('\n');
    console.log(out);
    const previous = fs.existsSync(RESULTS(root)) ? fs.readFileSync(RESULTS(root), 'utf8') : '';
    const long = previous.indexOf(`\n${LONG_SECTION}\n`);
    fs.writeFileSync(
      RESULTS(root),
      `# Frames view UI latency (real VS Code)\n\nGenerated by \`node out/bench/ui.js\` (\`npm run bench\`).\n\n${out}\n` +
        (long < 0 ? '' : `\n${previous.slice(long + 1).trimEnd()}\n`),
    );
    return 0;
  } catch (e) {
    process.stderr.write(`ui bench: measurement failed: ${(e as Error).stack ?? String(e)}\n`);
    if (vscode) {
      process.stderr.write(`ui bench: code-server log: ${vscode.logFile} (set T2VID_E2E_KEEP=1 to keep it)\n`);
    }
    return 1;
  } finally {
    await vscode?.stop().catch(() => undefined);
    fs.rmSync(ws, { recursive: true, force: true });
  }
}

/** Scrolls the filmstrip to the end (in the page) and times until the last frame's image is painted there. */
async function scrollToEnd(frame: Frame): Promise<number> {
  return frame.evaluate(async () => {
    const g = globalThis as Any;
    const doc = g.document;
    const body = doc.querySelector('.t2vid-body');
    const sc = g.getComputedStyle(body).overflowY === 'visible' ? doc.scrollingElement : body;
    const last = Number(doc.getElementById('t2vid-stats').dataset.frames) - 1;
    sc.scrollTop = 0;
    await new Promise((r) => g.requestAnimationFrame(() => g.requestAnimationFrame(r)));
    await new Promise((r) => setTimeout(r, 300));
    const t0 = g.performance.now();
    sc.scrollTop = sc.scrollHeight;
    for (;;) {
      const t = doc.querySelector(`#t2vid-strip .t2vid-frame[data-index="${last}"]`);
      const img = t?.querySelector('img');
      if (t && !t.classList.contains('t2vid-frame--pending') && img?.complete && img.naturalWidth > 0) {
        const r = t.getBoundingClientRect();
        if (r.bottom > 0 && r.top < g.innerHeight) {
          return (g.performance.now() - t0) as number;
        }
      }
      if (g.performance.now() - t0 > 30_000) {
        throw new Error(`the last frame (${last}) was not painted within 30 s of scrolling to the end`);
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  });
}

async function mainLong(): Promise<number> {
  const root = packageRoot();
  const load = os.loadavg();
  const started = new Date();
  const text = longMarkdown(root, LONG_WORDS);
  const lines = text.split('\n');
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 't2vid-ui-bench-long-'));
  fs.writeFileSync(path.join(ws, 'book.md'), text);
  let vscode: VSCodeSession | undefined;
  try {
    vscode = await startVSCode({ workspace: ws, startTimeout: 90_000 });
    const page = vscode.page;
    await vscode.openFile('book.md');
    await sleep(1000);
    const cold = await measurePaint(vscode, new Set(vscode.webviewFrames()));
    process.stderr.write(`ui bench --long: cold first paint: ${JSON.stringify(cold.paint)}\n`);
    let frame = cold.frame;
    const total = await frame.waitForFunction(
      () => {
        const s = (globalThis as Any).document.getElementById('t2vid-stats');
        return s?.dataset.complete === 'true' ? Number(s.dataset.frames) : false;
      },
      undefined,
      { polling: 50, timeout: 240_000 },
    );
    const frames = (await total.jsonValue()) as number;
    // The cursor in the middle of the book: the frames near it are the ones a re-open must paint first.
    await page
      .locator('.editor-instance .monaco-editor')
      .first()
      .click({ position: { x: 120, y: 30 } });
    const midLine = lines.findIndex((l, i) => i > lines.length / 2 && l.length > 200) + 1;
    await gotoLine(page, midLine, 1);
    await sleep(1500);
    const warm: Paint[] = [];
    for (let i = 0; i < WARM_REOPENS; i++) {
      const old = new Set(vscode.webviewFrames());
      await activityItem(page).click(); // hides the side bar
      const gone = Date.now() + 5000;
      while (!frame.isDetached() && Date.now() < gone) {
        await sleep(50);
      }
      await sleep(1000);
      const w = await measurePaint(vscode, old, 'active');
      frame = w.frame;
      warm.push(w.paint);
      process.stderr.write(`ui bench --long: warm re-open ${i + 1}: ${JSON.stringify(w.paint)}\n`);
      await sleep(1000);
    }
    const scrolls: number[] = [];
    for (let i = 0; i < WARM_REOPENS; i++) {
      scrolls.push(await scrollToEnd(frame));
      process.stderr.write(`ui bench --long: scroll to the end ${i + 1}: ${fmt(scrolls[i])} ms\n`);
    }
    const built = (await frame.evaluate(() => (globalThis as Any).document.querySelectorAll('#t2vid-strip .t2vid-frame').length)) as number;
    const cs = versionOf(path.join(e2eCache(), 'node_modules', 'code-server', 'package.json'));
    const row = (name: string, n: number, inPage: number[], wall: number[], target: number): string =>
      `| ${name} | ${n} | ${fmt(median(inPage))} | ${fmt(max(inPage))} | ${wall.length ? fmt(median(wall)) : '–'} | ${wall.length ? fmt(max(wall)) : '–'} | < ${target} | ${verdict([...inPage, ...wall], target)} |`;
    const section = [
      LONG_SECTION,
      '',
      `Generated by \`node out/bench/ui.js --long\`. ${os.cpus().length} cores, load average at start ${load.map((l) => l.toFixed(2)).join(' / ')}, ` +
        `at end ${os
          .loadavg()
          .map((l) => l.toFixed(2))
          .join(
            ' / ',
          )}; ${started.toISOString().slice(0, 16)}Z; code-server ${cs}. Document: ${LONG_WORDS.toLocaleString('en')} words of L-Eval text ` +
        `(${(Buffer.byteLength(text) / 1024).toFixed(0)} KB, ${lines.length} lines), ${frames} frames at the default settings; ` +
        `${built} thumbnails built in the webview after scrolling to the end.`,
      '',
      'Milliseconds. Open: from the mousedown on the T2Vid activity-bar item to the thumbnail of the frame under the cursor ' +
        '(line ' +
        midLine +
        ', mid-book) loaded in the webview (in-page clocks; wall: this process, from the click call). Cold: the first open, ' +
        'the cursor at the start (first visible frame), the render streaming. Scroll: in the webview, from setting the ' +
        "filmstrip's scrollTop to its end to the last frame's image painted in view.",
      '',
      '| measurement | n | in-page median | in-page max | wall median | wall max | target | result |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
      row('cold first open: click → first frame painted', 1, [cold.paint.pageImg], [cold.paint.wallImg], TARGET_LONG_OPEN_MS),
      row(
        're-open (warm): click → frame under the cursor painted',
        warm.length,
        warm.map((p) => p.pageImg),
        warm.map((p) => p.wallImg),
        TARGET_LONG_OPEN_MS,
      ),
      row('scroll to the end → last frame painted', scrolls.length, scrolls, [], TARGET_LONG_SCROLL_MS),
      '',
      `Cold: stats (first frames known) at ${fmt(cold.paint.pageStats)} ms, webview document started ${fmt(cold.paint.webviewStart)} ms after the mousedown.`,
    ].join('\n');
    console.log(section);
    writeSection(root, LONG_SECTION, section);
    return 0;
  } catch (e) {
    process.stderr.write(`ui bench --long: measurement failed: ${(e as Error).stack ?? String(e)}\n`);
    return 1;
  } finally {
    await vscode?.stop().catch(() => undefined);
    fs.rmSync(ws, { recursive: true, force: true });
  }
}

void (process.argv.includes('--long') ? mainLong() : main()).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`ui bench: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
