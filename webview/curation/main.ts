/**
 * The curation editor's webview: a toolbar (counts, filters, search) over a virtualized list of dataset rows. Only
 * the rows near the viewport exist in the DOM; their contents are asked from the host in batches and their heights
 * measured as they render (an estimate stands in until then), so a 100,000-row file opens as fast as a small one.
 * Each row shows its frame strip (real engine PNGs, rendered on demand) and its Q&A pairs as editable fields; every
 * change is sent to the host, which edits the TextDocument (so undo/redo/save are VS Code's own).
 * Dataset text is untrusted: it is only ever set as textContent or a form value, never parsed as HTML.
 */
import {
  GENERATOR_FILTERS,
  STATUS_FILTERS,
  parseCurationToWebview,
  type CurationEdit,
  type CurationFromWebview,
  type CurationToWebview,
  type RowFilter,
  type FrameThumb,
  type PairView,
  type ReviewCommand,
  type ReviewStatus,
  type RowView,
  type StatsView,
  type ViewMessage,
} from '../../src/shared/protocol/curation';
import { dropdown, registerComponents, searchField } from '../shared/toolkit';
import { el, vscodeApi } from '../shared/dom';


const vscode = vscodeApi<CurationFromWebview>();
const number = new Intl.NumberFormat('en');

/** Height of a row before it is measured. */
const ESTIMATE = 320;
/** Pixels rendered above and below the viewport. */
const OVERSCAN = 800;
/** Ask for rows this far ahead of what is shown. */
const PREFETCH_ROWS = 30;
const BATCH = 200;
/** A field's edit is sent after this pause in typing (and on blur / Escape / Ctrl+Enter at once). */
const COMMIT_DELAY = 700;

const STATUS_LABELS: Record<string, string> = {
  all: 'All statuses',
  new: 'New',
  accepted: 'Accepted',
  rejected: 'Rejected',
  flagged: 'Flagged',
  error: 'Invalid lines',
};
const GENERATOR_LABELS: Record<string, string> = {
  all: 'All generators',
  builtin: 'Built-in',
  llm: 'LLM',
  source: 'From the dataset',
  human: 'Added by hand',
  none: 'No provenance',
};

function post(message: CurationFromWebview): void {
  vscode.postMessage(message);
}

function isTyping(target: EventTarget | null): boolean {
  return target instanceof HTMLTextAreaElement || target instanceof HTMLInputElement || (target instanceof HTMLElement && target.tagName.startsWith('VSCODE-TEXT'));
}

//#region state

let view: ViewMessage | undefined;
let heights = new Float64Array(0);
let offsets = new Float64Array(1);
let offsetsDirty = true;
const rows = new Map<number, RowView>();
const requested = new Set<number>();
const frames = new Map<string, { thumbs: FrameThumb[]; error: string | null }>();
const framesRequested = new Set<string>();
const busy = new Set<string>();
/** Mounted row elements by line. */
const mounted = new Map<number, HTMLElement>();
/** The pair the review keys act on: a position in view.lines and a pair index. */
let current = { index: 0, pair: 0 };
let pendingFocus: { line: number; pair: number; field: 'question' | 'answer' } | undefined;

//#endregion

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
modeChip.title = 'Opened in the editor for large files: lines are read from disk on demand, edits are kept until saved';
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
const search = searchField({ id: 'cur-search', label: 'Search', placeholder: 'id, question or answer', onSearch: (text) => setFilter({ text }) });
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

const scroller = el('div', 'cur-scroller');
scroller.id = 'cur-list';
scroller.tabIndex = 0;
scroller.setAttribute('role', 'list');
scroller.setAttribute('aria-label', 'Samples');
const spacer = el('div', 'cur-spacer');
scroller.append(spacer);
const empty = el('div', 'cur-empty');
empty.hidden = true;

app.append(toolbar, notice, empty, scroller);

function setFilter(change: Partial<RowFilter>): void {
  if (!view) {
    return;
  }
  post({ type: 'curation/setFilter', filter: { ...view.filter, ...change } });
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
  const parts = [stats.complete ? `${number.format(samples)} ${samples === 1 ? 'sample' : 'samples'}` : `${number.format(stats.rows)} lines`];
  if (stats.complete) {
    parts.push(`${number.format(stats.pairs)} pairs`, `${number.format(stats.accepted)} accepted`, `${number.format(stats.rejected)} rejected`, `${number.format(stats.flagged)} flagged`);
    if (stats.errors) {
      parts.push(`${number.format(stats.errors)} invalid ${stats.errors === 1 ? 'line' : 'lines'}`);
    }
  } else {
    parts.push('counting…');
  }
  statsText.textContent = parts.join(' · ');
  statsText.dataset.complete = String(stats.complete);
}

