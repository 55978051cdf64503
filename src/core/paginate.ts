/**
 * Paging: page breaks predicted from the fonts' metrics (layoutModel.ts), each frame confirmed by one real layout,
 * so no frame ever clips and no frame is left short when the next word would have fitted.
 * - fit: each frame takes the longest run of word units that fits.
 * - words N: the same, at most N units a frame; a run of N that overflows fills its frame and the rest starts the
 *   next one (counting restarts there), so a frame is short only where the text ends.
 * - sentences N: whole sentences up to N units a frame (a sentence longer than N is cut every N units); a run that
 *   overflows fills its frame and the rest of it starts the next frame.
 * A unit too long for a frame on its own is paged by grapheme. Because the model knows the page breaks ahead of
 * the layouts, several frames are laid out at once in every mode (libuv's thread pool); a frame whose real layout
 * disagrees with the prediction is corrected with real layouts and the frames predicted after it are predicted again.
 * Without a model (a font family that is neither bundled nor the --font-file), frames are found by real layouts
 * alone (galloping, then bisecting). Pages come out in order as an async generator, so a book-length context never
 * sits in memory as images.
 */
import type { SegmentOptions } from './options';
import type { Block, Renderer } from './render';
import { LayoutModel, type ModelLine } from './layoutModel';
import {
  graphemeUnits,
  segmentLocale,
  sentenceRanges,
  tokenWeights,
  UnitList,
  wordUnitsAsync,
  type Range,
  type SegmentCache,
} from './segment';

export interface Page {
  index: number;
  range: Range;
  text: string;
  block: Block | undefined;
}

export interface PaginateOptions {
  segment: SegmentOptions;
  /**
   * Frames laid out at once (keeps libuv's thread pool busy); a function is asked again before each launch (the
   * preview narrows it while it waits for the pages through the cursor).
   */
  lookahead?: number | (() => number);
  signal?: AbortSignal;
  /** Reuse the segmentation of unchanged chunks (the live preview segments the same document again and again). */
  segmentCache?: SegmentCache;
}

type Laid = { range: Range; block: Block | undefined };

export class FrameTooSmallError extends Error {
  constructor(what: string) {
    super(`a single character (${JSON.stringify(what)}) does not fit in the frame: use a smaller font size or a larger frame`);
    this.name = 'FrameTooSmallError';
  }
}

/** What paging did in this process, summed over every call (tests and the benchmark read it). */
export interface PagingStats {
  frames: number;
  /** Real layouts (Renderer.layout calls), the one per frame that is encoded included. */
  layouts: number;
  /** Frames whose end the metric model predicted. */
  predicted: number;
  /** Predicted frames whose real layout disagreed: it overflowed, or the next unit fitted after all. */
  mismatches: number;
  /** Predicted frames whose next unit was too close to call and was tried with a real layout. */
  borderline: number;
}

export const pagingStats: PagingStats = { frames: 0, layouts: 0, predicted: 0, mismatches: 0, borderline: 0 };

export function resetPagingStats(): void {
  Object.assign(pagingStats, { frames: 0, layouts: 0, predicted: 0, mismatches: 0, borderline: 0 });
}

/** A frame as predicted: units [i, i + k) fit; `borderline` if the model could not tell whether one more does. */
interface Plan {
  i: number;
  k: number;
  borderline: boolean;
}

/** Number of units from i (below hi) that end at or before `pos`. */
function countEndingBy(list: UnitList, i: number, hi: number, pos: number): number {
  let lo = i;
  let up = hi;
  while (lo < up) {
    const mid = (lo + up) >> 1;
    if (list.end(mid) <= pos) {
      lo = mid + 1;
    } else {
      up = mid;
    }
  }
  return lo - i;
}

/** Smallest j in (i, end] whose units [i, j) reach `pos`; `end` if none does. */
function unitsReaching(list: UnitList, i: number, end: number, pos: number): number {
  return Math.min(end, i + countEndingBy(list, i, end, pos - 1) + 1);
}

/** Same lines with no ink further out: a text whose real layout fitted as `a` fits as `b` too. */
function sameExtent(a: readonly ModelLine[], b: readonly ModelLine[]): boolean {
  if (a.length !== b.length) {
    return false;
  }
  for (let i = 0; i < a.length; i++) {
    if (a[i].ascent !== b[i].ascent || a[i].descent !== b[i].descent) {
      return false;
    }
  }
  const l = a.length - 1;
  return b[0].inkTop <= a[0].inkTop && b[l].inkBottom <= a[l].inkBottom && b[l].loose <= a[l].loose && b[0].loose <= a[0].loose;
}

