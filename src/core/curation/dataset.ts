/**
 * The curation editor's view of a whole dataset file: which lines are rows (every line that is not blank), a
 * per-line summary for filters and counts (built lazily, in slices, so a 100,000-line file paints before it is
 * indexed), and filtering by status, generator and text. Lines are read through a LineSource, so the editor reads
 * its TextDocument and the tests an array, with no copy of the file.
 */
import { parseRow, searchText, type ParsedRow, type RowContext } from './records';
import { PAIR_ORIGINS, REVIEW_STATUSES, type ReviewStatus, type RowFilter } from '../../shared/vocabulary';

export interface LineSource {
  readonly lineCount: number;
  /** Text of a 0-based line, without its line break. */
  lineText(line: number): string;
  /** True if the line holds only whitespace; a source that can answer without reading the whole line offers it. */
  isBlank?(line: number): boolean;
}

export const NO_FILTER: RowFilter = { status: 'all', generator: 'all', text: '' };

export function isNoFilter(filter: RowFilter): boolean {
  return filter.status === 'all' && filter.generator === 'all' && filter.text.trim() === '';
}

interface Summary {
  error: boolean;
  /** Pairs per status, in REVIEW_STATUSES order. */
  statuses: number[];
  /** Generators seen (provenance.generator, or 'none' for pairs without provenance). */
  generators: Set<string>;
  text: string;
}

export interface DatasetStats {
  rows: number;
  errors: number;
  pairs: number;
  /** Pairs per status. */
  statuses: Record<ReviewStatus, number>;
  /** False while the file is still being indexed (then only `rows` is exact). */
  complete: boolean;
}

const GENERATED_BY = new Set<string>(PAIR_ORIGINS);

function summarize(row: ParsedRow, text: string): Summary {
  if (!row.ok) {
    return { error: true, statuses: [0, 0, 0, 0], generators: new Set(), text: searchText(row, text) };
  }
  const statuses = [0, 0, 0, 0];
  const generators = new Set<string>();
  for (const pair of row.pairs) {
    statuses[REVIEW_STATUSES.indexOf(pair.status)]++;
    generators.add(pair.generator && GENERATED_BY.has(pair.generator) ? pair.generator : 'none');
  }
  return { error: false, statuses, generators, text: searchText(row, text) };
}

export class DatasetIndex {
  /** 0-based line numbers of the rows (the non-blank lines), ascending. */
  private rowLines: number[] = [];
  private summaries: Array<Summary | undefined> = [];
  private indexed = 0;

  constructor(
    private source: LineSource,
    private readonly context: Omit<RowContext, 'line'>,
  ) {
    this.reset(source);
  }

  /** Re-read which lines are rows; summaries are dropped (lines may have moved). */
  reset(source: LineSource = this.source): void {
    this.source = source;
    const lines: number[] = [];
    const blank = (i: number): boolean => (source.isBlank ? source.isBlank(i) : source.lineText(i).trim() === '');
    for (let i = 0; i < source.lineCount; i++) {
      if (!blank(i)) {
        lines.push(i);
      }
    }
    this.rowLines = lines;
    this.summaries = new Array<Summary | undefined>(source.lineCount);
    this.indexed = 0;
  }

  /**
   * One line changed in place (no line added or removed): keep every other summary. Returns false if the change
   * turned a blank line into a row or back (the caller must reset).
   */
  lineChanged(line: number): boolean {
    const blank = this.source.lineText(line).trim() === '';
    const isRow = this.isRow(line);
    if (blank === isRow) {
      return false;
    }
    if (this.summaries[line] !== undefined) {
      this.summaries[line] = undefined;
      this.indexed--;
    }
    return true;
  }

  get rowCount(): number {
    return this.rowLines.length;
  }

  /** The rows' line numbers (do not modify). */
  get lines(): readonly number[] {
    return this.rowLines;
  }

  isRow(line: number): boolean {
    return this.search(line) >= 0;
  }

  private search(line: number): number {
    let lo = 0;
    let hi = this.rowLines.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = this.rowLines[mid];
      if (v === line) {
        return mid;
      }
      if (v < line) {
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return -1;
  }

  /** Parses a line (1-based line numbers in messages and ids). */
  row(line: number): ParsedRow {
    return parseRow(this.source.lineText(line), { ...this.context, line: line + 1 });
  }

  private summary(line: number): Summary {
    let s = this.summaries[line];
    if (!s) {
      const text = this.source.lineText(line);
      s = summarize(parseRow(text, { ...this.context, line: line + 1 }), text);
      this.summaries[line] = s;
      this.indexed++;
    }
    return s;
  }

  /** True once every row has a summary. */
  get complete(): boolean {
    return this.indexed >= this.rowLines.length;
  }

  /**
   * Summarizes every row, yielding to the event loop every `sliceMs` so the host stays responsive; resolves false
   * if cancelled (by `signal`, or because reset() was called meanwhile).
   */
  async build(signal?: AbortSignal, sliceMs = 8, onProgress?: (done: number, total: number) => void): Promise<boolean> {
    const lines = this.rowLines;
    let start = performance.now();
    for (let i = 0; i < lines.length; i++) {
      if (signal?.aborted || lines !== this.rowLines) {
        return false;
      }
      this.summary(lines[i]);
      if (performance.now() - start > sliceMs) {
        onProgress?.(i + 1, lines.length);
        await new Promise<void>((resolve) => setImmediate(resolve));
        start = performance.now();
      }
    }
    return lines === this.rowLines;
  }

  /** The rows' lines that pass `filter` (every row for no filter, without parsing anything). */
  filter(filter: RowFilter): number[] {
    if (isNoFilter(filter)) {
      return this.rowLines.slice();
    }
    const needle = filter.text.trim().toLowerCase();
    const statusIndex = filter.status === 'all' || filter.status === 'error' ? -1 : REVIEW_STATUSES.indexOf(filter.status);
    const out: number[] = [];
    for (const line of this.rowLines) {
      const s = this.summary(line);
      if (filter.status === 'error' ? !s.error : statusIndex >= 0 && s.statuses[statusIndex] === 0) {
        continue;
      }
      if (filter.generator !== 'all' && !s.generators.has(filter.generator)) {
        continue;
      }
      if (needle !== '' && !s.text.includes(needle)) {
        continue;
      }
      out.push(line);
    }
    return out;
  }

  /** Counts over the summaries built so far (exact once `complete`). */
  stats(): DatasetStats {
    const statuses = { new: 0, accepted: 0, rejected: 0, flagged: 0 } as Record<ReviewStatus, number>;
    let errors = 0;
    let pairs = 0;
    for (const line of this.rowLines) {
      const s = this.summaries[line];
      if (!s) {
        continue;
      }
      if (s.error) {
        errors++;
      }
      REVIEW_STATUSES.forEach((status, i) => {
        statuses[status] += s.statuses[i];
        pairs += s.statuses[i];
      });
    }
    return { rows: this.rowLines.length, errors, pairs, statuses, complete: this.complete };
  }
}
