/**
 * E2E: "T2Vid: Compare Results" in a real VS Code (code-server + Chromium, the extension installed from the VSIX), on
 * a workspace with three evaluated runs whose results files this test writes in the evaluators' own layouts: one
 * lmms-eval run (`<output>/<model>/<date>_results.json`, MVBench sub-tasks without the group score) and two runs of
 * one sweep evaluated with T2Vid's run_bench.sh (`bench_results/<EXP>/<bench>/results/merge.jsonl`), trained on
 * assembled sets whose mix manifests say 0 % and 15 % synthetic. The table shows the values the core reads, sorts by
 * a column (mouse and keyboard, aria-sort), the baseline dropdown changes the deltas, the sweep's plot has one point
 * per swept run on each benchmark's line at x = the synthetic share, Export CSV writes the file the CLI writes for
 * the same runs, order and baseline; Compare Results on a run of the Runs view makes it the baseline; a results file
 * written while the view is open shows up in it (and the baseline chosen stays). On an empty workspace the view says
 * where it looks, and Refresh shows a run that appeared since.
 * Needs `npm run setup:e2e` once and `npm run build && npm run package` (the harness installs the VSIX).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import type { Frame } from 'playwright-core';
import { readRunResults } from '../../src/core/tasks/results';
import { BENCH_METRIC } from '../../src/shared/results';
import { repoRoot, suiteSession, type VSCodeSession } from '../support/harness';
import { answerSaveDialog, timer, until, webviewFrame, type DomDocument, type DomElement } from '../support/panel';
import { lmmsResults, writeBench, writeLmms, writeMixManifest, writeRunRecord } from '../support/results';

const CLI = path.join(repoRoot(), 'dist', 'cli.js');
const SWEEP = 'sweep-20261129T0400';

function prepare(dir: string): void {
  const video = path.join(dir, 'runs', 'video-only');
  writeRunRecord({ kind: 'eval', framework: 'lmms-eval', target: 'local', output: video, model: 'Qwen/Qwen2-VL-7B-Instruct' });
  writeLmms(
    video,
    '20261128_101500',
    lmmsResults({ mvbench_action_sequence: [62, 200], mvbench_object_shuffle: [38, 200], videomme: [50.5, 2700] }, 'accuracy'),
  );
  const sweep: Array<[string, number, number, Record<'video-mme' | 'mvbench' | 'temp-compass', Record<string, [number, number]>>]> = [
    [
      'mix-0',
      0,
      100,
      {
        'video-mme': { s: [60, 100], m: [40, 100], l: [35, 100] },
        mvbench: { 'Action Sequence': [55, 100] },
        'temp-compass': { action: [70, 100] },
      },
    ],
    [
      'mix-15',
      15,
      85,
      {
        'video-mme': { s: [66, 100], m: [44, 100], l: [38, 100] },
        mvbench: { 'Action Sequence': [61, 100] },
        'temp-compass': { action: [68, 100] },
      },
    ],
  ];
  sweep.forEach(([name, synthetic, videoCount, benches], i) => {
    const set = path.join(dir, 'sets', name);
    writeMixManifest(set, synthetic, videoCount, synthetic / (synthetic + videoCount));
    const output = path.join(dir, 'runs', name);
    writeRunRecord(
      { kind: 'eval', framework: 't2vid-eval', target: 'local', output, dataset: path.join(set, 'samples.jsonl'), model: `/ckpt/${name}` },
      { sweepId: SWEEP, sweepValue: name, createdAt: `2026-11-29T04:0${i}:00Z` },
    );
    for (const [bench, counts] of Object.entries(benches)) {
      writeBench(path.join(output, 'bench_results', name), bench as 'mvbench', counts);
    }
  });
}

interface Shown {
  runs: string[];
  head: Array<{ task: string; metric: string; sort: string; text: string }>;
  cells: Record<string, Array<{ value: string; delta: string }>>;
  references: number;
}

async function shown(frame: Frame): Promise<Shown> {
  return frame.evaluate(() => {
    const doc = (globalThis as unknown as { document: DomDocument }).document;
    const rows = [...doc.querySelectorAll('#res-table tbody:not(.res-reference) tr')];
    const head = [...doc.querySelectorAll('#res-table thead th')].map((th) => ({
      task: th.dataset.task ?? '',
      metric: th.dataset.metric ?? '',
      sort: th.getAttribute('aria-sort') ?? '',
      text: th.textContent ?? '',
    }));
    const cells: Record<string, Array<{ value: string; delta: string }>> = {};
    for (const tr of rows) {
      cells[tr.dataset.run ?? ''] = [
        ...(tr as unknown as { querySelectorAll(s: string): Iterable<DomElement> }).querySelectorAll('td'),
      ].map((td) => ({ value: td.dataset.value ?? '', delta: td.dataset.delta ?? '' }));
    }
    return {
      runs: rows.map((tr) => tr.dataset.run ?? ''),
      head,
      cells,
      references: [...doc.querySelectorAll('#res-table .res-row--reference')].length,
    };
  });
}

/** The index among the value cells (the run name is a th) of the column `task` × `metric`. */
const columnOf = (s: Shown, task: string, metric: string): number =>
  s.head.slice(1).findIndex((h) => h.task === task && h.metric === metric);

