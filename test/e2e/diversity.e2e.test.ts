/**
 * E2E: "T2Vid: Show Instruction Diversity" in a real VS Code (code-server + Chromium), on two shared files copied
 * into the test workspace (MVBench and L-Eval scientific_qa): opened through the palette and its multi-select pick,
 * the table's values equal `t2vid diversity --json`'s for the same files, the map and the sunburst draw, hovering a
 * point shows its instruction, clicking it opens its file at its line. Then the exported report in Chromium alone:
 * no request, the XSS payload of an instruction stays text, and the first paint of a 20K-instruction report.
 * Needs `npm run setup:e2e` once and `npm run build && npm run package` (the harness installs the VSIX).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { chromium, type Frame, type Page } from 'playwright-core';
import { computeDiversity, readReportAssets, reportHtml } from '../../src/core/diversity/report';
import type { DiversityResults } from '../../src/shared/protocol/diversity';
import { CHROMIUM, repoRoot, suiteSession, type VSCodeSession } from '../support/harness';
import { answerSaveDialog, sleep, statusSelection, timer, until, webviewFrame, type DomDocument, type DomElement } from '../support/panel';

const MVBENCH = 'mvbench.jsonl';
const LEVAL = 'leval-scientific_qa.jsonl';
const shared = (...parts: string[]): string => path.join(repoRoot(), '..', 'shared', 'data', ...parts);

interface CanvasLike extends DomElement {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null;
}

/** Pixels of a section's chart canvas that are not the background (alpha > 0). */
async function inkedPixels(frame: Frame, sectionId: string): Promise<number> {
  return frame.evaluate((id) => {
    const doc = (globalThis as unknown as { document: DomDocument }).document;
    const canvas = doc.querySelector(`#${id} canvas`) as unknown as CanvasLike | null;
    const ctx = canvas?.getContext('2d');
    if (!canvas || !ctx) {
      return 0;
    }
    const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    let inked = 0;
    for (let i = 3; i < data.length; i += 4) {
      if (data[i]! > 0) {
        inked++;
      }
    }
    return inked;
  }, sectionId);
}

interface MapHook {
  count: number;
  pixel(index: number): number[] | undefined;
  point(index: number): { dataset: number; file: string; line: number; unit: string; text: string; x: number; y: number } | undefined;
  brush(type: 'rect' | 'polygon', coordRange: number[][]): void;
}

/** The map point of `dataset` farthest from any other (so the mouse hits it alone), and its pixel in the chart box. */
async function lonePoint(target: Frame | Page, dataset: number): Promise<{ index: number; x: number; y: number }> {
  return target.evaluate(
    ({ dataset, hook }) => {
      const map = (globalThis as unknown as Record<string, MapHook>)[hook]!;
      const all = Array.from({ length: map.count }, (_, i) => map.pixel(i)!);
      let best = { index: -1, x: 0, y: 0, gap: -1 };
      all.forEach((p, i) => {
        if (map.point(i)!.dataset !== dataset) {
          return;
        }
        let gap = Infinity;
        all.forEach((q, j) => {
          if (j !== i) {
            gap = Math.min(gap, Math.hypot(p[0]! - q[0]!, p[1]! - q[1]!));
          }
        });
        if (gap > best.gap) {
          best = { index: i, x: p[0]!, y: p[1]!, gap };
        }
      });
      return best;
    },
    { dataset, hook: 't2vidMap' },
  );
}

/** Runs the command from the palette, ticks both workspace files, accepts, and takes one dataset per file. */
async function pickBoth(v: VSCodeSession): Promise<void> {
  const page = v.page;
  await v.runCommand('T2Vid: Show Instruction Diversity', { opensInput: true });
  for (const name of [MVBENCH, LEVAL]) {
    const row = page
      .locator('.quick-input-widget .quick-input-list .monaco-list-row')
      .filter({ has: page.locator('.label-name', { hasText: new RegExp(`^\\s*${name.replace(/[.]/g, '\\.')}\\s*$`) }) })
      .first();
    await row.waitFor({ state: 'visible', timeout: 30_000 });
    await row.locator('input[type=checkbox], .monaco-checkbox, .quick-input-list-checkbox').first().click();
    await until(`${name} ticked`, async () => ((await row.getAttribute('aria-checked')) === 'true' ? true : undefined), 5000);
  }
  // Accept the ticked files (the OK button of a multi-select pick; Enter where the version has none).
  const ok = page
    .locator('.quick-input-widget .quick-input-action .monaco-button, .quick-input-widget .quick-input-ok .monaco-button')
    .first();
  if (await ok.isVisible().catch(() => false)) {
    await ok.click();
  } else {
    await page.locator('.quick-input-widget .quick-input-box input').press('Enter');
  }
  // Second pick: how the two files are labelled.
  const each = page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'One dataset per file' }).first();
  await each.waitFor({ state: 'visible' });
  await each.click();
}

