/**
 * E2E: the curation editor (t2vid.curation, the one editor for datasets of every size) on L-Eval records from
 * ../shared/data, in a real VS Code (code-server + Chromium). One VS Code serves the file; each test is one behaviour
 * on a file of its own, so the first failure does not hide the rest:
 *  - a `*.t2vid.jsonl` lands in the curation editor (no text editor) when opened by Quick Open (Ctrl+P, type, Enter)
 *    and by a double-click in the Explorer; "T2Vid: Open Curation Editor" opens the active editor's plain `.jsonl`;
 *  - rows: each record's pairs and its frame strip (frame count checked against the engine), an invalid line as an
 *    error row, the counts;
 *  - edit, undo, redo, save (VS Code's own keys) keep the file byte for byte except the edited question (CRLF kept);
 *  - review keys and the contributed keybinding; add and delete a pair; a change on disk shown; revert; the scroll
 *    position restored when the tab is shown again.
 * Needs `npm run setup:e2e` once; without it this test fails with that hint (it never skips).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { Frame } from 'playwright-core';
import { stringifyLike } from '../../src/core/curation/jsonStyle';
import { repoRoot, startVSCode, type VSCodeSession } from '../support/harness';
import {
  closeAllEditors,
  curationFrameOf,
  enginePages,
  quickOpen,
  scrollTowards,
  statusSelection,
  tabDirty,
  timer,
  until,
  visibleTextEditors,
  type DomDocument,
  type DomElement,
} from '../support/panel';

const SOURCE = path.join('long-text', 'leval-multidoc_qa.jsonl');
const BROKEN = '{"input": "broken line, kept as is", ';
const NEW_QUESTION = "For how long does a Driver's Ed course stay valid — and who says so?";

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
    const all = (selector: string): DomElement[] => [
      ...(row as unknown as { querySelectorAll(s: string): Iterable<DomElement> }).querySelectorAll(selector),
    ];
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

const lines = levalLines(3);
const records = lines.map((l) => JSON.parse(l) as Leval);
/** Two records, an invalid line, a blank line, a record (a blank line is no row). */
const CONTENT = [lines[0], lines[1], BROKEN, '', lines[2]];
const original = (eol = '\n'): string => CONTENT.join(eol) + eol;
const FILES = ['quick', 'explorer', 'rows', 'edit', 'review', 'add', 'outside', 'revert', 'scroll', 'show', 'hotexit'].map(
  (n) => `${n}.t2vid.jsonl`,
);

let vscode: VSCodeSession;
let workspace: string;

before(async () => {
  workspace = fs.mkdtempSync(path.join(os.tmpdir(), 't2vid-e2e-ws-'));
  fs.writeFileSync(path.join(workspace, 'data.jsonl'), original());
  for (const name of FILES) {
    fs.writeFileSync(path.join(workspace, name), original(name === 'edit.t2vid.jsonl' ? '\r\n' : '\n'));
  }
  // Written before VS Code starts: Quick Open caches the file list it first builds. Saving is by hand (VS Code for
  // the Web saves after a delay by default; these tests check the dirty state).
  vscode = await startVSCode({ workspace, startTimeout: 90_000, settings: { 'files.autoSave': 'off' } });
});

after(async () => {
  await vscode?.stop();
  fs.rmSync(workspace, { recursive: true, force: true });
});

/** Asserts that `name` is shown by the curation editor only: one tab, no text editor. */
async function onlyCurationEditor(name: string): Promise<Frame> {
  const frame = await curationFrameOf(vscode, name);
  await waitRow(frame, 0, 'record 1', (s) => s.pairs === records[0].instructions.length, 60_000);
  assert.equal(await vscode.page.locator(`.tabs-container .tab[data-resource-name="${name}"]`).count(), 1, `one tab for ${name}`);
  assert.equal(await visibleTextEditors(vscode), 0, `no text editor shows ${name}`);
  return frame;
}