describe('results view', () => {
  const { dir, vscode } = suiteSession({});
  prepare(dir);
  const expected = Object.fromEntries(['video-only', 'mix-0', 'mix-15'].map((n) => [n, readRunResults(path.join(dir, 'runs', n))]));
  const score = (run: string, task: string, metric: string): number =>
    expected[run]!.scores.find((s) => s.task === task && s.metric === metric)!.value;
  let frame: Frame;

  async function open(v: VSCodeSession): Promise<Frame> {
    await v.runCommand('T2Vid: Compare Results');
    return webviewFrame(v, '#res-table', 'the results webview', 90_000);
  }

  test('Compare Results shows the three runs with the values of their files', { timeout: 180_000 }, async (t) => {
    const step = timer(t);
    const v = vscode();
    frame = await open(v);
    step('view open');
    const s = await until(
      'three runs in the table',
      async () => {
        const x = await shown(frame);
        return x.runs.length === 3 ? x : undefined;
      },
      30_000,
    );
    await v.screenshot('results-view');
    assert.deepEqual([...s.runs].sort(), ['mix-0', 'mix-15', 'video-only']);
    for (const [task, metric] of [
      ['mvbench', BENCH_METRIC],
      ['mvbench_action_sequence', BENCH_METRIC],
      ['videomme', BENCH_METRIC],
      ['videomme_short', BENCH_METRIC],
      ['tempcompass', BENCH_METRIC],
    ] as const) {
      const c = columnOf(s, task, metric);
      assert.ok(c >= 0, `a column ${task} · ${metric}`);
      for (const run of ['mix-0', 'mix-15']) {
        assert.equal(Number(s.cells[run]![c]!.value), score(run, task, metric), `${run} ${task}`);
      }
      assert.equal(s.cells['video-only']![c]!.value, '', `video-only has no ${task} from run_bench`);
    }
    assert.equal(score('mix-15', 'videomme', BENCH_METRIC), (100 * 148) / 300);
    // lmms-eval: the MVBench group score is ours (sample-weighted), its header says so.
    const group = columnOf(s, 'mvbench', 'accuracy');
    assert.equal(Number(s.cells['video-only']![group]!.value), (62 * 200 + 38 * 200) / 400);
    assert.match(s.head[group + 1]!.text, /ours/);
    assert.equal(Number(s.cells['video-only']![columnOf(s, 'videomme', 'accuracy')]!.value), 50.5);
    assert.equal(s.references, 4, 'the paper’s Video-MME numbers as reference rows');
    step('checked');
  });

  test('a header sorts the runs (click and keyboard), aria-sort says how', { timeout: 60_000 }, async () => {
    assert.ok(frame, 'the view opened');
    const mv = frame.locator(`#res-table thead th[data-task="mvbench"][data-metric="${BENCH_METRIC}"] button`);
    await mv.click();
    let s = await until(
      'sorted by MVBench, best first',
      async () => {
        const x = await shown(frame);
        return x.head.some((h) => h.task === 'mvbench' && h.metric === BENCH_METRIC && h.sort === 'descending') ? x : undefined;
      },
      10_000,
    );
    assert.deepEqual(s.runs, ['mix-15', 'mix-0', 'video-only'], 'descending; the run without the score last');
    await mv.click();
    s = await until(
      'ascending',
      async () => {
        const x = await shown(frame);
        return x.head.some((h) => h.task === 'mvbench' && h.sort === 'ascending') ? x : undefined;
      },
      10_000,
    );
    assert.deepEqual(s.runs, ['mix-0', 'mix-15', 'video-only'], 'ascending; still last');
    // The run column, from the keyboard: focus its button, Enter.
    await frame.locator('#res-table thead th').first().locator('button').focus();
    await frame.locator('#res-table thead th').first().locator('button').press('Enter');
    s = await until(
      'sorted by name',
      async () => {
        const x = await shown(frame);
        return x.head[0]!.sort === 'ascending' ? x : undefined;
      },
      10_000,
    );
    assert.deepEqual(s.runs, ['mix-0', 'mix-15', 'video-only']);
    assert.ok(s.head.slice(1).every((h) => h.sort === 'none'));
    const focused = await frame.evaluate(() => {
      type Focused = DomElement & { closest(selector: string): DomElement | null };
      const doc = (globalThis as unknown as { document: DomDocument & { activeElement: Focused | null } }).document;
      return doc.activeElement?.closest('th')?.getAttribute('aria-sort') ?? null;
    });
    assert.equal(focused, 'ascending', 'the focus stays on the header used, for the next Enter');
    await frame.locator('#res-table thead th').first().locator('button').press('Enter');
    s = await until(
      'by name, descending',
      async () => {
        const x = await shown(frame);
        return x.head[0]!.sort === 'descending' ? x : undefined;
      },
      10_000,
    );
    assert.deepEqual(s.runs, ['video-only', 'mix-15', 'mix-0']);
  });

  test('the baseline dropdown changes the deltas', { timeout: 60_000 }, async () => {
    assert.ok(frame, 'the view opened');
    const pick = async (value: string): Promise<void> => {
      await frame.locator('#res-baseline').click();
      await frame.locator(`#res-baseline vscode-option[value="${value}"]`).click();
    };
    const deltas = async (): Promise<Shown> => shown(frame);
    await pick('mix-0');
    let s = await until(
      'deltas against mix-0',
      async () => {
        const x = await deltas();
        return x.cells['mix-15']!.some((c) => c.delta !== '') ? x : undefined;
      },
      10_000,
    );
    const c = columnOf(s, 'mvbench', BENCH_METRIC);
    const v0 = score('mix-0', 'mvbench', BENCH_METRIC);
    const v15 = score('mix-15', 'mvbench', BENCH_METRIC);
    assert.ok(Math.abs(Number(s.cells['mix-15']![c]!.delta) - (v15 - v0)) < 1e-9);
    assert.ok(
      s.cells['mix-0']!.every((cell) => cell.delta === ''),
      'the baseline has no deltas',
    );
    assert.ok(
      s.cells['video-only']!.every((cell) => cell.delta === ''),
      'no shared score, no delta',
    );
    await pick('mix-15');
    s = await until(
      'deltas against mix-15',
      async () => {
        const x = await deltas();
        return x.cells['mix-0']!.some((cell) => cell.delta !== '') ? x : undefined;
      },
      10_000,
    );
    assert.ok(Math.abs(Number(s.cells['mix-0']![c]!.delta) - (v0 - v15)) < 1e-9);
    assert.equal(await frame.locator('#res-baseline').evaluate((e) => (e as unknown as { value: string }).value), 'mix-15');
    assert.match((await frame.locator('.res-row--baseline').textContent()) ?? '', /^mix-15/);
    assert.ok(s.cells['mix-15']!.every((cell) => cell.delta === ''));
    const tc = columnOf(s, 'tempcompass', BENCH_METRIC);
    assert.equal(Number(s.cells['mix-0']![tc]!.delta), 2, 'TempCompass: 70 against 68');
  });

  test('the sweep: one table, one plot with a point per swept run on each benchmark line', { timeout: 60_000 }, async () => {
    assert.ok(frame, 'the view opened');
    const v = vscode();
    const plot = await frame.evaluate((sweep) => {
      const doc = (globalThis as unknown as { document: DomDocument }).document;
      const box = doc.querySelector(`.res-sweep[data-sweep="${sweep}"]`);
      if (!box) {
        return undefined;
      }
      const q = (s: string): DomElement[] => [
        ...(box as unknown as { querySelectorAll(s: string): Iterable<DomElement> }).querySelectorAll(s),
      ];
      return {
        tableRuns: q('.res-sweep-table tbody tr').map((tr) => tr.dataset.run ?? ''),
        xLabels: q('.res-sweep-table tbody th').map((th) => th.textContent ?? ''),
        series: q('svg .res-series').map((g) => ({
          name: g.getAttribute('data-series') ?? '',
          points: [...(g as unknown as { querySelectorAll(s: string): Iterable<DomElement> }).querySelectorAll('circle')].map((c) => ({
            run: c.getAttribute('data-run') ?? '',
            x: Number(c.getAttribute('data-x')),
            y: Number(c.getAttribute('data-y')),
            tip: c.querySelector('title')?.textContent ?? '',
          })),
        })),
        legend: q('.res-legend li').map((li) => li.textContent ?? ''),
        axis: q('svg .res-plot__title').map((t) => t.textContent ?? ''),
      };
    }, SWEEP);
    assert.ok(plot, 'the sweep section is shown');
    await frame.locator(`.res-sweep[data-sweep="${SWEEP}"]`).scrollIntoViewIfNeeded();
    await v.screenshot('results-sweep');
    assert.deepEqual(plot.tableRuns, ['mix-0', 'mix-15'], 'in order of the synthetic share');
    assert.deepEqual(plot.xLabels, ['0 %', '15 %']);
    assert.deepEqual(plot.axis, ['synthetic share of the training set (%)', 'score']);
    assert.deepEqual(plot.series.map((s) => s.name).sort(), [
      `mvbench · ${BENCH_METRIC}`,
      `tempcompass · ${BENCH_METRIC}`,
      `videomme · ${BENCH_METRIC}`,
    ]);
    assert.deepEqual(plot.legend.sort(), plot.series.map((s) => s.name).sort());
    for (const s of plot.series) {
      assert.deepEqual(
        s.points.map((p) => [p.run, p.x]),
        [
          ['mix-0', 0],
          ['mix-15', 15],
        ],
        s.name,
      );
      const task = s.name.split(' · ')[0]!;
      for (const p of s.points) {
        assert.equal(p.y, score(p.run, task, BENCH_METRIC));
        assert.match(p.tip, new RegExp(`${p.run} \\(${p.x} %\\): `));
      }
    }
  });

  test('Export CSV… writes what the view shows (the CLI’s CSV for the same runs and baseline)', { timeout: 60_000 }, async () => {
    assert.ok(frame, 'the view opened');
    const v = vscode();
    const order = (await shown(frame)).runs;
    await frame.locator('#res-export-csv').click();
    const csv = path.join(dir, 'exported.csv');
    await answerSaveDialog(v, csv);
    await v.waitForNotification('wrote exported.csv', 20_000);
    const cli = spawnSync(
      process.execPath,
      [CLI, 'results', ...order.map((n) => path.join(dir, 'runs', n)), '--baseline', 'mix-15', '--csv', path.join(dir, 'cli.csv')],
      { encoding: 'utf8' },
    );
    assert.equal(cli.status, 0, cli.stderr);
    assert.equal(fs.readFileSync(csv, 'utf8'), fs.readFileSync(path.join(dir, 'cli.csv'), 'utf8'));
    assert.match(fs.readFileSync(csv, 'utf8').split('\n')[0]!, /^task,metric,video-only,Δ video-only,mix-15,mix-0,Δ mix-0$/);
  });

  test('Export Markdown… writes the table, the paper rows and the sweep', { timeout: 60_000 }, async () => {
    assert.ok(frame, 'the view opened');
    const v = vscode();
    await frame.locator('#res-export-md').click();
    const md = path.join(dir, 'exported.md');
    await answerSaveDialog(v, md);
    await v.waitForNotification('wrote exported.md', 20_000);
    const text = fs.readFileSync(md, 'utf8');
    assert.match(text, /^# Evaluation results\n\n\| task \| metric \| video-only \| Δ video-only \| mix-15 \| mix-0 \| Δ mix-0 \|\n/);
    assert.match(text, /\| mvbench \(ours: sample-weighted\) \| accuracy \| 50 \|/);
    assert.match(text, /- videomme: 53 — MiniCPM-Llama3-V 2\.5, 10K T2Vid \+ 20K video samples/);
    assert.match(text, new RegExp(`Sweep ${SWEEP} — x: synthetic share of the training set \\(%\\)`));
    assert.match(text, /\| 0 % \| mix-0 \| 55 \| 70 \| 45 \|\n\| 15 % \| mix-15 \| 61 \| 68 \| 49\.33 \|/);
  });

  test('Compare Results on a run of the Runs view shows the view with that run as the baseline', { timeout: 60_000 }, async () => {
    assert.ok(frame, 'the view opened');
    const v = vscode();
    const page = v.page;
    await v.runCommand('T2Vid: Show Runs');
    const row = page.locator('.pane-body .monaco-list-row', { hasText: 'eval · t2vid-eval · mix-0' }).first();
    await row.waitFor({ state: 'visible', timeout: 30_000 });
    await row.click({ button: 'right' });
    const item = page.locator('.monaco-menu .action-label', { hasText: /^Compare Results$/ }).first();
    await item.waitFor({ state: 'visible', timeout: 10_000 });
    await item.hover();
    await page.keyboard.press('Enter');
    await until(
      'mix-0 as the baseline',
      async () => ((await frame.locator('.res-row--baseline').textContent())?.startsWith('mix-0') ? true : undefined),
      20_000,
      async () => frame.locator('.res-row--baseline').textContent(),
    );
    assert.equal(await frame.locator('#res-baseline').evaluate((e) => (e as unknown as { value: string }).value), 'mix-0');
  });

  test('a results file written while the view is open shows up in it', { timeout: 60_000 }, async () => {
    assert.ok(frame, 'the view opened');
    // lmms-eval evaluates video-only again: a later results file beside the first, a new Video-MME score.
    writeLmms(path.join(dir, 'runs', 'video-only'), '20261129_050000', lmmsResults({ videomme: [54.25, 2700] }, 'accuracy'));
    const s = await until(
      'the new score in the table',
      async () => {
        const x = await shown(frame);
        return x.cells['video-only']![columnOf(x, 'videomme', 'accuracy')]?.value === '54.25' ? x : undefined;
      },
      30_000,
    );
    // The earlier file's other scores stay (later files override only what they hold).
    assert.equal(Number(s.cells['video-only']![columnOf(s, 'mvbench', 'accuracy')]!.value), 50);
    assert.match((await frame.locator('.res-row--baseline').textContent()) ?? '', /^mix-0/, 'a refresh keeps the baseline');
  });
});

describe('results view, no results yet', () => {
  const { dir, vscode } = suiteSession({ 'notes.md': '# nothing evaluated yet\n' });

  test('the view says where it looks for results', { timeout: 120_000 }, async () => {
    const v = vscode();
    await v.runCommand('T2Vid: Compare Results');
    const frame = await webviewFrame(v, '#res-empty', 'the empty results view', 90_000);
    const items = await frame.locator('#res-empty li').allTextContents();
    assert.equal(items.length, 3);
    assert.match(
      items[0]!,
      new RegExp(`^lmms-eval results: \\*\\*/\\*_results\\.json under ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`),
    );
    assert.match(
      items[1]!,
      /^T2Vid run_bench\.sh results: bench_results\/<EXP>\/\{video-mme,mvbench,temp-compass\}\/results\/merge\.jsonl under /,
    );
    assert.match(items[2]!, /^t2vid-eval runs/);
    assert.equal(await frame.locator('#res-table').count(), 0);
    await v.screenshot('results-empty');
    // A first evaluation lands in a new folder; Refresh reads it (whatever the recursive watcher reports).
    writeLmms(path.join(dir, 'runs', 'first'), '20261129_060000', lmmsResults({ videomme: [51.75, 2700] }, 'accuracy'));
    await frame.locator('#res-refresh').click();
    await until(
      'the first run in the table',
      async () =>
        (await frame.locator('#res-table tbody tr[data-run="first"] td').first().getAttribute('data-value')) === '51.75' ? true : undefined,
      20_000,
    );
  });
});
