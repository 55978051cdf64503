/**
 * The "Frames" webview view: a header with the document and its visual-token estimate, the panel's settings, and a
 * filmstrip of the frames the engine rendered. The host pushes `state` messages (the frame count and the frames near
 * the viewport) and `highlight` for the editor's cursor; the filmstrip is a virtual grid that builds only the rows
 * near the viewport and asks the host for their frames (`frames/requestRange`), so a book-length document costs what
 * a short one does. Every message is validated with the protocol's parser and everything is built with
 * createElement/textContent: document names and messages are untrusted text, never HTML.
 */
import {
  DEFAULT_PANEL_SETTINGS,
  MODEL_PROFILES,
  PANEL_SETTING_CHECKS,
  SEGMENT_MODES,
  parseToWebview,
  MAX_WINDOW,
  type FrameView,
  type FromWebview,
  type ToWebview,
  type PanelSettingKey,
  type PanelSettings,
  type SegmentMode,
  type StateMessage,
} from '../../src/shared/protocol/frames';
import { button, divider, dropdown, numberField, progressRing, registerComponents } from '../shared/toolkit';
import { el } from '../shared/dom';
import { createIpc } from '../shared/ipc';
import { SETTINGS } from '../../src/shared/settings';
import { visualTokens } from '../../src/shared/profiles';
import { gridWindow, missingRange, scrollDelta, type GridWindow } from './grid';

/** What survives hiding the view (`vscode.setState`). */
interface Persisted {
  state: StateMessage;
  highlight: number;
}

const ipc = createIpc<ToWebview, FromWebview>(parseToWebview);

const MODE_LABELS: Record<SegmentMode, string> = { words: 'Words', sentences: 'Sentences', fit: 'Fit to frame' };
const MODE_TITLES: Record<SegmentMode, string> = {
  words: `A fixed number of words per frame (the T2Vid reference: ${SETTINGS['segment.wordsPerFrame'].default})`,
  sentences: 'Whole sentences, up to the words-per-frame limit',
  fit: 'As much text as fits each frame at the chosen font size',
};
const number = new Intl.NumberFormat('en');

//#region messages

function post(message: FromWebview): void {
  ipc.post(message);
}

/** Sends one setting if it passes the protocol's check (the host checks again). */
function updateSetting<K extends PanelSettingKey>(key: K, value: PanelSettings[K]): boolean {
  if (!PANEL_SETTING_CHECKS[key](value)) {
    console.warn(`t2vid: not sending an invalid ${key}`, value);
    return false;
  }
  post({ type: 'frames/updateSetting', key, value });
  return true;
}

//#endregion

//#region DOM helpers

function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

//#endregion

//#region view

registerComponents();

const app = document.getElementById('app') ?? document.body.appendChild(el('div'));
app.classList.add('t2vid-app');

// Header: document, stats, rendering indicator, last render time.
const header = el('header', 't2vid-header');
const titleRow = el('div', 't2vid-header__title');
const docName = el('span', 't2vid-doc');
docName.id = 't2vid-doc';
const docLine = el('span', 't2vid-doc__line');
titleRow.append(docName, docLine);
const metaRow = el('div', 't2vid-header__meta');
const stats = el('span', 't2vid-stats');
stats.id = 't2vid-stats';
stats.dataset.frames = '0';
const ring = progressRing('rendering…');
ring.hidden = true;
const renderTime = el('span', 't2vid-time');
renderTime.id = 't2vid-render-time';
metaRow.append(stats, ring, renderTime);
header.append(titleRow, metaRow);

// Controls.
let settings: PanelSettings = { ...DEFAULT_PANEL_SETTINGS };

