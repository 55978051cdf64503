/**
 * Streams the records of a JSON array file or a JSONL file with their 1-based line (and, in a JSON array, 0-based
 * element index), parsed one at a time: memory stays bounded by the largest record. Invalid JSON is reported at
 * its line and the record skipped, as src/core/readers does.
 */
import type { ReadIssue } from '../model';
import { JsonRecordScanner, readChunks, readLines } from '../readers/json';
import { reportIssue, type ReaderContext } from '../readers/schema';
import { fileStem } from '../readers/index';

export interface RecordAt {
  value: unknown;
  line: number;
  /** 0-based index in a JSON array. */
  element?: number;
}

export type FileLayout = 'json' | 'jsonl';

/** `.jsonl`/`.ndjson` are read line by line; anything else as a JSON document (an array of records). */
export function layoutOf(file: string): FileLayout {
  return /\.(jsonl|ndjson)$/i.test(file) ? 'jsonl' : 'json';
}

export function readerContext(file: string, onIssue?: (issue: ReadIssue) => void, signal?: AbortSignal): ReaderContext {
  return { file, stem: fileStem(file), onIssue, signal };
}

function parse(text: string, line: number, ctx: ReaderContext, element?: number): RecordAt | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return element === undefined ? { value, line } : { value, line, element };
  } catch (e) {
    reportIssue(ctx, line, 'line', `invalid JSON: ${(e as Error).message}`, element !== undefined ? { element } : {});
    return undefined;
  }
}

export async function* readRecords(ctx: ReaderContext, layout: FileLayout = layoutOf(ctx.file)): AsyncGenerator<RecordAt> {
  if (layout === 'jsonl') {
    for await (const { text, line } of readLines(ctx.file, ctx.signal, ctx)) {
      const body = line === 1 && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
      if (body.trim() !== '') {
        const record = parse(body, line, ctx);
        if (record) {
          yield record;
        }
      }
    }
    return;
  }
  const scanner = new JsonRecordScanner();
  const drain = function* (): Generator<RecordAt> {
    for (const event of scanner.take()) {
      if (event.kind === 'issue') {
        reportIssue(ctx, event.line, 'line', event.message, event.element !== undefined ? { element: event.element } : {});
      } else {
        const record = parse(event.text, event.line, ctx, event.element);
        if (record) {
          yield record;
        }
      }
    }
  };
  for await (const chunk of readChunks(ctx.file, ctx.signal, ctx)) {
    scanner.push(chunk);
    yield* drain();
  }
  scanner.end();
  yield* drain();
}
