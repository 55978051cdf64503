/**
 * The built-in Q&A generator: no network, no key, deterministic for a seed.
 * Every answer is exact and checkable against the frames. Sixteen question families (provenance.template), each with
 * several phrasings chosen with the seed, so the questions are not one template repeated:
 *  - first-mention, last-mention, frame-of-passage (needle): which frame first / last mentions a term, or shows a quote
 *  - count (counting), more-frames (comparison): how many frames mention a term; which of two terms is in more frames
 *  - order-two, order-three (temporal): the order in which two or three quoted passages appear
 *  - next, previous (detail): the sentence right after / before a quoted one, verbatim
 *  - cloze (detail): a sentence with one distinctive word blanked → that word
 *  - number (detail): the figure in the sentence that begins with a quoted prefix (English)
 *  - definition (detail): "X is a …" sentences → the sentence (English)
 *  - cause (reasoning): "… because …", "… due to …", and "As a result, …" after a sentence (English)
 *  - range-summary, first-frame, last-frame (summary): the key sentence of each frame of a range, the opening sentence
 *    of the first / last frame
 * It cannot ask what needs understanding beyond the text's own words: no paraphrase, inference across facts,
 * opinion or arithmetic on the figures. "Mentions" means: for a Latin-script term, a case-insensitive match not
 * preceded or followed by a letter or digit; for a CJK term, a plain substring match. Terms with an occurrence that
 * straddles two frames are never used.
 */
import { createHash } from 'node:crypto';
import { segmentLocale, sentenceRanges, wordUnits, type Range } from '../segment';
import type { GeneratedPair, GeneratedQAKind, QADocument } from './types';

export const BUILTIN_PROMPT_VERSION = 'builtin-2';

/** The question families of the built-in generator (provenance.template), defined once. */
export const BUILTIN_TEMPLATES = [
  'first-mention',
  'last-mention',
  'frame-of-passage',
  'count',
  'more-frames',
  'order-two',
  'order-three',
  'next',
  'previous',
  'cloze',
  'number',
  'definition',
  'cause',
  'range-summary',
  'first-frame',
  'last-frame',
] as const;
export type BuiltinTemplate = (typeof BUILTIN_TEMPLATES)[number];

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

type Phrasings<A extends unknown[]> = ReadonlyArray<(...args: A) => string>;

/** One language's wording: several phrasings per family (chosen with the seed), and the answers' fixed forms. */
interface Language {
  frame(k: number): string;
  frames(list: number[]): string;
  quote(s: string): string;
  firstMention: Phrasings<[string]>;
  lastMention: Phrasings<[string]>;
  frameOfPassage: Phrasings<[string]>;
  count: Phrasings<[string]>;
  countAnswer(n: number, list: number[]): string;
  moreFrames: Phrasings<[string, string]>;
  moreFramesAnswer(winner: string, a: number, other: string, b: number): string;
  orderTwo: Phrasings<[string, string]>;
  orderTwoAnswer(first: string, fi: number, other: string, oi: number): string;
  orderThree: Phrasings<[string]>;
  orderThreeAnswer(letters: string[], quotes: string[], frames: number[]): string;
  next: Phrasings<[string]>;
  previous: Phrasings<[string]>;
  cloze: Phrasings<[string]>;
  rangeSummary: Phrasings<[number, number]>;
  rangeLine(k: number, sentence: string): string;
  firstFrame: Phrasings<[]>;
  lastFrame: Phrasings<[]>;
  /** English only (undefined: the family is not asked in this language). */
  number?: Phrasings<[string, boolean]>;
  definition?: Phrasings<[string, string]>;
  cause?: Phrasings<[string]>;
  effect?: Phrasings<[string]>;
}

/** The blank of a cloze question. */
export const CLOZE_BLANK = '____';