describe('instruction diversity view', () => {
  const files = {
    [MVBENCH]: fs.readFileSync(shared('video-instructions', MVBENCH), 'utf8'),
    [LEVAL]: fs.readFileSync(shared('long-text', LEVAL), 'utf8'),
  };
  const { dir, vscode } = suiteSession(files);
  let frame: Frame;
  let results: { datasets: Array<{ label: string; metrics: Record<string, { value: number | null }> }> };

  test('opens from the palette on two picked files and shows the CLI values', { timeout: 300_000 }, async (t) => {
    const step = timer(t);
    const v = vscode();
    await pickBoth(v);
    step('picked');
    frame = await webviewFrame(v, '#div-metrics', 'the diversity webview', 180_000);
    step('results shown');
    await v.screenshot('diversity-view');

    const table = await frame.evaluate(() => {
      const doc = (globalThis as unknown as { document: DomDocument }).document;
      const head = [...doc.querySelectorAll('#div-metrics thead th')].map((th) => th.textContent ?? '');
      const rows = [...doc.querySelectorAll('#div-metrics tbody tr')].map((tr) => ({
        metric: tr.dataset.metric ?? '',
        values: [...(tr as unknown as { querySelectorAll(s: string): Iterable<DomElement> }).querySelectorAll('td')].map(
          (td) => td.dataset.value ?? '',
        ),
        titles: [...(tr as unknown as { querySelectorAll(s: string): Iterable<DomElement> }).querySelectorAll('td')].map(
          (td) => td.getAttribute('title') ?? '',
        ),
      }));
      return { head, rows };
    });
    // The view lists the picked files in path order: the CLI is given them in the order the table shows.
    assert.deepEqual([...table.head.slice(1)].sort(), ['leval-scientific_qa', 'mvbench']);
    const cli = spawnSync(
      process.execPath,
      [
        path.join(repoRoot(), 'dist', 'cli.js'),
        'diversity',
        ...table.head.slice(1).map((label) => path.join(dir, `${label}.jsonl`)),
        '--json',
      ],
      { encoding: 'utf8', maxBuffer: 64 << 20 },
    );
    assert.equal(cli.status, 0, cli.stderr);
    results = JSON.parse(cli.stdout);
    step('CLI');
    assert.deepEqual(table.head, ['metric', ...results.datasets.map((d) => d.label)]);
    assert.ok(table.rows.length >= 20, `${table.rows.length} metric rows`);
    for (const row of table.rows) {
      const expected = results.datasets.map((d) => {
        const value = d.metrics[row.metric]?.value;
        return value === null || value === undefined ? '' : String(value);
      });
      assert.deepEqual(row.values, expected, row.metric);
      assert.ok(
        row.titles.every((title) => /sample size: \d+/.test(title)),
        `${row.metric}: definition and sample size`,
      );
    }
  });

  test('the map and the sunburst draw', { timeout: 60_000 }, async () => {
    assert.ok(frame, 'the view opened');
    const map = await until('the map drawn', async () => ((await inkedPixels(frame, 'div-map-section')) > 2000 ? true : undefined), 30_000);
    assert.ok(map);
    assert.ok((await inkedPixels(frame, 'div-sunburst-section')) > 2000, 'the sunburst drew');
    assert.ok((await inkedPixels(frame, 'div-bars-section')) > 2000, 'the bars drew');
  });

  test('hovering a point shows its instruction; clicking it opens its file at its line', { timeout: 90_000 }, async () => {
    assert.ok(frame, 'the view opened');
    const v = vscode();
    const count = await frame.evaluate(() => {
      const doc = (globalThis as unknown as { document: DomDocument }).document;
      return Number(doc.getElementById('div-map-section')!.dataset.points);
    });
    assert.ok(count > 1000, `${count} points`);
    // A point of the L-Eval set, alone on the canvas.
    const point = await lonePoint(
      frame,
      results.datasets.findIndex((d) => d.label === 'leval-scientific_qa'),
    );
    assert.ok(point.index >= 0);
    const canvas = frame.locator('#div-map-section .div-chart canvas').first();
    await canvas.scrollIntoViewIfNeeded();
    await canvas.hover({ position: { x: point.x, y: point.y } });
    const hover = await until(
      'the hover panel showing the point',
      async () =>
        frame.evaluate((index) => {
          const doc = (globalThis as unknown as { document: DomDocument }).document;
          const h = doc.getElementById('div-hover')!;
          return h.dataset.point === String(index) ? (h.querySelector('.div-hover__text')?.textContent ?? '') : undefined;
        }, point.index),
      10_000,
    );
    const source = await frame.evaluate((index) => (globalThis as unknown as { t2vidMap: MapHook }).t2vidMap.point(index)!, point.index);
    const { file, line } = source;
    assert.equal(hover, source.text);
    assert.equal(path.basename(file), LEVAL);
    const record = fs.readFileSync(path.join(dir, LEVAL), 'utf8').split('\n')[line - 1]!;
    const instructions = (JSON.parse(record) as { instructions: string[] }).instructions;
    assert.ok(
      instructions.some((i) => i.includes(hover.replace(/…$/, '').slice(0, 200))),
      `the hovered text is an instruction of ${LEVAL}:${line}: ${hover.slice(0, 120)}`,
    );
    await v.screenshot('diversity-hover');
    await canvas.click({ position: { x: point.x, y: point.y } });
    await v.page
      .locator(`.tabs-container .tab.active[data-resource-name=${JSON.stringify(LEVAL)}]`)
      .first()
      .waitFor({ state: 'visible', timeout: 20_000 });
    const status = await until(
      `the cursor on line ${line}`,
      async () => {
        const s = await statusSelection(v);
        return new RegExp(`^Ln ${line},`).test(s) ? s : undefined;
      },
      15_000,
      () => statusSelection(v),
    );
    assert.match(status, new RegExp(`^Ln ${line}, Col 1`));
    await v.screenshot('diversity-opened');
  });

  test('a brush selection lists its points; Save as PNG writes the map', { timeout: 90_000 }, async () => {
    assert.ok(frame, 'the view opened');
    const v = vscode();
    // A rect over the whole map selects every point; a lasso (polygon) the half-plane x + y < 0 of a big triangle.
    const points = await frame.evaluate(() => {
      const hook = (globalThis as unknown as { t2vidMap: MapHook }).t2vidMap;
      return Array.from({ length: hook.count }, (_, i) => hook.point(i)!);
    });
    const selected = async (type: 'rect' | 'polygon', range: number[][]): Promise<string> => {
      await frame.evaluate(({ type, range }) => (globalThis as unknown as { t2vidMap: MapHook }).t2vidMap.brush(type, range), {
        type,
        range,
      });
      return until(
        `the ${type} selection summary`,
        async () => {
          const text = await frame
            .locator('#div-selection p')
            .first()
            .textContent()
            .catch(() => null);
          return text?.startsWith(`Selected ${type === 'rect' ? points.length : ''}`) ? text : undefined;
        },
        10_000,
      );
    };
    const labels = results.datasets.map((d) => d.label);
    const summary = (picked: typeof points): string =>
      `Selected ${picked.length}: ${labels.map((label, i) => `${label} ${picked.filter((p) => p.dataset === i).length}`).join(', ')}`;
    assert.equal(
      await selected('rect', [
        [-1e9, 1e9],
        [-1e9, 1e9],
      ]),
      summary(points),
    );
    assert.equal(await frame.locator('#div-selection li').count(), Math.min(200, points.length));
    const half = points.filter((p) => p.x + p.y < 0);
    assert.ok(half.length > 0 && half.length < points.length);
    const lasso = await until(
      'the lasso selection',
      async () => {
        const text = await selected('polygon', [
          [-1e3, -1e3],
          [1e3, -1e3],
          [-1e3, 1e3],
        ]);
        return text.startsWith(`Selected ${points.length}:`) ? undefined : text;
      },
      10_000,
    );
    assert.equal(lasso, summary(half));
    await v.screenshot('diversity-selection');

    const png = path.join(dir, 'map.png');
    await frame.locator('#div-map-section button', { hasText: 'Save as PNG' }).click();
    await answerSaveDialog(v, png);
    await until('map.png written', async () => (fs.existsSync(png) && fs.statSync(png).size > 1000 ? true : undefined), 20_000);
    assert.deepEqual([...fs.readFileSync(png).subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  });

  test('Export Report… writes report.html and report.json with the CLI values', { timeout: 90_000 }, async () => {
    assert.ok(frame && results, 'the view opened');
    const v = vscode();
    await frame.locator('button', { hasText: 'Export Report…' }).click();
    await answerSaveDialog(v, path.join(dir, 'report.html'));
    await v.waitForNotification('wrote report.html and report.json', 30_000);
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8')) as typeof results;
    assert.deepEqual(
      json.datasets.map((d) => [d.label, d.metrics]),
      results.datasets.map((d) => [d.label, d.metrics]),
    );
    const html = fs.readFileSync(path.join(dir, 'report.html'), 'utf8');
    assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'/);
    assert.ok(html.includes('id="t2vid-diversity-data"'));
  });

  test('Cancel on the progress notification stops the worker and the view says so', { timeout: 120_000 }, async () => {
    const v = vscode();
    const page = v.page;
    const workers = (): string[] =>
      spawnSync('ps', ['-eo', 'args='], { encoding: 'utf8' })
        .stdout.split('\n')
        .filter((l) => l.includes(v.root) && /worker\.js diversity/.test(l));
    // MVBench alone: a set not computed yet in this session (the cache key holds the labels and files).
    await v.runCommand('T2Vid: Show Instruction Diversity', { opensInput: true });
    const row = page
      .locator('.quick-input-widget .quick-input-list .monaco-list-row')
      .filter({ has: page.locator('.label-name', { hasText: /^\s*mvbench\.jsonl\s*$/ }) })
      .first();
    await row.waitFor({ state: 'visible', timeout: 30_000 });
    await row.locator('input[type=checkbox], .monaco-checkbox, .quick-input-list-checkbox').first().click();
    await page
      .locator('.quick-input-widget .quick-input-action .monaco-button, .quick-input-widget .quick-input-ok .monaco-button')
      .first()
      .click();
    await until('the diversity worker running', async () => (workers().length ? true : undefined), 30_000);
    const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'instruction diversity of mvbench' }).first();
    await toast.hover();
    await toast.locator('.monaco-button', { hasText: 'Cancel' }).first().click();
    const cancelled = await until(
      'the view saying Cancelled',
      async () => {
        for (const f of v.webviewFrames()) {
          if (!f.isDetached() && (await f.locator('.div-status', { hasText: 'Cancelled.' }).count()) > 0) {
            return true;
          }
        }
        return undefined;
      },
      20_000,
    );
    assert.ok(cancelled);
    await until(
      'the worker gone',
      async () => (workers().length === 0 ? true : undefined),
      10_000,
      async () => workers(),
    );
    await v.screenshot('diversity-cancelled');
  });

  test('reopening the same files reads the cache', { timeout: 90_000 }, async () => {
    assert.ok(frame, 'the view opened');
    const v = vscode();
    const started = Date.now();
    await pickBoth(v);
    const cached = await until(
      'a view reading the cache',
      async () => {
        for (const f of v.webviewFrames()) {
          if (!f.isDetached() && (await f.locator('.div-header', { hasText: 'from the cache' }).count()) > 0) {
            return f;
          }
        }
        return undefined;
      },
      30_000,
    );
    assert.ok(cached);
    const seconds = (Date.now() - started) / 1000;
    assert.ok(seconds < 15, `reopened in ${seconds} s`);
  });
});

