/**
 * "T2Vid: Assemble Training Set…" and "T2Vid: Preflight Training Set" in a real VS Code (code-server + Chromium,
 * the extension installed from the VSIX): the palette flow on a workspace holding a real synth output and a real
 * extract-frames output (videos made by ffmpeg here), the saved assembly rebuilt by the CLI, and a broken export's
 * problem shown in the Problems panel on its line.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { findFfmpeg } from '../../src/core/util/ffmpeg';
import type { AssembleConfig } from '../../src/shared/assemble';
import { repoRoot, suiteSession, type VSCodeSession } from '../support/harness';
import { sharedData } from '../support/helpers';
import { until } from '../support/panel';

const CLI = path.join(repoRoot(), 'dist', 'cli.js');
const VIDEOS = 4;

function run(cmd: string, args: string[], cwd?: string): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd, maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** A synth output of one L-Eval document and the frames of four ffmpeg-made videos, as a curator's workspace holds them. */
function prepare(dir: string): void {
  const line = fs.readFileSync(sharedData('long-text', 'leval-coursera.jsonl'), 'utf8').split('\n')[0];
  fs.writeFileSync(path.join(dir, 'lecture.jsonl'), line + '\n');
  run(process.execPath, [CLI, 'synth', 'lecture.jsonl', '--out', 'synth', '--quiet'], dir);
  fs.mkdirSync(path.join(dir, 'clips'));
  const set: string[] = [];
  for (let i = 0; i < VIDEOS; i++) {
    run(findFfmpeg().ffmpeg, [
      '-nostdin',
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'testsrc=duration=6:size=96x64:rate=5',
      '-vf',
      `hue=h=${i * 60}`,
      '-pix_fmt',
      'yuv420p',
      path.join(dir, 'clips', `c${i}.mp4`),
    ]);
    set.push(JSON.stringify({ video: `c${i}.mp4`, prompt: `What changes in clip ${i}?`, GT: `The colours of clip ${i}.` }));
  }
  fs.writeFileSync(path.join(dir, 'clips.jsonl'), set.join('\n') + '\n');
  run(
    process.execPath,
    [CLI, 'extract-frames', 'clips.jsonl', '--video-root', 'clips', '--out', 'video-frames', '--frames', '4', '--quiet'],
    dir,
  );
}

/** A row of the open quick input: its label holds `text` (a string), or matches it (a RegExp, on the label alone). */
const quickRow = (page: Page, text: string | RegExp) =>
  page
    .locator('.quick-input-widget .quick-input-list .monaco-list-row')
    .filter(typeof text === 'string' ? { hasText: text } : { has: page.locator('.label-name', { hasText: text }) })
    .first();

/** Ticks the row labelled `label` in a multi-select pick and accepts it. */
async function tickAndAccept(page: Page, label: string): Promise<void> {
  const row = page
    .locator('.quick-input-widget .quick-input-list .monaco-list-row')
    .filter({ has: page.locator('.label-name', { hasText: new RegExp(`^\\s*${label}\\s*$`) }) })
    .first();
  await row.waitFor({ state: 'visible', timeout: 60_000 });
  await until(
    `${label} ticked`,
    async () => {
      if ((await row.getAttribute('aria-checked')) !== 'true') {
        await row.locator('input[type=checkbox], .monaco-checkbox, .quick-input-list-checkbox').first().click();
      }
      return (await row.getAttribute('aria-checked')) === 'true' ? true : undefined;
    },
    10_000,
  );
  const ok = page
    .locator('.quick-input-widget .quick-input-action .monaco-button, .quick-input-widget .quick-input-ok .monaco-button')
    .first();
  if (await ok.isVisible().catch(() => false)) {
    await ok.click();
  } else {
    await page.locator('.quick-input-widget .quick-input-box input').press('Enter');
  }
}

/** Waits for the quick input titled with `step` and chooses the row holding `text`. */
async function choose(page: Page, step: string, text: string | RegExp): Promise<void> {
  await page.locator('.quick-input-widget .quick-input-title', { hasText: step }).waitFor({ state: 'visible', timeout: 30_000 });
  const row = quickRow(page, text);
  await row.waitFor({ state: 'visible', timeout: 30_000 });
  await row.click();
}

