/**
 * The maths of the curation editor's virtualized list, with no DOM: row heights (an estimate until a row is
 * measured), their offsets, which rows a viewport shows, anchoring (a row above the viewport that changes height
 * does not move what is on screen) and the scroll position to save and restore. The list in `list.ts` feeds it
 * measured heights and applies the scroll positions it returns; a Node unit test (test/unit/virtualList.test.ts)
 * tests it directly, so it must stay free of browser APIs.
 */

/** Height of a row before it is measured, in pixels. */
export const ROW_ESTIMATE = 320;

/** Measured heights within this many pixels of the known one are not a change (sub-pixel layout noise). */
const TOLERANCE = 0.5;

/** Where the list is scrolled to: the row at the top and how far into it. */
export interface Anchor {
  index: number;
  delta: number;
}

export class VirtualList {
  private heights = new Float64Array(0);
  private offsets = new Float64Array(1);
  private dirty = false;

  constructor(private readonly estimate = ROW_ESTIMATE) {}

  get count(): number {
    return this.heights.length;
  }

  /** The rows' total height (the scrollable height). */
  get totalHeight(): number {
    this.layout();
    return this.offsets[this.heights.length];
  }

  /** A new list of `count` rows; each takes `known(i)` if given (a height measured before), else the estimate. */
  reset(count: number, known: (index: number) => number | undefined = () => undefined): void {
    this.heights = new Float64Array(count);
    for (let i = 0; i < count; i++) {
      const h = known(i);
      this.heights[i] = h !== undefined && h > 0 ? h : this.estimate;
    }
    this.dirty = true;
  }

  heightOf(index: number): number {
    return index >= 0 && index < this.heights.length ? this.heights[index] : this.estimate;
  }

  /** The top of row `index` (the total height for `index` = count). */
  offsetOf(index: number): number {
    this.layout();
    return this.offsets[Math.max(0, Math.min(index, this.heights.length))];
  }

  /** The first row whose bottom is below `y` (0 for an empty list; the last row for a `y` past the end). */
  indexAt(y: number): number {
    this.layout();
    let lo = 0;
    let hi = this.heights.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.offsets[mid + 1] <= y) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return Math.max(0, lo);
  }

  /** The rows [first, last) to mount for a viewport at `scrollTop` of `viewport` pixels, `overscan` pixels each side. */
  visibleRange(scrollTop: number, viewport: number, overscan: number): { first: number; last: number } {
    const n = this.heights.length;
    if (n === 0) {
      return { first: 0, last: 0 };
    }
    this.layout();
    const first = this.indexAt(Math.max(0, scrollTop - overscan));
    let last = first;
    while (last < n && this.offsets[last] < scrollTop + viewport + overscan) {
      last++;
    }
    return { first, last };
  }

  /**
   * Records measured heights (`[index, height]`; 0 or less: not laid out, ignored). Returns how far to move
   * scrollTop so that the row at the top of a viewport at `scrollTop` stays where it is: the change in height of
   * the rows above it.
   */
  measure(measured: Iterable<readonly [number, number]>, scrollTop: number): { changed: boolean; shift: number } {
    const anchor = this.indexAt(scrollTop);
    let shift = 0;
    let changed = false;
    for (const [i, h] of measured) {
      if (!(i >= 0 && i < this.heights.length) || !(h > 0) || Math.abs(h - this.heights[i]) <= TOLERANCE) {
        continue;
      }
      if (i < anchor) {
        shift += h - this.heights[i];
      }
      this.heights[i] = h;
      changed = true;
    }
    if (changed) {
      this.dirty = true;
    }
    return { changed, shift };
  }

  /** The row at the top of a viewport at `scrollTop` and the offset into it (what to save to come back). */
  anchorAt(scrollTop: number): Anchor {
    const index = this.indexAt(scrollTop);
    return { index, delta: scrollTop - this.offsetOf(index) };
  }

  /** The scrollTop that shows row `index` at the top, `delta` pixels into it (negative: a margin above it). */
  scrollTopOf(index: number, delta = 0): number {
    return Math.max(0, this.offsetOf(index) + delta);
  }

  private layout(): void {
    if (!this.dirty && this.offsets.length === this.heights.length + 1) {
      return;
    }
    const n = this.heights.length;
    if (this.offsets.length !== n + 1) {
      this.offsets = new Float64Array(n + 1);
    }
    let y = 0;
    for (let i = 0; i < n; i++) {
      this.offsets[i] = y;
      y += this.heights[i];
    }
    this.offsets[n] = y;
    this.dirty = false;
  }
}