const EN: Language = {
  frame: (k) => `Frame ${k}`,
  frames: (list) => (list.length === 1 ? `Frame ${list[0]}` : `Frames ${list.slice(0, -1).join(', ')} and ${list[list.length - 1]}`),
  quote: (s) => `"${s}"`,
  firstMention: [
    (x) => `In which frame is "${x}" mentioned for the first time?`,
    (x) => `Which frame is the first to mention "${x}"?`,
    (x) => `Where does "${x}" first appear in the video? Give the frame.`,
    (x) => `Find the earliest frame that mentions "${x}".`,
    (x) => `"${x}" comes up in the video. In which frame does it appear first?`,
    (x) => `Scanning the frames in order, when does "${x}" first show up?`,
    (x) => `At what point in the video is "${x}" first brought up?`,
    (x) => `Based on the frames, when is "${x}" introduced?`,
    (x) => `Name the frame where the text first uses the word "${x}".`,
  ],
  lastMention: [
    (x) => `Which frame mentions "${x}" for the last time?`,
    (x) => `In which frame does "${x}" appear for the final time?`,
    (x) => `What is the last frame that refers to "${x}"?`,
    (x) => `"${x}" is mentioned more than once. Where is its last mention?`,
    (x) => `After which frame is "${x}" no longer mentioned?`,
    (x) => `Going through the video, where is "${x}" last referred to?`,
    (x) => `From the frames, identify the final mention of "${x}".`,
  ],
  frameOfPassage: [
    (s) => `Which frame contains the words "${s}"?`,
    (s) => `The passage "${s}" is shown in which frame?`,
    (s) => `On which frame can you read "${s}"?`,
    (s) => `Locate the frame that shows "${s}".`,
    (s) => `"${s}": in which frame does this line appear?`,
    (s) => `Tell me the frame number where the video reads "${s}".`,
  ],
  count: [
    (x) => `How many frames mention "${x}"?`,
    (x) => `In how many different frames does "${x}" appear?`,
    (x) => `Count the frames that refer to "${x}".`,
    (x) => `"${x}" recurs in the video. How many frames include it?`,
    (x) => `Across the whole video, how many frames contain the word "${x}"?`,
    (x) => `Tally the frames in which "${x}" occurs.`,
    (x) => `Over all the frames, how often (in frames) is "${x}" used?`,
  ],
  countAnswer: (n, list) => `${n} ${n === 1 ? 'frame' : 'frames'}: ${EN.frames(list)}.`,
  moreFrames: [
    (x, y) => `Which is mentioned in more frames, "${x}" or "${y}"?`,
    (x, y) => `Does "${x}" or "${y}" appear in more of the frames?`,
    (x, y) => `Comparing "${x}" and "${y}", which one shows up in a larger number of frames?`,
    (x, y) => `Between "${x}" and "${y}", which term does the video mention in more frames?`,
    (x, y) => `"${x}" versus "${y}": which is spread across more frames?`,
    (x, y) => `Is "${x}" or "${y}" the more frequent across frames?`,
  ],
  moreFramesAnswer: (w, a, o, b) =>
    `"${w}" (${a} ${a === 1 ? 'frame' : 'frames'}); "${o}" appears in ${b} ${b === 1 ? 'frame' : 'frames'}.`,
  orderTwo: [
    (x, y) => `Which passage appears earlier in the video: "${x}" or "${y}"?`,
    (x, y) => `Which comes first: "${x}" or "${y}"?`,
    (x, y) => `Two passages: "${x}" and "${y}". Which one is shown before the other?`,
    (x, y) => `Does "${x}" come before or after "${y}" in the video?`,
    (x, y) => `Looking at the order of the frames, which is read first, "${x}" or "${y}"?`,
    (x, y) => `"${x}" or "${y}": which one does the viewer see earlier?`,
    (x, y) => `Tell whether "${x}" precedes "${y}" or follows it.`,
  ],
  orderTwoAnswer: (first, fi, other, oi) => `"${first}" appears earlier (Frame ${fi}); "${other}" comes later (Frame ${oi}).`,
  orderThree: [
    (list) => `Put these passages in the order they appear in the video: ${list}`,
    (list) => `Order the following from earliest to latest: ${list}`,
    (list) => `Arrange these three quotes as the frames show them, first to last: ${list}`,
    (list) => `In what sequence do these passages occur? ${list}`,
    (list) => `Sort these excerpts by when they are shown: ${list}`,
    (list) => `Reconstruct the order of these three passages: ${list}`,
  ],
  orderThreeAnswer: (letters, quotes, frames) =>
    `${letters.join(', ')}: ${quotes.map((q, i) => `"${q}" (Frame ${frames[i]})`).join(', then ')}.`,
  next: [
    (s) => `What comes right after this passage: "${s}"?`,
    (s) => `What does the text say next, after "${s}"?`,
    (s) => `Continue from "${s}": what is the next sentence?`,
    (s) => `Right after the sentence "${s}", what follows?`,
    (s) => `"${s}" is followed by which sentence?`,
    (s) => `Quote the sentence that comes next after "${s}".`,
  ],
  previous: [
    (s) => `What comes just before this passage: "${s}"?`,
    (s) => `Which sentence precedes "${s}"?`,
    (s) => `Before the words "${s}", what does the text say?`,
    (s) => `"${s}" follows another sentence. Which one?`,
    (s) => `Quote the sentence immediately before "${s}".`,
  ],
  cloze: [
    (s) => `Fill in the blank with the word used in the video: "${s}"`,
    (s) => `Complete the sentence as it appears in the frames: "${s}"`,
    (s) => `What word is missing here? "${s}"`,
    (s) => `Supply the missing word, as the text has it: "${s}"`,
    (s) => `"${s}": which word goes in the gap?`,
    (s) => `Recall the exact word the frames use in place of the blank: "${s}"`,
  ],
  rangeSummary: [
    (i, j) => `Summarise what frames ${i} to ${j} say.`,
    (i, j) => `What is the gist of frames ${i}–${j}?`,
    (i, j) => `Give the key point of each frame from ${i} to ${j}.`,
    (i, j) => `Between frame ${i} and frame ${j}, what are the main points?`,
    (i, j) => `Briefly, what happens from frame ${i} through frame ${j}?`,
    (i, j) => `Outline the content of frames ${i} to ${j}, one point per frame.`,
    (i, j) => `Frames ${i}–${j}: what does each of them mainly say?`,
  ],
  rangeLine: (k, s) => `Frame ${k}: ${s}`,
  firstFrame: [
    () => 'What is the first frame about?',
    () => 'How does the video open?',
    () => 'What does the opening frame say?',
    () => 'Summarise the very beginning of the video.',
    () => 'Describe what is shown at the start.',
    () => 'Tell me how the text begins.',
  ],
  lastFrame: [
    () => 'What is the last frame about?',
    () => 'How does the video end?',
    () => 'What does the final frame say?',
    () => 'Summarise the closing frame.',
    () => 'Describe what the viewer reads at the very end.',
    () => 'Tell me how the text concludes.',
  ],
  number: [
    (p, year) =>
      year ? `What year is given in the sentence that begins "${p}"?` : `What number is given in the sentence that begins "${p}"?`,
    (p, year) => `The sentence starting "${p}" mentions ${year ? 'a year' : 'a figure'}. What is it?`,
    (p, year) => `According to the frames, what ${year ? 'year' : 'figure'} appears in the sentence beginning "${p}"?`,
    (p, year) => `Read the sentence that opens with "${p}". Which ${year ? 'year' : 'number'} does it state?`,
    (p, year) => `Starting from "${p}", which ${year ? 'year' : 'figure'} does the sentence go on to give?`,
  ],
  definition: [
    (x, v) => `According to the text, what ${v} "${x}"?`,
    (x) => `In the video, how is "${x}" characterised?`,
    (x) => `What does the text say about what "${x}" is?`,
    (x) => `Define "${x}" as the frames do.`,
    (x) => `"${x}": give the description the text provides.`,
  ],
  cause: [
    (e) => `The text says "${e}". What reason does it give?`,
    (e) => `According to the video, why is it that "${e}"?`,
    (e) => `What explanation does the text offer for "${e}"?`,
    (e) => `Why, in the text's words: "${e}"?`,
    (e) => `Explain, using the video's own words, why "${e}".`,
    (e) => `"${e}": for what reason, according to the frames?`,
  ],
  effect: [
    (c) => `What was the result, according to the text, of the following: "${c}"?`,
    (c) => `The video states "${c}". What followed as a consequence?`,
    (c) => `What consequence does the text draw from "${c}"?`,
    (c) => `"${c}" What came of this, according to the frames?`,
  ],
};