/** Waits for the input box titled with `step`, types `value` and accepts. */
async function type(page: Page, step: string, value: string): Promise<void> {
  await page.locator('.quick-input-widget .quick-input-title', { hasText: step }).waitFor({ state: 'visible', timeout: 30_000 });
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.fill(value);
  await input.press('Enter');
}

describe('assemble a training set and preflight it in VS Code', () => {
  const { dir, vscode } = suiteSession({});
  prepare(dir);
  const configFile = path.join(dir, 'training-sets', 'e2e.t2vid-assemble.json');
  const exportFile = path.join(dir, 'training-sets', 'e2e', 'ms-swift', 'ms-swift.jsonl');

  test('the palette flow saves the assembly, mixes, exports for ms-swift and passes preflight', { timeout: 300_000 }, async () => {
    const v: VSCodeSession = vscode();
    const page = v.page;
    await v.runCommand('T2Vid: Assemble Training Set…', { opensInput: true });
    await tickAndAccept(page, 'synth');
    await tickAndAccept(page, 'video-frames');
    await type(page, '(3/7)', '0.5');
    await choose(page, '(4/7)', 'At random (seeded)');
    await choose(page, '(5/7)', 'MiniCPM-Llama3-V 2.5');
    await choose(page, '(6/7)', /^\s*ms-swift\s*$/);
    await type(page, '(7/7)', 'training-sets/e2e');
    const message = await v.waitForNotification(/samples exported for ms-swift/, 180_000);
    assert.match(message, new RegExp(`${2 * VIDEOS} samples exported for ms-swift .*preflight passed`));
    const config = JSON.parse(fs.readFileSync(configFile, 'utf8')) as AssembleConfig;
    assert.deepEqual(
      {
        synthetic: config.synthetic,
        video: config.video,
        ratio: config.ratio,
        select: config.select,
        format: config.format,
        profile: config.profile,
      },
      { synthetic: ['../synth'], video: ['../video-frames'], ratio: 0.5, select: 'random', format: 'ms-swift', profile: 'minicpm-v-2.5' },
    );
    assert.equal(config.out, 'e2e');
    assert.equal(fs.readFileSync(exportFile, 'utf8').trim().split('\n').length, 2 * VIDEOS);
    // The saved assembly is what the CLI runs on a cluster: the same set, its mix reused.
    const cli = spawnSync(process.execPath, [CLI, 'assemble', configFile], { encoding: 'utf8' });
    assert.equal(cli.status, 0, cli.stderr);
    assert.match(cli.stderr, /reused the mix/);
  });

  test(
    'a broken export: "Preflight Training Set" puts the missing frame in the Problems panel on its line',
    { timeout: 240_000 },
    async () => {
      const v: VSCodeSession = vscode();
      const page = v.page;
      const lines = fs.readFileSync(exportFile, 'utf8').trim().split('\n');
      const record = JSON.parse(lines[2]) as { images: string[] };
      record.images[0] = path.join(dir, 'no-such-frame.png');
      lines[2] = JSON.stringify(record);
      fs.writeFileSync(exportFile, lines.join('\n') + '\n');
      await v.runCommand('T2Vid: Preflight Training Set', { opensInput: true });
      await choose(page, 'which exported training set', 'ms-swift.jsonl');
      await choose(page, 'whose limits', 'The format’s own model');
      await v.waitForNotification(/1 problem/, 120_000);
      await v.runCommand('View: Focus Problems (Errors, Warnings, Infos)');
      const marker = page.locator('.markers-panel .monaco-list-row', { hasText: 'no-such-frame.png' }).first();
      await marker.waitFor({ state: 'visible', timeout: 30_000 });
      const text = (await marker.textContent()) ?? '';
      assert.match(text, /Ln 3/, `the problem is on line 3: ${text}`);
      assert.match(text, /t2vid preflight/);
    },
  );
});