test('Quick Open (Ctrl+P, type, Enter) of a *.t2vid.jsonl lands in the curation editor', { timeout: 180_000 }, async (t) => {
  const lap = timer(t);
  await closeAllEditors(vscode);
  await quickOpen(vscode, 'quick.t2vid.jsonl');
  await onlyCurationEditor('quick.t2vid.jsonl');
  lap('quick.t2vid.jsonl in the curation editor');
});

test('a double-click in the Explorer on a *.t2vid.jsonl lands in the curation editor', { timeout: 180_000 }, async (t) => {
  const lap = timer(t);
  await closeAllEditors(vscode);
  await vscode.runCommand('View: Show Explorer');
  const item = vscode.page
    .locator('.explorer-folders-view .monaco-list-row', {
      has: vscode.page.locator('.label-name', { hasText: /^\s*explorer\.t2vid\.jsonl\s*$/ }),
    })
    .first();
  await item.waitFor({ state: 'visible', timeout: 20_000 });
  await item.dblclick();
  await onlyCurationEditor('explorer.t2vid.jsonl');
  const tab = vscode.page.locator('.tabs-container .tab[data-resource-name="explorer.t2vid.jsonl"]');
  assert.ok(!((await tab.getAttribute('class')) ?? '').includes('preview'), 'a double-click pins the tab (no preview tab)');
  lap('explorer.t2vid.jsonl in the curation editor');
});

test('"T2Vid: Open Curation Editor" opens the active text editor\'s .jsonl in the curation editor', { timeout: 180_000 }, async (t) => {
  const lap = timer(t);
  await closeAllEditors(vscode);
  await vscode.openFile('data.jsonl');
  assert.equal(await visibleTextEditors(vscode), 1, 'a plain .jsonl opens as text');
  await vscode.runCommand('T2Vid: Open Curation Editor');
  const frame = await curationFrameOf(vscode, 'data.jsonl');
  await waitRow(frame, 0, 'record 1', (s) => s.pairs === records[0].instructions.length, 60_000);
  assert.equal(
    await vscode.page.locator('.tabs-container .tab[data-resource-name="data.jsonl"]').count(),
    2,
    'the text editor and the curation editor of data.jsonl',
  );
  assert.equal(await frame.locator('#cur-mode').getAttribute('data-mode'), 'text', 'a small file can be shown as text ("Show line")');
  lap('data.jsonl from the palette');
});

test('rows: pairs, frame strips from the engine, an error row for an invalid line, the counts', { timeout: 240_000 }, async (t) => {
  const lap = timer(t);
  const pages0 = await enginePages(records[0].input);
  await closeAllEditors(vscode);
  await quickOpen(vscode, 'rows.t2vid.jsonl');
  const frame = await curationFrameOf(vscode, 'rows.t2vid.jsonl');
  const row = await waitRow(
    frame,
    0,
    `${records[0].instructions.length} pairs and ${pages0.length} loaded frames`,
    (s) => s.pairs === records[0].instructions.length && s.thumbs === pages0.length && s.loaded > 0,
    60_000,
  );
  assert.deepEqual(row.questions, records[0].instructions);
  const broken = await waitRow(frame, 2, 'an error row', (s) => s.error !== null);
  assert.match(broken.error ?? '', /not valid JSON/);
  await waitRow(frame, 4, `${records[2].instructions.length} pairs`, (s) => s.pairs === records[2].instructions.length);
  assert.equal(await frame.locator('.cur-row[data-line="3"]').count(), 0, 'a blank line is not a row');
  await frame.locator('#cur-list').evaluate((list) => ((list as unknown as { scrollTop: number }).scrollTop = 0));
  const stats = await until(
    'the counts',
    async () => {
      const text = await frame.locator('#cur-stats').textContent();
      return text && !text.includes('counting') ? text : undefined;
    },
    20_000,
  );
  const pairCount = records.reduce((n, r) => n + r.instructions.length, 0);
  assert.equal(stats, `3 samples · ${pairCount} pairs · 0 accepted · 0 rejected · 0 flagged · 1 invalid line`);
  await vscode.screenshot('curation-editor');
  lap(`rows: ${row.pairs} pairs, ${row.thumbs} frames; "${stats}"`);
});

