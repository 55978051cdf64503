/** The core data model shared by readers, the engine, writers, the CLI and the extension. */
import type { Range } from './segment';

/** Where a sample came from: a file and a 1-based line (JSON/JSONL/text) or row (Parquet). */
export interface SourceRef {
  file: string;
  line: number;
  unit?: 'line' | 'row';
}

export interface QAPair {
  question: string;
  answer: string;
}

/** One long context and the question/answer pairs about it (L-Eval: several pairs share one context's frames). */
export interface Sample {
  /** Stable id, safe as a folder name: `<file-stem>` for a text document, `<file-stem>-<line>` for a record. */
  id: string;
  source: SourceRef;
  context: string;
  qa: QAPair[];
  meta?: Record<string, unknown>;
}

/** A problem with one line/row of input: reported, skipped, and never fatal to the rest of the file. */
export interface ReadIssue {
  file: string;
  line: number;
  /** 'row group': `line` is the 1-based row group (Parquet); 'file': the whole file (`line` 0). */
  unit?: 'line' | 'row' | 'row group' | 'file';
  message: string;
}

export function formatIssue(issue: ReadIssue): string {
  if (issue.unit === 'row group') return `${issue.file}: row group ${issue.line}: ${issue.message}`;
  if (issue.unit === 'file') return `${issue.file}: ${issue.message}`;
  return issue.unit === 'row' ? `${issue.file}: row ${issue.line}: ${issue.message}` : `${issue.file}:${issue.line}: ${issue.message}`;
}

/** Maps our fields to a dataset's own names (`--fields context=text,question=prompt,answer=response`). */
export interface FieldMapping {
  context?: string;
  question?: string;
  answer?: string;
}

export interface FrameRecord {
  index: number;
  /** Path relative to the output folder, with forward slashes. */
  path: string;
  range: Range;
  bytes: number;
}
