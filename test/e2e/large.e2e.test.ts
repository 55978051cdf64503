/**
 * E2E: the curation editor on a dataset past 50 MB (VS Code's limit for handing text to extensions), in a real VS Code.
 * It is the same editor as for small files (lines read on demand, edits in an overlay, VS Code's edit history): no
 * text model is loaded, so Quick Open lands in it directly. A ~52 MB `*.t2vid.jsonl` of L-Eval records (from
 * ../shared/data) is opened by Quick Open (Ctrl+P, type, Enter) and shows rows; a question is edited inline, undone,
 * redone and saved (the file on disk must differ from the original in that question only); a change on disk shows;
 * File: Revert File drops an unsaved edit. One test per behaviour, on one VS Code.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { Frame } from 'playwright-core';
import { stringifyLike } from '../../src/core/curation/jsonStyle';
import { repoRoot, startVSCode, type VSCodeSession } from '../support/harness';
import { curationFrameOf, quickOpen, scrollTowards, tabDirty, timer, until, visibleTextEditors } from '../support/panel';

const NAME = 'big.t2vid.jsonl';
const NEW_QUESTION = 'Which frames describe the renewal — and in what order?';
const MIN_BYTES = 52 * 1024 * 1024;

const source = path.join(repoRoot(), '..', 'shared', 'data', 'long-text', 'leval-multidoc_qa.jsonl');
const records = fs
  .readFileSync(source, 'utf8')
  .split('\n')
  .filter((l) => l.trim());
const lines: string[] = [];
for (let bytes = 0; bytes < MIN_BYTES;) {
  for (const r of records) {
    lines.push(r);
    bytes += Buffer.byteLength(r) + 1;
  }
}
lines.splice(3, 0, '{"broken": ');
const first = JSON.parse(lines[0]) as { instructions: string[] };

let vscode: VSCodeSession;
let workspace: string;
let file: string;
let frame: Frame;

before(async () => {
  workspace = fs.mkdtempSync(path.join(os.tmpdir(), 't2vid-e2e-ws-'));
  file = path.join(workspace, NAME);
  // Written before VS Code starts: Quick Open caches the file list it first builds.
  fs.writeFileSync(file, lines.join('\n') + '\n');
  vscode = await startVSCode({ workspace, startTimeout: 90_000, settings: { 'files.autoSave': 'off' } });
});

after(async () => {
  await vscode?.stop();
  fs.rmSync(workspace, { recursive: true, force: true });
});

const question = (pair: number): ReturnType<Frame['locator']> =>
  frame.locator(`.cur-row[data-line="0"] .cur-pair[data-pair="${pair}"] textarea[data-field="question"]`);
const dirty = (): Promise<boolean> => tabDirty(vscode, NAME);

test('Quick Open of a dataset past 50 MB shows its rows in the curation editor', { timeout: 240_000 }, async (t) => {
  const lap = timer(t);
  const bytes = fs.statSync(file).size;
  assert.ok(bytes > 50 * 1024 * 1024, `${NAME} is ${bytes} bytes`);
  const started = Date.now();
  await quickOpen(vscode, NAME);
  frame = await curationFrameOf(vscode, NAME);
  await question(1).waitFor({ state: 'visible', timeout: 60_000 });
  lap(`${(bytes / 1e6).toFixed(1)} MB, ${lines.length} lines: first row after ${Date.now() - started} ms`);
  assert.equal(await question(1).inputValue(), first.instructions[1]);
  assert.equal(await vscode.page.locator(`.tabs-container .tab[data-resource-name="${NAME}"]`).count(), 1, 'one tab');
  assert.equal(await visibleTextEditors(vscode), 0, 'no text editor');
  assert.equal(await frame.locator('#cur-mode').getAttribute('data-mode'), 'large', 'too large for "Show line" in the text editor');
  await until(
    'the invalid line as an error row',
    async () => {
      await scrollTowards(frame, 3);
      return (await frame.locator('.cur-row[data-line="3"] .cur-row__error').count()) ? true : undefined;
    },
    20_000,
  );
  await frame.locator('#cur-list').evaluate((list) => ((list as unknown as { scrollTop: number }).scrollTop = 0));
  const stats = await until(
    'the counts',
    async () => {
      const text = await frame.locator('#cur-stats').textContent();
      return text && !text.includes('counting') ? text : undefined;
    },
    60_000,
  );
  assert.match(stats, new RegExp(`^${(lines.length - 1).toLocaleString('en-US')} samples · |^${lines.length - 1} samples · `));
  lap(`counts: "${stats}"`);
});

test('edit, undo, redo, save on a file past 50 MB: only that question changes on disk', { timeout: 240_000 }, async (t) => {
  const lap = timer(t);
  frame ??= await curationFrameOf(vscode, NAME);
  await question(1).click();
  await question(1).fill(NEW_QUESTION);
  await question(1).press('Escape');
  await until('the tab to be dirty', async () => (await dirty()) || undefined, 10_000);
  // Keys to the pair's header (a click, as a user would), not to a text field (see curation.e2e.test.ts).
  const pairHeader = frame.locator('.cur-row[data-line="0"] .cur-pair[data-pair="1"] .cur-pair__meta');
  await pairHeader.click();
  await pairHeader.press('Control+z');
  await until(
    'the old question back (undo)',
    async () => ((await question(1).inputValue()) === first.instructions[1] ? true : undefined),
    10_000,
    () => question(1).inputValue(),
  );
  await pairHeader.click();
  await pairHeader.press('Control+Shift+z');
  await until(
    'the new question again (redo)',
    async () => ((await question(1).inputValue()) === NEW_QUESTION ? true : undefined),
    10_000,
    () => question(1).inputValue(),
  );
  lap('edit, undo, redo');

  await vscode.page.keyboard.press('Control+s');
  await until('the tab to be clean after save', async () => !(await dirty()) || undefined, 30_000);
  const edited = { ...first, instructions: first.instructions.map((q, i) => (i === 1 ? NEW_QUESTION : q)) };
  const want = [stringifyLike(edited, { spaced: true, ascii: true }), ...lines.slice(1)].join('\n') + '\n';
  const saved = fs.readFileSync(file, 'utf8');
  assert.equal(saved.length, want.length);
  assert.ok(saved === want, 'the saved file differs from the original in question 2 of line 1 only');
  assert.deepEqual(
    fs.readdirSync(workspace).filter((n) => n.startsWith('.')),
    [],
    'no temp file left beside the dataset',
  );
  lap('saved; file on disk checked');
});

test('a change of the file on disk made elsewhere shows at once', { timeout: 240_000 }, async (t) => {
  const lap = timer(t);
  frame ??= await curationFrameOf(vscode, NAME);
  const onDisk = fs.readFileSync(file, 'utf8').split('\n');
  const record = JSON.parse(onDisk[0]) as { instructions: string[] };
  record.instructions[0] = 'Rewritten by another program?';
  onDisk[0] = stringifyLike(record, { spaced: true, ascii: true });
  fs.writeFileSync(file, onDisk.join('\n'));
  await until(
    'the rewritten question',
    async () => ((await question(0).inputValue()) === 'Rewritten by another program?' ? true : undefined),
    30_000,
    () => question(0).inputValue(),
  );
  assert.ok(!(await dirty()), 'a change on disk does not make the tab dirty');
  lap('change on disk shown');
});

test('File: Revert File drops an unsaved edit of a file past 50 MB', { timeout: 240_000 }, async (t) => {
  const lap = timer(t);
  frame ??= await curationFrameOf(vscode, NAME);
  const before = await question(0).inputValue();
  const bytes = fs.readFileSync(file);
  await question(0).click();
  await question(0).fill('An edit to drop');
  await question(0).press('Escape');
  await until('the tab to be dirty before revert', async () => (await dirty()) || undefined, 10_000);
  await vscode.runCommand('File: Revert File');
  await until(
    'the question from the file after revert',
    async () => ((await question(0).inputValue()) === before ? true : undefined),
    30_000,
    () => question(0).inputValue(),
  );
  await until('the tab to be clean after revert', async () => !(await dirty()) || undefined, 10_000);
  assert.ok(fs.readFileSync(file).equals(bytes), 'revert did not write the file');
  lap('revert');
});
