/**
 * Segmentation: cut a context into consecutive pieces without changing a single character.
 * Every piece is a [start, end) range of the source; the ranges of one context are contiguous and cover it.
 * Word and sentence boundaries come from Intl.Segmenter, so Chinese and Japanese segment correctly.
 */
import type { SegmentOptions } from './options';

/** A half-open character range [start, end) in the context (UTF-16 code units, as JavaScript strings index). */
export type Range = [number, number];

export interface Segment {
  index: number;
  /** The exact source text of this piece. */
  text: string;
  range: Range;
}

/**
 * V8's Intl.Segmenter slows down more than linearly on long strings (measured: 4K chars 3.7 ms, 64K chars 260 ms),
 * so long texts are segmented in chunks cut where a boundary is certain anyway: after a line break, else after
 * white space (after sentence-final punctuation first, for sentences). Only a run of CHUNK characters with none of
 * those is cut blindly (never inside a surrogate pair).
 */
const CHUNK = 2048;

function chunkEnd(text: string, from: number, to: number, sentences: boolean): number {
  if (to - from <= CHUNK) {
    return to;
  }
  const lo = from + CHUNK / 2;
  const hi = from + CHUNK;
  // Search the window only: text.lastIndexOf('\n', hi - 1) scans back to the start of the text when the window has
  // no line break, which made a one-line document quadratic (2M words: minutes, and deaf to SIGTERM).
  const window = text.slice(lo, hi);
  const nl = window.lastIndexOf('\n');
  if (nl >= 0) {
    return lo + nl + 1;
  }
  const patterns = sentences ? [/[.!?。！？][\s\u3000]+(?=\S)/g, /\s+(?=\S)/g] : [/\s+(?=\S)/g, /[。！？，、；：]/g];
  for (const re of patterns) {
    let cut = -1;
    for (const m of window.matchAll(re)) {
      cut = m.index! + m[0].length;
    }
    if (cut > 0) {
      return lo + cut;
    }
  }
  const code = text.charCodeAt(hi - 1);
  return code >= 0xd800 && code <= 0xdbff ? hi + 1 : hi;
}

/** One chunk's segments: start offsets, lengths and word-likeness, relative to the chunk. */
interface ChunkSegments {
  start: Uint32Array;
  length: Uint32Array;
  wordLike: Uint8Array;
}

/**
 * The segments of recently segmented chunks, by chunk text (an LRU bounded in characters). The chunks of a text
 * depend only on the text from the chunk's start on, so after an edit every chunk but the edited one or two is a
 * hit, and the result is exactly what segmenting from scratch gives. For the live preview, which segments the whole
 * document again on every pause in typing.
 */
export class SegmentCache {
  private readonly chunks = new Map<string, ChunkSegments>();
  private chars = 0;

  constructor(private readonly maxChars = 4 << 20) {}

  segment(segmenter: Intl.Segmenter, key: string, chunk: string): ChunkSegments {
    const full = `${key}\0${chunk}`;
    const hit = this.chunks.get(full);
    if (hit) {
      this.chunks.delete(full);
      this.chunks.set(full, hit); // most recently used last
      return hit;
    }
    const all = [...segmenter.segment(chunk)];
    const out: ChunkSegments = {
      start: new Uint32Array(all.length),
      length: new Uint32Array(all.length),
      wordLike: new Uint8Array(all.length),
    };
    all.forEach((s, i) => {
      out.start[i] = s.index;
      out.length[i] = s.segment.length;
      out.wordLike[i] = s.isWordLike === true ? 1 : 0;
    });
    this.chunks.set(full, out);
    this.chars += full.length;
    for (const [k] of this.chunks) {
      if (this.chars <= this.maxChars) {
        break;
      }
      this.chunks.delete(k);
      this.chars -= k.length;
    }
    return out;
  }
}

/** Segments of text[from, to) with absolute indices, segmenting chunk by chunk. */
function* segments(
  text: string,
  granularity: 'word' | 'sentence',
  locale: string | undefined,
  from = 0,
  to = text.length,
  cache?: SegmentCache,
): Generator<{ start: number; end: number; isWordLike: boolean }> {
  const segmenter = new Intl.Segmenter(locale, { granularity });
  const key = `${granularity}\0${locale ?? ''}`;
  let at = from;
  while (at < to) {
    const end = chunkEnd(text, at, to, granularity === 'sentence');
    if (cache) {
      const c = cache.segment(segmenter, key, text.slice(at, end));
      for (let i = 0; i < c.start.length; i++) {
        yield { start: at + c.start[i], end: at + c.start[i] + c.length[i], isWordLike: c.wordLike[i] === 1 };
      }
    } else {
      for (const s of segmenter.segment(text.slice(at, end))) {
        yield { start: at + s.index, end: at + s.index + s.segment.length, isWordLike: s.isWordLike === true };
      }
    }
    at = end;
  }
}