test(
  'edit, undo, redo, save: only the edited question changes on disk (CRLF and the invalid line kept)',
  { timeout: 240_000 },
  async (t) => {
    const lap = timer(t);
    const name = 'edit.t2vid.jsonl';
    const file = path.join(workspace, name);
    await closeAllEditors(vscode);
    await quickOpen(vscode, name);
    const frame = await curationFrameOf(vscode, name);
    await waitRow(frame, 0, 'record 1', (s) => s.pairs === records[0].instructions.length, 60_000);
    // One input event (fill), so the edit is one undo step even on a loaded machine.
    const question = frame.locator('.cur-row[data-line="0"] .cur-pair[data-pair="1"] textarea[data-field="question"]');
    await question.click();
    await question.fill(NEW_QUESTION);
    await question.press('Escape');
    await waitRow(frame, 0, 'the new question', (s) => s.questions[1] === NEW_QUESTION);
    await until('the tab to be dirty', async () => (await tabDirty(vscode, name)) || undefined, 10_000);
    assert.equal(fs.readFileSync(file, 'utf8'), original('\r\n'), 'nothing written before save');
    lap('edited question 2');

    // Undo and redo are VS Code's. The keys go to the pair (a click on its header, as a user would), not to a text
    // field: in a text field the browser's own undo of that field would answer Ctrl+Z.
    const pairHeader = frame.locator('.cur-row[data-line="0"] .cur-pair[data-pair="1"] .cur-pair__meta');
    await pairHeader.click();
    await pairHeader.press('Control+z');
    await waitRow(frame, 0, 'the old question back (undo)', (s) => s.questions[1] === records[0].instructions[1]);
    await until('the tab to be clean after undo', async () => !(await tabDirty(vscode, name)) || undefined, 10_000);
    await pairHeader.click();
    await pairHeader.press('Control+Shift+z');
    await waitRow(frame, 0, 'the new question again (redo)', (s) => s.questions[1] === NEW_QUESTION);
    await until('the tab to be dirty after redo', async () => (await tabDirty(vscode, name)) || undefined, 10_000);
    lap('undo, redo');

    await vscode.page.keyboard.press('Control+s');
    await until('the tab to be clean after save', async () => !(await tabDirty(vscode, name)) || undefined, 10_000);
    const edited = { ...records[0], instructions: records[0].instructions.map((q, i) => (i === 1 ? NEW_QUESTION : q)) };
    const expectedLine = stringifyLike(edited, { spaced: true, ascii: true });
    assert.ok(expectedLine.includes('\\u2014'), 'the em dash is escaped like the rest of the Python-written line');
    assert.ok(
      fs.readFileSync(file, 'utf8') === [expectedLine, lines[1], BROKEN, '', lines[2]].join('\r\n') + '\r\n',
      'only question 2 of line 1 changed on disk, CRLF kept',
    );
    assert.deepEqual(
      fs.readdirSync(workspace).filter((n) => n.startsWith('.') && n !== '.vscode'),
      [],
      'no temp file left beside the dataset',
    );
    lap('saved; file on disk checked');
  },
);