export async function* paginate(text: string, renderer: Renderer, options: PaginateOptions): AsyncGenerator<Page> {
  const locale = segmentLocale(text, options.segment.locale);
  const signal = options.signal;
  // Chunked with pauses: a book-length context does not block the event loop, and an abort is heard while it runs.
  const units = await wordUnitsAsync(text, locale, signal, options.segmentCache);
  if (units.length === 0) {
    return;
  }
  const model = LayoutModel.for(renderer);
  const mode = options.segment.mode;
  const max = Math.max(1, options.segment.wordsPerFrame);
  const n = units.length;
  const lookahead = (): number => Math.max(1, (typeof options.lookahead === 'function' ? options.lookahead() : options.lookahead) ?? 4);

  // sentences: for each unit, the unit after its sentence (units are assigned to the sentence they start in).
  let sentenceEnd: Uint32Array | undefined;
  if (mode === 'sentences') {
    sentenceEnd = new Uint32Array(n);
    let u = 0;
    for (const [, end] of sentenceRanges(text, locale, options.segmentCache)) {
      const first = u;
      while (u < n && units.start(u) < end) {
        u++;
      }
      sentenceEnd.fill(u, first, u);
    }
    sentenceEnd.fill(n, u, n);
  }
  // What `wordsPerFrame` counts: units (words), or the reference's tokens (`countUnit: 'tokens'`), as prefix sums of
  // each unit's weight; a frame's count never ends inside a token (a glued unit stays with the one before it).
  const tokens = mode !== 'fit' && options.segment.countUnit === 'tokens' ? tokenWeights(text, units, locale) : undefined;
  let prefix: Uint32Array | undefined;
  if (tokens) {
    prefix = new Uint32Array(n + 1);
    for (let i = 0; i < n; i++) {
      prefix[i + 1] = prefix[i] + tokens.weights[i];
    }
  }
  const weight = (a: number, b: number): number => (prefix ? prefix[b] - prefix[a] : b - a);
  /** words: the most units from i whose count is at most `max` (at least one item: a unit and the units glued to it). */
  const wordsLimit = (i: number): number => {
    if (!prefix || !tokens) {
      return Math.min(n, i + max);
    }
    // The largest end with weight(i, end) <= max, by bisection on the prefix sums, then back to an item boundary.
    let lo = i;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (prefix[mid] - prefix[i] <= max) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    let end = lo;
    while (end > i && end < n && tokens.glued[end]) {
      end--;
    }
    if (end <= i) {
      end = i + 1;
      while (end < n && tokens.glued[end]) {
        end++;
      }
    }
    return end;
  };
  /** The most a frame starting at unit i may take (exclusive end), before layout. */
  const limitOf = (i: number): number => {
    if (mode === 'fit') {
      return n;
    }
    if (!sentenceEnd) {
      return wordsLimit(i);
    }
    let end = sentenceEnd[i];
    if (weight(i, end) > max) {
      return wordsLimit(i); // a sentence longer than the maximum (or its rest): cut as words mode does
    }
    while (end < n && weight(i, sentenceEnd[end]) <= max) {
      end = sentenceEnd[end];
    }
    return end;
  };

  const lay = async (list: UnitList, a: number, b: number): Promise<Laid> => {
    signal?.throwIfAborted();
    const range: Range = [list.start(a), list.end(b - 1)];
    pagingStats.layouts++;
    return { range, block: await renderer.layout(text.slice(range[0], range[1])) };
  };

  /** Longest k ≤ end - i with units[i, i+k) fitting (0 if not even one unit fits), by real layouts alone. */
  const longestFit = async (list: UnitList, i: number, end: number, guess: number): Promise<{ k: number; laid?: Laid }> => {
    const most = end - i;
    let lo = 0;
    let hi = most + 1;
    let best: Laid | undefined;
    let k = Math.min(most, Math.max(1, guess));
    while (hi - lo > 1) {
      const laid = await lay(list, i, i + k);
      if (renderer.fits(laid.block)) {
        lo = k;
        best = laid;
      } else {
        hi = k;
      }
      if (hi - lo <= 1) {
        break;
      }
      if (hi === most + 1) {
        // Gallop up, guided by how much height is left.
        const h = laid.block?.height ?? 1;
        k = Math.min(most, Math.max(lo + 1, Math.floor((lo * renderer.availHeight) / Math.max(1, h))));
      } else if (lo === 0) {
        const h = laid.block?.height ?? renderer.availHeight;
        k = Math.max(1, Math.min(hi - 1, Math.floor((hi * renderer.availHeight) / h)));
      } else {
        k = (lo + hi) >> 1;
      }
    }
    return { k: lo, laid: best };
  };

  /** Characters of text the model lays out at first for one frame (grows to what frames take). */
  let window = 4096;
  /** The model's frame starting at unit i, taking at most units [i, end). */
  const plan = (m: LayoutModel, list: UnitList, i: number, end: number): Plan => {
    const s = list.start(i);
    for (let reach = window; ; reach *= 2) {
      const cap = unitsReaching(list, i, end, s + reach);
      let full = false;
      const { lines } = m.lines(text, s, list.end(cap - 1), (ls) => (full = m.verdict(ls) !== 'fits'));
      if (!full) {
        if (cap === end) {
          return { i, k: end - i, borderline: false };
        }
        continue; // the whole window fits: look further
      }
      // Units ending before the first line that does not surely fit surely fit; then try the next units one by one.
      const p = lines[lines.length - 1].start;
      let k = countEndingBy(list, i, cap, p);
      let borderline = false;
      // No need to try when the next unit starts that line with ink and whatever does overflows (one line too many).
      const sure = i + k < end && list.start(i + k) >= p && m.overflowsWithAnyLastLine(lines) && /\S/.test(text.slice(p, list.end(i + k)));
      while (i + k < end && !sure) {
        const v = m.judge(text, s, list.end(i + k));
        if (v !== 'fits') {
          borderline = v === 'borderline';
          break;
        }
        k++;
      }
      window = Math.max(1024, Math.ceil(1.25 * (list.end(Math.max(i, i + k - 1)) - s)) + 256);
      return { i, k, borderline };
    }
  };

  /** One real layout of the predicted frame; corrected with more real layouts where the model was wrong. */
  const confirm = async (list: UnitList, p: Plan, end: number): Promise<{ k: number; laid?: Laid }> => {
    pagingStats.predicted++;
    if (p.k === 0) {
      return longestFit(list, p.i, end, 1);
    }
    const laid = await lay(list, p.i, p.i + p.k);
    if (!renderer.fits(laid.block)) {
      pagingStats.mismatches++;
      return longestFit(list, p.i, p.i + p.k - 1, p.k - 1);
    }
    if (!p.borderline || p.i + p.k >= end) {
      return { k: p.k, laid };
    }
    // The next unit was too close to call: real layouts decide it, and the ones after it while the model cannot
    // tell. A unit that leaves the predicted lines as they were when a real layout last fitted (same lines, no new
    // ink above the first or below the last) fits too, without a layout of its own.
    let k = p.k;
    let best = laid;
    let bestK = k;
    let fitted: ModelLine[] | undefined;
    const s = list.start(p.i);
    while (p.i + k < end) {
      const next = model?.lines(text, s, list.end(p.i + k)).lines;
      const v = model && next ? model.verdict(next) : 'borderline';
      if (v === 'overflows') {
        break;
      }
      if (v === 'fits' || (fitted && next && sameExtent(fitted, next))) {
        k++;
        continue;
      }
      pagingStats.borderline++;
      const more = await lay(list, p.i, p.i + k + 1);
      if (!renderer.fits(more.block)) {
        break;
      }
      k++;
      best = more;
      bestK = k;
      fitted = next;
    }
    if (bestK !== k) {
      const last = await lay(list, p.i, p.i + k);
      if (renderer.fits(last.block)) {
        best = last;
      } else {
        // Ink the model did not see: the longest run that fits lies between the last real fit and k.
        pagingStats.mismatches++;
        const found = await longestFit(list, p.i, p.i + k - 1, k - 1);
        return found.k >= bestK ? found : { k: bestK, laid: best };
      }
    }
    if (k !== p.k) {
      pagingStats.mismatches++;
    }
    return { k, laid: best };
  };

  /** Page units [from, to) of `list` in order, frames predicted ahead and laid out several at once. */
  async function* run(list: UnitList, from: number, to: number, limit: (i: number) => number): AsyncGenerator<Laid> {
    type Job = { i: number; result: Promise<{ k: number; laid?: Laid }> };
    const jobs: Job[] = [];
    /** Where the next frame to launch starts; undefined while that depends on a frame still being laid out. */
    let planned: number | undefined = from;
    let guess = options.segment.wordsPerFrame;
    const launch = (): void => {
      while (planned !== undefined && planned < to && jobs.length < lookahead()) {
        const i = planned;
        const end = Math.min(to, limit(i));
        let result: Promise<{ k: number; laid?: Laid }>;
        if (model) {
          const p = plan(model, list, i, end);
          result = confirm(list, p, end);
          planned = p.k > 0 ? i + p.k : undefined;
        } else {
          result = longestFit(list, i, end, guess);
          planned = undefined;
        }
        result.catch(() => undefined); // awaited below in order; avoid an unhandled rejection meanwhile
        jobs.push({ i, result });
      }
    };
    let at = from;
    while (at < to) {
      launch();
      const job = jobs.shift()!;
      const { k, laid } = await job.result;
      if (k === 0) {
        // One unit too long for a frame on its own: paged by grapheme.
        const graphemes = UnitList.from(graphemeUnits(text, list.range(at)));
        if (graphemes.length <= 1) {
          throw new FrameTooSmallError(text.slice(list.start(at), list.end(at)));
        }
        jobs.length = 0;
        yield* run(graphemes, 0, graphemes.length, () => graphemes.length);
        at++;
      } else {
        yield laid!;
        at += k;
        guess = k;
      }
      if (jobs.length && jobs[0].i !== at) {
        jobs.length = 0; // predicted from a frame end that turned out wrong: their results are dropped
      }
      if (!jobs.length) {
        planned = at;
      }
    }
  }

  let index = 0;
  for await (const laid of run(units, 0, n, limitOf)) {
    pagingStats.frames++;
    yield { index: index++, range: laid.range, text: text.slice(laid.range[0], laid.range[1]), block: laid.block };
  }
}