const ZH: Language = {
  frame: (k) => `第${k}帧`,
  frames: (list) => list.map((k) => `第${k}帧`).join('、'),
  quote: (s) => `“${s}”`,
  firstMention: [(x) => `“${x}”最早出现在哪一帧？`, (x) => `哪一帧最先提到“${x}”？`, (x) => `视频中第一次提到“${x}”的是哪一帧？`],
  lastMention: [(x) => `“${x}”最后一次出现在哪一帧？`, (x) => `哪一帧最后提到“${x}”？`],
  frameOfPassage: [(s) => `“${s}”出现在哪一帧？`, (s) => `哪一帧中可以读到“${s}”？`],
  count: [(x) => `有多少帧提到了“${x}”？`, (x) => `“${x}”一共出现在几帧中？`],
  countAnswer: (n, list) => `${n}帧：${ZH.frames(list)}。`,
  moreFrames: [(x, y) => `“${x}”和“${y}”，哪一个出现在更多的帧中？`, (x, y) => `比较“${x}”与“${y}”，哪个被更多帧提到？`],
  moreFramesAnswer: (w, a, o, b) => `“${w}”（${a}帧）；“${o}”出现在${b}帧中。`,
  orderTwo: [(x, y) => `“${x}”和“${y}”，哪一段在视频中出现得更早？`, (x, y) => `“${x}”与“${y}”哪个先出现？`],
  orderTwoAnswer: (first, fi, other, oi) => `“${first}”出现得更早（第${fi}帧）；“${other}”在后（第${oi}帧）。`,
  orderThree: [(list) => `按在视频中出现的先后顺序排列：${list}`, (list) => `以下三段按出现顺序应如何排列？${list}`],
  orderThreeAnswer: (letters, quotes, frames) =>
    `${letters.join('、')}：${quotes.map((q, i) => `“${q}”（第${frames[i]}帧）`).join('，然后')}。`,
  next: [(s) => `紧接在“${s}”之后的内容是什么？`, (s) => `“${s}”之后的下一句是什么？`],
  previous: [(s) => `紧接在“${s}”之前的内容是什么？`, (s) => `“${s}”的前一句是什么？`],
  cloze: [(s) => `填空（用视频中的原词）：“${s}”`, (s) => `补全这句话：“${s}”`],
  rangeSummary: [(i, j) => `概括第${i}帧到第${j}帧的内容。`, (i, j) => `第${i}至${j}帧的要点是什么？`],
  rangeLine: (k, s) => `第${k}帧：${s}`,
  firstFrame: [() => '第一帧讲的是什么？', () => '视频是怎样开头的？'],
  lastFrame: [() => '最后一帧讲的是什么？', () => '视频是怎样结尾的？'],
};