/** Canvas pixels of a section drawn near-opaque (alpha ≥ 170) in an orange hue (red > green > blue, red ≥ 150). */
async function opaqueOrangePixels(frame: Frame, sectionId: string): Promise<number> {
  return frame.evaluate((id) => {
    const doc = (globalThis as unknown as { document: DomDocument }).document;
    const canvas = doc.querySelector(`#${id} canvas`) as unknown as CanvasLike | null;
    const data = canvas?.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data ?? [];
    let n = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3]! >= 170 && data[i]! >= 150 && data[i]! > data[i + 1]! && data[i + 1]! > data[i + 2]!) {
        n++;
      }
    }
    return n;
  }, sectionId);
}

describe('instruction diversity view, dark theme, from the explorer', () => {
  const { vscode } = suiteSession(
    {
      [LEVAL]: fs.readFileSync(shared('long-text', LEVAL), 'utf8'),
      [MVBENCH]: fs.readFileSync(shared('video-instructions', MVBENCH), 'utf8'),
    },
    // A single click only selects (no editor opens and takes the focus between the two clicks of the multi-selection).
    { theme: 'dark', settings: { 'workbench.list.openMode': 'doubleClick' } },
  );

  test(
    'the explorer context menu opens the view on the selected files; the charts take the dark theme, opaque',
    { timeout: 240_000 },
    async (t) => {
      const v = vscode();
      const page = v.page;
      const row = (name: string) => page.locator('.explorer-folders-view .monaco-list-row', { hasText: name }).first();
      // Select both rows (the first click can open a preview editor and take the focus: click until both are selected),
      // then the context menu of the second. Under load the right-click can land before the multi-selection has
      // settled and the command gets one file (no "One dataset per file" pick): then the whole gesture is repeated.
      const each = page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'One dataset per file' }).first();
      await until(
        'both files selected in the explorer and the command asking how to group them',
        async () => {
          await row(LEVAL).click();
          await row(MVBENCH).click({ modifiers: ['Control'] });
          await sleep(300);
          const selected = await Promise.all([LEVAL, MVBENCH].map((name) => row(name).getAttribute('aria-selected')));
          if (!selected.every((a) => a === 'true')) {
            return undefined;
          }
          await row(MVBENCH).click({ button: 'right' });
          const item = page.locator('.monaco-menu .action-label', { hasText: /^Show Instruction Diversity$/ }).first();
          await item.waitFor({ state: 'visible', timeout: 10_000 });
          // A click on a context-menu item is sometimes swallowed in the web workbench (the menu stays open, the item
          // highlighted): the item is hovered, which focuses it, and chosen with Enter, as a keyboard user does.
          await item.hover();
          await page.keyboard.press('Enter');
          try {
            await each.waitFor({ state: 'visible', timeout: 10_000 });
            return true;
          } catch {
            await page.keyboard.press('Escape');
            return undefined;
          }
        },
        90_000,
      );
      await each.click();
      const frame = await webviewFrame(v, '#div-metrics', 'the diversity webview', 180_000);
      await until('the map drawn', async () => ((await inkedPixels(frame, 'div-map-section')) > 2000 ? true : undefined), 30_000);
      const theme = await frame.evaluate(() => {
        const doc = (globalThis as unknown as { document: DomDocument & { body: DomElement } }).document;
        const style = (globalThis as unknown as { getComputedStyle(e: unknown): { getPropertyValue(n: string): string } }).getComputedStyle(
          doc.body,
        );
        return {
          dark: doc.body.classList.contains('vscode-dark'),
          foreground: style.getPropertyValue('--vscode-foreground').trim(),
          orange: style.getPropertyValue('--vscode-charts-orange').trim(),
          head: [...doc.querySelectorAll('#div-metrics thead th')].map((th) => th.textContent ?? ''),
        };
      });
      t.diagnostic(`theme variables: ${JSON.stringify(theme)}`);
      assert.ok(theme.dark, 'VS Code gives the webview its dark theme');
      assert.deepEqual(theme.head, ['metric', 'leval-scientific_qa', 'mvbench'], 'both selected files, in selection order');
      // The second dataset is drawn in the theme's orange, made opaque (the theme gives it translucent).
      assert.ok((await opaqueOrangePixels(frame, 'div-map-section')) > 200, 'the orange dataset is drawn opaque');
      await v.screenshot('diversity-dark');
    },
  );
});

