/**
 * Word boundaries of Latin text without Intl.Segmenter: the Unicode word-break rules (UAX #29, WB3–WB13b) for the
 * characters English prose is made of — ASCII, Latin-1, Latin Extended-A, curly quotes, dashes, the ellipsis, and the
 * Greek letters and mathematical operators of papers — which
 * need no Extend/Format handling and no dictionary. It gives exactly what V8's `Intl.Segmenter(en, word)` gives
 * (test/unit/segment.test.ts compares the two on every shared document and on random strings over this alphabet) at
 * a fraction of the cost: segmenting was a sixth of a frame's main-thread time in `t2vid synth`. A chunk holding any
 * other character returns undefined and goes to Intl.Segmenter, as all non-English locales do.
 */

const OTHER = 0;
const ALETTER = 1;
const NUMERIC = 2;
const MID_LETTER = 3;
const MID_NUM = 4;
/** MidNumLet and Single_Quote: the rules treat them alike when no Hebrew letter is involved. */
const MID_NUM_LET = 5;
const EXTEND_NUM_LET = 6;
const WSEG_SPACE = 7;
const CR = 8;
const LF = 9;
const NEWLINE = 10;
/** Not handled here: the chunk goes to Intl.Segmenter. */
const UNKNOWN = 255;

/** Word_Break of U+0000–U+017F (UCD WordBreakProperty.txt). */
const TABLE = (() => {
  const t = new Uint8Array(0x180).fill(OTHER);
  const set = (from: number, to: number, v: number): void => {
    t.fill(v, from, to + 1);
  };
  set(0x41, 0x5a, ALETTER);
  set(0x61, 0x7a, ALETTER);
  set(0x30, 0x39, NUMERIC);
  t[0x5f] = EXTEND_NUM_LET;
  t[0x2e] = MID_NUM_LET;
  t[0x27] = MID_NUM_LET;
  t[0x3a] = MID_LETTER;
  t[0x2c] = MID_NUM;
  t[0x3b] = MID_NUM;
  t[0x20] = WSEG_SPACE;
  t[0x0d] = CR;
  t[0x0a] = LF;
  t[0x0b] = NEWLINE;
  t[0x0c] = NEWLINE;
  t[0x85] = NEWLINE;
  // Latin-1: letters, ª µ º; the soft hyphen is Format and the middle dot MidLetter-with-context: left to ICU.
  t[0xaa] = ALETTER;
  t[0xb5] = ALETTER;
  t[0xba] = ALETTER;
  set(0xc0, 0xd6, ALETTER);
  set(0xd8, 0xf6, ALETTER);
  set(0xf8, 0x17f, ALETTER);
  t[0xad] = UNKNOWN;
  t[0xb7] = UNKNOWN;
  return t;
})();

/** Word_Break above U+017F for the punctuation of English prose; anything else is UNKNOWN. */
function wordBreakAbove(code: number): number {
  // Greek letters (without tonos: the accented ones sit beside marks and signs ICU rules on).
  if ((code >= 0x391 && code <= 0x3a9 && code !== 0x3a2) || (code >= 0x3b1 && code <= 0x3c9)) {
    return ALETTER;
  }
  // Mathematical operators and arrows (symbols: Other), as papers write them.
  if ((code >= 0x2190 && code <= 0x21ff) || (code >= 0x2200 && code <= 0x22ff)) {
    return OTHER;
  }
  switch (code) {
    case 0x2018: // ‘
    case 0x2019: // ’
      return MID_NUM_LET;
    case 0x2016: // ‖
    case 0x2032: // ′
    case 0x2033: // ″
    case 0x2010: // ‐
    case 0x2013: // –
    case 0x2014: // —
    case 0x201c: // “
    case 0x201d: // ”
    case 0x2022: // •
    case 0x2026: // …
      return OTHER;
    default:
      return UNKNOWN;
  }
}

const isAH = (c: number): boolean => c === ALETTER;
const isMidLetterQ = (c: number): boolean => c === MID_LETTER || c === MID_NUM_LET;
const isMidNumQ = (c: number): boolean => c === MID_NUM || c === MID_NUM_LET;

/** Is there a word boundary between positions i-1 and i (0 < i < n)? */
function breaksAt(cats: Uint8Array, i: number, n: number): boolean {
  const a = cats[i - 1];
  const b = cats[i];
  if (a === CR && b === LF) {
    return false; // WB3
  }
  if (a === CR || a === LF || a === NEWLINE || b === CR || b === LF || b === NEWLINE) {
    return true; // WB3a, WB3b
  }
  if (a === WSEG_SPACE && b === WSEG_SPACE) {
    return false; // WB3d
  }
  if (isAH(a) && isAH(b)) {
    return false; // WB5
  }
  if (isAH(a) && isMidLetterQ(b) && i + 1 < n && isAH(cats[i + 1])) {
    return false; // WB6
  }
  if (isMidLetterQ(a) && isAH(b) && i >= 2 && isAH(cats[i - 2])) {
    return false; // WB7
  }
  if ((a === NUMERIC || isAH(a)) && (b === NUMERIC || isAH(b))) {
    return false; // WB8, WB9, WB10
  }
  if (isMidNumQ(a) && b === NUMERIC && i >= 2 && cats[i - 2] === NUMERIC) {
    return false; // WB11
  }
  if (a === NUMERIC && isMidNumQ(b) && i + 1 < n && cats[i + 1] === NUMERIC) {
    return false; // WB12
  }
  if ((isAH(a) || a === NUMERIC || a === EXTEND_NUM_LET) && b === EXTEND_NUM_LET) {
    return false; // WB13a
  }
  if (a === EXTEND_NUM_LET && (isAH(b) || b === NUMERIC)) {
    return false; // WB13b
  }
  return true; // WB999
}

/** Reused across calls: one chunk is at most a few thousand characters. */
let cats = new Uint8Array(4096);

/**
 * The word segments of `chunk` as Intl.Segmenter (English) gives them — start offsets, lengths, and whether each is
 * word-like (holds a letter or digit) — or undefined when the chunk has a character these rules do not cover.
 */
export function latinWordSegments(chunk: string): { start: Uint32Array; length: Uint32Array; wordLike: Uint8Array } | undefined {
  const n = chunk.length;
  if (cats.length < n) {
    cats = new Uint8Array(Math.max(n, cats.length * 2));
  }
  for (let i = 0; i < n; i++) {
    const code = chunk.charCodeAt(i);
    const c = code < 0x180 ? TABLE[code] : wordBreakAbove(code);
    if (c === UNKNOWN) {
      return undefined;
    }
    cats[i] = c;
  }
  const starts: number[] = [];
  const lengths: number[] = [];
  const wordLike: number[] = [];
  let from = 0;
  let word = false;
  // ICU's rule status: a segment with a letter or digit is word-like, and so is a run of two or more underscores
  // (its `$ExtendNumLet $ExtendNumLet+` rule), but not one underscore alone.
  const close = (end: number): void => {
    starts.push(from);
    lengths.push(end - from);
    wordLike.push(word || (end - from > 1 && cats[from] === EXTEND_NUM_LET) ? 1 : 0);
  };
  for (let i = 0; i < n; i++) {
    if (i > 0 && breaksAt(cats, i, n)) {
      close(i);
      from = i;
      word = false;
    }
    const c = cats[i];
    if (c === ALETTER || c === NUMERIC) {
      word = true;
    }
  }
  if (n > 0) {
    close(n);
  }
  return { start: Uint32Array.from(starts), length: Uint32Array.from(lengths), wordLike: Uint8Array.from(wordLike) };
}