test('review keys and the contributed keybinding write the status', { timeout: 240_000 }, async (t) => {
  const lap = timer(t);
  const name = 'review.t2vid.jsonl';
  const file = path.join(workspace, name);
  await closeAllEditors(vscode);
  await quickOpen(vscode, name);
  const frame = await curationFrameOf(vscode, name);
  await waitRow(frame, 0, 'record 1', (s) => s.pairs === records[0].instructions.length, 60_000);
  // Focus pair 1 of record 1, press a → accepted, written to t2vid_review.
  await frame.locator('.cur-row[data-line="0"] .cur-pair[data-pair="0"] .cur-pair__meta').click();
  await frame.locator('.cur-row[data-line="0"] .cur-pair[data-pair="0"]').press('a');
  await waitRow(frame, 0, 'pair 1 accepted', (s) => s.statuses[0] === 'Accepted');
  // Accepting moved the review cursor to pair 2; the contributed keybinding Ctrl+Alt+Backspace rejects it (a VS Code
  // command, "T2Vid Curation: Reject Q&A Pair", sent to the webview).
  await until(
    'pair 2 current',
    async () => (await frame.locator('.cur-row[data-line="0"] .cur-pair[data-pair="1"].cur-pair--current').count()) || undefined,
    10_000,
  );
  await vscode.page.keyboard.press('Control+Alt+Backspace');
  await waitRow(frame, 0, 'pair 2 rejected by the keybinding', (s) => s.statuses[1] === 'Rejected');
  // Its Reject button toggles it back to new.
  await frame.locator('.cur-row[data-line="0"] .cur-pair[data-pair="1"] .cur-button', { hasText: 'Reject' }).click();
  await waitRow(frame, 0, 'pair 2 back to new', (s) => s.statuses[1] === 'New');
  await vscode.page.keyboard.press('Control+s');
  await until('the tab to be clean after save', async () => !(await tabDirty(vscode, name)) || undefined, 10_000);
  const saved = fs.readFileSync(file, 'utf8').split('\n');
  assert.deepEqual(
    (JSON.parse(saved[0]) as { t2vid_review?: string[] }).t2vid_review,
    records[0].instructions.map((_, i) => (i === 0 ? 'accepted' : 'new')),
  );
  assert.deepEqual(saved.slice(1), original().split('\n').slice(1), 'the other lines are kept byte for byte');
  await vscode.screenshot('curation-editor-reviewed');
  lap('review key a → accepted on disk');
});

test('add a pair (the caret lands in its question), save, delete it', { timeout: 240_000 }, async (t) => {
  const lap = timer(t);
  const name = 'add.t2vid.jsonl';
  const file = path.join(workspace, name);
  await closeAllEditors(vscode);
  await quickOpen(vscode, name);
  const frame = await curationFrameOf(vscode, name);
  const count = records[0].instructions.length;
  await waitRow(frame, 0, 'record 1', (s) => s.pairs === count, 60_000);
  await frame.locator('.cur-row[data-line="0"] .cur-row__actions .cur-button', { hasText: 'Add pair' }).click();
  await waitRow(frame, 0, `${count + 1} pairs`, (s) => s.pairs === count + 1);
  const added = frame.locator(`.cur-row[data-line="0"] .cur-pair[data-pair="${count}"] textarea[data-field="question"]`);
  await until(
    'the caret in the new question',
    async () =>
      (await added.evaluate((a) => a === (a as unknown as { ownerDocument: { activeElement: unknown } }).ownerDocument.activeElement)) ||
      undefined,
    10_000,
  );
  await vscode.page.keyboard.type('Which frame names the DMV?', { delay: 5 });
  await added.press('Escape');
  await waitRow(frame, 0, 'the added question', (s) => s.questions[count] === 'Which frame names the DMV?');
  await vscode.page.keyboard.press('Control+s');
  await until(
    'the added pair on disk',
    async () => {
      const saved = JSON.parse(fs.readFileSync(file, 'utf8').split('\n')[0]) as Leval & { t2vid_review?: string[] };
      return (
        (saved.instructions[count] === 'Which frame names the DMV?' &&
          saved.outputs[count] === '' &&
          (saved.t2vid_review?.length ?? count + 1) === count + 1) ||
        undefined
      );
    },
    10_000,
  );
  await frame.locator(`.cur-row[data-line="0"] .cur-pair[data-pair="${count}"] .cur-button`, { hasText: 'Delete' }).click();
  await waitRow(frame, 0, `${count} pairs again`, (s) => s.pairs === count);
  await vscode.page.keyboard.press('Control+s');
  await until('the tab to be clean', async () => !(await tabDirty(vscode, name)) || undefined, 10_000);
  assert.equal(
    (JSON.parse(fs.readFileSync(file, 'utf8').split('\n')[0]) as Leval).instructions.length,
    count,
    'the pair is deleted on disk',
  );
  lap('add pair (caret in it), type, save; delete');
});

