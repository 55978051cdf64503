/**
 * Fine-tuning as VS Code tasks, in a real VS Code (code-server + Chromium, the extension installed from the VSIX):
 * a `t2vid` task of tasks.json run from "Tasks: Run Task" trains the real torch.distributed payload on a real
 * ms-swift export; the Runs view shows it running, then done; a second, longer one is cancelled from the Runs view
 * and nothing of it is left running.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { RUN_FILE, type RunRecord } from '../../src/shared/tasks';
import { repoRoot, suiteSession } from '../support/harness';
import { sharedData } from '../support/helpers';
import { sleep, until } from '../support/panel';
import { openRuns, runRow, runTask } from '../support/tasksUi';

const CLI = path.join(repoRoot(), 'dist', 'cli.js');
const PAYLOAD = path.join(repoRoot(), 'test', 'fixtures', 'tasks', 'train_ddp.py');

function prepare(dir: string): void {
  const line = fs.readFileSync(sharedData('long-text', 'leval-coursera.jsonl'), 'utf8').split('\n')[0];
  fs.writeFileSync(path.join(dir, 'lecture.jsonl'), line + '\n');
  for (const args of [
    ['synth', 'lecture.jsonl', '--out', 'synth', '--quiet'],
    ['export', 'synth', '--format', 'ms-swift', '--out', 'swift', '--quiet'],
  ]) {
    const r = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  }
  const task = (label: string, output: string, steps: number, seconds: number) => ({
    label,
    type: 't2vid',
    // No problem matcher: else VS Code asks which one to scan the output with before it runs the task.
    problemMatcher: [],
    kind: 'finetune',
    framework: 'custom',
    target: 'local',
    dataset: 'swift/ms-swift.jsonl',
    output,
    command: [
      '/usr/bin/python3',
      PAYLOAD,
      '--data',
      path.join(dir, 'swift', 'ms-swift.jsonl'),
      '--output',
      '.',
      '--max-steps',
      String(steps),
      '--step-seconds',
      String(seconds),
    ],
  });
  fs.mkdirSync(path.join(dir, '.vscode'));
  fs.writeFileSync(
    path.join(dir, '.vscode', 'tasks.json'),
    JSON.stringify(
      {
        version: '2.0.0',
        tasks: [task('t2vid: short fine-tune', 'runs/short', 8, 0.5), task('t2vid: long fine-tune', 'runs/long', 200, 1)],
      },
      null,
      2,
    ),
  );
}

function processesOf(marker: string): string[] {
  return spawnSync('pgrep', ['-af', marker], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter((l) => l.trim() && !l.includes('pgrep'));
}

describe('fine-tuning and evaluation tasks in VS Code', () => {
  const { dir, vscode } = suiteSession({});
  prepare(dir);

  test('Tasks: Run Task runs the payload; the Runs view goes running → done', { timeout: 300_000 }, async () => {
    const v = vscode();
    await openRuns(v);
    await runTask(v, 't2vid: short fine-tune');
    const row = runRow(v.page, 'short');
    const seen = new Set<string>();
    await until(
      'the short run done in the Runs view',
      async () => {
        const text = (await row.textContent().catch(() => null)) ?? '';
        for (const state of ['queued', 'running', 'done', 'failed']) {
          if (text.includes(`${state} · local`)) {
            seen.add(state);
          }
        }
        return seen.has('done') || seen.has('failed') ? true : undefined;
      },
      240_000,
    );
    assert.ok(seen.has('running'), `the view showed it running (${[...seen].join(', ')})`);
    assert.ok(seen.has('done'), fs.readFileSync(path.join(dir, 'runs', 'short', 'run.log'), 'utf8'));
    const record = JSON.parse(fs.readFileSync(path.join(dir, 'runs', 'short', RUN_FILE), 'utf8')) as RunRecord;
    assert.equal(record.state, 'done');
    assert.match(fs.readFileSync(record.log, 'utf8'), /step 8\/8 loss/);
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, 'runs', 'short', 'train_done.json'), 'utf8')).steps, 8);
  });

  test('Cancel Run in the Runs view stops the run; nothing is left running', { timeout: 300_000 }, async () => {
    const v = vscode();
    const page = v.page;
    await openRuns(v);
    await runTask(v, 't2vid: long fine-tune');
    const row = runRow(page, 'long');
    await until(
      'the long run running',
      async () => (((await row.textContent().catch(() => null)) ?? '').includes('running · local') ? true : undefined),
      120_000,
    );
    await until(
      'the payload started',
      async () => (fs.existsSync(path.join(dir, 'runs', 'long', 'checkpoint-2')) ? true : undefined),
      120_000,
    );
    await row.click({ button: 'right' });
    const item = page.locator('.monaco-menu .action-label', { hasText: /^Cancel Run$/ }).first();
    await item.waitFor({ state: 'visible', timeout: 10_000 });
    await item.hover();
    await page.keyboard.press('Enter');
    await until(
      'the long run cancelled',
      async () => (((await row.textContent().catch(() => null)) ?? '').includes('cancelled · local') ? true : undefined),
      60_000,
    );
    await sleep(500);
    assert.deepEqual(processesOf(path.join(dir, 'runs', 'long')), []);
    assert.deepEqual(
      processesOf(`--max-steps 200`).filter((l) => l.includes(dir)),
      [],
      'no payload process left',
    );
    const record = JSON.parse(fs.readFileSync(path.join(dir, 'runs', 'long', RUN_FILE), 'utf8')) as RunRecord;
    assert.equal(record.state, 'cancelled');
    assert.ok(!fs.existsSync(path.join(dir, 'runs', 'long', 'train_done.json')));
  });
});
