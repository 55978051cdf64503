/**
 * Verb–noun structure of instructions (the Self-Instruct / Data-Juicer analysis: root verb + direct object of the
 * first sentence), approximated with wink-nlp's part-of-speech tagger, which tags but does not parse dependencies:
 * - the verb is the first token tagged VERB (not AUX) in the first sentence, lemmatised, skipping verbs inside quotes
 *   and participles used as adjectives (right after a determiner, adjective or numeral: "any moving objects");
 * - its object is the head noun of the noun phrase right after it: skipping determiners, adjectives, numerals,
 *   adverbs, particles and pronouns (so "give me a summary" → summary), the first NOUN/PROPN and the last noun of the
 *   run of nouns it starts ("summarize these news articles" → article); anything else first (a preposition, a
 *   verb, punctuation, the end) → no object, as a dependency parse finds no direct object there.
 * English only: other instructions are counted apart and not analysed.
 */
import winkNLP from 'wink-nlp';
import type { MetricValue } from '../../shared/diversity';
import { looksEnglish } from './text';

/** Top verbs with their top nouns (counts), for the sunburst. */
export interface VerbNounTree {
  verbs: Array<{ verb: string; count: number; nouns: Array<{ noun: string; count: number }> }>;
  /** Instructions analysed (English), and those with both a verb and an object. */
  english: number;
  withPair: number;
  total: number;
}

const TOP_VERBS = 20;
const TOP_NOUNS = 4;
/** The first sentence is all we read; longer texts are cut here first (a first sentence is rarely longer). */
const MAX_CHARS = 600;
const SKIP_BEFORE_OBJECT = new Set(['DET', 'ADJ', 'NUM', 'ADV', 'PART', 'PRON']);
const NOUNS = new Set(['NOUN', 'PROPN']);
const ATTRIBUTIVE_BEFORE = new Set(['DET', 'ADJ', 'NUM']);
const QUOTES = new Set(["'", '"', '“', '”', '‘', '’', '`']);

let nlp: ReturnType<typeof winkNLP> | undefined;

/** The (verb, object) of one instruction's first sentence, either undefined when not found. */
export function verbAndObject(text: string): { verb?: string; noun?: string } {
  // The English model (3.5 MB) is loaded here, on first use: a bundle that inlined it would parse it at every
  // process start (esbuild.js keeps it in dist/vendor).
  nlp ??= winkNLP(require('wink-eng-lite-web-model') as typeof import('wink-eng-lite-web-model').default, ['sbd', 'pos']);
  const its = nlp.its;
  const doc = nlp.readDoc(text.length > MAX_CHARS ? text.slice(0, MAX_CHARS) : text);
  if (doc.sentences().length() === 0) {
    return {};
  }
  const tokens = doc.sentences().itemAt(0).tokens();
  // wink-nlp's typings do not let its.lemma through out(); it is a token property like its.pos.
  const out = (property: unknown): string[] => tokens.out(property as typeof its.pos) as string[];
  const pos = out(its.pos);
  const lemma = out(its.lemma);
  const value = out(its.value);
  // The main verb: the first VERB that is neither quoted (a quoted clause: "when does the action 'the person puts
  // the book down' take place") nor an attributive participle after a determiner, adjective or numeral ("any
  // moving objects", "how many moving objects").
  let quoted = false;
  let v = -1;
  for (let i = 0; i < pos.length; i++) {
    if (QUOTES.has(value[i]!)) {
      quoted = !quoted;
    } else if (pos[i] === 'VERB' && !quoted && !(i > 0 && ATTRIBUTIVE_BEFORE.has(pos[i - 1]!))) {
      v = i;
      break;
    }
  }
  if (v < 0) {
    return {};
  }
  const verb = lemma[v]!.toLowerCase();
  let i = v + 1;
  while (i < pos.length && SKIP_BEFORE_OBJECT.has(pos[i]!)) {
    i++;
  }
  if (i >= pos.length || !NOUNS.has(pos[i]!)) {
    return { verb };
  }
  while (i + 1 < pos.length && NOUNS.has(pos[i + 1]!)) {
    i++;
  }
  return { verb, noun: lemma[i]!.toLowerCase() };
}

/**
 * Verb–noun coverage (share of English instructions with a verb and an object), spread (distinct pairs per English
 * instruction; entropy of the pair distribution in bits) and the top-20-verbs × top-4-nouns tree.
 */
export function verbNoun(
  texts: readonly string[],
  tokenised: readonly (readonly string[])[],
): { coverage: MetricValue; distinct: MetricValue; entropy: MetricValue; tree: VerbNounTree } {
  const pairs = new Map<string, number>();
  const verbs = new Map<string, Map<string, number>>();
  let english = 0;
  let withPair = 0;
  texts.forEach((text, i) => {
    if (!looksEnglish(tokenised[i]!)) {
      return;
    }
    english++;
    const { verb, noun } = verbAndObject(text);
    if (!verb || !noun) {
      return;
    }
    withPair++;
    const key = `${verb} ${noun}`;
    pairs.set(key, (pairs.get(key) ?? 0) + 1);
    let nouns = verbs.get(verb);
    if (!nouns) {
      verbs.set(verb, (nouns = new Map()));
    }
    nouns.set(noun, (nouns.get(noun) ?? 0) + 1);
  });
  let entropy = 0;
  for (const count of pairs.values()) {
    const p = count / withPair;
    entropy -= p * Math.log2(p);
  }
  const byCount = <K extends string>(a: [K, number], b: [K, number]): number => b[1] - a[1] || (a[0] < b[0] ? -1 : 1);
  const tree: VerbNounTree = {
    verbs: [...verbs]
      .map(([verb, nouns]) => [verb, [...nouns.values()].reduce((s, c) => s + c, 0), nouns] as const)
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, TOP_VERBS)
      .map(([verb, count, nouns]) => ({
        verb,
        count,
        nouns: [...nouns]
          .sort(byCount)
          .slice(0, TOP_NOUNS)
          .map(([noun, c]) => ({ noun, count: c })),
      })),
    english,
    withPair,
    total: texts.length,
  };
  const scope =
    `English only (${english} of ${texts.length} instructions); verb = first VERB of the first sentence, object = head noun ` +
    'of the noun phrase right after it (wink-nlp POS tags approximating a dependency parse)';
  return {
    coverage: {
      value: english ? withPair / english : null,
      sampleSize: english,
      definition: `share of instructions with both a verb and its object; ${scope}`,
    },
    distinct: {
      value: english ? pairs.size / english : null,
      sampleSize: english,
      definition:
        `spread: distinct verb–object pairs (${pairs.size}) ÷ English instructions (an instruction without a verb and ` +
        `object adds none; compare sets of equal size); ${scope}`,
    },
    entropy: {
      value: withPair ? entropy : null,
      sampleSize: withPair,
      definition: `Shannon entropy (bits) of the verb–object pair distribution over ${withPair} instructions; ${scope}`,
    },
    tree,
  };
}