function recomputeOffsets(): void {
  if (!offsetsDirty) {
    return;
  }
  const n = heights.length;
  if (offsets.length !== n + 1) {
    offsets = new Float64Array(n + 1);
  }
  let y = 0;
  for (let i = 0; i < n; i++) {
    offsets[i] = y;
    y += heights[i];
  }
  offsets[n] = y;
  offsetsDirty = false;
  spacer.style.height = `${y}px`;
}

/** The first row whose bottom is below y. */
function rowAt(y: number): number {
  let lo = 0;
  let hi = heights.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (offsets[mid + 1] <= y) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return Math.max(0, lo);
}

let scheduled = false;
function schedule(): void {
  if (!scheduled) {
    scheduled = true;
    requestAnimationFrame(() => {
      scheduled = false;
      render();
    });
  }
}

function render(): void {
  if (!view) {
    return;
  }
  const lines = view.lines;
  recomputeOffsets();
  const top = scroller.scrollTop;
  const first = lines.length ? rowAt(Math.max(0, top - OVERSCAN)) : 0;
  let last = first;
  while (last < lines.length && offsets[last] < top + scroller.clientHeight + OVERSCAN) {
    last++;
  }
  // Rows to fetch: what is shown plus some ahead.
  const want: number[] = [];
  for (let i = Math.max(0, first - PREFETCH_ROWS); i < Math.min(lines.length, last + PREFETCH_ROWS); i++) {
    const line = lines[i];
    if (!rows.has(line) && !requested.has(line)) {
      want.push(line);
    }
  }
  for (let i = 0; i < want.length; i += BATCH) {
    const batch = want.slice(i, i + BATCH);
    batch.forEach((line) => requested.add(line));
    post({ type: 'curation/requestRows', lines: batch });
  }
  const keep = new Set<number>();
  for (let i = first; i < last; i++) {
    keep.add(lines[i]);
  }
  for (const [line, node] of mounted) {
    if (!keep.has(line) && !node.contains(document.activeElement)) {
      node.remove();
      mounted.delete(line);
    }
  }
  for (let i = first; i < last; i++) {
    const line = lines[i];
    let node = mounted.get(line);
    const data = rows.get(line);
    // A row being re-fetched (after the file changed) keeps showing its last content until the new one arrives.
    if (!node || (data !== undefined && node.dataset.hash !== data.hash)) {
      const fresh = buildRow(i, line, data);
      if (node) {
        patchOrReplace(node, fresh);
        node = mounted.get(line) as HTMLElement;
      } else {
        spacer.append(fresh);
        mounted.set(line, fresh);
        node = fresh;
      }
    }
    node.dataset.index = String(i);
    node.style.transform = `translateY(${offsets[i]}px)`;
    markCurrent(node, i);
  }
  measure();
}

/** Heights of mounted rows; rows above the first visible one keep the view from jumping when they change size. */
function measure(): void {
  if (!view) {
    return;
  }
  const anchor = rowAt(scroller.scrollTop);
  let shift = 0;
  let changed = false;
  for (const node of mounted.values()) {
    const i = Number(node.dataset.index);
    if (!(i < heights.length) || view.lines[i] !== Number(node.dataset.line)) {
      continue;
    }
    const h = node.offsetHeight;
    if (h > 0 && Math.abs(h - heights[i]) > 0.5) {
      if (i < anchor) {
        shift += h - heights[i];
      }
      heights[i] = h;
      changed = true;
    }
  }
  if (changed) {
    offsetsDirty = true;
    recomputeOffsets();
    if (shift) {
      scroller.scrollTop += shift;
    }
    for (const node of mounted.values()) {
      const i = Number(node.dataset.index);
      if (i < heights.length) {
        node.style.transform = `translateY(${offsets[i]}px)`;
      }
    }
  }
}

/** What survives the tab being hidden (the webview is rebuilt when shown again): the row at the top and the pair. */
interface Persisted {
  file: string;
  topLine: number;
  delta: number;
  current: { index: number; pair: number };
}