/**
 * Ranges kept in two growable Uint32Arrays: 8 bytes a unit instead of ~60 for a `[start, end]` array, so the word units
 * of a 10M-word context take 80 MB, not 600. What paginate keeps for a whole context.
 */
export class UnitList {
  length = 0;
  private startsBuf = new Uint32Array(1024);
  private endsBuf = new Uint32Array(1024);

  static from(ranges: readonly Range[]): UnitList {
    const list = new UnitList();
    for (const [a, b] of ranges) {
      list.push(a, b);
    }
    return list;
  }

  push(start: number, end: number): void {
    if (this.length === this.startsBuf.length) {
      const grow = (old: Uint32Array<ArrayBuffer>): Uint32Array<ArrayBuffer> => {
        const next = new Uint32Array(old.length * 2);
        next.set(old);
        return next;
      };
      this.startsBuf = grow(this.startsBuf);
      this.endsBuf = grow(this.endsBuf);
    }
    this.startsBuf[this.length] = start;
    this.endsBuf[this.length] = end;
    this.length++;
  }

  start(i: number): number {
    return this.startsBuf[i];
  }

  end(i: number): number {
    return this.endsBuf[i];
  }

  setEnd(i: number, end: number): void {
    this.endsBuf[i] = end;
  }

  range(i: number): Range {
    return [this.startsBuf[i], this.endsBuf[i]];
  }
}

/** Word units as a `Range[]` or a compact UnitList. */
export type Units = readonly Range[] | UnitList;

function unitStart(units: Units, i: number): number {
  return units instanceof UnitList ? units.start(i) : units[i][0];
}

const CJK = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]/;

/** The locale to segment with: the option if set, otherwise a guess from the text. */
export function segmentLocale(text: string, locale: string): string | undefined {
  if (locale) {
    return locale;
  }
  const sample = text.slice(0, 4000);
  if (/[\u3040-\u30ff]/.test(sample)) {
    return 'ja';
  }
  if (CJK.test(sample)) {
    return 'zh';
  }
  return 'en';
}

/**
 * Word units: each unit is one word-like segment plus the punctuation and space that follow it,
 * so that units are contiguous and cover the text. Text before the first word joins the first unit.
 * A text without any word (only punctuation) is one unit.
 */
export function wordUnits(text: string, locale?: string, from = 0, to = text.length, cache?: SegmentCache): Range[] {
  const units: Range[] = [];
  let current: Range | undefined;
  for (const { start, end, isWordLike } of segments(text, 'word', locale, from, to, cache)) {
    if (isWordLike) {
      if (current) {
        units.push(current);
        current = [start, end];
      } else {
        current = [from, end];
      }
    } else if (current) {
      current[1] = end;
    }
  }
  if (current) {
    current[1] = to;
    units.push(current);
  } else if (to > from) {
    units.push([from, to]);
  }
  return units;
}

/** Grapheme units of a range: the finest split that never breaks a character apart. */
export function graphemeUnits(text: string, range: Range): Range[] {
  const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  const units: Range[] = [];
  for (const s of segmenter.segment(text.slice(range[0], range[1]))) {
    units.push([range[0] + s.index, range[0] + s.index + s.segment.length]);
  }
  return units;
}

/** Sentence ranges covering the text. */
export function sentenceRanges(text: string, locale?: string, cache?: SegmentCache): Range[] {
  const out: Range[] = [];
  for (const { start, end } of segments(text, 'sentence', locale, 0, text.length, cache)) {
    out.push([start, end]);
  }
  return out;
}

/**
 * Groups of word units for `words` and `sentences` modes (before any layout check).
 * Each group is a list of consecutive unit indices [first, last+1).
 * `fit` mode has no a-priori grouping: it is paged by layout (see paginate.ts).
 */
export function groupUnits(
  text: string,
  units: Units,
  options: SegmentOptions,
  locale?: string,
  cache?: SegmentCache,
): Array<[number, number]> {
  const n = units.length;
  const max = options.wordsPerFrame;
  const groups: Array<[number, number]> = [];
  if (n === 0) {
    return groups;
  }
  if (options.mode !== 'sentences') {
    for (let i = 0; i < n; i += max) {
      groups.push([i, Math.min(n, i + max)]);
    }
    return groups;
  }
  // Sentence mode: map each sentence to the units that start inside it, then pack whole sentences.
  const sentences = sentenceRanges(text, locale, cache);
  const sentenceUnits: Array<[number, number]> = [];
  let u = 0;
  for (const [, end] of sentences) {
    const first = u;
    while (u < n && unitStart(units, u) < end) {
      u++;
    }
    if (u > first) {
      sentenceUnits.push([first, u]);
    }
  }
  if (u < n) {
    sentenceUnits.push([u, n]);
  }
  let start = -1;
  let end = -1;
  for (const [a, b] of sentenceUnits) {
    if (b - a > max) {
      // A sentence longer than the limit alone: flush, then split it by words.
      if (start >= 0) {
        groups.push([start, end]);
        start = -1;
      }
      for (let i = a; i < b; i += max) {
        groups.push([i, Math.min(b, i + max)]);
      }
      continue;
    }
    if (start >= 0 && b - start > max) {
      groups.push([start, end]);
      start = -1;
    }
    if (start < 0) {
      start = a;
    }
    end = b;
  }
  if (start >= 0) {
    groups.push([start, end]);
  }
  return groups;
}