test('a change of the file on disk made elsewhere shows at once', { timeout: 240_000 }, async (t) => {
  const lap = timer(t);
  const name = 'outside.t2vid.jsonl';
  const file = path.join(workspace, name);
  await closeAllEditors(vscode);
  await quickOpen(vscode, name);
  const frame = await curationFrameOf(vscode, name);
  await waitRow(frame, 4, 'record 3', (s) => s.pairs === records[2].instructions.length, 60_000);
  const third = { ...records[2], instructions: records[2].instructions.map((q, i) => (i === 0 ? 'Changed outside the editor?' : q)) };
  const changed = [...CONTENT];
  changed[4] = stringifyLike(third, { spaced: true, ascii: true });
  fs.writeFileSync(file, changed.join('\n') + '\n');
  await waitRow(frame, 4, 'the outside change', (s) => s.questions[0] === 'Changed outside the editor?', 20_000);
  assert.ok(!(await tabDirty(vscode, name)), 'a change on disk does not make the tab dirty');
  lap('external change shown');
});

test('File: Revert File drops an unsaved edit', { timeout: 240_000 }, async (t) => {
  const lap = timer(t);
  const name = 'revert.t2vid.jsonl';
  const file = path.join(workspace, name);
  await closeAllEditors(vscode);
  await quickOpen(vscode, name);
  const frame = await curationFrameOf(vscode, name);
  await waitRow(frame, 0, 'record 1', (s) => s.pairs === records[0].instructions.length, 60_000);
  const q0 = frame.locator('.cur-row[data-line="0"] .cur-pair[data-pair="0"] textarea[data-field="question"]');
  await q0.click();
  await q0.fill('An edit to drop');
  await q0.press('Escape');
  await until('the tab to be dirty before revert', async () => (await tabDirty(vscode, name)) || undefined, 10_000);
  await vscode.runCommand('File: Revert File');
  await until(
    'the question from the file after revert',
    async () => ((await q0.inputValue()) === records[0].instructions[0] ? true : undefined),
    20_000,
    () => q0.inputValue(),
  );
  await until('the tab to be clean after revert', async () => !(await tabDirty(vscode, name)) || undefined, 10_000);
  assert.equal(fs.readFileSync(file, 'utf8'), original(), 'revert did not write the file');
  lap('revert');
});

test('the scroll position is restored when the tab is shown again', { timeout: 240_000 }, async (t) => {
  const lap = timer(t);
  const name = 'scroll.t2vid.jsonl';
  await closeAllEditors(vscode);
  await vscode.openFile('data.jsonl'); // a text editor to switch to
  await quickOpen(vscode, name);
  const frame = await curationFrameOf(vscode, name);
  await waitRow(frame, 1, 'record 2', (s) => s.pairs === records[1].instructions.length, 60_000);
  await frame.locator('.cur-row[data-line="1"]').evaluate((r) => (r as unknown as DomElement).scrollIntoView({ block: 'start' }));
  await new Promise((r) => setTimeout(r, 1000)); // the webview saves its scroll position 200 ms after scrolling stops
  await vscode.page.locator('.tabs-container .tab[data-resource-name="data.jsonl"]').click();
  await vscode.page.locator(`.tabs-container .tab[data-resource-name="${name}"]`).click();
  const again = await curationFrameOf(vscode, name);
  await until(
    'row 2 at the top of the list after the webview came back',
    async () => {
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
    },
    20_000,
  );
  lap('scroll position restored');
});

