/**
 * Segmentation: cut a context into consecutive pieces without changing a single character.
 * Every piece is a [start, end) range of the source; the ranges of one context are contiguous and cover it.
 * Word and sentence boundaries come from Intl.Segmenter, so Chinese and Japanese segment correctly.
 */
import type { SegmentOptions } from './options';
import { latinWordSegments } from './wordBreak';

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

  segment(segmenter: Intl.Segmenter, latin: boolean, key: string, chunk: string): ChunkSegments {
    const full = `${key}\0${chunk}`;
    const hit = this.chunks.get(full);
    if (hit) {
      this.chunks.delete(full);
      this.chunks.set(full, hit); // most recently used last
      return hit;
    }
    const out = segmentChunk(segmenter, latin, chunk);
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

/**
 * One chunk's segments: English word segments of Latin text from the UAX #29 rules in wordBreak.ts (the same
 * segments, several times faster), everything else from Intl.Segmenter.
 */
function segmentChunk(segmenter: Intl.Segmenter, latin: boolean, chunk: string): ChunkSegments {
  const fast = latin ? latinWordSegments(chunk) : undefined;
  if (fast) {
    return fast;
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
  return out;
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
  const latin = granularity === 'word' && /^en(-|$)/i.test(segmenter.resolvedOptions().locale);
  const key = `${granularity}\0${locale ?? ''}`;
  let at = from;
  while (at < to) {
    const end = chunkEnd(text, at, to, granularity === 'sentence');
    const chunk = text.slice(at, end);
    const c = cache ? cache.segment(segmenter, latin, key, chunk) : segmentChunk(segmenter, latin, chunk);
    for (let i = 0; i < c.start.length; i++) {
      yield { start: at + c.start[i], end: at + c.start[i] + c.length[i], isWordLike: c.wordLike[i] === 1 };
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
 * The T2Vid reference's tokenizer, as bench/baseline_pil.py writes it: NLTK `word_tokenize` (Treebank) approximated by
 * a regex, since NLTK's data cannot be fetched here. Ported with Python's Unicode classes: `\w` is a letter, a number
 * or `_`; `\s` is what `str.isspace()` accepts (no U+FEFF, but U+001C–U+001F and U+0085); `\b` after a word character
 * means "no word character follows". A double quote is rewritten first (``` `` ``` when it opens, `''` otherwise), as
 * word_tokenize does, which only changes which token it is, never how many.
 */
const PY_SPACE = '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const PY_WORD = '\\p{L}\\p{N}_';
const W = `[${PY_WORD}]`;
const WORD_END = `(?!${W})`;
const SEED_TOKEN_SOURCE = [
  "``|''", // converted double quotes
  '\\.\\.\\.|--', // ellipsis, dash
  '\\p{Nd}+(?:[.,:/]\\p{Nd}+)+', // 1,000  3.5  10:30  1/2
  '(?:[\\p{L}\\p{Nl}\\p{No}]\\.){2,}', // U.S.  e.g.
  `${W}+(?=n't${WORD_END})`, // do|n't  ca|n't
  `n't${WORD_END}`,
  `'(?:s|re|ve|ll|m|d)${WORD_END}`, // 's 're 've 'll 'm 'd
  `${W}+(?='(?:s|re|ve|ll|m|d)${WORD_END})`, // it|'s  we|'re
  `${W}+(?:[-']${W}+)*`, // words, hyphenated words, o'clock
  `[^${PY_SPACE}]`, // any other single character
].join('|');
const OPEN_QUOTE = new RegExp(`(^|[${PY_SPACE}(\\[{<])"`, 'gu');
const PY_SPACE_CHAR = new RegExp(`[${PY_SPACE}]`, 'gu');
const CJK_SCRIPT = /[\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}]/u;

/** word_tokenize's quote rewriting: an opening `"` becomes ``` `` ```, any other `''`. */
function rewriteQuotes(text: string): string {
  return text.replace(OPEN_QUOTE, '$1``').replaceAll('"', "''");
}

/** The reference's tokens of a text, exactly as bench/baseline_pil.py's `word_tokenize` returns them. */
export function seedTokens(text: string): string[] {
  return rewriteQuotes(text).match(new RegExp(SEED_TOKEN_SOURCE, 'giu')) ?? [];
}

/**
 * Source offsets where the `tokens` count's tokens start, in order: the reference's tokens (seedTokens), except that
 * a token of Chinese or Japanese (which the reference's tokenizer leaves whole, a clause between two punctuation
 * marks) counts one token per word-like Intl.Segmenter segment, as `words` counts it. Chunked at white space, which no
 * token spans, so a long text costs linear time.
 */
export function* tokenStarts(text: string, locale?: string): Generator<number> {
  const re = new RegExp(SEED_TOKEN_SOURCE, 'giu');
  let segmenter: Intl.Segmenter | undefined;
  let at = 0;
  while (at < text.length) {
    let end = text.length;
    if (text.length - at > CHUNK) {
      PY_SPACE_CHAR.lastIndex = at + CHUNK;
      const m = PY_SPACE_CHAR.exec(text);
      end = m ? m.index + 1 : text.length;
    }
    const chunk = text.slice(at, end);
    // Where the rewritten chunk's offsets shift: each `"` becomes two characters.
    const quotes: number[] = [];
    for (let q = chunk.indexOf('"'); q >= 0; q = chunk.indexOf('"', q + 1)) {
      quotes.push(q);
    }
    // Quote i's two characters sit at quotes[i] + i and one after in the rewritten chunk; quotes[0..j) end before the
    // current token.
    let j = 0;
    re.lastIndex = 0;
    const rewritten = quotes.length ? rewriteQuotes(chunk) : chunk;
    for (let m = re.exec(rewritten); m; m = re.exec(rewritten)) {
      const p = m.index;
      while (j < quotes.length && quotes[j] + j + 2 <= p) {
        j++;
      }
      // A token that starts on the second character of quote j's rewriting starts at that quote.
      const source = j < quotes.length && quotes[j] + j + 1 === p ? quotes[j] : p - j;
      if (CJK_SCRIPT.test(m[0])) {
        segmenter ??= new Intl.Segmenter(locale, { granularity: 'word' });
        let first = true;
        for (const seg of segmenter.segment(m[0])) {
          if (seg.isWordLike || first) {
            yield at + source + seg.index;
            first = false;
          }
        }
      } else {
        yield at + source;
      }
    }
    at = end;
  }
}

/** The number of `tokens` in a text (what "words per frame" counts with `countUnit: 'tokens'`). */
export function countTokens(text: string, locale?: string): number {
  let n = 0;
  for (const _ of tokenStarts(text, locale)) {
    n++;
  }
  return n;
}

/**
 * Groups units into frames' pieces, streaming: in `words` mode, consecutive items up to `max` counted units (an item
 * heavier than `max` alone); in `sentences` mode, whole sentences up to `max`, a sentence heavier than `max` alone
 * and split like `words`. A unit's weight is what it counts: 1 for `words`; for `tokens`, the tokens starting in it.
 * An item is a unit, or for `tokens` a unit with the units after it that start inside one of its tokens (`well-` and
 * `known` of the reference's one token `well-known`), so a group never ends inside a token. Calls onGroup(first, end)
 * with unit indices, in order.
 */
class GroupPacker {
  private start = -1;
  private end = -1;
  private total = 0;

  constructor(
    private readonly max: number,
    private readonly onGroup: (first: number, end: number) => void,
  ) {}

  /** `words` mode: the next item, units [a, b) of the given weight. */
  item(a: number, b: number, weight: number): void {
    if (this.start >= 0 && this.total > 0 && this.total + weight > this.max) {
      this.finish();
    }
    if (this.start < 0) {
      this.start = a;
      this.total = 0;
    }
    this.total += weight;
    this.end = b;
  }

  /** `sentences` mode: the next sentence, units [a, b); unit i weighs `weightOf(i)` and may be glued to the one before. */
  sentence(a: number, b: number, weightOf: (i: number) => number, gluedOf: (i: number) => boolean): void {
    let weight = 0;
    for (let i = a; i < b; i++) {
      weight += weightOf(i);
    }
    if (weight > this.max) {
      // A sentence heavier than the limit alone: flush, then split it as `words` mode would.
      this.finish();
      const items = new Items((x, y, w) => this.item(x, y, w));
      for (let i = a; i < b; i++) {
        items.unit(i, weightOf(i), i > a && gluedOf(i));
      }
      items.flush();
      this.finish();
      return;
    }
    this.item(a, b, weight);
  }

  /** Close the open group, if any. */
  finish(): void {
    if (this.start >= 0) {
      this.onGroup(this.start, this.end);
      this.start = -1;
    }
  }
}

/** Units → the packer's items: a glued unit (one that starts inside a token) joins the item before it. */
class Items {
  private a = -1;
  private b = -1;
  private weight = 0;

  constructor(private readonly sink: (a: number, b: number, weight: number) => void) {}

  unit(i: number, weight: number, glued: boolean): void {
    if (this.a >= 0 && !glued) {
      this.flush();
    }
    if (this.a < 0) {
      this.a = i;
      this.weight = 0;
    }
    this.weight += weight;
    this.b = i + 1;
  }

  flush(): void {
    if (this.a >= 0) {
      this.sink(this.a, this.b, this.weight);
      this.a = -1;
    }
  }
}

/**
 * The `tokens` weight of each unit (how many tokens start inside it; the first unit also takes any before it) and
 * whether it is glued: it starts inside a token that began in an earlier unit.
 */
export function tokenWeights(text: string, units: Units, locale: string | undefined): { weights: Uint32Array; glued: Uint8Array } {
  const n = units.length;
  const weights = new Uint32Array(n);
  const startsToken = new Uint8Array(n);
  let u = 0;
  for (const s of tokenStarts(text, locale)) {
    while (u + 1 < n && unitStart(units, u + 1) <= s) {
      u++;
    }
    weights[u]++;
    if (s === unitStart(units, u)) {
      startsToken[u] = 1;
    }
  }
  const glued = new Uint8Array(n);
  for (let i = 1; i < n; i++) {
    glued[i] = startsToken[i] ? 0 : 1;
  }
  return { weights, glued };
}

/**
 * Groups of word units for `words` and `sentences` modes (before any layout check).
 * Each group is a list of consecutive unit indices [first, last+1). `wordsPerFrame` counts words, or the reference's
 * tokens with `countUnit: 'tokens'` (a group then ends at the last word unit that keeps it within the limit; the text
 * is never changed, only where groups end).
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
  const tokens = options.countUnit === 'tokens' ? tokenWeights(text, units, locale) : undefined;
  const weightOf = tokens ? (i: number) => tokens.weights[i] : () => 1;
  const gluedOf = tokens ? (i: number) => tokens.glued[i] === 1 : () => false;
  const packer = new GroupPacker(max, (a, b) => groups.push([a, b]));
  if (options.mode !== 'sentences') {
    if (!tokens) {
      for (let i = 0; i < n; i += max) {
        groups.push([i, Math.min(n, i + max)]);
      }
      return groups;
    }
    const items = new Items((a, b, w) => packer.item(a, b, w));
    for (let i = 0; i < n; i++) {
      items.unit(i, tokens.weights[i], tokens.glued[i] === 1);
    }
    items.flush();
    packer.finish();
    return groups;
  }
  // Sentence mode: map each sentence to the units that start inside it, then pack whole sentences.
  const sentences = sentenceRanges(text, locale, cache);
  let u = 0;
  for (const [, end] of sentences) {
    const first = u;
    while (u < n && unitStart(units, u) < end) {
      u++;
    }
    if (u > first) {
      packer.sentence(first, u, weightOf, gluedOf);
    }
  }
  if (u < n) {
    packer.sentence(u, n, weightOf, gluedOf);
  }
  packer.finish();
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
 * The start of each word unit (as unitStarts) with its weight and glue, as tokenWeights gives them (1 and unglued
 * for `words`), read from two streams in step.
 */
function* weightedUnitStarts(
  text: string,
  locale: string | undefined,
  tokens: boolean,
): Generator<{ start: number; weight: number; glued: boolean }> {
  if (!tokens) {
    for (const start of unitStarts(text, locale)) {
      yield { start, weight: 1, glued: false };
    }
    return;
  }
  const starts = tokenStarts(text, locale);
  let tok = starts.next();
  let prev: number | undefined;
  let first = true;
  const unit = (before: number): { start: number; weight: number; glued: boolean } => {
    const glued = !first && (tok.done || tok.value !== prev);
    first = false;
    let weight = 0;
    while (!tok.done && tok.value < before) {
      weight++;
      tok = starts.next();
    }
    return { start: prev!, weight, glued };
  };
  for (const start of unitStarts(text, locale)) {
    if (prev !== undefined) {
      yield unit(start);
    }
    prev = start;
  }
  if (prev !== undefined) {
    yield unit(Infinity);
  }
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
  const tokens = options.countUnit === 'tokens';
  let groups = 0;
  const packer = new GroupPacker(max, () => groups++);
  if (options.mode !== 'sentences') {
    let words = 0;
    const items = new Items((a, b, w) => packer.item(a, b, w));
    for (const { weight, glued } of weightedUnitStarts(text, locale, tokens)) {
      if (tokens) {
        items.unit(words, weight, glued);
      }
      words++;
      await pause();
    }
    items.flush();
    packer.finish();
    return { words, segments: options.mode === 'fit' ? undefined : tokens ? groups : Math.ceil(words / max) };
  }
  // Sentence mode, as groupUnits: the units starting inside each sentence, whole sentences packed up to `max`.
  const units = weightedUnitStarts(text, locale, tokens);
  let next = units.next();
  let u = 0;
  const weights: number[] = [];
  const glued: boolean[] = [];
  const take = (): void => {
    weights.push(next.value!.weight);
    glued.push(next.value!.glued);
    u++;
    next = units.next();
  };
  const pack = (first: number): void => {
    packer.sentence(
      first,
      u,
      (i) => weights[i - first],
      (i) => glued[i - first],
    );
    weights.length = 0;
    glued.length = 0;
  };
  for (const sentence of segments(text, 'sentence', locale)) {
    const first = u;
    while (!next.done && next.value.start < sentence.end) {
      take();
      await pause();
    }
    if (u > first) {
      pack(first);
    }
    await pause();
  }
  const last = u;
  while (!next.done) {
    take();
    await pause();
  }
  if (u > last) {
    pack(last);
  }
  packer.finish();
  return { words: u, segments: groups };
}
