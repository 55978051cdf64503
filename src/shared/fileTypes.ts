/**
 * File types, defined once for the readers, the CLI, the extension's commands, the Frames view and package.json's
 * when-clauses (a unit test checks those clauses list exactly these). Lower case, with the dot. No imports.
 */

/** Plain-text documents: one document, one sample. */
export const TEXT_EXTENSIONS = ['.txt', '.md', '.markdown', '.text', '.rst', '.tex', '.adoc'] as const;
/** One record per line. */
export const JSONL_EXTENSIONS = ['.jsonl', '.ndjson'] as const;
/** A JSON array (or object) of records. */
export const JSON_EXTENSIONS = ['.json'] as const;
/** Apache Parquet (Hugging Face datasets). */
export const PARQUET_EXTENSIONS = ['.parquet'] as const;

/** Datasets: files of records. */
export const DATASET_EXTENSIONS = [...JSONL_EXTENSIONS, ...JSON_EXTENSIONS, ...PARQUET_EXTENSIONS] as const;
/** Everything the readers accept. */
export const SUPPORTED_EXTENSIONS = [...TEXT_EXTENSIONS, ...DATASET_EXTENSIONS] as const;

export type InputFormat = 'text' | 'jsonl' | 'json' | 'parquet';

/** The reader format of a file extension (with the dot, any case), or undefined if unsupported. */
export function formatOfExtension(ext: string): InputFormat | undefined {
  const e = ext.toLowerCase();
  const has = (list: readonly string[]): boolean => list.includes(e);
  return has(TEXT_EXTENSIONS)
    ? 'text'
    : has(JSONL_EXTENSIONS)
      ? 'jsonl'
      : has(JSON_EXTENSIONS)
        ? 'json'
        : has(PARQUET_EXTENSIONS)
          ? 'parquet'
          : undefined;
}

/** The Q&A records the curation editor opens by default. */
export const CURATION_SUFFIX = '.t2vid.jsonl';
