/**
 * The built-in Q&A generator: no network, no key, deterministic for a seed.
 * It asks frame-grounded temporal questions whose answers are exact and checkable against the text:
 *  - needle:     which frame first mentions a distinctive term            → "Frame k"
 *  - temporal:   which of two quoted passages (from two frames) comes first → the earlier passage
 *  - detail:     what comes right after a quoted sentence                   → the next sentence, verbatim
 *  - counting:   how many frames mention a term                             → the count and the frames
 *  - summary:    what the first / last frame is about                       → its opening sentence, verbatim
 * "Mentions" means: for a Latin-script term, a case-insensitive match not preceded or followed by a letter or
 * digit; for a CJK term, a plain substring match. Terms with an occurrence that straddles two frames are never used.
 */
import { createHash } from 'node:crypto';
import { segmentLocale, sentenceRanges, wordUnits, type Range } from '../segment';
import type { GeneratedPair, GeneratedQAKind, QADocument } from './types';

export const BUILTIN_PROMPT_VERSION = 'builtin-1';

/** A small, fast seeded PRNG (mulberry32): floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface BuiltinOptions {
  /** Questions wanted per document (fewer come back if the document is too short for them). */
  perDoc: number;
  seed: number;
  /** Segmentation locale ('' or undefined: detect from the text). */
  locale?: string;
  /** provenance.createdAt (default: now). */
  createdAt?: string;
}

const STOP_EN = new Set(
  `about above after again against also although among another anyone anything around because been before being below
between both cannot could does doing down during each either enough even ever every first from further given have having
here hers herself himself however into itself just last later least less made make many might more most much must myself
neither never next none nothing often once only other others otherwise ought ours ourselves over own perhaps quite rather
really said same several shall should since some something still such than that their theirs them themselves then there
these they thing things this those though through thus together too toward towards under until upon very was were what
whatever when where whether which while whom whose will with within without would your yours yourself yourselves also
according already always become became like likely near need needs one two three four five six seven eight nine ten new
old used using use well year years time times part parts way ways may can get got take took see seen say says include
includes including included based following however whereas therefore yet per via`.split(/\s+/),
);

const STOP_ZH = new Set(
  '我们 你们 他们 她们 它们 这些 那些 这个 那个 一个 一种 以及 因为 所以 但是 如果 或者 而且 并且 然而 可以 没有 已经 通过 进行 由于 对于 关于 其中 之一 自己 什么 这样 那样 这种 那种 以下 以上 同时 此外 以及 并非 就是 还是 只是 不是 也是 能够 需要 可能 其他 一些 这里 那里'.split(
    ' ',
  ),
);

const CJK = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]/;

