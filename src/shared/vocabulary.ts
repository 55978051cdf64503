/**
 * The vocabulary, defined once for the core, the CLI, the protocols, the webviews and package.json (tied by a unit
 * test): segment modes, alignments, review statuses, generators, and the curation filters. No imports: the webview
 * bundles include this file.
 */

/** How a context is cut into frames. */
export const SEGMENT_MODES = ['words', 'sentences', 'fit'] as const;
export type SegmentMode = (typeof SEGMENT_MODES)[number];

/**
 * What "words per frame" counts. `words`: word-like segments of Intl.Segmenter (punctuation does not count).
 * `tokens`: the T2Vid reference's NLTK `word_tokenize` tokens (each punctuation mark, `n't`, `'s` and a quote count;
 * `1,000` and `3.5` are one token), so 115 means what it means in the paper.
 */
export const COUNT_UNITS = ['words', 'tokens'] as const;
export type CountUnit = (typeof COUNT_UNITS)[number];

/**
 * Named sets of options (`--preset`, `t2vid.render.preset`). `t2vid`: the paper's frames (Arimo 20 px, 448×448,
 * 115 tokens); `none`: the defaults. What each sets is in src/core/options.ts (PRESET_OPTIONS).
 */
export const PRESETS = ['none', 't2vid'] as const;
export type Preset = (typeof PRESETS)[number];

/** Line alignment in a frame. */
export const ALIGNS = ['left', 'centre', 'right'] as const;
export type Align = (typeof ALIGNS)[number];

/** The generators a person can run (CLI `--generator`, setting `t2vid.qa.generator`). */
export const QA_GENERATORS = ['builtin', 'llm'] as const;
export type QAGenerator = (typeof QA_GENERATORS)[number];

/**
 * Who wrote a pair: a generator, 'source': the input dataset itself (its own question and answer), or 'human': a
 * person, in the curation editor.
 */
export const PAIR_ORIGINS = [...QA_GENERATORS, 'source', 'human'] as const;
export type PairOrigin = (typeof PAIR_ORIGINS)[number];

export const REVIEW_STATUSES = ['new', 'accepted', 'rejected', 'flagged'] as const;
export type ReviewStatus = (typeof REVIEW_STATUSES)[number];

/** A status, or 'error' for lines that are not samples. */
export const STATUS_FILTERS = ['all', ...REVIEW_STATUSES, 'error'] as const;
export type StatusFilter = (typeof STATUS_FILTERS)[number];

/** A provenance generator, or 'none' for pairs without provenance. */
export const GENERATOR_FILTERS = ['all', ...PAIR_ORIGINS, 'none'] as const;
export type GeneratorFilter = (typeof GENERATOR_FILTERS)[number];

export interface RowFilter {
  status: StatusFilter;
  generator: GeneratorFilter;
  /** Case-insensitive substring of the id, a question or an answer. */
  text: string;
}
