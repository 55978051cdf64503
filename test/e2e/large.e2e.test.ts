/**
 * E2E: the curation editor for large files (t2vid.curationLarge: lines read on demand, edits in an overlay, VS Code's
 * edit history), in a real VS Code. The threshold setting is lowered to 1 MB so a 2 MB dataset of L-Eval records
 * (from ../shared/data) takes that path without writing 50 MB in a test. A question is edited inline, undone, redone
 * and saved (Ctrl+Z / Ctrl+Shift+Z / Ctrl+S); the file on disk must differ from the original in that question only.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { stringifyLike } from '../../src/core/curation/jsonStyle';
import { repoRoot, startVSCode, type VSCodeSession } from '../support/harness';
import { curationFrame, scrollTowards, timer, until } from '../support/panel';

const NEW_QUESTION = 'Which frames describe the renewal — and in what order?';

test('curation editor for large files: edit, undo, redo, save; only that question changes on disk', { timeout: 360_000 }, async (t) => {
  const lap = timer(t);
  const source = path.join(repoRoot(), '..', 'shared', 'data', 'long-text', 'leval-multidoc_qa.jsonl');
  const records = fs.readFileSync(source, 'utf8').split('\n').filter((l) => l.trim());
  const lines: string[] = [];
  while (lines.join('\n').length < 2_000_000) {
    lines.push(...records);
  }
  lines.splice(3, 0, '{"broken": ');
  const original = lines.join('\n') + '\n';
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 't2vid-e2e-ws-'));
  let vscode: VSCodeSession | undefined;
  t.after(async () => {
    await vscode?.stop();
    fs.rmSync(workspace, { recursive: true, force: true });
  });
  const file = path.join(workspace, 'big.jsonl');
  fs.writeFileSync(file, original);
  // Written before VS Code starts: Quick Open caches the file list it first builds.
  fs.writeFileSync(path.join(workspace, 'big.t2vid.jsonl'), original);
  vscode = await startVSCode({ workspace, startTimeout: 90_000, settings: { 'files.autoSave': 'off', 't2vid.curation.largeFileThresholdMB': 1 } });
  lap(`code-server up; big.jsonl: ${(original.length / 1e6).toFixed(1)} MB, ${lines.length} lines`);

  await vscode.openFile('big.jsonl');
  await vscode.runCommand('T2Vid: Open Curation Editor');
  const frame = await curationFrame(vscode);
  const tab = vscode.page.locator('.tabs-container .tab.active');
  await until('the large-file editor tab', async () => ((await tab.getAttribute('data-resource-name')) === 'big.jsonl' ? true : undefined), 20_000);
  const question = frame.locator('.cur-row[data-line="0"] .cur-pair[data-pair="1"] textarea[data-field="question"]');
  await question.waitFor({ state: 'visible', timeout: 60_000 });
  const first = JSON.parse(lines[0]) as { instructions: string[] };
  assert.equal(await question.inputValue(), first.instructions[1]);
  const broken = frame.locator('.cur-row[data-line="3"] .cur-row__error');
  await until(
    'the invalid line as an error row',
    async () => {
      await scrollTowards(frame, 3);
      return (await broken.count()) ? true : undefined;
    },
    20_000,
  );
  await frame.locator('#cur-list').evaluate((list) => ((list as unknown as { scrollTop: number }).scrollTop = 0));
  const stats = await until('the counts', async () => {
    const text = await frame.locator('#cur-stats').textContent();
    return text && !text.includes('counting') ? text : undefined;
  }, 30_000);
  assert.match(stats, new RegExp(`^${lines.length - 1} samples · `));
  lap(`open: "${stats}"`);

  const dirty = async (): Promise<boolean> => ((await tab.getAttribute('class')) ?? '').split(/\s+/).includes('dirty');
  await question.click();
  await question.fill(NEW_QUESTION);
  await question.press('Escape');
  await until('the tab to be dirty', async () => (await dirty()) || undefined, 10_000);
  // Keys to the pair's header (a click, as a user would), not to a text field (see curation.e2e.test.ts).
  const pairHeader = frame.locator('.cur-row[data-line="0"] .cur-pair[data-pair="1"] .cur-pair__meta');
  await pairHeader.click();
  await pairHeader.press('Control+z');
  await until('the old question back (undo)', async () => ((await question.inputValue()) === first.instructions[1] ? true : undefined), 10_000, () => question.inputValue());
  await pairHeader.click();
  await pairHeader.press('Control+Shift+z');
  await until('the new question again (redo)', async () => ((await question.inputValue()) === NEW_QUESTION ? true : undefined), 10_000, () => question.inputValue());
  lap('edit, undo, redo');

  await vscode.page.keyboard.press('Control+s');
  await until('the tab to be clean after save', async () => !(await dirty()) || undefined, 20_000);
  const edited = { ...first, instructions: first.instructions.map((q, i) => (i === 1 ? NEW_QUESTION : q)) };
  const want = [stringifyLike(edited, { spaced: true, ascii: true }), ...lines.slice(1)].join('\n') + '\n';
  const saved = fs.readFileSync(file, 'utf8');
  assert.equal(saved.length, want.length);
  assert.ok(saved === want, 'the saved file differs from the original in question 2 of line 1 only');
  assert.deepEqual(fs.readdirSync(workspace).filter((n) => n.startsWith('.')), [], 'no temp file left beside the dataset');
  assert.equal(await frame.locator('#cur-mode').getAttribute('data-mode'), 'large');
  lap('saved; file on disk checked');

  // Another program rewrites the file while nothing is unsaved here: the editor shows the new content.
  const outside = { ...edited, instructions: edited.instructions.map((q, i) => (i === 0 ? 'Rewritten by another program?' : q)) };
  fs.writeFileSync(file, [stringifyLike(outside, { spaced: true, ascii: true }), ...lines.slice(1)].join('\n') + '\n');
  const q0 = frame.locator('.cur-row[data-line="0"] .cur-pair[data-pair="0"] textarea[data-field="question"]');
  await until('the rewritten question', async () => ((await q0.inputValue()) === 'Rewritten by another program?' ? true : undefined), 20_000, () => q0.inputValue());
  lap('change on disk shown');

  // File: Revert File drops an unsaved edit (VS Code's revert of the custom document).
  await q0.click();
  await q0.fill('An edit to drop');
  await q0.press('Escape');
  await until('the tab to be dirty before revert', async () => (await dirty()) || undefined, 10_000);
  await vscode.runCommand('File: Revert File');
  await until('the question from the file after revert', async () => ((await q0.inputValue()) === 'Rewritten by another program?' ? true : undefined), 20_000, () => q0.inputValue());
  await until('the tab to be clean after revert', async () => !(await dirty()) || undefined, 10_000);
  assert.ok(fs.readFileSync(file, 'utf8').includes('Rewritten by another program?'), 'revert did not write the file');
  lap('revert');

  // A *.t2vid.jsonl opens in the curation editor by default; past the threshold it is handed to the large-file one.
  await vscode.openFile('big.t2vid.jsonl');
  await until(
    'big.t2vid.jsonl in the large-file editor',
    async () => {
      for (const f of vscode!.webviewFrames()) {
        if (!f.isDetached() && (await f.locator('.cur-title__file', { hasText: 'big.t2vid.jsonl' }).count()) && (await f.locator('#cur-mode[data-mode="large"]').count())) {
          return (await f.locator('.cur-row[data-line="0"] textarea').count()) > 0 || undefined;
        }
      }
      return undefined;
    },
    60_000,
  );
  assert.equal(await vscode.page.locator('.tabs-container .tab[data-resource-name="big.t2vid.jsonl"]').count(), 1, 'one tab: the text-editor one was replaced');
  lap('big.t2vid.jsonl (default editor) handed to the large-file editor');
});