let saveTimer: ReturnType<typeof setTimeout> | undefined;
function saveState(): void {
  clearTimeout(saveTimer);
  saveTimer = setTimeout(() => {
    if (!view || view.lines.length === 0) {
      return;
    }
    recomputeOffsets();
    const index = rowAt(scroller.scrollTop);
    vscode.setState<Persisted>({ file: view.file, topLine: view.lines[index], delta: scroller.scrollTop - offsets[index], current });
  }, 200);
}

/** Scrolls back to where the list was before the webview was rebuilt (once, on the first view). */
function restoreState(message: ViewMessage): void {
  const saved = vscode.getState() as Persisted | undefined;
  if (!saved || saved.file !== message.file || typeof saved.topLine !== 'number') {
    return;
  }
  const index = message.lines.indexOf(saved.topLine);
  if (index < 0) {
    return;
  }
  recomputeOffsets();
  scroller.scrollTop = offsets[index] + Math.max(0, saved.delta);
  if (Number.isInteger(saved.current?.index) && saved.current.index < message.lines.length) {
    current = { index: saved.current.index, pair: Math.max(0, saved.current.pair | 0) };
  }
}

scroller.addEventListener('scroll', () => {
  schedule();
  saveState();
}, { passive: true });
new ResizeObserver(schedule).observe(scroller);

//#endregion

//#region rows

function statusLabel(status: ReviewStatus): string {
  return STATUS_LABELS[status];
}

function buildRow(index: number, line: number, data: RowView | undefined): HTMLElement {
  const node = el('article', 'cur-row');
  node.dataset.line = String(line);
  node.dataset.index = String(index);
  node.dataset.hash = data?.hash ?? '';
  node.setAttribute('role', 'listitem');
  if (!data) {
    node.classList.add('cur-row--loading');
    node.style.minHeight = `${Math.min(heights[index] || ESTIMATE, 600)}px`;
    node.append(el('div', 'cur-row__head', `Line ${number.format(line + 1)} · loading…`));
    return node;
  }
  node.setAttribute('aria-label', data.ok ? `Line ${line + 1}, ${data.id}` : `Line ${line + 1}, invalid`);
  const head = el('div', 'cur-row__head');
  const where = el('span', 'cur-row__line', `Line ${number.format(line + 1)}`);
  const id = el('span', 'cur-row__id', data.id);
  head.append(where, id);
  if (data.schema) {
    head.append(el('span', 'cur-chip', data.schema));
  }
  const actions = el('span', 'cur-row__actions');
  if (view?.mode !== 'large') {
    actions.append(smallButton('Show line', 'Show this line in a text editor (o)', () => post({ type: 'curation/reveal', line })));
  }
  if (data.ok && data.canAdd) {
    actions.append(smallButton('Add pair', 'Add an empty question and answer (+)', () => sendEdit(line, { type: 'add' })));
  }
  head.append(actions);
  node.append(head);
  if (!data.ok) {
    node.classList.add('cur-row--error');
    const error = el('div', 'cur-row__error', `${data.error ?? 'invalid line'}`);
    error.setAttribute('role', 'alert');
    const raw = el('pre', 'cur-row__raw', data.contextHead + (data.contextLength > data.contextHead.length ? ' …' : ''));
    const note = el('div', 'cur-row__note', 'Kept exactly as it is in the file. Fix it in the text editor ("Show line").');
    node.append(error, raw, note);
    return node;
  }
  for (const warning of data.warnings) {
    node.append(el('div', 'cur-row__warning', warning));
  }
  node.append(buildStrip(data));
  const context = el('div', 'cur-row__context', data.contextHead.trimStart() + (data.contextLength > data.contextHead.length ? ' …' : ''));
  context.title = `${number.format(data.contextLength)} characters`;
  node.append(context);
  const pairs = el('div', 'cur-pairs');
  if (data.pairs.length === 0) {
    pairs.append(el('div', 'cur-row__note', data.canAdd ? 'No questions yet: "Add pair" or regenerate from the palette.' : 'No questions.'));
  }
  data.pairs.forEach((pair, p) => pairs.append(buildPair(data, p, pair)));
  node.append(pairs);
  const key = `${line}:${data.hash}`;
  if (!frames.has(key) && !framesRequested.has(key)) {
    framesRequested.add(key);
    post({ type: 'curation/requestFrames', line, hash: data.hash });
  }
  return node;
}

