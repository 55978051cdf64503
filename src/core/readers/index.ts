/**
 * Dataset readers: stream `Sample`s from text documents, JSON, JSONL and Parquet files.
 * Bad records are reported through `onIssue` and skipped; only an unusable file throws.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FieldMapping, ReadIssue, Sample } from '../model';
import { readJson, readJsonl } from './json';
import { readParquet } from './parquet';
import { fileStem, reportIssue, type ReaderContext, type RecordConverter } from './schema';
import { readText } from './text';
import { formatOfExtension, SUPPORTED_EXTENSIONS, type InputFormat } from '../../shared/fileTypes';

export { parseFieldMapping, splitLongAlpacaInstruction, fileStem } from './schema';
export type { RecordSchema, RecordConverter, RecordPosition } from './schema';

export interface ReadOptions {
  /** Explicit mapping, overrides schema detection. */
  fields?: FieldMapping;
  /** Every skipped/odd line is reported here; reading continues. */
  onIssue?: (issue: ReadIssue) => void;
  /** Abort → the generator throws `signal.reason` promptly. */
  signal?: AbortSignal;
}

/** File extensions `readSamples` accepts (lower case, with the dot). */
export { SUPPORTED_EXTENSIONS };

function formatOf(file: string): InputFormat | undefined {
  return formatOfExtension(path.extname(file));
}

/** Whether `readSamples` can read this file, judged by its extension. */
export function isSupportedFile(file: string): boolean {
  return formatOf(file) !== undefined;
}

async function assertReadable(file: string): Promise<void> {
  let stat: fs.Stats;
  try {
    stat = await fs.promises.stat(file);
    await fs.promises.access(file, fs.constants.R_OK);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`Cannot read ${file}: ${reason}`);
  }
  if (!stat.isFile()) {
    throw new Error(`Cannot read ${file}: not a file`);
  }
}

/**
 * Streams samples from one file; the format comes from the extension (.txt/.md/.markdown/.text → one
 * document; .jsonl/.ndjson → JSONL; .json → JSON array (or JSONL if the file is line-delimited);
 * .parquet → Parquet). Unknown extension, missing or unreadable file → the first `next()` rejects with
 * an Error naming the file. Malformed records are reported via `options.onIssue` and skipped.
 */
export async function* readSamples(file: string, options: ReadOptions = {}): AsyncGenerator<Sample> {
  const format = formatOf(file);
  if (!format) {
    throw new Error(
      `Unsupported file type: ${file} (extension "${path.extname(file) || '(none)'}"; supported: ${SUPPORTED_EXTENSIONS.join(', ')})`,
    );
  }
  options.signal?.throwIfAborted();
  await assertReadable(file);
  const ctx: ReaderContext = {
    file,
    stem: fileStem(file),
    fields: options.fields,
    signal: options.signal,
    onIssue: options.onIssue,
  };
  switch (format) {
    case 'text':
      yield* readText(ctx);
      return;
    case 'jsonl':
      yield* readJsonl(ctx);
      return;
    case 'json':
      yield* readJson(ctx);
      return;
    case 'parquet':
      yield* readParquet(ctx);
      return;
  }
}

/**
 * Streams records of a JSON, JSONL or Parquet file through `convert` instead of `recordToSample` (the same streaming,
 * line numbers and issues as `readSamples`). A text document holds no records: one file issue, nothing yielded.
 */
export async function* readRecords<T>(file: string, convert: RecordConverter<T>, options: ReadOptions = {}): AsyncGenerator<T> {
  const format = formatOf(file);
  if (!format) {
    throw new Error(
      `Unsupported file type: ${file} (extension "${path.extname(file) || '(none)'}"; supported: ${SUPPORTED_EXTENSIONS.join(', ')})`,
    );
  }
  options.signal?.throwIfAborted();
  await assertReadable(file);
  const ctx: ReaderContext<T> = {
    file,
    stem: fileStem(file),
    fields: options.fields,
    signal: options.signal,
    onIssue: options.onIssue,
    convert,
  };
  switch (format) {
    case 'text':
      reportIssue(ctx, 0, 'file', 'a text document holds no records (instructions are read from JSON, JSONL or Parquet)');
      return;
    case 'jsonl':
      yield* readJsonl(ctx);
      return;
    case 'json':
      yield* readJson(ctx);
      return;
    case 'parquet':
      yield* readParquet(ctx);
      return;
  }
}
