/**
 * Q&A for one document, without a file: what the extension calls for the curation editor's per-pair "regenerate" and
 * for "Generate Q&A for Active Document".
 * - generatePairsForDocument: the pairs for one document (the built-in generator, or an LLM);
 * - regeneratePair: ONE new pair to replace `existing[index]`, whose question differs from every existing question.
 *   Built-in: deterministic for the same inputs (seeds are tried in a fixed order, the replaced pair's kind first).
 *   LLM: the model is told the existing questions and the kind wanted; the request is never served from the cache,
 *   so regenerating again asks again.
 * Every pair comes back with fresh provenance (createdAt now, editedByUser false) and status 'new'.
 */
import { BUILTIN_PROMPT_VERSION, generateBuiltin } from './builtin';
import { LlmGenerator, questionKey, type LlmOptions } from './llm';
import { isGeneratedQAKind, type GeneratedPair, type GeneratedQAKind, type QADocument } from './types';

/** The endpoint, model, key and request settings of the LLM generator (everything but the per-run counts). */
export type LlmConnection = Omit<LlmOptions, 'perDoc' | 'concurrency'>;

export type DocumentGeneratorOptions =
  | {
      generator: 'builtin';
      /** Default 1. */
      seed?: number;
      /** Segmentation locale ('' or undefined: detect from the text). */
      locale?: string;
    }
  | {
      generator: 'llm';
      /** cacheDir is used by generatePairsForDocument, never by regeneratePair. */
      llm: LlmConnection;
      signal?: AbortSignal;
    };

export type GeneratePairsOptions = DocumentGeneratorOptions & {
  /** Pairs wanted (the built-in generator may return fewer for a short document). */
  perDoc: number;
};

/** Seeds the built-in regeneration tries, at most. */
const MAX_SEEDS = 64;
/** After this many seeds, a new question of another kind is taken rather than searching on for the same kind. */
const SAME_KIND_SEEDS = 4;
/** Pairs asked of the built-in generator per seed: enough to go past the ones that already exist. */
const CANDIDATES_PER_SEED = 12;

/** The pairs for one document, as `t2vid qa` would write them for it (without the input's own pairs). */
export async function generatePairsForDocument(doc: QADocument, options: GeneratePairsOptions): Promise<GeneratedPair[]> {
  const perDoc = Math.max(1, Math.floor(options.perDoc));
  if (options.generator === 'builtin') {
    return generateBuiltin(doc, { perDoc, seed: options.seed ?? 1, locale: options.locale });
  }
  const llm = new LlmGenerator({ ...options.llm, perDoc, concurrency: 1 });
  return llm.generate(doc, options.signal);
}

/**
 * ONE new pair to replace `existing[index]`: its question differs from every question in `existing` (the replaced one
 * included; compared with whitespace collapsed and case folded). Throws a RangeError for a bad index, and an Error
 * when the built-in generator has no new question left for this document.
 */
export async function regeneratePair(
  doc: QADocument,
  existing: readonly GeneratedPair[],
  index: number,
  options: DocumentGeneratorOptions,
): Promise<GeneratedPair> {
  if (!Number.isInteger(index) || index < 0 || index >= existing.length) {
    throw new RangeError(`no pair ${index} to regenerate (the document has ${existing.length})`);
  }
  const replaced = existing[index];
  const kind = isGeneratedQAKind(replaced.kind) ? replaced.kind : undefined;
  if (options.generator === 'builtin') {
    const seed = options.seed ?? replaced.provenance.seed ?? 1;
    return regenerateBuiltin(doc, existing, kind, seed, options.locale);
  }
  const llm = new LlmGenerator({ ...options.llm, cacheDir: undefined, perDoc: 1, concurrency: 1 });
  return llm.generateOne(
    doc,
    existing.map((p) => p.question),
    kind,
    options.signal,
  );
}

/** Seeds seed+1, seed+2, …: the first new question of `kind`, else (after a few seeds) the first new one of any kind. */
function regenerateBuiltin(
  doc: QADocument,
  existing: readonly GeneratedPair[],
  kind: GeneratedQAKind | undefined,
  seed: number,
  locale: string | undefined,
): GeneratedPair {
  if (doc.frames.length === 0 || !doc.context.trim()) {
    throw new Error(`the built-in generator cannot ask about document ${JSON.stringify(doc.id)}: it is empty`);
  }
  const taken = new Set(existing.map((p) => questionKey(p.question)));
  const perDoc = existing.length + CANDIDATES_PER_SEED;
  const createdAt = new Date().toISOString();
  let fallback: GeneratedPair | undefined;
  for (let i = 0; i < MAX_SEEDS; i++) {
    // Seeds go up from the replaced pair's seed, wrapping within uint32 so any input seed works.
    const s = (seed + 1 + i) >>> 0;
    const fresh = generateBuiltin(doc, { perDoc, seed: s, locale, createdAt }).filter((p) => !taken.has(questionKey(p.question)));
    const match = kind ? fresh.find((p) => p.kind === kind) : fresh[0];
    if (match) {
      return withProvenance(match, s, createdAt);
    }
    fallback ??= fresh[0] && withProvenance(fresh[0], s, createdAt);
    if (fallback && i + 1 >= SAME_KIND_SEEDS) {
      return fallback;
    }
  }
  if (fallback) {
    return fallback;
  }
  throw new Error(
    `the built-in generator has no new question for document ${JSON.stringify(doc.id)}: every question it can ask ` +
      `(${MAX_SEEDS} seeds tried) is already among its ${existing.length} pairs`,
  );
}

function withProvenance(pair: GeneratedPair, seed: number, createdAt: string): GeneratedPair {
  return {
    ...pair,
    provenance: { ...pair.provenance, generator: 'builtin', promptVersion: BUILTIN_PROMPT_VERSION, createdAt, editedByUser: false, seed },
    status: 'new',
  };
}