const modeControl = dropdown({
  id: 't2vid-mode',
  label: 'Mode',
  options: SEGMENT_MODES.map((m) => ({ value: m, label: MODE_LABELS[m], title: MODE_TITLES[m] })),
  value: DEFAULT_PANEL_SETTINGS['segment.mode'],
  onChange: (value) => {
    const mode = SEGMENT_MODES.find((m) => m === value);
    if (mode && updateSetting('segment.mode', mode)) {
      settings = { ...settings, 'segment.mode': mode };
      wordsControl.setDisabled(mode === 'fit');
    }
  },
});
const wordsControl = numberField({
  id: 't2vid-words',
  label: 'Words per frame',
  value: DEFAULT_PANEL_SETTINGS['segment.wordsPerFrame'],
  min: SETTINGS['segment.wordsPerFrame'].minimum,
  max: SETTINGS['segment.wordsPerFrame'].maximum,
  isValid: (v) => PANEL_SETTING_CHECKS['segment.wordsPerFrame'](v),
  onChange: (value) => updateSetting('segment.wordsPerFrame', value),
});
const fontControl = numberField({
  id: 't2vid-font-size',
  label: 'Font size',
  value: DEFAULT_PANEL_SETTINGS['render.fontSize'],
  min: SETTINGS['render.fontSize'].minimum,
  max: SETTINGS['render.fontSize'].maximum,
  isValid: (v) => PANEL_SETTING_CHECKS['render.fontSize'](v),
  onChange: (value) => updateSetting('render.fontSize', value),
});
const sizeControl = numberField({
  id: 't2vid-frame-size',
  label: 'Frame size',
  value: DEFAULT_PANEL_SETTINGS['render.width'],
  min: SETTINGS['render.width'].minimum,
  max: SETTINGS['render.width'].maximum,
  isValid: (v) => PANEL_SETTING_CHECKS['render.width'](v) && PANEL_SETTING_CHECKS['render.height'](v),
  // Square frames from the panel: width and height (separately in Settings).
  onChange: (value) => {
    if (updateSetting('render.width', value)) {
      updateSetting('render.height', value);
    }
  },
});
const profileControl = dropdown({
  id: 't2vid-profile',
  label: 'Model profile',
  options: MODEL_PROFILES.map((p) => ({ value: p.id, label: p.label, title: `${p.tokensPerFrame} visual tokens per frame: ${p.note}` })),
  value: DEFAULT_PANEL_SETTINGS['preview.modelProfile'],
  onChange: (value) => {
    const profile = MODEL_PROFILES.find((p) => p.id === value);
    if (profile && updateSetting('preview.modelProfile', profile.id)) {
      settings = { ...settings, 'preview.modelProfile': profile.id };
      if (current) {
        renderStats(current);
      }
    }
  },
});
profileControl.element.classList.add('t2vid-field--wide');

const exportButton = button({
  id: 't2vid-export',
  label: 'Export these frames',
  appearance: 'primary',
  title: 'Write the previewed frames next to the document',
  onClick: () => post({ type: 'frames/exportFrames' }),
});
const settingsButton = button({
  id: 't2vid-settings',
  label: 'Settings',
  appearance: 'secondary',
  title: 'Open all T2Vid settings',
  onClick: () => post({ type: 'frames/openSettings' }),
});

const controls = el('section', 't2vid-controls');
controls.setAttribute('aria-label', 'Frame settings');
const fields = el('div', 't2vid-fields');
fields.append(modeControl.element, wordsControl.element, fontControl.element, sizeControl.element, profileControl.element);
const actions = el('div', 't2vid-actions');
actions.append(exportButton.element, settingsButton.element);
controls.append(fields, actions);

// Body: the message or the filmstrip.
const body = el('main', 't2vid-body');
const message = el('div', 't2vid-message');
message.id = 't2vid-message';
message.setAttribute('role', 'status');
const messageText = el('p', 't2vid-message__text', 'Loading frames…');
message.append(messageText);
const strip = el('div', 't2vid-strip');
strip.id = 't2vid-strip';
strip.tabIndex = 0;
strip.setAttribute('role', 'listbox');
strip.setAttribute('aria-label', 'Frames');
strip.hidden = true;
body.append(message, strip);

app.append(header, controls, divider(), body);

//#endregion

//#region state