/** Segments from unit groups: the exact source text of each group's range. */
export function toSegments(text: string, units: Range[], groups: Array<[number, number]>): Segment[] {
  return groups.map(([a, b], index) => {
    const range: Range = [units[a][0], units[b - 1][1]];
    return { index, text: text.slice(range[0], range[1]), range };
  });
}

/** Count of word-like segments in a text (what "words per frame" counts). */
export function countWords(text: string, locale?: string, cache?: SegmentCache): number {
  let n = 0;
  for (const s of segments(text, 'word', locale, 0, text.length, cache)) {
    if (s.isWordLike) {
      n++;
    }
  }
  return n;
}

/** Segments handled between two checks of the abort signal (and turns given to the event loop) by the async helpers. */
const YIELD_EVERY = 8192;

/** A cooperative pause: lets signal handlers (SIGTERM, Ctrl-C) run, then throws `signal.reason` if aborted. */
function pauser(signal: AbortSignal | undefined): () => Promise<void> | undefined {
  let n = 0;
  return () => {
    if (++n % YIELD_EVERY !== 0) {
      return undefined;
    }
    return new Promise<void>((resolve) => setImmediate(resolve)).then(() => signal?.throwIfAborted());
  };
}

/** Start offsets of the word units of `text` (as wordUnits gives them), one at a time. */
function* unitStarts(text: string, locale: string | undefined): Generator<number> {
  let first = true;
  for (const s of segments(text, 'word', locale)) {
    if (!s.isWordLike) {
      continue;
    }
    yield first ? 0 : s.start;
    first = false;
  }
  if (first && text.length > 0) {
    yield 0;
  }
}

/**
 * wordUnits, chunk by chunk with a pause every few thousand segments: the same ranges, but a long text neither blocks
 * the event loop (so Ctrl-C / SIGTERM are heard) nor ignores `signal` (throws `signal.reason`).
 */
export async function wordUnitsAsync(
  text: string,
  locale: string | undefined,
  signal?: AbortSignal,
  cache?: SegmentCache,
): Promise<UnitList> {
  signal?.throwIfAborted();
  const pause = pauser(signal);
  const units = new UnitList();
  for (const { start, end, isWordLike } of segments(text, 'word', locale, 0, text.length, cache)) {
    if (isWordLike) {
      units.push(units.length === 0 ? 0 : start, end);
    } else if (units.length > 0) {
      units.setEnd(units.length - 1, end);
    }
    await pause();
  }
  if (units.length > 0) {
    units.setEnd(units.length - 1, text.length);
  } else if (text.length > 0) {
    units.push(0, text.length);
  }
  return units;
}

/**
 * What a dry run needs of a text: its word units and a-priori segments (`groupUnits(...).length`; undefined in fit
 * mode, which only layout decides), counted in one streaming pass without keeping any range: memory stays constant
 * and time linear however long the text, and the pass pauses every few thousand segments to let signal handlers run
 * and to throw `signal.reason` once aborted.
 */
export async function countSegments(
  text: string,
  options: SegmentOptions,
  locale: string | undefined,
  signal?: AbortSignal,
): Promise<{ words: number; segments: number | undefined }> {
  signal?.throwIfAborted();
  const pause = pauser(signal);
  const max = Math.max(1, options.wordsPerFrame);
  if (options.mode !== 'sentences') {
    let words = 0;
    for (const _ of unitStarts(text, locale)) {
      words++;
      await pause();
    }
    return { words, segments: options.mode === 'fit' ? undefined : Math.ceil(words / max) };
  }
  // Sentence mode, as groupUnits: the units starting inside each sentence, whole sentences packed up to `max`.
  let groups = 0;
  let start = -1;
  const pack = (a: number, b: number): void => {
    if (b - a > max) {
      if (start >= 0) {
        groups++;
        start = -1;
      }
      groups += Math.ceil((b - a) / max);
      return;
    }
    if (start >= 0 && b - start > max) {
      groups++;
      start = -1;
    }
    if (start < 0) {
      start = a;
    }
  };
  const units = unitStarts(text, locale);
  let next = units.next();
  let u = 0;
  for (const sentence of segments(text, 'sentence', locale)) {
    const first = u;
    while (!next.done && next.value < sentence.end) {
      u++;
      next = units.next();
      await pause();
    }
    if (u > first) {
      pack(first, u);
    }
    await pause();
  }
  const last = u;
  while (!next.done) {
    u++;
    next = units.next();
    await pause();
  }
  if (u > last) {
    pack(last, u);
  }
  if (start >= 0) {
    groups++;
  }
  return { words: u, segments: groups };
}
