/**
 * The review vocabulary, defined once for the curation core, its message protocol and its webview: pair statuses,
 * the status and generator filters, and the filter itself. No imports: the webview bundle includes this file.
 */

export const REVIEW_STATUSES = ['new', 'accepted', 'rejected', 'flagged'] as const;
export type ReviewStatus = (typeof REVIEW_STATUSES)[number];

/** A status, or 'error' for lines that are not samples. */
export const STATUS_FILTERS = ['all', ...REVIEW_STATUSES, 'error'] as const;
export type StatusFilter = (typeof STATUS_FILTERS)[number];

/** A provenance generator, or 'none' for pairs without provenance. */
export const GENERATOR_FILTERS = ['all', 'builtin', 'llm', 'source', 'human', 'none'] as const;
export type GeneratorFilter = (typeof GENERATOR_FILTERS)[number];

export interface RowFilter {
  status: StatusFilter;
  generator: GeneratorFilter;
  /** Case-insensitive substring of the id, a question or an answer. */
  text: string;
}
