/**
 * E2E: the "Frames" view (t2vid.frames) on a JSONL dataset in a real VS Code (code-server + Chromium): the sample on
 * the cursor's line is previewed (frame counts checked against the engine in this process), a thumbnail selects its
 * context text inside the raw JSON line (checked against jsonOffsets through the status bar), an invalid line gets a
 * message, "Export these frames" writes <stem>-line<N>-frames/ (checked on disk) and a double-click opens a frame PNG.
 * One VS Code session for the suite, one test per behaviour.
 * Needs `npm run setup:e2e` once; without it this test fails with that hint (it never skips).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import type { Frame } from 'playwright-core';
import { contextOffsets } from '../../src/core/jsonOffsets';
import { repoRoot, suiteSession, type VSCodeSession } from '../support/harness';
import { enginePages, openFramesView, panelFrame, statusSelection, timer, until, type DomDocument, type DomImage } from '../support/panel';

const SOURCE = path.join('long-text', 'leval-scientific_qa.jsonl');
const BROKEN = '{"input": "broken';
const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

interface LevalRecord {
  /** The raw JSON line, as written to data.jsonl. */
  raw: string;
  value: { input: string };
}

/** The first `n` records of ../shared/data/long-text/leval-scientific_qa.jsonl (read, never copied into the repo). */
function levalRecords(n: number): LevalRecord[] {
  const file = path.join(repoRoot(), '..', 'shared', 'data', SOURCE);
  const lines = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.replace(/\r$/, ''))
    .filter((l) => l.trim())
    .slice(0, n);
  assert.equal(lines.length, n, `${file} has fewer than ${n} records`);
  return lines.map((raw, i) => {
    const value = JSON.parse(raw) as { input?: unknown; instructions?: unknown; outputs?: unknown };
    assert.equal(typeof value.input, 'string', `${file}: record ${i + 1} has no string "input"`);
    assert.ok(Array.isArray(value.instructions), `${file}: record ${i + 1} is not L-Eval (no instructions[])`);
    return { raw, value: value as { input: string } };
  });
}

interface PanelState {
  doc: string;
  line: string;
  thumbs: number;
  statsFrames: number;
  message: string | null;
  busy: boolean;
  exportDisabled: boolean;
  /** Thumbnails whose PNG has loaded (complete, natural size > 0). */
  loaded: number;
  active: number[];
}

async function panelState(frame: Frame): Promise<PanelState> {
  return frame.evaluate(() => {
    const doc = (globalThis as unknown as { document: DomDocument }).document;
    const stats = doc.getElementById('t2vid-stats');
    const message = doc.getElementById('t2vid-message');
    const strip = doc.getElementById('t2vid-strip');
    const line = doc.querySelector('.t2vid-doc__line');
    const exportButton = doc.getElementById('t2vid-export');
    const thumbs = [...doc.querySelectorAll('#t2vid-strip .t2vid-frame')];
    return {
      doc: (doc.getElementById('t2vid-doc')?.textContent ?? '').trim(),
      line: line && !line.hidden ? (line.textContent ?? '').trim() : '',
      thumbs: thumbs.length,
      statsFrames: Number(stats?.dataset.frames ?? NaN),
      message: message && !message.hidden ? (message.textContent ?? '').trim() : null,
      busy: strip?.getAttribute('aria-busy') === 'true',
      exportDisabled: exportButton ? exportButton.hasAttribute('disabled') : true,
      loaded: thumbs.filter((t) => {
        const img = t.querySelector('img') as DomImage | null;
        return !!img && img.complete && img.naturalWidth > 0;
      }).length,
      active: thumbs.filter((t) => t.classList.contains('t2vid-frame--active')).map((t) => Number(t.dataset.index)),
    };
  });
}

/** Waits until the panel shows `count` frames of data.jsonl line `line`, rendered (not busy), with the first thumbnail loaded. */
async function waitForSample(frame: Frame, line: number, count: number, timeoutMs = 60_000): Promise<PanelState> {
  return until(
    `data.jsonl line ${line}: ${count} frames`,
    async () => {
      const s = await panelState(frame);
      return s.doc === 'data.jsonl' &&
        s.line === `line ${line}` &&
        s.thumbs > 0 && // the virtual grid builds only the rows near the viewport
        s.thumbs <= count &&
        s.statsFrames === count &&
        s.message === null &&
        !s.busy &&
        s.loaded > 0
        ? s
        : undefined;
    },
    timeoutMs,
    () => panelState(frame),
  );
}

/**
 * Ctrl+G, the line number, Enter: the cursor goes to column 1 of `line` in data.jsonl. The editor's tab is clicked
 * first so the keyboard focus is in the workbench (not in the webview) and the cursor is not moved by the click.
 */