/** The last state applied (its window's inline image data dropped: what is persisted). */
let current: StateMessage | undefined;
/** The highest state version applied from the host (-1: none yet; a restored state does not count). */
let lastVersion = -1;
/** The frame index the editor's cursor is in (-1: none). */
let highlight = -1;
/** Keyboard position in the filmstrip (a frame position; -1: none). */
let focusIndex = -1;

/**
 * The frames the webview holds, by position, with the state version they came with. A position whose entry is from
 * an older version still shows it (no blank flash while a render streams in) but is asked for again.
 */
const known = new Map<number, { frame: FrameView; version: number }>();
/** Entries kept beyond the built rows (about 40 KB of text; images are the browser's). */
const KNOWN_MAX = 4096;

interface Thumb {
  root: HTMLDivElement;
  img: HTMLImageElement;
  num: HTMLSpanElement;
  words: HTMLSpanElement;
  /** The frame's src (its identity), whether it is shown from that URI or from inline data; '' for a placeholder. */
  src: string;
  wordCount: number;
  position: number;
}
/** The thumbnails built, by position (only those near the viewport), and spares to reuse. */
let built = new Map<number, Thumb>();
const spares: Thumb[] = [];

/**
 * data: URIs of the frames the host sent inline, by src (most recently used last): a frame that moves to another
 * position, or comes back after an undo, is shown without a fetch. Bounded: about 10 KB a frame.
 */
const inline = new Map<string, string>();
const INLINE_CACHE = 512;

function takeInline(frames: readonly FrameView[]): void {
  for (const f of frames) {
    if (f.data !== undefined) {
      inline.delete(f.src);
      inline.set(f.src, `data:image/png;base64,${f.data}`);
    }
  }
  for (const key of inline.keys()) {
    if (inline.size <= INLINE_CACHE) {
      break;
    }
    inline.delete(key);
  }
}

const stripData = ({ data: _data, ...f }: FrameView): FrameView => f;

/** Records a run of frames of state `version`. */
function learn(start: number, frames: readonly FrameView[], version: number): void {
  takeInline(frames);
  frames.forEach((f, i) => known.set(start + i, { frame: stripData(f), version }));
  if (known.size > KNOWN_MAX) {
    const keep = visibleWindow();
    for (const p of known.keys()) {
      if (known.size <= KNOWN_MAX / 2) {
        break;
      }
      if (p < keep.start - MAX_WINDOW || p >= keep.end + MAX_WINDOW) {
        known.delete(p);
      }
    }
  }
}

function persist(): void {
  if (current) {
    ipc.setState<Persisted>({ state: current, highlight });
  }
}

function profileOf(id: string): (typeof MODEL_PROFILES)[number] {
  return MODEL_PROFILES.find((p) => p.id === id) ?? MODEL_PROFILES[0];
}

function renderStats(state: StateMessage): void {
  const n = state.count;
  const profile = profileOf(settings['preview.modelProfile']);
  const tokens = visualTokens(n, profile);
  // Each part wraps as a whole; textContent is the plain sentence.
  const part = (text: string): HTMLSpanElement => el('span', 't2vid-stats__part', text);
  stats.replaceChildren(
    part(`${number.format(n)} ${n === 1 ? 'frame' : 'frames'}${state.complete ? '' : ' so far'}`),
    ' · ',
    part(`${number.format(Math.round(state.wordsPerFrame))} words/frame`),
    ' · ',
    part(`≈${number.format(tokens)} visual tokens`),
    ' ',
    part(`(${profile.label})`),
  );
  stats.title = `${profile.tokensPerFrame} visual tokens per frame: ${profile.note}`;
  stats.dataset.frames = String(n);
  stats.dataset.complete = String(state.complete);
  stats.dataset.tokens = String(tokens);
}

