/**
 * The Frames view's virtual grid, as arithmetic: which frame positions to build for a viewport. The filmstrip is a
 * grid of equal cells (every thumbnail has the frame's aspect ratio and a one-line caption), so a row's pitch is
 * one measured number, and a document of any length costs only the rows near the viewport. No DOM here (unit-tested).
 */

export interface GridWindow {
  /** Frame positions to build: [start, end). */
  start: number;
  end: number;
  /** Pixels of the rows above and below them (the strip's padding stands in for them). */
  before: number;
  after: number;
}

export interface GridInput {
  /** Frames in the grid. */
  count: number;
  columns: number;
  /** Row height plus the gap between rows. */
  pitch: number;
  /** The visible part of the grid's rows, in pixels from its first row's top (may be negative or past the end). */
  top: number;
  bottom: number;
  /** Rows built beyond the visible ones, each side. */
  overscan: number;
}

export function gridWindow({ count, columns, pitch, top, bottom, overscan }: GridInput): GridWindow {
  const cols = Math.max(1, Math.floor(columns));
  const rows = Math.ceil(Math.max(0, count) / cols);
  if (!rows || !(pitch > 0)) {
    return { start: 0, end: Math.min(count, cols * (overscan + 1)), before: 0, after: 0 };
  }
  const first = Math.min(rows - 1, Math.max(0, Math.floor(top / pitch) - overscan));
  const last = Math.max(first, Math.min(rows - 1, Math.floor(Math.max(top, bottom) / pitch) + overscan));
  return {
    start: first * cols,
    end: Math.min(count, (last + 1) * cols),
    before: first * pitch,
    after: (rows - 1 - last) * pitch,
  };
}

/** The positions in [start, end) that `have` lacks, as one range of at most `max` (nearest `start` first), or undefined. */
export function missingRange(
  start: number,
  end: number,
  have: (position: number) => boolean,
  max: number,
): { start: number; end: number } | undefined {
  let from = -1;
  let to = -1;
  for (let p = start; p < end; p++) {
    if (!have(p)) {
      if (from < 0) {
        from = p;
      }
      to = p + 1;
    }
  }
  return from < 0 ? undefined : { start: from, end: Math.min(to, from + max) };
}

/** The scroll change that brings row `row` into the visible band [top, bottom) (grid pixels), or 0 if it is in it. */
export function scrollDelta(row: number, pitch: number, top: number, bottom: number, margin = 6): number {
  const rowTop = row * pitch;
  const rowBottom = rowTop + pitch;
  if (rowTop < top) {
    return rowTop - top - margin;
  }
  if (rowBottom > bottom) {
    return Math.min(rowTop - top - margin, rowBottom - bottom + margin);
  }
  return 0;
}