async function gotoLine(vscode: VSCodeSession, line: number): Promise<void> {
  const page = vscode.page;
  // Click the tab, then take the mouse off it: the tab's hover (the file's path) opens after a pause and can close
  // the Go to Line box while it is being filled.
  const focusEditor = async (): Promise<void> => {
    await page.locator('.tabs-container .tab[data-resource-name="data.jsonl"]').first().click();
    await page.mouse.move(1, 1);
  };
  await focusEditor();
  const input = page.locator('.quick-input-widget .quick-input-box input');
  // On a loaded machine the box can close again before it takes the text (the workbench moved the focus): retry.
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('Control+g');
    try {
      await input.waitFor({ state: 'visible', timeout: 5000 });
      await input.fill(`:${line}`, { timeout: 5000 });
      break;
    } catch (e) {
      if (attempt === 3) {
        const shot = await vscode.screenshot('dataset-goto-line-failed');
        throw new Error(`E2E: Ctrl+G did not open a usable Go to Line box (screenshot ${shot}): ${(e as Error).message}`);
      }
      await page.keyboard.press('Escape');
      await focusEditor();
    }
  }
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
  await until(
    `the status bar at Ln ${line}, Col 1`,
    async () => (await statusSelection(vscode)) === `Ln ${line}, Col 1`,
    10_000,
    () => statusSelection(vscode),
  );
}

function isPng(file: string): boolean {
  const head = Buffer.alloc(8);
  const fd = fs.openSync(file, 'r');
  try {
    fs.readSync(fd, head, 0, 8, 0);
  } finally {
    fs.closeSync(fd);
  }
  return head.equals(Buffer.from(PNG_MAGIC));
}

interface ExportManifest {
  source: { file: string; line: number };
  frames: Array<{ index: number; path: string; range: [number, number]; words: number }>;
}