function renderHeader(state: StateMessage): void {
  const doc = state.document;
  docName.textContent = doc ? doc.name : 'No document';
  docName.title = doc ? doc.name : '';
  docLine.textContent = doc?.kind === 'sample' && doc.line !== undefined ? `line ${doc.line}` : '';
  docLine.hidden = !docLine.textContent;
  renderStats(state);
  ring.hidden = !state.rendering;
  renderTime.textContent = state.renderMs > 0 && state.count && state.complete ? `rendered in ${formatMs(state.renderMs)}` : '';
  renderTime.title = renderTime.textContent ? `Last render: ${formatMs(state.renderMs)} for ${state.count} frames` : '';
}

function renderControls(state: StateMessage): void {
  const s = state.settings;
  settings = s;
  modeControl.setValue(s['segment.mode']);
  wordsControl.setValue(s['segment.wordsPerFrame']);
  wordsControl.setDisabled(s['segment.mode'] === 'fit');
  wordsControl.setTitle(
    s['segment.mode'] === 'fit'
      ? 'Fit mode fills each frame: words per frame does not apply'
      : 'Words per frame (the maximum in sentences mode)',
  );
  fontControl.setValue(s['render.fontSize']);
  sizeControl.setValue(s['render.width']);
  sizeControl.setTitle(
    s['render.width'] === s['render.height']
      ? `Square frames: ${s['render.width']} × ${s['render.height']} px`
      : `Frames are ${s['render.width']} × ${s['render.height']} px; a value here makes them square`,
  );
  profileControl.setValue(s['preview.modelProfile']);
  profileControl.setTitle(profileOf(s['preview.modelProfile']).note);
  exportButton.setDisabled(state.count === 0 || state.rendering || state.document === null);
}

function showMessage(text: string | null): void {
  message.hidden = text === null;
  strip.hidden = text !== null;
  if (text !== null) {
    messageText.textContent = text;
  }
}

function makeThumb(): Thumb {
  const root = el('div', 't2vid-frame');
  root.setAttribute('role', 'option');
  const img = el('img', 't2vid-frame__img');
  img.decoding = 'async';
  img.draggable = false;
  const caption = el('div', 't2vid-frame__caption');
  const num = el('span', 't2vid-frame__num');
  const words = el('span', 't2vid-frame__words');
  caption.append(num, words);
  root.append(img, caption);
  return { root, img, num, words, src: '', wordCount: -1, position: -1 };
}

/** Shows the frame at `position` in `t`: the frame if known, else a placeholder of the same size. */
function updateThumb(t: Thumb, position: number, frame: FrameView | undefined): void {
  const label = String(position + 1);
  if (t.position !== position) {
    t.position = position;
    t.root.dataset.index = String(position);
    t.root.dataset.position = String(position);
    t.root.id = `t2vid-frame-${position}`;
    t.num.textContent = label;
  }
  t.root.classList.toggle('t2vid-frame--pending', !frame);
  const src = frame?.src ?? '';
  if (t.src !== src) {
    t.src = src;
    if (frame) {
      const data = inline.get(src);
      if (data !== undefined) {
        inline.delete(src);
        inline.set(src, data);
      }
      t.img.alt = `Frame ${label}`;
      t.img.src = data ?? src;
    } else {
      t.img.alt = '';
      t.img.removeAttribute('src');
    }
  } else if (frame && !t.img.complete && inline.has(src)) {
    // Shown from its URI (a restored state) and still loading: the bytes came inline meanwhile, use them.
    t.img.src = inline.get(src) ?? src;
  }
  const words = frame ? frame.words : -1;
  if (t.wordCount !== words) {
    t.wordCount = words;
    t.words.textContent = frame ? `${number.format(frame.words)} ${frame.words === 1 ? 'word' : 'words'}` : '';
  }
  // The frame's source range, for tests and the bench (the title says it in words).
  t.root.dataset.range = frame ? `${frame.range[0]}-${frame.range[1]}` : '';
  t.root.title = frame
    ? `Frame ${label}: ${number.format(frame.words)} words, characters ${number.format(frame.range[0])}–${number.format(frame.range[1])}. Click to select in the editor, double-click to open.`
    : `Frame ${label}: loading…`;
}

//#endregion

//#region virtual grid