function smallButton(label: string, tooltip: string, onClick: () => void, className = ''): HTMLButtonElement {
  const b = el('button', `cur-button ${className}`.trim(), label);
  b.type = 'button';
  b.title = tooltip;
  b.addEventListener('click', (e) => {
    e.stopPropagation();
    onClick();
  });
  return b;
}

function buildStrip(data: RowView): HTMLElement {
  const strip = el('div', 'cur-strip');
  strip.dataset.strip = String(data.line);
  fillStrip(strip, data);
  return strip;
}

function fillStrip(strip: HTMLElement, data: RowView): void {
  const entry = frames.get(`${data.line}:${data.hash}`);
  strip.replaceChildren();
  if (!entry) {
    strip.append(el('span', 'cur-strip__note', data.frameCount !== null ? `${number.format(data.frameCount)} frames · rendering…` : 'rendering frames…'));
    return;
  }
  if (entry.error) {
    strip.append(el('span', 'cur-strip__note cur-strip__note--error', `Frames could not be rendered: ${entry.error}`));
    return;
  }
  strip.setAttribute('aria-label', `${entry.thumbs.length} frames`);
  for (const thumb of entry.thumbs) {
    const img = el('img', 'cur-thumb');
    img.src = thumb.src;
    img.alt = `Frame ${thumb.index + 1}`;
    img.title = thumb.clipped
      ? `Frame ${thumb.index + 1}: its recorded text does not fit a frame at the current settings (it was made with others); shown cut at the edge`
      : `Frame ${thumb.index + 1} (double-click to open)`;
    img.classList.toggle('cur-thumb--clipped', thumb.clipped);
    img.loading = 'lazy';
    img.decoding = 'async';
    img.dataset.frame = String(thumb.index);
    img.style.aspectRatio = view ? `${view.frameWidth} / ${view.frameHeight}` : '1';
    img.addEventListener('dblclick', () => post({ type: 'curation/openFrame', line: data.line, hash: data.hash, index: thumb.index }));
    strip.append(img);
  }
}

function provenanceText(pair: PairView): string {
  const parts: string[] = [];
  if (pair.kind) {
    parts.push(pair.kind);
  }
  if (pair.generator) {
    parts.push(pair.model ? `${pair.generator} · ${pair.model}` : pair.generator);
  }
  if (pair.editedByUser) {
    parts.push('edited');
  }
  if (pair.supportingFrames.length) {
    parts.push(`frames ${pair.supportingFrames.map((f) => f + 1).join(', ')}`);
  }
  return parts.join(' · ');
}

/** Pending (typed, not yet sent) text per field, so a re-render never loses it. */
const drafts = new Map<string, { value: string; timer: ReturnType<typeof setTimeout> }>();
const fieldKey = (line: number, pair: number, field: string): string => `${line}:${pair}:${field}`;

function buildPair(data: RowView, p: number, pair: PairView): HTMLElement {
  const section = el('section', `cur-pair cur-pair--${pair.status}`);
  section.dataset.pair = String(p);
  section.tabIndex = -1;
  section.setAttribute('aria-label', `Pair ${p + 1}, ${statusLabel(pair.status)}`);
  const meta = el('div', 'cur-pair__meta');
  meta.append(el('span', 'cur-pair__number', `#${p + 1}`), el('span', `cur-status cur-status--${pair.status}`, statusLabel(pair.status)));
  const prov = provenanceText(pair);
  if (prov) {
    meta.append(el('span', 'cur-pair__prov', prov));
  }
  if (busy.has(`${data.line}:${p}`)) {
    meta.append(el('span', 'cur-pair__busy', 'regenerating…'));
  }
  section.append(meta);
  section.append(textField(data, p, 'question', pair.question, pair.questionReadOnly), textField(data, p, 'answer', pair.answer, false));
  const actions = el('div', 'cur-pair__actions');
  const status = (s: ReviewStatus, label: string, tip: string): HTMLButtonElement => {
    const b = smallButton(label, tip, () => sendEdit(data.line, { type: 'setStatus', pair: p, status: pair.status === s ? 'new' : s }), `cur-button--${s}`);
    b.setAttribute('aria-pressed', String(pair.status === s));
    return b;
  };
  actions.append(
    status('accepted', 'Accept', 'Accept this pair (a)'),
    status('rejected', 'Reject', 'Reject this pair (r)'),
    status('flagged', 'Flag', 'Flag this pair for another look (f)'),
    smallButton('Regenerate', 'Replace with a new question from the configured generator (g)', () => post({ type: 'curation/regenerate', line: data.line, hash: data.hash, pair: p })),
  );
  if (data.canDelete) {
    actions.append(smallButton('Delete', 'Delete this pair (Del)', () => sendEdit(data.line, { type: 'delete', pair: p }), 'cur-button--delete'));
  }
  section.append(actions);
  section.addEventListener('focusin', () => {
    const i = Number((section.closest('.cur-row') as HTMLElement | null)?.dataset.index);
    if (Number.isInteger(i)) {
      setCurrent(i, p, false);
    }
  });
  section.addEventListener('mouseenter', () => highlightFrames(section, pair.supportingFrames));
  section.addEventListener('mouseleave', () => highlightFrames(section, []));
  return section;
}

