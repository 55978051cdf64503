/**
 * Paging: segmentation checked against the real text layout, so no frame ever clips.
 * - words / sentences: the a-priori groups are laid out (several at once); a group that overflows the frame is
 *   split further, evenly, at word boundaries (a word too long for a frame on its own is split at graphemes).
 * - fit: each frame takes the longest run of words that fits, found by galloping then bisecting on real layouts.
 * Pages come out in order as an async generator, so a book-length context never sits in memory as images.
 */
import type { SegmentOptions } from './options';
import type { Block, Renderer } from './render';
import { graphemeUnits, groupUnits, segmentLocale, UnitList, wordUnitsAsync, type Range, type SegmentCache } from './segment';

export interface Page {
  index: number;
  range: Range;
  text: string;
  block: Block | undefined;
}

export interface PaginateOptions {
  segment: SegmentOptions;
  /**
   * Groups laid out at once in words/sentences mode (keeps libuv's thread pool busy); a function is asked again
   * before each launch (the preview narrows it while it waits for the pages through the cursor).
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

export async function* paginate(text: string, renderer: Renderer, options: PaginateOptions): AsyncGenerator<Page> {
  const locale = segmentLocale(text, options.segment.locale);
  const signal = options.signal;
  // Chunked with pauses: a book-length context does not block the event loop, and an abort is heard while it runs.
  const units = await wordUnitsAsync(text, locale, signal, options.segmentCache);
  let index = 0;
  const lay = async (units: UnitList, a: number, b: number): Promise<Laid> => {
    signal?.throwIfAborted();
    const range: Range = [units.start(a), units.end(b - 1)];
    return { range, block: await renderer.layout(text.slice(range[0], range[1])) };
  };

  /** Longest k ≤ end - i with units[i, i+k) fitting (0 if not even one unit fits). */
  const longestFit = async (units: UnitList, i: number, end: number, guess: number): Promise<{ k: number; laid?: Laid }> => {
    const max = end - i;
    let lo = 0;
    let hi = max + 1;
    let best: Laid | undefined;
    let k = Math.min(max, Math.max(1, guess));
    while (hi - lo > 1) {
      const laid = await lay(units, i, i + k);
      if (renderer.fits(laid.block)) {
        lo = k;
        best = laid;
      } else {
        hi = k;
      }
      if (hi - lo <= 1) {
        break;
      }
      if (hi === max + 1) {
        // Gallop up, guided by how much height is left.
        const h = laid.block?.height ?? 1;
        k = Math.min(max, Math.max(lo + 1, Math.floor((lo * renderer.availHeight) / Math.max(1, h))));
      } else if (lo === 0) {
        const h = laid.block?.height ?? renderer.availHeight;
        k = Math.max(1, Math.min(hi - 1, Math.floor((hi * renderer.availHeight) / h)));
      } else {
        k = (lo + hi) >> 1;
      }
    }
    return { k: lo, laid: best };
  };

  /** Greedy paging of units[i, end): what fit mode does for a whole context, and others for one oversized word. */
  async function* fill(units: UnitList, i: number, end: number, guess: number): AsyncGenerator<Laid> {
    while (i < end) {
      const { k, laid } = await longestFit(units, i, end, guess);
      if (k === 0) {
        const graphemes = UnitList.from(graphemeUnits(text, units.range(i)));
        if (graphemes.length <= 1) {
          throw new FrameTooSmallError(text.slice(units.start(i), units.end(i)));
        }
        yield* fill(graphemes, 0, graphemes.length, graphemes.length);
        i++;
        continue;
      }
      yield laid!;
      i += k;
      guess = k;
    }
  }

  /** One a-priori group, split evenly if it overflows. */
  const fitGroup = async (units: UnitList, a: number, b: number): Promise<Laid[]> => {
    const whole = await lay(units, a, b);
    if (renderer.fits(whole.block)) {
      return [whole];
    }
    if (b - a === 1) {
      const out: Laid[] = [];
      const graphemes = UnitList.from(graphemeUnits(text, units.range(a)));
      if (graphemes.length <= 1) {
        throw new FrameTooSmallError(text.slice(units.start(a), units.end(a)));
      }
      for await (const laid of fill(graphemes, 0, graphemes.length, graphemes.length)) {
        out.push(laid);
      }
      return out;
    }
    // Heights grow with the text: cut into as many even pieces as the overflow says, then check each piece.
    const h = whole.block?.height ?? renderer.availHeight;
    const pieces = Math.min(b - a, Math.max(2, Math.ceil(h / renderer.availHeight)));
    const out: Laid[] = [];
    for (let p = 0; p < pieces; p++) {
      const from = a + Math.floor(((b - a) * p) / pieces);
      const to = a + Math.floor(((b - a) * (p + 1)) / pieces);
      out.push(...(await fitGroup(units, from, to)));
    }
    return out;
  };

  if (units.length === 0) {
    return;
  }
  if (options.segment.mode === 'fit') {
    // First guess: the words-per-frame setting (the user's idea of a frame); the search corrects it.
    for await (const laid of fill(units, 0, units.length, options.segment.wordsPerFrame)) {
      yield { index: index++, range: laid.range, text: text.slice(laid.range[0], laid.range[1]), block: laid.block };
    }
    return;
  }
  const groups = groupUnits(text, units, options.segment, locale, options.segmentCache);
  const lookahead = (): number => Math.max(1, (typeof options.lookahead === 'function' ? options.lookahead() : options.lookahead) ?? 4);
  const pending: Array<Promise<Laid[]>> = [];
  let next = 0;
  const launch = (): void => {
    while (next < groups.length && pending.length < lookahead()) {
      const [a, b] = groups[next++];
      const p = fitGroup(units, a, b);
      p.catch(() => undefined); // awaited below in order; avoid an unhandled rejection meanwhile
      pending.push(p);
    }
  };
  launch();
  while (pending.length) {
    const laids = await pending.shift()!;
    launch();
    for (const laid of laids) {
      yield { index: index++, range: laid.range, text: text.slice(laid.range[0], laid.range[1]), block: laid.block };
    }
  }
}