const STRIP_PADDING_TOP = 8;
const STRIP_PADDING_BOTTOM = 12;
const ROW_GAP = 6;
/** Rows built above and below the visible ones. */
const OVERSCAN = 2;
/** Row pitch measured from a built thumbnail (0: not yet). */
let pitch = 0;
/** The range last asked of the host (with the state version it was asked for). */
let asked: { version: number; start: number; end: number } | undefined;
let scheduled = false;

/** Columns of the responsive grid, from its computed track list. */
function columns(): number {
  const tracks = getComputedStyle(strip)
    .gridTemplateColumns.split(' ')
    .filter((t) => t && t !== 'none');
  return Math.max(1, tracks.length);
}

/** The element that scrolls the filmstrip: the body, or the page in a short view (frames.css). */
function scroller(): Element {
  return getComputedStyle(body).overflowY === 'visible' ? (document.scrollingElement ?? document.documentElement) : body;
}

/** The visible band of the grid, in pixels from its first row's top. */
function visibleBand(): { top: number; bottom: number } {
  const rect = strip.getBoundingClientRect();
  const clip = body.getBoundingClientRect();
  const origin = rect.top + STRIP_PADDING_TOP;
  const top = Math.max(clip.top, 0) - origin;
  const bottom = Math.min(clip.bottom, window.innerHeight) - origin;
  return { top, bottom: Math.max(top, bottom) };
}

/** Row pitch: measured from a built thumbnail, else estimated from the column width and the frame's aspect ratio. */
function rowPitch(): number {
  if (pitch > 0) {
    return pitch;
  }
  const first = built.values().next().value as Thumb | undefined;
  const h = first?.root.getBoundingClientRect().height ?? 0;
  if (h > 0) {
    pitch = h + ROW_GAP;
    return pitch;
  }
  const track = parseFloat(getComputedStyle(strip).gridTemplateColumns) || 92;
  const aspect = current && current.width > 0 ? current.height / current.width : 1;
  return track * aspect + 30 + ROW_GAP;
}

function visibleWindow(): GridWindow {
  const band = visibleBand();
  return gridWindow({ count: current?.count ?? 0, columns: columns(), pitch: rowPitch(), ...band, overscan: OVERSCAN });
}

/** Builds the thumbnails of the rows near the viewport (placeholders for frames not here yet) and asks for what is missing. */
function layoutStrip(): void {
  const state = current;
  if (!state) {
    return;
  }
  if (strip.hidden || !state.count) {
    // A message instead of frames: no thumbnail stays behind it.
    spares.push(...built.values());
    spares.length = Math.min(spares.length, 64);
    built = new Map();
    strip.replaceChildren();
    return;
  }
  const measured = pitch;
  const win = visibleWindow();
  const next = new Map<number, Thumb>();
  for (const [p, t] of built) {
    if (p < win.start || p >= win.end) {
      spares.push(t);
    }
  }
  const order: HTMLElement[] = [];
  for (let p = win.start; p < win.end; p++) {
    const t = built.get(p) ?? spares.pop() ?? makeThumb();
    updateThumb(t, p, known.get(p)?.frame);
    next.set(p, t);
    order.push(t.root);
  }
  const same = order.length === strip.childElementCount && order.every((node, i) => strip.children[i] === node);
  if (!same) {
    strip.replaceChildren(...order);
  }
  built = next;
  spares.length = Math.min(spares.length, 64);
  strip.style.paddingTop = `${STRIP_PADDING_TOP + win.before}px`;
  strip.style.paddingBottom = `${STRIP_PADDING_BOTTOM + win.after}px`;
  strip.dataset.start = String(win.start);
  strip.dataset.end = String(win.end);
  applyHighlight(false);
  applyFocus(false);
  if (!measured && rowPitch() !== measured && built.size) {
    schedule(); // the first thumbnails give the real row height: lay out again with it
  }
  // Ask for the whole window when any of it is missing or stale, or when it moved: the host keeps its states'
  // window on the range asked last, so after an edit the next state carries every frame in view.
  const end = Math.min(win.end, win.start + MAX_WINDOW);
  const missing = missingRange(win.start, end, (p) => known.get(p)?.version === lastVersion, MAX_WINDOW);
  const moved = !asked || asked.start !== win.start || asked.end !== end;
  if (lastVersion >= 0 && (moved || (missing && asked?.version !== lastVersion))) {
    asked = { version: lastVersion, start: win.start, end };
    post({ type: 'frames/requestRange', version: lastVersion, start: win.start, end });
  }
}

