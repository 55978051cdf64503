/**
 * The curation editor's webview: a toolbar (counts, filters, search) over a virtualized list of dataset rows
 * (`list.ts`, its maths in `virtualList.ts`), each row built by `rows.ts`, with the review keys of `reviewKeys.ts`.
 * This module lays out the page and applies the host's messages (curation/view, curation/rows, …), each validated
 * by the shared IPC module before it gets here. Dataset text is untrusted: it is only ever set as textContent or a
 * form value, never parsed as HTML.
 */
import {
  GENERATOR_FILTERS,
  STATUS_FILTERS,
  type CurationToWebview,
  type FrameThumb,
  type RowFilter,
  type RowView,
  type StatsView,
  type ViewMessage,
} from '../../src/shared/protocol/curation';
import { el } from '../shared/dom';
import { dropdown, registerComponents, searchField } from '../shared/toolkit';
import { mounted, resetList, restoreState, schedule, scroller } from './list';
import { installReviewKeys, review, setCurrent } from './reviewKeys';
import { fillStrip } from './rows';
import { GENERATOR_LABELS, STATUS_LABELS, busy, frames, framesRequested, ipc, number, post, requested, rows, session } from './state';

//#region layout

const app = document.getElementById('app') as HTMLElement;
registerComponents();

const toolbar = el('header', 'cur-toolbar');
const title = el('div', 'cur-title');
const fileName = el('span', 'cur-title__file');
const statsText = el('span', 'cur-title__stats');
statsText.id = 'cur-stats';
const modeChip = el('span', 'cur-chip', 'large file');
modeChip.id = 'cur-mode';
modeChip.title = "Over 50 MB: VS Code's text editor cannot open this file, so Show line is not offered";
modeChip.hidden = true;
title.append(fileName, modeChip, statsText);

const statusFilter = dropdown({
  id: 'cur-filter-status',
  label: 'Status',
  options: STATUS_FILTERS.map((value) => ({ value, label: STATUS_LABELS[value] })),
  value: 'all',
  onChange: (value) => setFilter({ status: value as RowFilter['status'] }),
});
const generatorFilter = dropdown({
  id: 'cur-filter-generator',
  label: 'Generator',
  options: GENERATOR_FILTERS.map((value) => ({ value, label: GENERATOR_LABELS[value] })),
  value: 'all',
  onChange: (value) => setFilter({ generator: value as RowFilter['generator'] }),
});
const regenerateWith = dropdown({
  id: 'cur-generator',
  label: 'Regenerate with',
  options: [
    { value: 'builtin', label: 'Built-in generator', title: 'Questions answerable from the frames themselves; no network' },
    { value: 'llm', label: 'LLM', title: 'The OpenAI-compatible endpoint in t2vid.qa.baseUrl / t2vid.qa.model' },
  ],
  value: 'builtin',
  onChange: (value) => post({ type: 'curation/setGenerator', generator: value === 'llm' ? 'llm' : 'builtin' }),
});
const search = searchField({
  id: 'cur-search',
  label: 'Search',
  placeholder: 'id, question or answer',
  onSearch: (text) => setFilter({ text }),
});
const shown = el('span', 'cur-shown');
shown.id = 'cur-shown';
shown.setAttribute('aria-live', 'polite');
const filters = el('div', 'cur-filters');
filters.append(statusFilter.element, generatorFilter.element, search.element, shown, regenerateWith.element);
const HELP = 'Keys: j / k next / previous pair · a accept · r reject · f flag · n new · e edit · g regenerate · Del delete · + add pair';
const help = el('div', 'cur-help', `${HELP} · o show line · / search`);
toolbar.append(title, filters, help);

const notice = el('div', 'cur-notice');
notice.id = 'cur-notice';
notice.setAttribute('role', 'status');
notice.hidden = true;

const empty = el('div', 'cur-empty');
empty.hidden = true;

app.append(toolbar, notice, empty, scroller);

function setFilter(change: Partial<RowFilter>): void {
  if (!session.view) {
    return;
  }
  post({ type: 'curation/setFilter', filter: { ...session.view.filter, ...change } });
}

let noticeTimer: ReturnType<typeof setTimeout> | undefined;
function showNotice(level: 'info' | 'error', message: string): void {
  notice.hidden = false;
  notice.textContent = message;
  notice.classList.toggle('cur-notice--error', level === 'error');
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => (notice.hidden = true), level === 'error' ? 12_000 : 5_000);
}

function showStats(stats: StatsView): void {
  const samples = stats.rows - stats.errors;
  const parts = [
    stats.complete ? `${number.format(samples)} ${samples === 1 ? 'sample' : 'samples'}` : `${number.format(stats.rows)} lines`,
  ];
  if (stats.complete) {
    parts.push(
      `${number.format(stats.pairs)} pairs`,
      `${number.format(stats.accepted)} accepted`,
      `${number.format(stats.rejected)} rejected`,
      `${number.format(stats.flagged)} flagged`,
    );
    if (stats.errors) {
      parts.push(`${number.format(stats.errors)} invalid ${stats.errors === 1 ? 'line' : 'lines'}`);
    }
  } else {
    parts.push('counting…');
  }
  statsText.textContent = parts.join(' · ');
  statsText.dataset.complete = String(stats.complete);
}

