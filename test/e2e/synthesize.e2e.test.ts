/**
 * E2E: "T2Vid: Synthesize Frames from Active Document" in a real VS Code (code-server + Chromium), checked on disk.
 * One VS Code session for the suite, one test per behaviour.
 * Needs `npm run setup:e2e` once; without it this test fails with that hint (it never skips).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { repoRoot, suiteSession } from '../support/harness';

const COMMAND = 'T2Vid: Synthesize Frames from Active Document';

interface Manifest {
  id: string;
  complete: boolean;
  frames: Array<{ path: string; bytes: number }>;
}

describe('Synthesize Frames from Active Document', () => {
  const ws = suiteSession({
    'lighthouse-keepers.md': fs.readFileSync(path.join(repoRoot(), 'media', 'sample', 'lighthouse-keepers.md'), 'utf8'),
  });

  // Runs first: before any T2Vid command, view or editor has activated the extension, its menus are already there,
  // since the when-clauses test the file's extension (resourceExtname), not context keys set in activate().
  test('the editor-title button and the explorer item show before the extension is activated', { timeout: 120_000 }, async () => {
    const vscode = ws.vscode();
    await vscode.openFile('lighthouse-keepers.md');
    const page = vscode.page;
    await page.locator('.editor-actions [aria-label="Show Frames Preview"]').first().waitFor({ state: 'visible', timeout: 20_000 });
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'lighthouse-keepers.md' }).first().click({ button: 'right' });
    // Menus read a single "&" as a mnemonic marker, so the item shows as "Generate QA for Dataset…".
    const menuItem = page.locator('.monaco-menu .action-label', { hasText: /^Generate Q&?A for Dataset…$/ });
    await menuItem.first().waitFor({ state: 'visible', timeout: 10_000 });
    await page.keyboard.press('Escape');
    await menuItem.first().waitFor({ state: 'hidden', timeout: 10_000 });
  });

  test('the palette lists the command (category "T2Vid") once a document is open', { timeout: 120_000 }, async () => {
    const vscode = ws.vscode();
    await vscode.openFile('lighthouse-keepers.md');
    const entries = await vscode.paletteEntries('T2Vid: Synthesize');
    assert.ok(entries.includes(COMMAND), `palette rows for "T2Vid: Synthesize": ${JSON.stringify(entries)}`);
  });

  test('running it writes the frames and a complete manifest; the notification counts the frames', { timeout: 180_000 }, async () => {
    const vscode = ws.vscode();
    await vscode.openFile('lighthouse-keepers.md');
    await vscode.runCommand(COMMAND);
    const message = await vscode.waitForNotification('T2Vid: synthesized', 60_000);
    const reported = /T2Vid: synthesized lighthouse-keepers\.md: (\d+) frames/.exec(message);
    assert.ok(reported, `notification: ${JSON.stringify(message)}`);
    // The progress toast closes as the result is shown: screenshot once it is gone.
    await vscode.page.locator('.notification-toast', { hasText: 'T2Vid: synthesizing' }).waitFor({ state: 'hidden', timeout: 10_000 });
    await vscode.screenshot('synthesize-notification');

    const out = path.join(ws.dir, 't2vid-out', 'lighthouse-keepers');
    const manifestFile = path.join(out, 'frames', 'lighthouse-keepers', 'manifest.json');
    assert.ok(fs.existsSync(manifestFile), `${manifestFile} is missing; notification: ${message}`);
    const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as Manifest;
    assert.equal(manifest.complete, true);
    assert.equal(manifest.id, 'lighthouse-keepers');
    assert.ok(manifest.frames.length >= 5, `only ${manifest.frames.length} frames`);
    for (const frame of manifest.frames) {
      const file = path.join(out, frame.path);
      assert.ok(fs.existsSync(file), `frame ${file} is missing`);
      assert.equal(fs.statSync(file).size, frame.bytes, `${file} size`);
      const head = Buffer.alloc(8);
      const fd = fs.openSync(file, 'r');
      fs.readSync(fd, head, 0, 8, 0);
      fs.closeSync(fd);
      assert.deepEqual([...head], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], `${file} is not a PNG`);
    }
    // The notification counts the frames the manifest lists.
    assert.equal(Number(reported[1]), manifest.frames.length, `notification: ${message}`);
  });
});