function highlightFrames(section: HTMLElement, indices: number[]): void {
  const strip = section.closest('.cur-row')?.querySelector('.cur-strip');
  strip?.querySelectorAll<HTMLElement>('.cur-thumb').forEach((img) => img.classList.toggle('cur-thumb--support', indices.includes(Number(img.dataset.frame))));
}

/** Chromium sizes a textarea to its content by CSS (`field-sizing`), without a forced layout per field. */
const CSS_SIZED = typeof CSS !== 'undefined' && CSS.supports('field-sizing', 'content');

function autosize(area: HTMLTextAreaElement): void {
  if (CSS_SIZED) {
    return;
  }
  area.style.height = 'auto';
  area.style.height = `${area.scrollHeight + 2}px`;
}

function textField(data: RowView, p: number, field: 'question' | 'answer', value: string, readOnly: boolean): HTMLElement {
  const wrap = el('label', `cur-field cur-field--${field}`);
  wrap.append(el('span', 'cur-field__label', field === 'question' ? 'Question' : 'Answer'));
  const area = el('textarea', 'cur-field__input');
  area.dataset.field = field;
  area.rows = 1;
  area.spellcheck = true;
  const key = fieldKey(data.line, p, field);
  area.value = drafts.get(key)?.value ?? value;
  area.readOnly = readOnly;
  if (readOnly) {
    area.title = 'This question is part of the record\'s instruction text: edit it in the text editor';
  }
  const commit = (): void => {
    const draft = drafts.get(key);
    if (!draft) {
      return;
    }
    clearTimeout(draft.timer);
    drafts.delete(key);
    const row = rows.get(data.line);
    const shownValue = row?.pairs[p]?.[field];
    if (row && shownValue !== draft.value) {
      sendEdit(data.line, { type: 'setText', pair: p, field, value: draft.value });
    }
  };
  area.addEventListener('input', () => {
    const old = drafts.get(key);
    if (old) {
      clearTimeout(old.timer);
    }
    drafts.set(key, { value: area.value, timer: setTimeout(commit, COMMIT_DELAY) });
    autosize(area);
    schedule();
  });
  area.addEventListener('blur', commit);
  area.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' || (e.key === 'Enter' && (e.ctrlKey || e.metaKey))) {
      e.preventDefault();
      commit();
      (area.closest('.cur-pair') as HTMLElement | null)?.focus();
    }
  });
  if (!CSS_SIZED) {
    requestAnimationFrame(() => autosize(area));
  }
  wrap.append(area);
  return wrap;
}

/** Replace a mounted row with its new build, keeping a focused field (its caret and any draft) in place. */
function patchOrReplace(old: HTMLElement, fresh: HTMLElement): void {
  const active = document.activeElement;
  const line = Number(old.dataset.line);
  if (active instanceof HTMLTextAreaElement && old.contains(active)) {
    const section = active.closest('.cur-pair') as HTMLElement | null;
    const target = fresh.querySelector<HTMLTextAreaElement>(`.cur-pair[data-pair="${section?.dataset.pair}"] textarea[data-field="${active.dataset.field}"]`);
    if (target) {
      const { selectionStart, selectionEnd } = active;
      old.replaceWith(fresh);
      mounted.set(line, fresh);
      target.focus();
      target.setSelectionRange(selectionStart, selectionEnd);
      return;
    }
  }
  const hadFocus = old.contains(active);
  old.replaceWith(fresh);
  mounted.set(line, fresh);
  if (hadFocus) {
    (fresh.querySelector('.cur-pair[data-pair="' + current.pair + '"]') as HTMLElement | null)?.focus();
  }
}