installReviewKeys(() => (search.control.shadowRoot?.querySelector('input') ?? search.control).focus());

//#endregion

//#region messages

function applyView(message: ViewMessage): void {
  const view = session.view;
  const first = view === undefined;
  const filterChanged = !view || JSON.stringify(view.filter) !== JSON.stringify(message.filter) || view.file !== message.file;
  const sameLines = view !== undefined && view.lines.length === message.lines.length && view.lines.every((l, i) => l === message.lines[i]);
  session.view = message;
  fileName.textContent = message.file;
  modeChip.hidden = message.mode !== 'large';
  help.textContent = message.mode === 'large' ? `${HELP} · / search` : `${HELP} · o show line · / search`;
  modeChip.dataset.mode = message.mode;
  statusFilter.setValue(message.filter.status);
  generatorFilter.setValue(message.filter.generator);
  search.setValue(message.filter.text);
  regenerateWith.setValue(message.generator);
  regenerateWith.setTitle(
    message.generator === 'llm' ? `LLM: ${message.llmModel || 'no model set (t2vid.qa.model)'}` : 'Built-in generator',
  );
  if (!sameLines) {
    rows.clear();
    requested.clear();
    // Heights measured under the same filter are kept; a new filter starts from the estimate.
    resetList(message.lines, filterChanged ? undefined : view?.lines);
  } else {
    // Same rows, but any of them may have changed (the file was reloaded or edited elsewhere): fetch them again.
    rows.clear();
    requested.clear();
  }
  if (first) {
    restoreState(message.file, message.lines);
  } else if (filterChanged) {
    scroller.scrollTop = 0;
    session.current = { index: 0, pair: 0 };
  }
  session.current.index = Math.min(session.current.index, Math.max(0, message.lines.length - 1));
  const filtered = message.filter.status !== 'all' || message.filter.generator !== 'all' || message.filter.text.trim() !== '';
  shown.textContent = filtered
    ? `${number.format(message.lines.length)} of ${number.format(message.total)} shown`
    : `${number.format(message.total)} shown`;
  empty.hidden = message.lines.length > 0;
  empty.textContent = message.total === 0 ? `${message.file} has no samples yet.` : 'No sample matches the filter.';
  schedule();
}

function applyRows(received: RowView[]): void {
  for (const row of received) {
    requested.delete(row.line);
    rows.set(row.line, row);
  }
  tryFocus();
  schedule();
}

/** Puts the caret in the field the host asked for (after "add pair") once the row has that pair. */
function tryFocus(): void {
  const focus = session.pendingFocus;
  const row = focus && rows.get(focus.line);
  if (!focus || !row || row.pairs.length <= focus.pair) {
    return;
  }
  session.pendingFocus = undefined;
  requestAnimationFrame(() => {
    const index = session.view?.lines.indexOf(focus.line) ?? -1;
    if (index >= 0) {
      setCurrent(index, focus.pair, true);
    }
    requestAnimationFrame(() =>
      mounted
        .get(focus.line)
        ?.querySelector<HTMLTextAreaElement>(`.cur-pair[data-pair="${focus.pair}"] textarea[data-field="${focus.field}"]`)
        ?.focus(),
    );
  });
}

function applyFrames(line: number, hash: string, thumbs: FrameThumb[], error: string | null): void {
  const key = `${line}:${hash}`;
  framesRequested.delete(key);
  frames.set(key, { thumbs, error });
  if (frames.size > 2000) {
    frames.delete(frames.keys().next().value as string);
  }
  const node = mounted.get(line);
  const row = rows.get(line);
  const strip = node?.querySelector<HTMLElement>('.cur-strip');
  if (strip && row && row.hash === hash) {
    fillStrip(strip, row);
    schedule();
  }
}

function onMessage(message: CurationToWebview): void {
  switch (message.type) {
    case 'curation/view':
      return applyView(message);
    case 'curation/rows':
      if (session.view && message.version >= session.view.version - 1) {
        applyRows(message.rows);
      }
      return;
    case 'curation/stats':
      return showStats(message.stats);
    case 'curation/frames':
      return applyFrames(message.line, message.hash, message.frames, message.error);
    case 'curation/focus':
      session.pendingFocus = { line: message.line, pair: message.pair, field: message.field };
      tryFocus();
      return;
    case 'curation/busy': {
      const key = `${message.line}:${message.pair}`;
      if (message.busy) {
        busy.add(key);
      } else {
        busy.delete(key);
      }
      const node = mounted.get(message.line);
      if (node) {
        node.dataset.hash = ''; // rebuild with the busy marker
        schedule();
      }
      return;
    }
    case 'curation/notice':
      return showNotice(message.level, message.message);
    case 'curation/command':
      return review(message.command);
  }
}

ipc.connect(onMessage, { type: 'curation/ready' });

//#endregion