/** The rows of the "Reopen Editor With…" picker for the active editor (label and description), closed again after. */
async function reopenWithEntries(): Promise<string[]> {
  await vscode.runCommand('View: Reopen Editor With...', { opensInput: true });
  const rows = vscode.page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
  await rows.first().waitFor({ state: 'visible', timeout: 10_000 });
  await new Promise((r) => setTimeout(r, 300));
  const entries = (await rows.allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
  await vscode.page.keyboard.press('Escape');
  await vscode.page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
  return entries;
}

test(
  '"Reopen Editor With…" lists the curation editor once, as the default of *.t2vid.jsonl and an option for .jsonl',
  { timeout: 180_000 },
  async (t) => {
    const lap = timer(t);
    await closeAllEditors(vscode);
    await quickOpen(vscode, 'quick.t2vid.jsonl');
    await curationFrameOf(vscode, 'quick.t2vid.jsonl');
    const forDataset = await reopenWithEntries();
    const curation = forDataset.filter((e) => e.includes('T2Vid Curation Editor'));
    assert.equal(curation.length, 1, `one curation editor for quick.t2vid.jsonl: ${JSON.stringify(forDataset)}`);
    assert.match(curation[0], /Default/, `the default of *.t2vid.jsonl: ${curation[0]}`);
    await closeAllEditors(vscode);
    await vscode.openFile('data.jsonl');
    const forJsonl = await reopenWithEntries();
    const option = forJsonl.filter((e) => e.includes('T2Vid Curation Editor'));
    assert.equal(option.length, 1, `one curation editor for data.jsonl: ${JSON.stringify(forJsonl)}`);
    assert.doesNotMatch(option[0], /Default/, `an option, not the default, for a plain .jsonl: ${option[0]}`);
    lap(`Open With: ${JSON.stringify(forDataset)} / ${JSON.stringify(forJsonl)}`);
  },
);

test('"Show line" opens the text editor beside, at that line (a file under 50 MB)', { timeout: 180_000 }, async (t) => {
  const lap = timer(t);
  const name = 'show.t2vid.jsonl';
  await closeAllEditors(vscode);
  await quickOpen(vscode, name);
  const frame = await curationFrameOf(vscode, name);
  await waitRow(frame, 4, 'record 3', (s) => s.pairs === records[2].instructions.length, 60_000);
  await frame.locator('.cur-row[data-line="4"] .cur-button', { hasText: 'Show line' }).click();
  await until(
    'a text editor beside the curation editor',
    async () => ((await visibleTextEditors(vscode)) === 1 ? true : undefined),
    20_000,
  );
  assert.equal(
    await vscode.page.locator(`.tabs-container .tab[data-resource-name="${name}"]`).count(),
    2,
    'the curation editor and the text editor of the file',
  );
  await until(
    'the cursor on line 5',
    async () => (/^Ln 5, Col 1\b/.test(await statusSelection(vscode)) ? true : undefined),
    10_000,
    () => statusSelection(vscode),
  );
  lap('Show line → text editor at line 5');
});

test('hot exit: an unsaved edit survives a window reload (backup) and is still unsaved', { timeout: 240_000 }, async (t) => {
  const lap = timer(t);
  const name = 'hotexit.t2vid.jsonl';
  const file = path.join(workspace, name);
  await closeAllEditors(vscode);
  await quickOpen(vscode, name);
  let frame = await curationFrameOf(vscode, name);
  await waitRow(frame, 0, 'record 1', (s) => s.pairs === records[0].instructions.length, 60_000);
  const question = frame.locator('.cur-row[data-line="0"] .cur-pair[data-pair="0"] textarea[data-field="question"]');
  await question.click();
  await question.fill('Kept over a reload?');
  await question.press('Escape');
  await until('the tab to be dirty', async () => (await tabDirty(vscode, name)) || undefined, 10_000);
  await new Promise((r) => setTimeout(r, 2500)); // VS Code backs a dirty editor up about a second after the last edit
  await vscode.page.evaluate(() => ((globalThis as unknown as { __beforeReload: boolean }).__beforeReload = true));
  await vscode.runCommand('Developer: Reload Window');
  await until(
    'the workbench reloaded',
    async () =>
      (await vscode.page.evaluate(() => (globalThis as unknown as { __beforeReload?: boolean }).__beforeReload)) ? undefined : true,
    60_000,
  );
  frame = await curationFrameOf(vscode, name, 120_000);
  await waitRow(frame, 0, 'the unsaved edit restored from the backup', (s) => s.questions[0] === 'Kept over a reload?', 60_000);
  await until('the tab to be dirty after the reload', async () => (await tabDirty(vscode, name)) || undefined, 10_000);
  assert.equal(fs.readFileSync(file, 'utf8'), original(), 'nothing written to the file');
  await vscode.runCommand('File: Revert File');
  await until('the tab to be clean after revert', async () => !(await tabDirty(vscode, name)) || undefined, 10_000);
  lap('hot exit: edit restored after reload');
});
