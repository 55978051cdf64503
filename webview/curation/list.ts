/**
 * The virtualized list of rows: only the rows near the viewport exist in the DOM; their contents are asked from
 * the host in batches and their heights measured as they render (the estimate stands in until then), so a
 * 100,000-row file opens as fast as a small one. The maths (offsets, visible rows, anchoring, scroll restore) is
 * the DOM-free `VirtualList`; this module owns the scroller and the mounted row elements.
 */
import { el } from '../shared/dom';
import { buildRow, patchOrReplace } from './rows';
import { markCurrent } from './reviewKeys';
import { ipc, post, requested, rows, session } from './state';
import { VirtualList } from './virtualList';

/** Pixels rendered above and below the viewport. */
const OVERSCAN = 800;
/** Ask for rows this far ahead of what is shown. */
const PREFETCH_ROWS = 30;
/** Rows per curation/requestRows (the protocol's MAX_ROWS_PER_REQUEST). */
const BATCH = 200;

export const list = new VirtualList();

export const scroller = el('div', 'cur-scroller');
scroller.id = 'cur-list';
scroller.tabIndex = 0;
scroller.setAttribute('role', 'list');
scroller.setAttribute('aria-label', 'Samples');
const spacer = el('div', 'cur-spacer');
scroller.append(spacer);

/** Mounted row elements by line. */
export const mounted = new Map<number, HTMLElement>();

let scheduled = false;
/** Renders on the next animation frame (once, however many times it is asked). */
export function schedule(): void {
  if (!scheduled) {
    scheduled = true;
    requestAnimationFrame(() => {
      scheduled = false;
      render();
    });
  }
}

/** A new list of rows; heights measured for the same lines in `previous` are kept. Unmounts every row. */
export function resetList(lines: readonly number[], previous: readonly number[] | undefined): void {
  const old = new Map<number, number>();
  previous?.forEach((line, i) => old.set(line, list.heightOf(i)));
  list.reset(lines.length, (i) => old.get(lines[i]));
  sizeSpacer();
  for (const node of mounted.values()) {
    node.remove();
  }
  mounted.clear();
}

function place(node: HTMLElement, index: number): void {
  node.style.transform = `translateY(${list.offsetOf(index)}px)`;
}

function sizeSpacer(): void {
  const height = `${list.totalHeight}px`;
  if (spacer.style.height !== height) {
    spacer.style.height = height;
  }
}

function render(): void {
  const view = session.view;
  if (!view) {
    return;
  }
  const lines = view.lines;
  sizeSpacer();
  const { first, last } = list.visibleRange(scroller.scrollTop, scroller.clientHeight, OVERSCAN);
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
      const fresh = buildRow(i, line, data, list.heightOf(i));
      if (node) {
        node = patchOrReplace(node, fresh);
      } else {
        spacer.append(fresh);
        node = fresh;
      }
      mounted.set(line, node);
    }
    node.dataset.index = String(i);
    place(node, i);
    markCurrent(node, i);
  }
  measure();
}

/** Heights of mounted rows; rows above the first visible one keep the view from jumping when they change size. */
function measure(): void {
  const view = session.view;
  if (!view) {
    return;
  }
  const measured: Array<[number, number]> = [];
  for (const node of mounted.values()) {
    const i = Number(node.dataset.index);
    if (i < list.count && view.lines[i] === Number(node.dataset.line)) {
      measured.push([i, node.offsetHeight]);
    }
  }
  const { changed, shift } = list.measure(measured, scroller.scrollTop);
  if (changed) {
    sizeSpacer();
    if (shift) {
      scroller.scrollTop += shift;
    }
    for (const node of mounted.values()) {
      const i = Number(node.dataset.index);
      if (i < list.count) {
        place(node, i);
      }
    }
  }
}

/** Scrolls so that row `index` is at the top, `margin` pixels below the edge. */
export function scrollToIndex(index: number, margin = 0): void {
  sizeSpacer();
  scroller.scrollTop = list.scrollTopOf(index, -margin);
  schedule();
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
    const view = session.view;
    if (!view || view.lines.length === 0) {
      return;
    }
    const { index, delta } = list.anchorAt(scroller.scrollTop);
    ipc.setState<Persisted>({ file: view.file, topLine: view.lines[index], delta, current: session.current });
  }, 200);
}

/** Scrolls back to where the list was before the webview was rebuilt (once, on the first view). */
export function restoreState(file: string, lines: readonly number[]): void {
  const saved = ipc.getState() as Partial<Persisted> | undefined;
  if (!saved || saved.file !== file || typeof saved.topLine !== 'number') {
    return;
  }
  const index = lines.indexOf(saved.topLine);
  if (index < 0) {
    return;
  }
  sizeSpacer(); // the scroller must be tall enough before scrollTop is set, or the browser clamps it
  scroller.scrollTop = list.scrollTopOf(index, Math.max(0, Number(saved.delta) || 0));
  const current = saved.current;
  if (current && Number.isInteger(current.index) && current.index < lines.length) {
    session.current = { index: current.index, pair: Math.max(0, current.pair | 0) };
  }
}

scroller.addEventListener(
  'scroll',
  () => {
    schedule();
    saveState();
  },
  { passive: true },
);
new ResizeObserver(schedule).observe(scroller);