function schedule(): void {
  if (!scheduled) {
    scheduled = true;
    requestAnimationFrame(() => {
      scheduled = false;
      layoutStrip();
    });
  }
}

/** Scrolls so that the row of `position` is visible (nearest edge). */
function revealPosition(position: number): void {
  if (position < 0 || strip.hidden || !current || position >= current.count) {
    return;
  }
  const band = visibleBand();
  const delta = scrollDelta(Math.floor(position / columns()), rowPitch(), band.top, band.bottom);
  if (delta) {
    scroller().scrollTop += delta;
  }
  layoutStrip();
}

body.addEventListener('scroll', schedule, { passive: true });
window.addEventListener('scroll', schedule, { passive: true });
window.addEventListener('resize', () => {
  pitch = 0;
  schedule();
});

//#endregion

//#region state application

function render(state: StateMessage): void {
  const resized = current && (current.width !== state.width || current.height !== state.height);
  current = state;
  if (resized) {
    pitch = 0;
  }
  renderControls(state);
  renderHeader(state);
  if (state.document === null || state.message !== null) {
    showMessage(state.message ?? 'Open a text or Markdown document, or a JSONL dataset, to preview its frames.');
  } else if (state.count === 0) {
    showMessage(state.rendering ? 'Rendering frames…' : 'No frames: the document has no text to render.');
  } else {
    showMessage(null);
  }
  strip.style.setProperty('--t2vid-aspect', `${state.width} / ${state.height}`);
  strip.setAttribute('aria-busy', String(state.rendering));
  strip.setAttribute('aria-setsize', String(state.count));
  if (focusIndex >= state.count) {
    focusIndex = state.count - 1;
  }
  for (const p of known.keys()) {
    if (p >= state.count) {
      known.delete(p);
    }
  }
  if (state.reveal >= 0) {
    highlight = state.reveal;
    revealPosition(state.reveal);
  }
  layoutStrip();
}

function applyHighlight(reveal: boolean): void {
  for (const [p, t] of built) {
    const active = p === highlight;
    t.root.classList.toggle('t2vid-frame--active', active);
    t.root.setAttribute('aria-selected', String(active));
  }
  if (reveal) {
    revealPosition(highlight);
  }
}

function applyFocus(reveal: boolean): void {
  if (reveal) {
    revealPosition(focusIndex);
  }
  for (const [p, t] of built) {
    t.root.classList.toggle('t2vid-frame--focused', p === focusIndex);
  }
  const focused = built.get(focusIndex);
  if (focused) {
    strip.setAttribute('aria-activedescendant', focused.root.id);
  } else {
    strip.removeAttribute('aria-activedescendant');
  }
}

function onMessage(msg: ToWebview): void {
  switch (msg.type) {
    case 'frames/state': {
      if (msg.version < lastVersion) {
        return; // an older render finished after a newer state
      }
      lastVersion = msg.version;
      learn(msg.start, msg.frames, msg.version);
      const state = { ...msg, frames: msg.frames.map(stripData) };
      render(state);
      if (msg.count && !performance.getEntriesByName('t2vid:frames').length) {
        performance.mark('t2vid:frames'); // the first state with frames painted (read by bench/ui.ts)
      }
      persist();
      return;
    }
    case 'frames/range':
      if (msg.version === lastVersion) {
        learn(msg.start, msg.frames, msg.version);
        layoutStrip();
      }
      return;
    case 'frames/highlight':
      if (msg.index !== highlight) {
        highlight = msg.index;
        applyHighlight(true);
        persist();
      }
      return;
  }
}