function sendEdit(line: number, edit: CurationEdit): void {
  const row = rows.get(line);
  if (!row) {
    return;
  }
  post({ type: 'curation/edit', line, hash: row.hash, edit });
}

//#endregion

//#region review keys

function markCurrent(node: HTMLElement, index: number): void {
  node.classList.toggle('cur-row--current', index === current.index);
  node.querySelectorAll<HTMLElement>('.cur-pair').forEach((section) => {
    section.classList.toggle('cur-pair--current', index === current.index && Number(section.dataset.pair) === current.pair);
  });
}

function setCurrent(index: number, pair: number, scroll: boolean): void {
  current = { index, pair };
  for (const node of mounted.values()) {
    markCurrent(node, Number(node.dataset.index));
  }
  if (scroll) {
    scrollToCurrent();
  }
}

function scrollToCurrent(): void {
  if (!view) {
    return;
  }
  recomputeOffsets();
  const node = mounted.get(view.lines[current.index]);
  const section = node?.querySelector<HTMLElement>(`.cur-pair[data-pair="${current.pair}"]`);
  if (section) {
    section.scrollIntoView({ block: 'nearest' });
    section.focus({ preventScroll: true });
  } else {
    scroller.scrollTop = offsets[current.index] - 8;
    schedule();
    requestAnimationFrame(() => requestAnimationFrame(() => {
      const later = mounted.get(view?.lines[current.index] ?? -1)?.querySelector<HTMLElement>(`.cur-pair[data-pair="${current.pair}"]`);
      later?.scrollIntoView({ block: 'nearest' });
      later?.focus({ preventScroll: true });
    }));
  }
}

function move(delta: 1 | -1): void {
  if (!view || view.lines.length === 0) {
    return;
  }
  let { index, pair } = current;
  const count = (i: number): number => rows.get(view?.lines[i] ?? -1)?.pairs.length ?? 1;
  pair += delta;
  if (pair < 0) {
    index = Math.max(0, index - 1);
    pair = index === current.index ? 0 : Math.max(0, count(index) - 1);
  } else if (pair >= count(index)) {
    if (index + 1 < view.lines.length) {
      index++;
      pair = 0;
    } else {
      pair = count(index) - 1;
    }
  }
  setCurrent(index, Math.max(0, pair), true);
}

function currentRow(): RowView | undefined {
  return view ? rows.get(view.lines[current.index]) : undefined;
}

function review(command: ReviewCommand | 'new' | 'regenerate' | 'delete' | 'add' | 'reveal'): void {
  const row = currentRow();
  switch (command) {
    case 'next':
      return move(1);
    case 'previous':
      return move(-1);
    case 'find':
      (search.control.shadowRoot?.querySelector('input') ?? search.control).focus();
      return;
    case 'reveal':
      if (row) {
        post({ type: 'curation/reveal', line: row.line });
      }
      return;
    case 'add':
      if (row?.ok && row.canAdd) {
        sendEdit(row.line, { type: 'add' });
      }
      return;
  }
  const pair = row?.pairs[current.pair];
  if (!row || !pair) {
    return;
  }
  switch (command) {
    case 'accept':
    case 'reject':
    case 'flag': {
      const status = ({ accept: 'accepted', reject: 'rejected', flag: 'flagged' } as const)[command];
      sendEdit(row.line, { type: 'setStatus', pair: current.pair, status: pair.status === status ? 'new' : status });
      if (pair.status !== status) {
        move(1);
      }
      return;
    }
    case 'new':
      sendEdit(row.line, { type: 'setStatus', pair: current.pair, status: 'new' });
      return;
    case 'edit':
      mounted.get(row.line)?.querySelector<HTMLTextAreaElement>(`.cur-pair[data-pair="${current.pair}"] textarea:not([readonly])`)?.focus();
      return;
    case 'regenerate':
      post({ type: 'curation/regenerate', line: row.line, hash: row.hash, pair: current.pair });
      return;
    case 'delete':
      if (row.canDelete) {
        sendEdit(row.line, { type: 'delete', pair: current.pair });
      }
      return;
  }
}

const KEYS: Record<string, Parameters<typeof review>[0]> = {
  j: 'next',
  ArrowDown: 'next',
  k: 'previous',
  ArrowUp: 'previous',
  a: 'accept',
  r: 'reject',
  f: 'flag',
  n: 'new',
  e: 'edit',
  Enter: 'edit',
  g: 'regenerate',
  Delete: 'delete',
  '+': 'add',
  o: 'reveal',
  '/': 'find',
};

