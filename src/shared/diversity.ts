/**
 * The diversity metrics' names, one place for the core, the CLI and (later) the webview: id, label, what a higher
 * value means and the unit. Each measured value carries its own definition string and sample size (core/diversity).
 */

export const DIVERSITY_METRICS = [
  { id: 'instructions', label: 'instructions measured', higher: 'neutral', unit: 'count' },
  { id: 'distinct-1', label: 'distinct-1', higher: 'diverse', unit: 'ratio' },
  { id: 'distinct-2', label: 'distinct-2', higher: 'diverse', unit: 'ratio' },
  { id: 'distinct-3', label: 'distinct-3', higher: 'diverse', unit: 'ratio' },
  { id: 'ead-1', label: 'EAD-1', higher: 'diverse', unit: 'ratio' },
  { id: 'ead-2', label: 'EAD-2', higher: 'diverse', unit: 'ratio' },
  { id: 'ead-3', label: 'EAD-3', higher: 'diverse', unit: 'ratio' },
  { id: 'mattr', label: 'MATTR (window 50)', higher: 'diverse', unit: 'ratio' },
  { id: 'length-mean', label: 'length, mean (words)', higher: 'neutral', unit: 'words' },
  { id: 'length-median', label: 'length, median (words)', higher: 'neutral', unit: 'words' },
  { id: 'length-p10', label: 'length, p10 (words)', higher: 'neutral', unit: 'words' },
  { id: 'length-p90', label: 'length, p90 (words)', higher: 'neutral', unit: 'words' },
  { id: 'exact-duplicates', label: 'exact duplicates', higher: 'templated', unit: 'share' },
  { id: 'near-duplicates', label: 'near duplicates', higher: 'templated', unit: 'share' },
  { id: 'template-concentration', label: 'template concentration (top-10 openings)', higher: 'templated', unit: 'share' },
  { id: 'verb-noun-coverage', label: 'verb–noun: instructions with both', higher: 'neutral', unit: 'share' },
  { id: 'verb-noun-distinct', label: 'verb–noun spread: distinct pairs per instruction', higher: 'diverse', unit: 'ratio' },
  { id: 'verb-noun-entropy', label: 'verb–noun: pair entropy (bits)', higher: 'diverse', unit: 'bits' },
  { id: 'vendi', label: 'Vendi score (word vectors)', higher: 'diverse', unit: 'effective count' },
  { id: 'mean-cosine-distance', label: 'mean pairwise cosine distance (word vectors)', higher: 'diverse', unit: 'distance' },
  { id: 'cluster-entropy', label: 'cluster entropy (word vectors)', higher: 'diverse', unit: 'ratio' },
  { id: 'vendi-tfidf', label: 'Vendi score (TF-IDF)', higher: 'diverse', unit: 'effective count' },
  { id: 'mean-cosine-distance-tfidf', label: 'mean pairwise cosine distance (TF-IDF)', higher: 'diverse', unit: 'distance' },
] as const;

export type DiversityMetricId = (typeof DIVERSITY_METRICS)[number]['id'];

/** One measured value: `null` when the set gives nothing to measure (e.g. an empty set, no English instruction). */
export interface MetricValue {
  value: number | null;
  /** How many instructions (or tokens, pairs: said in the definition) the value was computed from. */
  sampleSize: number;
  definition: string;
}

/** `t2vid select --method`: greedy Vendi gain, facility-location coverage, or DEITA's similarity threshold. */
export const SELECT_METHODS = ['vendi', 'facility', 'threshold'] as const;
export type SelectMethod = (typeof SELECT_METHODS)[number];

/** Where the semantic metrics' embeddings come from: the built-in word vectors, or an OpenAI-compatible endpoint. */
export const EMBEDDING_SOURCES = ['builtin', 'api'] as const;
export type EmbeddingSource = (typeof EMBEDDING_SOURCES)[number];

/** The metrics `t2vid select` shows before and after adding a selection (ids of DIVERSITY_METRICS). */
export const SELECTION_METRICS = ['distinct-2', 'template-concentration', 'vendi', 'vendi-tfidf', 'mean-cosine-distance'] as const;
export type SelectionMetricId = (typeof SELECTION_METRICS)[number];