type Draft = { question: string; answer: string; kind: GeneratedQAKind; supportingFrames: number[]; template: BuiltinTemplate };

/** A number written as digits (thousands separators and decimals allowed), not part of a word. */
const NUMBER = /(?<![\p{L}\p{N}.,])\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\p{L}\p{N}])|(?<![\p{L}\p{N}.,])\d+(?:\.\d+)?(?![\p{L}\p{N}]|[.,]\d)/gu;
const YEAR = /^(1[5-9]|20)\d\d$/;
/** "X is a …": a capitalised subject of one to four words, then the verb and an article. */
const DEFINITION = /^(?:The |An? )?(\p{Lu}[\p{L}\p{N}-]*(?: [\p{L}\p{N}-]+){0,3}) (is|are|was|were|refers to|means) (?:a|an|the) /u;
const NOT_A_SUBJECT = new Set([
  'it',
  'this',
  'that',
  'there',
  'he',
  'she',
  'they',
  'we',
  'i',
  'you',
  'these',
  'those',
  'here',
  'what',
  'which',
  'who',
]);
/** "… because …" / "… due to …": the effect before the marker, the cause after it. */
const BECAUSE = /^(.{20,}?),? (because|due to) (.{10,})$/su;
/** A sentence that draws a consequence from the one before it. */
const CONSEQUENCE = /^(As a result|Therefore|Consequently|Thus|Hence|As a consequence),\s+(.{10,})$/su;

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
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)];
  const shuffle = <T>(list: readonly T[]): T[] => {
    const a = [...list];
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [a[i], a[j]] = [a[j], a[i]];
    }
    return a;
  };

  // Word units per frame (for quoted spans) and candidate terms (for term questions).
  const unitsOf: Range[][] = frames.map(([a, b]) => wordUnits(text, locale, a, b));
  const segmenter = new Intl.Segmenter(locale, { granularity: 'word' });
  const candidates: string[] = [];
  const seenTerm = new Set<string>();
  const isTerm = (w: string): boolean =>
    isCjk(w) ? /^\p{Script=Han}{2,8}$/u.test(w) && !STOP_ZH.has(w) : /^\p{L}{4,24}$/u.test(w) && !STOP_EN.has(w.toLowerCase());
  for (const [a, b] of frames) {
    for (const s of segmenter.segment(text.slice(a, b))) {
      const w = s.segment;
      const key = w.toLowerCase();
      if (s.isWordLike && isTerm(w) && !seenTerm.has(key)) {
        seenTerm.add(key);
        candidates.push(w);
      }
    }
  }
  const usedTerms = new Set<string>();
  const findTerm = (accept: (list: number[]) => boolean, mark = true): { term: string; list: number[] } | undefined => {
    for (const term of shuffle(candidates).slice(0, 400)) {
      if (usedTerms.has(term.toLowerCase())) {
        continue;
      }
      const list = framesMentioning(text, frames, term);
      if (list && list.length && accept(list)) {
        if (mark) {
          usedTerms.add(term.toLowerCase());
        }
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
      if (!unique(s, a)) {
        continue;
      }
      usedSpans.add(s);
      return { text: s, start: a };
    }
    return undefined;
  };
  /** `s` starts at `at` and occurs nowhere else in the context. */
  const unique = (s: string, at: number): boolean => text.indexOf(s) === at && text.indexOf(s, at + 1) < 0;

  let sentences: Range[] | undefined;
  const sentenceList = (): Range[] => (sentences ??= sentenceRanges(text, locale).map(([a, b]) => trimRange(text, a, b, false)));
  /** Sentences fit to be quoted in a question: one line, no quotation marks, a sane length, unique in the context. */
  const usedSentences = new Set<number>();
  const quotable = (i: number, min: number, max: number): boolean => {
    const [a, b] = sentenceList()[i];
    const s = text.slice(a, b);
    return !usedSentences.has(i) && s.length >= min && s.length <= max && !/[\r\n"“”]/.test(s) && unique(s, a);
  };
  /** Sentence indices in a seeded order (at most 300 tried per question). */
  const sentenceOrder = (): number[] => shuffle(sentenceList().map((_, i) => i)).slice(0, 300);
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
    const s = sentenceList().find(([a, b]) => b > a && a >= fa && a < fb);
    const [a, b] = s ? trimRange(text, s[0], Math.min(s[1], fb), false) : trimRange(text, fa, fb, false);
    return b > a ? clip(a, b) : undefined;
  };
  // Key sentences: the sentence of a frame whose content words recur most in the document (mean frequency).
  let frequency: Map<string, number> | undefined;
  const keySentence = (f: number): string | undefined => {
    if (!frequency) {
      frequency = new Map();
      for (const s of segmenter.segment(text)) {
        if (s.isWordLike && isTerm(s.segment)) {
          const key = s.segment.toLowerCase();
          frequency.set(key, (frequency.get(key) ?? 0) + 1);
        }
      }
    }
    const [fa, fb] = frames[f];
    let best: { s: string; score: number } | undefined;
    for (const [a, b] of sentenceList()) {
      if (a < fa || b > fb || b - a < (zh ? 6 : 30) || b - a > (zh ? 120 : 300) || /[\r\n]/.test(text.slice(a, b))) {
        continue;
      }
      let sum = 0;
      let words = 0;
      for (const w of segmenter.segment(text.slice(a, b))) {
        if (w.isWordLike && isTerm(w.segment)) {
          sum += frequency.get(w.segment.toLowerCase()) ?? 0;
          words++;
        }
      }
      const score = words ? sum / words : 0;
      if (!best || score > best.score) {
        best = { s: text.slice(a, b), score };
      }
    }
    return best?.s;
  };

  const termQuestion = (
    template: BuiltinTemplate,
    kind: GeneratedQAKind,
    accept: (list: number[]) => boolean,
    fallback: (list: number[]) => boolean,
    phrasings: Phrasings<[string]>,
    answer: (list: number[]) => { answer: string; frames: number[] },
  ): Draft | undefined => {
    if (n < 2) {
      return undefined;
    }
    const found = findTerm(accept) ?? findTerm(fallback);
    if (!found) {
      return undefined;
    }
    const a = answer(found.list);
    return { question: pick(phrasings)(found.term), answer: a.answer, kind, supportingFrames: a.frames, template };
  };
  const few = Math.max(1, Math.floor(n / 4));
  const twoFrames = (): [number, number] => {
    const i = Math.floor(rand() * n);
    let j = Math.floor(rand() * (n - 1));
    if (j >= i) {
      j++;
    }
    return i < j ? [i, j] : [j, i];
  };

  const makers: Record<BuiltinTemplate, () => Draft | undefined> = {
    'first-mention': () =>
      termQuestion(
        'first-mention',
        'needle',
        (l) => l.length <= few && l[0] > 0,
        (l) => l.length <= few,
        t.firstMention,
        (l) => ({ answer: t.frame(l[0] + 1), frames: [l[0]] }),
      ),
    'last-mention': () =>
      termQuestion(
        'last-mention',
        'needle',
        (l) => l.length >= 2 && l[l.length - 1] < n - 1,
        (l) => l.length >= 2,
        t.lastMention,
        (l) => ({ answer: t.frame(l[l.length - 1] + 1), frames: [l[l.length - 1]] }),
      ),
    count: () => {
      const max = Math.min(n - 1, 8);
      return termQuestion(
        'count',
        'counting',
        (l) => l.length >= 2 && l.length <= max,
        (l) => l.length <= max,
        t.count,
        (l) => ({
          answer: t.countAnswer(
            l.length,
            l.map((f) => f + 1),
          ),
          frames: l,
        }),
      );
    },
    'more-frames': () => {
      if (n < 3) {
        return undefined;
      }
      const x = findTerm((l) => l.length >= 2 && l.length < n, false);
      const y = x && findTerm((l) => l.length !== x.list.length && l.length < n, false);
      if (!x || !y || x.term.toLowerCase() === y.term.toLowerCase()) {
        return undefined;
      }
      usedTerms.add(x.term.toLowerCase()).add(y.term.toLowerCase());
      const [w, o] = x.list.length > y.list.length ? [x, y] : [y, x];
      const question = rand() < 0.5 ? pick(t.moreFrames)(x.term, y.term) : pick(t.moreFrames)(y.term, x.term);
      const support = [...new Set([...x.list, ...y.list])].sort((a, b) => a - b);
      return {
        question,
        answer: t.moreFramesAnswer(w.term, w.list.length, o.term, o.list.length),
        kind: 'comparison',
        supportingFrames: support,
        template: 'more-frames',
      };
    },
    'frame-of-passage': () => {
      for (let tries = 0; n >= 2 && tries < 6; tries++) {
        const f = Math.floor(rand() * n);
        const span = spanIn(f);
        if (span) {
          return {
            question: pick(t.frameOfPassage)(span.text),
            answer: t.frame(f + 1),
            kind: 'needle',
            supportingFrames: [f],
            template: 'frame-of-passage',
          };
        }
      }
      return undefined;
    },
    'order-two': () => {
      if (n < 2) {
        return undefined;
      }
      for (let tries = 0; tries < 8; tries++) {
        const [fi, fj] = twoFrames();
        const x = spanIn(fi);
        const y = x && spanIn(fj);
        if (!x || !y) {
          continue;
        }
        const question = rand() < 0.5 ? pick(t.orderTwo)(x.text, y.text) : pick(t.orderTwo)(y.text, x.text);
        return {
          question,
          answer: t.orderTwoAnswer(x.text, fi + 1, y.text, fj + 1),
          kind: 'temporal',
          supportingFrames: [fi, fj],
          template: 'order-two',
        };
      }
      return undefined;
    },
    'order-three': () => {
      if (n < 3) {
        return undefined;
      }
      for (let tries = 0; tries < 8; tries++) {
        const picked = shuffle(frames.map((_, i) => i))
          .slice(0, 3)
          .sort((a, b) => a - b);
        const spans = picked.map((f) => spanIn(f));
        if (spans.some((s) => !s)) {
          continue;
        }
        // Shown in a seeded order labelled A, B, C; the answer lists the labels in the order of the video.
        const shown = shuffle([0, 1, 2]);
        const labels = ['A', 'B', 'C'];
        const list = shown.map((k, i) => `(${labels[i]}) ${t.quote(spans[k]!.text)}`).join(' ');
        const letters = [0, 1, 2].map((k) => labels[shown.indexOf(k)]);
        return {
          question: pick(t.orderThree)(list),
          answer: t.orderThreeAnswer(
            letters,
            spans.map((s) => s!.text),
            picked.map((f) => f + 1),
          ),
          kind: 'temporal',
          supportingFrames: picked,
          template: 'order-three',
        };
      }
      return undefined;
    },
    next: () => {
      const list = sentenceList();
      for (const i of sentenceOrder()) {
        if (i + 1 >= list.length || !quotable(i, zh ? 8 : 25, zh ? 120 : 300)) {
          continue;
        }
        const [a, b] = list[i];
        const [c, d] = list[i + 1];
        if (d - c < (zh ? 4 : 10) || /[\r\n]/.test(text.slice(c, d)) || text.slice(b, c).trim() !== '') {
          continue;
        }
        usedSentences.add(i);
        return {
          question: pick(t.next)(text.slice(a, b)),
          answer: clip(c, d),
          kind: 'detail',
          supportingFrames: framesOverlapping(frames, a, d),
          template: 'next',
        };
      }
      return undefined;
    },
    previous: () => {
      const list = sentenceList();
      for (const i of sentenceOrder()) {
        if (i === 0 || !quotable(i, zh ? 8 : 25, zh ? 120 : 300)) {
          continue;
        }
        const [a, b] = list[i];
        const [c, d] = list[i - 1];
        if (d - c < (zh ? 4 : 10) || d - c > (zh ? 120 : 300) || /[\r\n]/.test(text.slice(c, d)) || text.slice(d, a).trim() !== '') {
          continue;
        }
        usedSentences.add(i);
        return {
          question: pick(t.previous)(text.slice(a, b)),
          answer: text.slice(c, d),
          kind: 'detail',
          supportingFrames: framesOverlapping(frames, c, b),
          template: 'previous',
        };
      }
      return undefined;
    },
    cloze: () => {
      const list = sentenceList();
      for (const i of sentenceOrder()) {
        if (!quotable(i, zh ? 10 : 40, zh ? 100 : 220)) {
          continue;
        }
        const [a, b] = list[i];
        const s = text.slice(a, b);
        const words = [...segmenter.segment(s)].filter((w) => w.isWordLike && isTerm(w.segment));
        const usable = words.filter((w) => termOccurrences(s, w.segment).length === 1);
        if (!usable.length) {
          continue;
        }
        const w = pick(usable);
        const blanked = s.slice(0, w.index) + CLOZE_BLANK + s.slice(w.index + w.segment.length);
        usedSentences.add(i);
        return {
          question: pick(t.cloze)(blanked),
          answer: w.segment,
          kind: 'detail',
          supportingFrames: framesOverlapping(frames, a, b),
          template: 'cloze',
        };
      }
      return undefined;
    },
    number: () => {
      if (!t.number) {
        return undefined;
      }
      const list = sentenceList();
      for (const i of sentenceOrder()) {
        if (!quotable(i, 40, 400)) {
          continue;
        }
        const [a, b] = list[i];
        const s = text.slice(a, b);
        const numbers = [...s.matchAll(NUMBER)];
        if (numbers.length !== 1 || numbers[0][0].length < 2) {
          continue;
        }
        // The quoted prefix: the sentence's first words, before the number, unique in the context.
        const units = wordUnits(s, locale).filter(([, e]) => e <= numbers[0].index!);
        if (units.length < 4) {
          continue;
        }
        const prefix = s.slice(0, units[Math.min(units.length, 7) - 1][1]);
        if (!unique(prefix, a) || prefix.length < 15) {
          continue;
        }
        usedSentences.add(i);
        const value = numbers[0][0];
        return {
          question: pick(t.number)(prefix, YEAR.test(value)),
          answer: value,
          kind: 'detail',
          supportingFrames: framesOverlapping(frames, a, b),
          template: 'number',
        };
      }
      return undefined;
    },
    definition: () => {
      if (!t.definition) {
        return undefined;
      }
      const list = sentenceList();
      for (const i of sentenceOrder()) {
        if (!quotable(i, 30, 300)) {
          continue;
        }
        const [a, b] = list[i];
        const s = text.slice(a, b);
        const m = DEFINITION.exec(s);
        if (!m || NOT_A_SUBJECT.has(m[1].split(' ')[0].toLowerCase()) || STOP_EN.has(m[1].toLowerCase())) {
          continue;
        }
        usedSentences.add(i);
        const verb = m[2] === 'are' || m[2] === 'were' ? 'are' : 'is';
        return {
          question: pick(t.definition)(m[1], verb),
          answer: s,
          kind: 'detail',
          supportingFrames: framesOverlapping(frames, a, b),
          template: 'definition',
        };
      }
      return undefined;
    },
    cause: () => {
      if (!t.cause || !t.effect) {
        return undefined;
      }
      const list = sentenceList();
      for (const i of sentenceOrder()) {
        if (!quotable(i, 40, 300)) {
          continue;
        }
        const [a, b] = list[i];
        const s = text.slice(a, b);
        const because = BECAUSE.exec(s);
        if (because && s.split(because[2]).length === 2) {
          const effect = because[1];
          const cause = because[3].replace(/[\s\p{P}]+$/u, '');
          if (unique(effect, a)) {
            usedSentences.add(i);
            const marker = because[2] === 'because' ? 'Because' : 'Due to';
            return {
              question: pick(t.cause)(effect),
              answer: `${marker} ${cause}.`,
              kind: 'reasoning',
              supportingFrames: framesOverlapping(frames, a, b),
              template: 'cause',
            };
          }
        }
        const consequence = CONSEQUENCE.exec(s);
        if (consequence && i > 0 && quotable(i - 1, 30, 300)) {
          const [c, d] = list[i - 1];
          if (text.slice(d, a).trim() !== '') {
            continue;
          }
          usedSentences.add(i);
          return {
            question: pick(t.effect)(text.slice(c, d)),
            answer: consequence[2],
            kind: 'reasoning',
            supportingFrames: framesOverlapping(frames, c, b),
            template: 'cause',
          };
        }
      }
      return undefined;
    },
    'range-summary': () => {
      if (n < 3) {
        return undefined;
      }
      for (let tries = 0; tries < 6; tries++) {
        const span = 2 + Math.floor(rand() * Math.min(3, n - 1));
        const i = Math.floor(rand() * (n - span + 1));
        const range = Array.from({ length: span }, (_, k) => i + k);
        const lines = range.map((f) => keySentence(f));
        if (lines.some((l) => !l)) {
          continue;
        }
        return {
          question: pick(t.rangeSummary)(i + 1, i + span),
          answer: range.map((f, k) => t.rangeLine(f + 1, lines[k]!)).join('\n'),
          kind: 'summary',
          supportingFrames: range,
          template: 'range-summary',
        };
      }
      return undefined;
    },
    'first-frame': () => {
      const s = opening(0);
      return s ? { question: pick(t.firstFrame)(), answer: s, kind: 'summary', supportingFrames: [0], template: 'first-frame' } : undefined;
    },
    'last-frame': () => {
      const s = n > 1 ? opening(n - 1) : undefined;
      return s
        ? { question: pick(t.lastFrame)(), answer: s, kind: 'summary', supportingFrames: [n - 1], template: 'last-frame' }
        : undefined;
    },
  };

  const createdAt = options.createdAt ?? new Date().toISOString();
  const out: GeneratedPair[] = [];
  const questions = new Set<string>();
  // Rounds: every family at most once per round, in a seeded order; one of the first/last-frame questions, in the
  // first round only (they carry little of the text, so they would otherwise be a large share of short documents).
  const edge: BuiltinTemplate = rand() < 0.5 ? 'first-frame' : 'last-frame';
  for (let round = 0; out.length < want; round++) {
    const names = shuffle(
      BUILTIN_TEMPLATES.filter((name) => (name !== 'first-frame' && name !== 'last-frame') || (round === 0 && name === edge)),
    );
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
      const { template, ...pair } = draft;
      out.push({
        ...pair,
        provenance: {
          generator: 'builtin',
          promptVersion: BUILTIN_PROMPT_VERSION,
          createdAt,
          editedByUser: false,
          seed: options.seed,
          template,
        },
        status: 'new',
      });
    }
    if (added === 0) {
      break;
    }
  }
  return out;
}