//#endregion

//#region filmstrip interaction

function frameAt(target: EventTarget | null): { position: number; index: number } | undefined {
  const root = target instanceof Element ? target.closest<HTMLElement>('.t2vid-frame') : null;
  if (!root || !strip.contains(root)) {
    return undefined;
  }
  const position = Number(root.dataset.position);
  const index = Number(root.dataset.index);
  return Number.isInteger(position) && Number.isInteger(index) ? { position, index } : undefined;
}

function select(index: number): void {
  highlight = index; // optimistic: the host confirms with a highlight message
  applyHighlight(false);
  post({ type: 'frames/selectFrame', index });
}

strip.addEventListener('click', (e) => {
  const hit = frameAt(e.target);
  if (!hit) {
    return;
  }
  focusIndex = hit.position;
  applyFocus(false);
  if (e.detail <= 1) {
    select(hit.index); // the second click of a double-click only opens
  }
});

strip.addEventListener('dblclick', (e) => {
  const hit = frameAt(e.target);
  if (hit) {
    post({ type: 'frames/openFrame', index: hit.index });
  }
});

/** The strip is being focused by a click: the click sets the position, and nothing may scroll under the pointer. */
let pointerFocus = false;
strip.addEventListener('mousedown', () => (pointerFocus = true));
strip.addEventListener('mouseup', () => (pointerFocus = false));

strip.addEventListener('focus', () => {
  if (pointerFocus) {
    return;
  }
  if (focusIndex < 0 && current?.count) {
    focusIndex = highlight >= 0 && highlight < current.count ? highlight : 0;
  }
  applyFocus(true);
});

strip.addEventListener('keydown', (e) => {
  const n = current?.count ?? 0;
  if (!n || e.altKey || e.ctrlKey || e.metaKey) {
    return;
  }
  const at = Math.max(0, focusIndex);
  const cols = columns();
  let next: number;
  switch (e.key) {
    case 'ArrowLeft':
      next = Math.max(0, at - 1);
      break;
    case 'ArrowRight':
      next = Math.min(n - 1, at + 1);
      break;
    case 'ArrowUp':
      next = at - cols >= 0 ? at - cols : at;
      break;
    case 'ArrowDown':
      // Into a shorter last row: its last frame; already on the last row: stay.
      next = at + cols < n ? at + cols : Math.floor(at / cols) < Math.floor((n - 1) / cols) ? n - 1 : at;
      break;
    case 'Home':
      next = 0;
      break;
    case 'End':
      next = n - 1;
      break;
    case 'PageUp':
    case 'PageDown': {
      const rows = Math.max(1, Math.floor(body.clientHeight / rowPitch()));
      next = at + (e.key === 'PageDown' ? 1 : -1) * rows * cols;
      break;
    }
    case 'Enter':
    case ' ': {
      e.preventDefault();
      focusIndex = at;
      applyFocus(false);
      if (e.key === ' ' || e.shiftKey) {
        post({ type: 'frames/openFrame', index: at });
      } else {
        select(at);
      }
      return;
    }
    default:
      return;
  }
  e.preventDefault();
  focusIndex = Math.min(n - 1, Math.max(0, next));
  applyFocus(true);
});

//#endregion

//#region start

/** Paints the persisted state, if any; true if it did. */
function restore(): boolean {
  const saved = ipc.getState();
  if (typeof saved !== 'object' || saved === null) {
    return false;
  }
  const { state, highlight: h } = saved as Partial<Persisted>;
  const parsed = parseToWebview(state);
  if (parsed?.type !== 'frames/state') {
    return false;
  }
  highlight = typeof h === 'number' && Number.isInteger(h) ? h : -1;
  // Paint at once, but leave lastVersion alone: a restarted host counts versions from the start again.
  learn(parsed.start, parsed.frames, -1);
  render({ ...parsed, reveal: -1 });
  applyHighlight(true);
  return true;
}

ipc.connect(onMessage, { type: 'frames/ready', restored: restore() });

//#endregion
