/** The core data model shared by readers, the engine, writers, the CLI and the extension. */
import type { Range } from './segment';
import { escapeControl } from './util/terminal';

/** Where a sample came from: a file and a 1-based line (JSON/JSONL/text) or row (Parquet). */
export interface SourceRef {
  file: string;
  line: number;
  unit?: 'line' | 'row';
  /** 0-based index of the record in a JSON array (or a `data` array): many records can share one line. */
  element?: number;
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

/**
 * A problem with one line/row of input (or a whole file, unit 'file'): reported, and never fatal to the other
 * records or inputs. `severity` says what became of the record: 'skipped' (the default: the line, record or file was
 * left out) or 'warning' (the record was kept, e.g. one of its QA pairs was dropped or invalid UTF-8 was replaced).
 */
export interface ReadIssue {
  file: string;
  line: number;
  /** 'row group': `line` is the 1-based row group (Parquet); 'file': the whole file (`line` 0). */
  unit?: 'line' | 'row' | 'row group' | 'file';
  /** 0-based index of the record in a JSON array, when the file holds one. */
  element?: number;
  message: string;
  severity?: 'skipped' | 'warning';
  /** Invalid UTF-8 sequences replaced with U+FFFD that this issue reports (for the run summary). */
  replaced?: number;
}

/** `FILE:LINE: reason`, `FILE:LINE: element K: reason`, `FILE: row N: reason` or `FILE: reason`, control characters escaped. */
export function formatIssue(issue: ReadIssue): string {
  const where =
    issue.unit === 'file'
      ? `${issue.file}:`
      : issue.unit === 'row' || issue.unit === 'row group'
        ? `${issue.file}: ${issue.unit} ${issue.line}:`
        : `${issue.file}:${issue.line}:${issue.element !== undefined ? ` element ${issue.element}:` : ''}`;
  return escapeControl(`${where} ${issue.message}`);
}

/** The line a log or terminal shows for an issue: `skipped FILE:LINE: reason` or `warning FILE:LINE: reason`. */
export function issueLine(issue: ReadIssue): string {
  return `${issue.severity === 'warning' ? 'warning' : 'skipped'} ${formatIssue(issue)}`;
}

/** What a run's summary says about its input: lines (records) and files skipped, warnings, UTF-8 replacements. */
export interface InputCounts {
  /** Lines, rows or array elements left out (one per record, however many problems it had). */
  linesSkipped: number;
  /** Whole input files left out (binary content, unreadable Parquet). */
  filesSkipped: number;
  /** Parquet row groups left out (each one a run of rows that could not be decoded). */
  rowGroupsSkipped: number;
  /** Problems with records that were kept. */
  warnings: number;
  /** Invalid UTF-8 sequences replaced with U+FFFD. */
  invalidUtf8: number;
}

export function emptyInputCounts(): InputCounts {
  return { linesSkipped: 0, filesSkipped: 0, rowGroupsSkipped: 0, warnings: 0, invalidUtf8: 0 };
}

/** Counts one issue. Readers report one 'skipped' issue per record they leave out, so this counts records. */
export function countIssue(counts: InputCounts, issue: ReadIssue): void {
  if (issue.severity === 'warning') {
    counts.warnings++;
  } else if (issue.unit === 'file') {
    counts.filesSkipped++;
  } else if (issue.unit === 'row group') {
    counts.rowGroupsSkipped++;
  } else {
    counts.linesSkipped++;
  }
  counts.invalidUtf8 += issue.replaced ?? 0;
}

/** The summary's sentence about its input ("" when all was well), e.g. "2 input lines skipped, 1 warning (reported above)". */
export function describeInputCounts(counts: Partial<InputCounts> | undefined): string {
  if (!counts) {
    return '';
  }
  const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;
  const parts: string[] = [];
  if (counts.filesSkipped) {
    parts.push(`${plural(counts.filesSkipped, 'input file', 'input files')} skipped`);
  }
  if (counts.rowGroupsSkipped) {
    parts.push(`${plural(counts.rowGroupsSkipped, 'Parquet row group', 'Parquet row groups')} skipped`);
  }
  if (counts.linesSkipped) {
    parts.push(`${plural(counts.linesSkipped, 'input line', 'input lines')} skipped`);
  }
  if (counts.warnings) {
    parts.push(plural(counts.warnings, 'warning', 'warnings'));
  }
  if (counts.invalidUtf8) {
    parts.push(`${plural(counts.invalidUtf8, 'invalid UTF-8 sequence', 'invalid UTF-8 sequences')} replaced with U+FFFD`);
  }
  return parts.length ? `${parts.join(', ')} (reported above)` : '';
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
