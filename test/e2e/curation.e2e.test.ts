/**
 * E2E: the curation editor (t2vid.curation) on an L-Eval dataset from ../shared/data, in a real VS Code (code-server +
 * Chromium). "T2Vid: Open Curation Editor" opens data.jsonl; the rows show each record's pairs and its frame strip
 * (frame count checked against the engine); an invalid line is an error row. A question is edited inline, undone,
 * redone and saved (Ctrl+Z / Ctrl+Shift+Z / Ctrl+S, VS Code's own), and the file on disk is checked byte for byte:
 * only that question changed, and the invalid line is kept exactly. A review key (a) writes the status.
 * Needs `npm run setup:e2e` once; without it this test fails with that hint (it never skips).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import type { Frame } from 'playwright-core';
import { stringifyLike } from '../../src/core/curation/jsonStyle';
import { repoRoot, startVSCode, type VSCodeSession } from '../support/harness';
import { curationFrame, enginePages, scrollTowards, timer, until, type DomDocument, type DomElement } from '../support/panel';

const SOURCE = path.join('long-text', 'leval-multidoc_qa.jsonl');
const BROKEN = '{"input": "broken line, kept as is", ';
const NEW_QUESTION = 'For how long does a Driver\'s Ed course stay valid — and who says so?';

interface Leval {
  input: string;
  instructions: string[];
  outputs: string[];
}

function levalLines(n: number): string[] {
  const file = path.join(repoRoot(), '..', 'shared', 'data', SOURCE);
  const lines = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .slice(0, n);
  assert.equal(lines.length, n, `${file} has fewer than ${n} records`);
  return lines;
}

interface RowState {
  pairs: number;
  questions: string[];
  statuses: string[];
  thumbs: number;
  loaded: number;
  error: string | null;
}

async function rowState(frame: Frame, line: number): Promise<RowState | undefined> {
  return frame.evaluate((l) => {
    const doc = (globalThis as unknown as { document: DomDocument }).document;
    const row = doc.querySelector(`.cur-row[data-line="${l}"]`);
    if (!row || row.classList.contains('cur-row--loading')) {
      return undefined;
    }
    const all = (selector: string): DomElement[] => [...(row as unknown as { querySelectorAll(s: string): Iterable<DomElement> }).querySelectorAll(selector)];
    const thumbs = all('.cur-thumb') as unknown as Array<{ complete: boolean; naturalWidth: number }>;
    return {
      pairs: all('.cur-pair').length,
      questions: all('.cur-pair textarea[data-field="question"]').map((a) => (a as unknown as { value: string }).value),
      statuses: all('.cur-pair .cur-status').map((s) => (s.textContent ?? '').trim()),
      thumbs: thumbs.length,
      loaded: thumbs.filter((t) => t.complete && t.naturalWidth > 0).length,
      error: row.querySelector('.cur-row__error')?.textContent ?? null,
    };
  }, line);
}

async function waitRow(frame: Frame, line: number, what: string, check: (s: RowState) => boolean, timeoutMs = 30_000): Promise<RowState> {
  return until(
    `row ${line + 1}: ${what}`,
    async () => {
      await scrollTowards(frame, line);
      const s = await rowState(frame, line);
      return s && check(s) ? s : undefined;
    },
    timeoutMs,
    () => rowState(frame, line),
  );
}

async function tabDirty(vscode: VSCodeSession): Promise<boolean> {
  const tab = vscode.page.locator('.tabs-container .tab[data-resource-name="data.jsonl"]').first();
  return ((await tab.getAttribute('class')) ?? '').split(/\s+/).includes('dirty');
}

test('curation editor: L-Eval rows with frame strips, inline edit, undo, redo, save, review key', { timeout: 360_000 }, async (t) => {
  const lap = timer(t);
  const lines = levalLines(3);
  const records = lines.map((l) => JSON.parse(l) as Leval);
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 't2vid-e2e-ws-'));
  let vscode: VSCodeSession | undefined;
  t.after(async () => {
    await vscode?.stop();
    fs.rmSync(workspace, { recursive: true, force: true });
  });
  const file = path.join(workspace, 'data.jsonl');
  const original = [lines[0], lines[1], BROKEN, '', lines[2]].join('\n') + '\n';
  fs.writeFileSync(file, original);
  const pages0 = await enginePages(records[0].input);
  lap(`engine: record 1 → ${pages0.length} frames`);

  // VS Code for the Web saves after a delay by default; this test checks the dirty state, so saving is by hand.
  vscode = await startVSCode({ workspace, startTimeout: 90_000, settings: { 'files.autoSave': 'off' } });
  lap('code-server + workbench + extension host');

  await vscode.openFile('data.jsonl');
  await vscode.runCommand('T2Vid: Open Curation Editor');
  const frame = await curationFrame(vscode);
  lap('curation editor open');

  // Rows: record 1's pairs, its frames from the engine, the invalid line as an error row; the blank line is no row.
  let row = await waitRow(frame, 0, `${records[0].instructions.length} pairs and ${pages0.length} loaded frames`, (s) => s.pairs === records[0].instructions.length && s.thumbs === pages0.length && s.loaded > 0, 60_000);
  assert.deepEqual(row.questions, records[0].instructions);
  const broken = await waitRow(frame, 2, 'an error row', (s) => s.error !== null);
  assert.match(broken.error ?? '', /not valid JSON/);
  await waitRow(frame, 4, `${records[2].instructions.length} pairs`, (s) => s.pairs === records[2].instructions.length);
  assert.equal(await frame.locator('.cur-row[data-line="3"]').count(), 0, 'a blank line is not a row');
  await frame.locator('#cur-list').evaluate((list) => ((list as unknown as { scrollTop: number }).scrollTop = 0));
  const stats = await until('the counts', async () => {
    const text = await frame.locator('#cur-stats').textContent();
    return text && !text.includes('counting') ? text : undefined;
  }, 20_000);
  const pairCount = records.reduce((n, r) => n + r.instructions.length, 0);
  assert.equal(stats, `3 samples · ${pairCount} pairs · 0 accepted · 0 rejected · 0 flagged · 1 invalid line`);
  await vscode.screenshot('curation-editor');
  lap(`rows: ${row.pairs} pairs, ${row.thumbs} frames; "${stats}"`);

  // Edit question 2 of record 1 inline; Escape sends it.
  const question = frame.locator('.cur-row[data-line="0"] .cur-pair[data-pair="1"] textarea[data-field="question"]');
  // One input event (fill), so the edit is one undo step even on a loaded machine (typing that pauses for longer
  // than the editor's commit delay is sent in several edits, each its own undo step, as in any editor).
  await question.click();
  await question.fill(NEW_QUESTION);
  await question.press('Escape');
  row = await waitRow(frame, 0, 'the new question', (s) => s.questions[1] === NEW_QUESTION);
  await until('the tab to be dirty', async () => (await tabDirty(vscode!)) || undefined, 10_000, async () => vscode!.page.locator('.tabs-container .tab').evaluateAll((tabs) => tabs.map((t) => `${t.getAttribute('data-resource-name')}: ${t.getAttribute('class')}`)));
  lap('edited question 2');

  // Undo and redo are VS Code's, on the document.
  // The keys go to the pair (a click on its header, as a user would), not to a text field: in a text field the
  // browser's own undo of that field would answer Ctrl+Z.
  const pairHeader = frame.locator('.cur-row[data-line="0"] .cur-pair[data-pair="1"] .cur-pair__meta');
  await pairHeader.click();
  await pairHeader.press('Control+z');
  row = await waitRow(frame, 0, 'the old question back (undo)', (s) => s.questions[1] === records[0].instructions[1]);
  await until('the tab to be clean after undo', async () => !(await tabDirty(vscode!)) || undefined, 10_000);
  await pairHeader.click();
  await pairHeader.press('Control+Shift+z');
  row = await waitRow(frame, 0, 'the new question again (redo)', (s) => s.questions[1] === NEW_QUESTION);
  lap('undo, redo');

  await vscode.page.keyboard.press('Control+s');
  await until('the tab to be clean after save', async () => !(await tabDirty(vscode!)) || undefined, 10_000);
  const saved = fs.readFileSync(file, 'utf8');
  const edited = { ...records[0], instructions: records[0].instructions.map((q, i) => (i === 1 ? NEW_QUESTION : q)) };
  const expectedLine = stringifyLike(edited, { spaced: true, ascii: true });
  assert.equal(saved, [expectedLine, lines[1], BROKEN, '', lines[2]].join('\n') + '\n', 'only question 2 of line 1 changed on disk');
  assert.ok(expectedLine.includes('\\u2014'), 'the em dash is escaped like the rest of the Python-written line');
  lap('saved; file on disk checked');

  // Review key: focus pair 1 of record 1, press a → accepted, written to t2vid_review.
  await frame.locator('.cur-row[data-line="0"] .cur-pair[data-pair="0"] .cur-pair__meta').click();
  await frame.locator('.cur-row[data-line="0"] .cur-pair[data-pair="0"]').press('a');
  row = await waitRow(frame, 0, 'pair 1 accepted', (s) => s.statuses[0] === 'Accepted');
  // Accepting moved the review cursor to pair 2; the contributed keybinding Ctrl+Alt+Backspace rejects it (a VS Code
  // command, "T2Vid Curation: Reject Q&A Pair", sent to the webview).
  await until('pair 2 current', async () => (await frame.locator('.cur-row[data-line="0"] .cur-pair[data-pair="1"].cur-pair--current').count()) || undefined, 10_000);
  await vscode.page.keyboard.press('Control+Alt+Backspace');
  row = await waitRow(frame, 0, 'pair 2 rejected by the keybinding', (s) => s.statuses[1] === 'Rejected');
  // Its Reject button toggles it back to new.
  await frame.locator('.cur-row[data-line="0"] .cur-pair[data-pair="1"] .cur-button', { hasText: 'Reject' }).click();
  row = await waitRow(frame, 0, 'pair 2 back to new', (s) => s.statuses[1] === 'New');
  await vscode.page.keyboard.press('Control+s');
  await until('the tab to be clean after the second save', async () => !(await tabDirty(vscode!)) || undefined, 10_000);
  const review = (JSON.parse(fs.readFileSync(file, 'utf8').split('\n')[0]) as { t2vid_review?: string[] }).t2vid_review;
  assert.deepEqual(review, records[0].instructions.map((_, i) => (i === 0 ? 'accepted' : 'new')));
  assert.equal(fs.readFileSync(file, 'utf8').split('\n')[2], BROKEN, 'the invalid line is kept byte for byte');
  await vscode.screenshot('curation-editor-reviewed');
  lap('review key a → accepted on disk');

  // Add a pair: the caret lands in its question; typed text is saved. Then delete it again.
  const before = records[0].instructions.length;
  await frame.locator('.cur-row[data-line="0"] .cur-row__actions .cur-button', { hasText: 'Add pair' }).click();
  row = await waitRow(frame, 0, `${before + 1} pairs`, (s) => s.pairs === before + 1);
  const added = frame.locator(`.cur-row[data-line="0"] .cur-pair[data-pair="${before}"] textarea[data-field="question"]`);
  await until('the caret in the new question', async () => (await added.evaluate((a) => a === (a as unknown as { ownerDocument: { activeElement: unknown } }).ownerDocument.activeElement)) || undefined, 10_000);
  await vscode.page.keyboard.type('Which frame names the DMV?', { delay: 5 });
  await added.press('Escape');
  row = await waitRow(frame, 0, 'the added question', (s) => s.questions[before] === 'Which frame names the DMV?');
  await vscode.page.keyboard.press('Control+s');
  await until('the added pair on disk', async () => {
    const saved1 = JSON.parse(fs.readFileSync(file, 'utf8').split('\n')[0]) as Leval & { t2vid_review: string[] };
    return (saved1.instructions[before] === 'Which frame names the DMV?' && saved1.outputs[before] === '' && saved1.t2vid_review.length === before + 1) || undefined;
  }, 10_000);
  await frame.locator(`.cur-row[data-line="0"] .cur-pair[data-pair="${before}"] .cur-button`, { hasText: 'Delete' }).click();
  row = await waitRow(frame, 0, `${before} pairs again`, (s) => s.pairs === before);
  lap('add pair (caret in it), type, save; delete');

  // A change made elsewhere (the file rewritten on disk while the editor has no unsaved change) shows at once.
  await vscode.page.keyboard.press('Control+s');
  await until('the tab to be clean', async () => !(await tabDirty(vscode!)) || undefined, 10_000);
  const onDisk = fs.readFileSync(file, 'utf8').split('\n');
  const third = JSON.parse(onDisk[4]) as Leval;
  third.instructions[0] = 'Changed outside the editor?';
  onDisk[4] = stringifyLike(third, { spaced: true, ascii: true });
  fs.writeFileSync(file, onDisk.join('\n'));
  await waitRow(frame, 4, 'the outside change', (s) => s.questions[0] === 'Changed outside the editor?', 20_000);
  lap('external change shown');

  // Hidden and shown again (the webview is rebuilt): the list comes back where it was.
  await scrollTowards(frame, 1);
  await frame.locator('.cur-row[data-line="1"]').evaluate((r) => (r as unknown as DomElement).scrollIntoView({ block: 'start' }));
  await new Promise((r) => setTimeout(r, 1000)); // the webview saves its scroll position 200 ms after scrolling stops
  const tabs = vscode.page.locator('.tabs-container .tab[data-resource-name="data.jsonl"]');
  assert.equal(await tabs.count(), 2, 'the text editor and the curation editor of data.jsonl');
  const curationTab = (await tabs.nth(0).getAttribute('class'))?.includes('active') ? 0 : 1;
  await tabs.nth(1 - curationTab).click();
  await tabs.nth(curationTab).click();
  const again = await curationFrame(vscode);
  await until('row 2 at the top of the list after the webview came back', async () => {
    return again.evaluate(() => {
      const doc = (globalThis as unknown as { document: DomDocument }).document;
      const list = doc.getElementById('cur-list') as unknown as { getBoundingClientRect(): { top: number; bottom: number } } | null;
      const row = doc.querySelector('.cur-row[data-line="1"]') as unknown as { getBoundingClientRect(): { top: number } } | null;
      if (!list || !row) {
        return undefined;
      }
      const top = row.getBoundingClientRect().top - list.getBoundingClientRect().top;
      return Math.abs(top) < 40 || undefined;
    });
  }, 20_000);
  lap('scroll position restored');
});