function isCjk(s: string): boolean {
  return CJK.test(s);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Every occurrence [start, end) of a term in the text, by the module's definition of "mentions". */
export function termOccurrences(text: string, term: string): Range[] {
  const out: Range[] = [];
  if (!term) {
    return out;
  }
  if (isCjk(term)) {
    for (let at = text.indexOf(term); at >= 0; at = text.indexOf(term, at + 1)) {
      out.push([at, at + term.length]);
    }
    return out;
  }
  const re = new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegExp(term)}(?![\\p{L}\\p{N}])`, 'giu');
  for (const m of text.matchAll(re)) {
    out.push([m.index!, m.index! + m[0].length]);
  }
  return out;
}

/** The frame holding position `pos` (frames are contiguous ranges in order). */
function frameAt(frames: Range[], pos: number): number {
  let lo = 0;
  let hi = frames.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (frames[mid][0] <= pos) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return lo;
}

/** 0-based frames that mention the term, or undefined if an occurrence straddles two frames. */
export function framesMentioning(text: string, frames: Range[], term: string): number[] | undefined {
  const found = new Set<number>();
  for (const [a, b] of termOccurrences(text, term)) {
    const f = frameAt(frames, a);
    if (b > frames[f][1]) {
      return undefined;
    }
    found.add(f);
  }
  return [...found].sort((x, y) => x - y);
}

/** Frames overlapping [start, end). */
function framesOverlapping(frames: Range[], start: number, end: number): number[] {
  const out: number[] = [];
  for (let f = frameAt(frames, start); f < frames.length && frames[f][0] < end; f++) {
    out.push(f);
  }
  return out;
}

const TRIM_START = /^[\s\p{P}\p{S}]+/u;
const TRIM_END = /[\s\p{P}\p{S}]+$/u;

/** Trim [a, b) of whitespace (and, if `punct`, punctuation) at both ends; returns the new range. */
function trimRange(text: string, a: number, b: number, punct: boolean): Range {
  const s = text.slice(a, b);
  const head = (punct ? TRIM_START : /^\s+/u).exec(s)?.[0].length ?? 0;
  if (head === s.length) {
    return [a, a];
  }
  const tail = (punct ? TRIM_END : /\s+$/u).exec(s)?.[0].length ?? 0;
  return [a + head, b - tail];
}

interface Templates {
  frame(k: number): string;
  frames(list: number[]): string;
  needle(term: string): string;
  order(x: string, y: string): string;
  orderAnswer(first: string, fi: number, other: string, oi: number): string;
  next(sentence: string): string;
  count(term: string): string;
  countAnswer(n: number, list: number[]): string;
  firstFrame: string;
  lastFrame: string;
}

const EN: Templates = {
  frame: (k) => `Frame ${k}`,
  frames: (list) => (list.length === 1 ? `Frame ${list[0]}` : `Frames ${list.slice(0, -1).join(', ')} and ${list[list.length - 1]}`),
  needle: (term) => `In which frame is "${term}" mentioned for the first time?`,
  order: (x, y) => `Which passage appears earlier in the video: "${x}" or "${y}"?`,
  orderAnswer: (first, fi, other, oi) => `"${first}" appears earlier (Frame ${fi}); "${other}" comes later (Frame ${oi}).`,
  next: (s) => `What comes right after this passage: "${s}"?`,
  count: (term) => `How many frames mention "${term}"?`,
  countAnswer: (n, list) => `${n} ${n === 1 ? 'frame' : 'frames'}: ${EN.frames(list)}.`,
  firstFrame: 'What is the first frame about?',
  lastFrame: 'What is the last frame about?',
};

const ZH: Templates = {
  frame: (k) => `第${k}帧`,
  frames: (list) => list.map((k) => `第${k}帧`).join('、'),
  needle: (term) => `“${term}”最早出现在哪一帧？`,
  order: (x, y) => `“${x}”和“${y}”，哪一段在视频中出现得更早？`,
  orderAnswer: (first, fi, other, oi) => `“${first}”出现得更早（第${fi}帧）；“${other}”在后（第${oi}帧）。`,
  next: (s) => `紧接在“${s}”之后的内容是什么？`,
  count: (term) => `有多少帧提到了“${term}”？`,
  countAnswer: (n, list) => `${n}帧：${ZH.frames(list)}。`,
  firstFrame: '第一帧讲的是什么？',
  lastFrame: '最后一帧讲的是什么？',
};

type Draft = { question: string; answer: string; kind: GeneratedQAKind; supportingFrames: number[] };

/** Generate up to `perDoc` question/answer pairs for one document and its frames. */
export function generateBuiltin(doc: QADocument, options: BuiltinOptions): GeneratedPair[] {
  const { context: text, frames } = doc;
  const n = frames.length;
  const want = Math.max(0, Math.floor(options.perDoc));
  if (n === 0 || want === 0 || !text.trim()) {
    return [];
  }
  const locale = segmentLocale(text, options.locale ?? '') ?? 'en';
  const zh = locale.startsWith('zh') || (isCjk(text.slice(0, 2000)) && !locale.startsWith('ja') && !locale.startsWith('ko'));
  const t = zh ? ZH : EN;
  const seedHash = createHash('sha256').update(`${options.seed}\0${doc.id}`).digest().readUInt32LE(0);
  const rand = mulberry32(seedHash);
  const shuffle = <T>(list: T[]): T[] => {
    const a = [...list];
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [a[i], a[j]] = [a[j], a[i]];
    }
    return a;
  };

  // Word units per frame (for quoted spans) and candidate terms (for needle and counting questions).
  const unitsOf: Range[][] = frames.map(([a, b]) => wordUnits(text, locale, a, b));
  const segmenter = new Intl.Segmenter(locale, { granularity: 'word' });
  const candidates: string[] = [];
  const seenTerm = new Set<string>();
  for (const [a, b] of frames) {
    for (const s of segmenter.segment(text.slice(a, b))) {
      if (!s.isWordLike) {
        continue;
      }
      const w = s.segment;
      const ok = isCjk(w) ? /^\p{Script=Han}{2,8}$/u.test(w) && !STOP_ZH.has(w) : /^\p{L}{4,24}$/u.test(w) && !STOP_EN.has(w.toLowerCase());
      const key = w.toLowerCase();
      if (ok && !seenTerm.has(key)) {
        seenTerm.add(key);
        candidates.push(w);
      }
    }
  }
  const usedTerms = new Set<string>();
  const findTerm = (accept: (list: number[]) => boolean): { term: string; list: number[] } | undefined => {
    for (const term of shuffle(candidates).slice(0, 400)) {
      if (usedTerms.has(term.toLowerCase())) {
        continue;
      }
      const list = framesMentioning(text, frames, term);
      if (list && list.length && accept(list)) {
        usedTerms.add(term.toLowerCase());
        return { term, list };
      }
    }
    return undefined;
  };

  // A quoted span: a few whole words inside one frame, on one line, occurring once in the whole context.
  const usedSpans = new Set<string>();
  const spanIn = (f: number): { text: string; start: number } | undefined => {
    const units = unitsOf[f];
    const len = 6;
    if (units.length < len) {
      return undefined;
    }
    for (let tries = 0; tries < 24; tries++) {
      const i = Math.floor(rand() * (units.length - len + 1));
      const k = len + Math.floor(rand() * 3);
      const end = Math.min(units.length, i + k);
      const [a, b] = trimRange(text, units[i][0], units[end - 1][1], true);
      const s = text.slice(a, b);
      if (s.length < (zh ? 8 : 20) || s.length > (zh ? 30 : 90) || /[\r\n"“”]/.test(s) || usedSpans.has(s)) {
        continue;
      }
      if (text.indexOf(s) !== a || text.indexOf(s, a + 1) >= 0) {
        continue;
      }
      usedSpans.add(s);
      return { text: s, start: a };
    }
    return undefined;
  };

  let sentences: Range[] | undefined;
  const sentenceList = (): Range[] => (sentences ??= sentenceRanges(text, locale).map(([a, b]) => trimRange(text, a, b, false)));
  const clip = (a: number, b: number): string => {
    const s = text.slice(a, b);
    const max = zh ? 120 : 300;
    if (s.length <= max) {
      return s;
    }
    const cut = zh ? max : s.lastIndexOf(' ', max);
    return s.slice(0, cut > max / 2 ? cut : max).trimEnd() + '…';
  };
  /** The opening sentence of a frame: the first sentence starting in it (clipped to the frame). */
  const opening = (f: number): string | undefined => {
    const [fa, fb] = frames[f];
    const list = sentenceList();
    const s = list.find(([a, b]) => b > a && a >= fa && a < fb);
    const [a, b] = s ? trimRange(text, s[0], Math.min(s[1], fb), false) : trimRange(text, fa, fb, false);
    return b > a ? clip(a, b) : undefined;
  };

  const makers: Record<string, () => Draft | undefined> = {
    needle: () => {
      if (n < 2) {
        return undefined;
      }
      const few = Math.max(1, Math.floor(n / 4));
      const found = findTerm((l) => l.length <= few && l[0] > 0) ?? findTerm((l) => l.length <= few);
      if (!found) {
        return undefined;
      }
      return { question: t.needle(found.term), answer: t.frame(found.list[0] + 1), kind: 'needle', supportingFrames: [found.list[0]] };
    },
    order: () => {
      if (n < 2) {
        return undefined;
      }
      for (let tries = 0; tries < 8; tries++) {
        const i = Math.floor(rand() * n);
        let j = Math.floor(rand() * (n - 1));
        if (j >= i) {
          j++;
        }
        const [fi, fj] = i < j ? [i, j] : [j, i];
        const x = spanIn(fi);
        const y = x && spanIn(fj);
        if (!x || !y) {
          continue;
        }
        const question = rand() < 0.5 ? t.order(x.text, y.text) : t.order(y.text, x.text);
        return { question, answer: t.orderAnswer(x.text, fi + 1, y.text, fj + 1), kind: 'temporal', supportingFrames: [fi, fj] };
      }
      return undefined;
    },
    next: () => {
      const list = sentenceList();
      const order = shuffle(list.map((_, i) => i).slice(0, -1));
      for (const i of order.slice(0, 200)) {
        const [a, b] = list[i];
        const [c, d] = list[i + 1];
        const s = text.slice(a, b);
        const next = text.slice(c, d);
        const minS = zh ? 8 : 25;
        if (s.length < minS || s.length > (zh ? 120 : 300) || next.length < (zh ? 4 : 10) || /[\r\n"“”]/.test(s) || /[\r\n]/.test(next)) {
          continue;
        }
        if (text.slice(b, c).trim() !== '' || text.indexOf(s) !== a || text.indexOf(s, a + 1) >= 0) {
          continue;
        }
        return { question: t.next(s), answer: clip(c, d), kind: 'detail', supportingFrames: framesOverlapping(frames, a, d) };
      }
      return undefined;
    },
    counting: () => {
      if (n < 2) {
        return undefined;
      }
      const max = Math.min(n - 1, 8);
      const found = findTerm((l) => l.length >= 2 && l.length <= max) ?? findTerm((l) => l.length <= max);
      if (!found) {
        return undefined;
      }
      const list = found.list.map((f) => f + 1);
      return { question: t.count(found.term), answer: t.countAnswer(list.length, list), kind: 'counting', supportingFrames: found.list };
    },
    first: () => {
      const s = opening(0);
      return s ? { question: t.firstFrame, answer: s, kind: 'summary', supportingFrames: [0] } : undefined;
    },
    last: () => {
      const s = n > 1 ? opening(n - 1) : undefined;
      return s ? { question: t.lastFrame, answer: s, kind: 'summary', supportingFrames: [n - 1] } : undefined;
    },
  };

  const createdAt = options.createdAt ?? new Date().toISOString();
  const out: GeneratedPair[] = [];
  const questions = new Set<string>();
  // Rounds: every kind once per round (in a seeded order), the summary questions only in the first round.
  for (let round = 0; out.length < want; round++) {
    const names = shuffle(round === 0 ? Object.keys(makers) : ['needle', 'order', 'next', 'counting']);
    let added = 0;
    for (const name of names) {
      if (out.length >= want) {
        break;
      }
      const draft = makers[name]();
      if (!draft || questions.has(draft.question)) {
        continue;
      }
      questions.add(draft.question);
      added++;
      out.push({
        ...draft,
        provenance: { generator: 'builtin', promptVersion: BUILTIN_PROMPT_VERSION, createdAt, editedByUser: false, seed: options.seed },
        status: 'new',
      });
    }
    if (added === 0) {
      break;
    }
  }
  return out;
}
