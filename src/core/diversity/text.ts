/**
 * Text helpers shared by the diversity metrics: word tokens, normalised text, a seeded random generator and a
 * language check. Pure functions.
 */

/** Scripts written without spaces between words: these go through `Intl.Segmenter` (ICU dictionaries). */
const NO_SPACE_SCRIPT =
  /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;
/** A word in a spaced script: letters, marks and digits, with inner apostrophes and hyphens (don't, state-of-the-art). */
const WORD = /[\p{L}\p{M}\p{N}]+(?:['’\-][\p{L}\p{M}\p{N}]+)*/gu;

let segmenter: Intl.Segmenter | undefined;

/**
 * The words of a text, lower-cased (locale-independent): Unicode letter/digit runs for spaced scripts; ICU word
 * segmentation (`Intl.Segmenter`, word-like segments only) when the text holds Chinese, Japanese, Thai, Lao, Khmer or
 * Burmese. Punctuation is not a word.
 */
export function words(text: string): string[] {
  if (NO_SPACE_SCRIPT.test(text)) {
    segmenter ??= new Intl.Segmenter('und', { granularity: 'word' });
    const out: string[] = [];
    for (const segment of segmenter.segment(text)) {
      if (segment.isWordLike) {
        out.push(segment.segment.toLowerCase());
      }
    }
    return out;
  }
  return text.toLowerCase().match(WORD) ?? [];
}

/** Normalised text for duplicate checks: NFKC, lower case, the words only, joined by single spaces. */
export function normalise(text: string): string {
  return words(text.normalize('NFKC')).join(' ');
}

/** mulberry32: a small, fast, seeded 32-bit generator; returns floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `k` distinct indices of `0..n-1` chosen uniformly with `random`, in increasing order (all of them when k ≥ n). */
export function sampleIndices(n: number, k: number, random: () => number): number[] {
  if (k >= n) {
    return Array.from({ length: n }, (_, i) => i);
  }
  // Partial Fisher–Yates over a sparse map: O(k) memory.
  const swapped = new Map<number, number>();
  const out: number[] = [];
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(random() * (n - i));
    const at = swapped.get(j) ?? j;
    swapped.set(j, swapped.get(i) ?? i);
    out.push(at);
  }
  return out.sort((a, b) => a - b);
}

/** FNV-1a over UTF-16 code units, 32-bit. */
export function hashString(text: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** FNV-1a of `text.slice(start, end)` without making the substring. */
export function hashRange(text: string, start: number, end: number, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = start; i < end; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** MurmurHash3's 32-bit finaliser: a bijective mix of a 32-bit value. */
export function mix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The 50 most frequent English words (function words): their share of an English text's words is high. */
const ENGLISH_FUNCTION_WORDS = new Set(
  (
    'the of and to a in is it you that he was for on are with as i his they be at one have this from or had by ' +
    'what which how who why when where does do did can will there their'
  ).split(' '),
);
const LATIN_WORD = /^[a-z0-9'’-]+$/u;

/**
 * Whether a text reads as English: at least 80 % of its words are plain Latin letters or digits, and English function
 * words (the, of, what, which, …) make up at least 10 % of them (or the text has at most three words, all Latin).
 */
export function looksEnglish(tokens: readonly string[]): boolean {
  if (tokens.length === 0) {
    return false;
  }
  let latin = 0;
  let common = 0;
  for (const token of tokens) {
    if (LATIN_WORD.test(token)) {
      latin++;
    }
    if (ENGLISH_FUNCTION_WORDS.has(token)) {
      common++;
    }
  }
  if (latin / tokens.length < 0.8) {
    return false;
  }
  return tokens.length <= 3 || common / tokens.length >= 0.1;
}