describe('the exported report in a browser', () => {
  const XSS = '</script><script>alert(1)</script><img src=x onerror="alert(2)"> what is the payload?';

  async function openReport(
    html: string,
  ): Promise<{ page: Page; requests: string[]; dialogs: string[]; close: () => Promise<void>; file: string }> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 't2vid-report-'));
    const file = path.join(dir, 'report.html');
    fs.writeFileSync(file, html);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
    const page = await browser.newPage({ viewport: { width: 1200, height: 1400 } });
    const requests: string[] = [];
    const dialogs: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(`file://${file}`);
    return {
      page,
      requests,
      dialogs,
      file,
      close: async () => {
        await browser.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  }

  test('loads nothing, runs no script from the data, shows the payload as text', { timeout: 120_000 }, async () => {
    const base = await computeDiversity(
      [
        { label: 'mvbench', files: [shared('video-instructions', MVBENCH)] },
        { label: 'leval', files: [shared('long-text', LEVAL)] },
      ],
      { sample: 300 },
    );
    const results: DiversityResults = {
      ...base,
      map: { ...base.map, points: base.map.points.map((p) => (p.dataset === 0 ? { ...p, text: XSS } : p)), datasets: [XSS, 'leval'] },
    };
    const report = await openReport(reportHtml(results, readReportAssets()));
    try {
      const { page } = report;
      await page.locator('#div-metrics').waitFor();
      await page.locator('#div-map-section canvas').first().waitFor();
      // The payload is the text of every point of dataset 0, and that dataset's label.
      const point = await lonePoint(page, 0);
      const canvas = page.locator('#div-map-section .div-chart canvas').first();
      await canvas.scrollIntoViewIfNeeded();
      await canvas.hover({ position: { x: point.x, y: point.y } });
      const shown = await until(
        'the payload in the hover panel',
        async () => {
          const text = await page
            .locator('#div-hover .div-hover__text')
            .textContent()
            .catch(() => null);
          return text === XSS ? text : undefined;
        },
        10_000,
      );
      assert.equal(shown, XSS);
      assert.equal(await page.locator('img').count(), 0, 'no element from the payload');
      assert.deepEqual(report.dialogs, [], 'no script from the data ran');
      assert.deepEqual(report.requests, [`file://${report.file}`], 'the page loaded nothing but itself');
      await page.screenshot({ path: path.join(repoRoot(), 'test', 'e2e', 'screenshots', 'diversity-report.png') });
    } finally {
      await report.close();
    }
  });

  test('first paint of a 20K-instruction report', { timeout: 300_000 }, async (t) => {
    // 20,000 real sentences: the instructions of the shared files and the sentences of the L-Eval documents.
    const texts: string[] = [];
    const segmenter = new Intl.Segmenter('en', { granularity: 'sentence' });
    for (const f of fs.readdirSync(shared('long-text')).sort()) {
      for (const line of fs.readFileSync(shared('long-text', f), 'utf8').split('\n')) {
        if (line.trim()) {
          for (const s of segmenter.segment((JSON.parse(line) as { input: string }).input)) {
            const text = s.segment.trim().replace(/\s+/g, ' ');
            if (text.split(' ').length >= 4 && texts.length < 20_000) {
              texts.push(text);
            }
          }
        }
      }
    }
    assert.equal(texts.length, 20_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 't2vid-20k-'));
    try {
      const file = path.join(dir, 'sentences.jsonl');
      fs.writeFileSync(file, texts.map((text) => JSON.stringify({ instruction: text })).join('\n') + '\n');
      const results = await computeDiversity([{ label: 'sentences', files: [file] }]);
      assert.equal(results.report.datasets[0]!.metrics.instructions!.value, 20_000);
      const report = await openReport(reportHtml(results, readReportAssets()));
      try {
        const paint = await until(
          'the first paint',
          async () =>
            report.page.evaluate(() => (globalThis as unknown as { document: DomDocument }).document.querySelector('body')?.dataset.pageMs),
          30_000,
        );
        const render = await report.page.evaluate(
          () => (globalThis as unknown as { document: DomDocument }).document.querySelector('body')?.dataset.firstPaintMs,
        );
        t.diagnostic(
          `20K instructions, ${results.map.points.length} map points: page ready ${paint} ms after navigation (render ${render} ms)`,
        );
        assert.ok(Number(paint) < 1000, `first paint ${paint} ms`);
      } finally {
        await report.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