document.addEventListener('keydown', (e) => {
  if (e.ctrlKey || e.metaKey || e.altKey || isTyping(e.target) || (e.target as HTMLElement | null)?.closest?.('.cur-toolbar')) {
    return;
  }
  const command = KEYS[e.key];
  if (command && !(e.key === 'Enter' && e.target instanceof HTMLButtonElement)) {
    e.preventDefault();
    review(command);
  }
});

//#endregion

//#region messages

function applyView(message: ViewMessage): void {
  const first = view === undefined;
  const filterChanged = !view || JSON.stringify(view.filter) !== JSON.stringify(message.filter) || view.file !== message.file;
  const sameLines = view !== undefined && view.lines.length === message.lines.length && view.lines.every((l, i) => l === message.lines[i]);
  const oldHeights = new Map<number, number>();
  if (view && !filterChanged) {
    view.lines.forEach((line, i) => oldHeights.set(line, heights[i]));
  }
  view = message;
  fileName.textContent = message.file;
  modeChip.hidden = message.mode !== 'large';
  help.textContent = message.mode === 'large' ? `${HELP} · / search` : `${HELP} · o show line · / search`;
  modeChip.dataset.mode = message.mode;
  statusFilter.setValue(message.filter.status);
  generatorFilter.setValue(message.filter.generator);
  search.setValue(message.filter.text);
  regenerateWith.setValue(message.generator);
  regenerateWith.setTitle(message.generator === 'llm' ? `LLM: ${message.llmModel || 'no model set (t2vid.qa.model)'}` : 'Built-in generator');
  if (!sameLines) {
    rows.clear();
    requested.clear();
    heights = new Float64Array(message.lines.length);
    message.lines.forEach((line, i) => (heights[i] = oldHeights.get(line) ?? ESTIMATE));
    offsetsDirty = true;
    for (const node of mounted.values()) {
      node.remove();
    }
    mounted.clear();
  } else {
    // Same rows, but any of them may have changed (the file was reloaded or edited elsewhere): fetch them again.
    rows.clear();
    requested.clear();
  }
  if (first) {
    restoreState(message);
  } else if (filterChanged) {
    scroller.scrollTop = 0;
    current = { index: 0, pair: 0 };
  }
  current.index = Math.min(current.index, Math.max(0, message.lines.length - 1));
  const filtered = message.filter.status !== 'all' || message.filter.generator !== 'all' || message.filter.text.trim() !== '';
  shown.textContent = filtered ? `${number.format(message.lines.length)} of ${number.format(message.total)} shown` : `${number.format(message.total)} shown`;
  empty.hidden = message.lines.length > 0;
  empty.textContent = message.total === 0 ? `${message.file} has no samples yet.` : 'No sample matches the filter.';
  schedule();
}

function applyRows(list: RowView[]): void {
  for (const row of list) {
    requested.delete(row.line);
    rows.set(row.line, row);
  }
  tryFocus();
  schedule();
}

/** Puts the caret in the field the host asked for (after "add pair") once the row has that pair. */
function tryFocus(): void {
  const focus = pendingFocus;
  const row = focus && rows.get(focus.line);
  if (!focus || !row || row.pairs.length <= focus.pair) {
    return;
  }
  pendingFocus = undefined;
  requestAnimationFrame(() => {
    const index = view?.lines.indexOf(focus.line) ?? -1;
    if (index >= 0) {
      setCurrent(index, focus.pair, true);
    }
    requestAnimationFrame(() =>
      mounted.get(focus.line)?.querySelector<HTMLTextAreaElement>(`.cur-pair[data-pair="${focus.pair}"] textarea[data-field="${focus.field}"]`)?.focus(),
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
      if (view && message.version >= view.version - 1) {
        applyRows(message.rows);
      }
      return;
    case 'curation/stats':
      return showStats(message.stats);
    case 'curation/frames':
      return applyFrames(message.line, message.hash, message.frames, message.error);
    case 'curation/focus':
      pendingFocus = { line: message.line, pair: message.pair, field: message.field };
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

window.addEventListener('message', (event: MessageEvent) => {
  const message = parseCurationToWebview(event.data);
  if (!message) {
    console.warn('t2vid: ignored an invalid message', event.data);
    return;
  }
  onMessage(message);
});

post({ type: 'curation/ready' });

//#endregion