describe('Frames view on a JSONL dataset', () => {
  const records = levalRecords(3);
  const ws = suiteSession({ 'data.jsonl': [...records.map((r) => r.raw), BROKEN].join('\n') + '\n' });
  const engine = Promise.all([enginePages(records[0].value.input), enginePages(records[1].value.input)]);
  engine.catch(() => undefined); // awaited (and reported) by each test
  const offsets1 = contextOffsets(records[0].raw, records[0].value, records[0].value.input);

  /** data.jsonl in the editor, the Frames view showing, the cursor on `line`; returns the view's frame. */
  async function atLine(vscode: VSCodeSession, line: number): Promise<Frame> {
    await vscode.openFile('data.jsonl');
    // The activity-bar item toggles the view: click it only if the view is not showing yet.
    if (!(await panelFrame(vscode, 2000).catch(() => undefined))) {
      await openFramesView(vscode);
    }
    await gotoLine(vscode, line);
    return panelFrame(vscode);
  }

  test('the engine makes different frame counts for records 1 and 2 (what the tests below tell apart)', async () => {
    const [pages1, pages2] = await engine;
    assert.ok(pages1.length >= 2, `the engine made only ${pages1.length} frames for record 1`);
    assert.notEqual(pages1.length, pages2.length, 'records 1 and 2 must differ in frame count for the line change to show');
    assert.ok(offsets1, "contextOffsets found record 1's input in its raw line");
  });

  test("line 2: record 2's frames; the header names the file and the line", { timeout: 180_000 }, async (t) => {
    const lap = timer(t);
    const [, pages2] = await engine;
    const vscode = ws.vscode();
    const frame = await atLine(vscode, 2);
    const state = await waitForSample(frame, 2, pages2.length);
    assert.equal(state.statsFrames, pages2.length, "#t2vid-stats[data-frames] = the engine's frames for record 2");
    assert.equal(state.doc, 'data.jsonl');
    assert.equal(state.line, 'line 2');
    lap(`line 2 → ${state.statsFrames} frames ("${state.doc}" "${state.line}")`);
  });

  test("line 1: record 1's frames", { timeout: 120_000 }, async (t) => {
    const lap = timer(t);
    const [pages1] = await engine;
    const frame = await atLine(ws.vscode(), 1);
    const state = await waitForSample(frame, 1, pages1.length);
    assert.equal(state.statsFrames, pages1.length, "#t2vid-stats[data-frames] = the engine's frames for record 1");
    lap(`line 1 → ${state.statsFrames} frames`);
  });

  test('frame → JSON line: the 2nd thumbnail selects its context text inside the raw line', { timeout: 120_000 }, async (t) => {
    const lap = timer(t);
    const [pages1] = await engine;
    assert.ok(offsets1);
    const vscode = ws.vscode();
    const frame = await atLine(vscode, 1);
    await waitForSample(frame, 1, pages1.length);
    const second = pages1[1];
    const rawStart = offsets1[second.range[0]];
    const rawEnd = offsets1[second.range[1]];
    const selected = rawEnd - rawStart;
    const expected = `Ln 1, Col ${rawEnd + 1} (${selected} selected)`;
    await frame.locator('#t2vid-strip .t2vid-frame[data-index="1"]').click();
    const status = await until(
      `the status bar to show ${JSON.stringify(expected)}`,
      async () => {
        const s = await statusSelection(vscode);
        return s === expected ? s : undefined;
      },
      15_000,
      () => statusSelection(vscode),
    );
    assert.match(status, /^Ln 1,/, `status "${status}" is on line 1`);
    assert.equal(
      Number(/\((\d+) selected\)/.exec(status)?.[1]),
      selected,
      `status "${status}": raw characters ${rawStart}..${rawEnd} of the JSON line`,
    );
    lap(`frame 2 (context ${second.range[0]}..${second.range[1]}, raw ${rawStart}..${rawEnd}) → "${status}"`);
  });

  test('an invalid line (4): a message naming the file and the line, no frames', { timeout: 120_000 }, async (t) => {
    const lap = timer(t);
    const frame = await atLine(ws.vscode(), 4);
    const message = await until(
      'the invalid-JSON message for line 4',
      async () => {
        const s = await panelState(frame);
        return s.message !== null && s.thumbs === 0 ? s.message : undefined;
      },
      30_000,
      () => panelState(frame),
    );
    assert.match(message, /data\.jsonl/, `message names the file: ${message}`);
    assert.match(message, /(:4\b|line 4\b)/, `message names line 4: ${message}`);
    assert.match(message, /not valid JSON/i, `message: ${message}`);
    assert.equal((await panelState(frame)).statsFrames, 0, 'no frames for an invalid line');
    lap(`line 4 → "${message}"`);
  });

  test(
    '"Export these frames" on line 1 writes data-line1-frames/ (manifest and PNGs = the engine\'s frames)',
    { timeout: 120_000 },
    async (t) => {
      const lap = timer(t);
      const [pages1] = await engine;
      const vscode = ws.vscode();
      const frame = await atLine(vscode, 1);
      await waitForSample(frame, 1, pages1.length);
      await until(
        'the export button enabled',
        async () => !(await panelState(frame)).exportDisabled,
        10_000,
        () => panelState(frame),
      );
      await frame.locator('#t2vid-export').click();
      const notification = await vscode.waitForNotification('exported', 60_000);
      const folder = path.join(ws.dir, 'data-line1-frames');
      const manifestFile = path.join(folder, 'manifest.json');
      assert.ok(fs.existsSync(manifestFile), `${manifestFile} is missing; notification: ${notification}`);
      const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as ExportManifest;
      assert.equal(manifest.frames.length, pages1.length, "manifest frames = the engine's frames for record 1");
      assert.equal(manifest.source.line, 1, 'manifest source line');
      manifest.frames.forEach((f, i) => {
        assert.equal(f.path, `frame_${String(i).padStart(5, '0')}.png`, `manifest frame ${i} path`);
        const file = path.join(folder, f.path);
        assert.ok(fs.existsSync(file), `${file} is missing`);
        assert.ok(isPng(file), `${file} is not a PNG`);
      });
      assert.deepEqual(
        manifest.frames.map((f) => f.range),
        pages1.map((p) => p.range),
        "manifest ranges = the engine's ranges",
      );
      lap(`export → "${notification}", ${manifest.frames.length} PNGs`);
    },
  );

  test("double-clicking a thumbnail opens the frame PNG in an editor tab (VS Code's image preview)", { timeout: 120_000 }, async (t) => {
    const lap = timer(t);
    const [pages1] = await engine;
    const vscode = ws.vscode();
    const frame = await atLine(vscode, 1);
    await waitForSample(frame, 1, pages1.length);
    await frame.locator('#t2vid-strip .t2vid-frame[data-index="0"]').dblclick();
    const tab = await until(
      'an editor tab for a .png',
      async () => {
        const names = await vscode.page
          .locator('.tabs-container .tab')
          .evaluateAll((tabs) =>
            tabs.map((tab) => (tab as unknown as { getAttribute(n: string): string | null }).getAttribute('data-resource-name') ?? ''),
          );
        return names.find((n) => n.toLowerCase().endsWith('.png'));
      },
      20_000,
      () =>
        vscode.page
          .locator('.tabs-container .tab')
          .evaluateAll((tabs) =>
            tabs.map((tab) => (tab as unknown as { getAttribute(n: string): string | null }).getAttribute('data-resource-name')),
          ),
    );
    // VS Code's image preview (a webview of its own, not the Frames panel) shows the frame at its natural size.
    const preview = await until(
      'the image preview of the opened frame (an <img> of 448×448 outside the Frames panel)',
      async () => {
        for (const f of vscode.webviewFrames()) {
          if (f.isDetached() || (await f.locator('#t2vid-stats').count()) > 0) {
            continue;
          }
          const sizes = await f.locator('img').evaluateAll((imgs) =>
            imgs.map((img) => {
              const i = img as unknown as DomImage;
              return `${i.naturalWidth}x${i.naturalHeight}`;
            }),
          );
          if (sizes.includes('448x448')) {
            return sizes;
          }
        }
        return undefined;
      },
      20_000,
    );
    assert.ok(preview.includes('448x448'));
    await vscode.screenshot('dataset-open-frame');
    lap(`double-click → tab "${tab}"`);
  });
});
