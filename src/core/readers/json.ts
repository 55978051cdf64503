/**
 * JSONL and JSON readers. Both stream the file in chunks: memory stays bounded by the largest single
 * record, never by the file size.
 */
import * as fs from 'node:fs';
import type { Sample } from '../model';
import { describeInvalid, sniffBinary, Utf8Decoder } from './decode';
import { recordToSample, reportIssue, type ReaderContext, type RecordConverter } from './schema';

const CHUNK_SIZE = 1 << 20;

/**
 * Streams a UTF-8 file as decoded string chunks; abort → throws `signal.reason`. With `report`, a file that is not
 * text (NUL bytes, UTF-16, mostly invalid UTF-8 in its first 64 KB) is reported once as skipped and yields nothing,
 * and invalid UTF-8 elsewhere is reported as a warning per line (file, line, byte offset) and replaced with U+FFFD.
 */
export async function* readChunks<T>(file: string, signal?: AbortSignal, report?: ReaderContext<T>): AsyncGenerator<string> {
  signal?.throwIfAborted();
  const stream = fs.createReadStream(file, { highWaterMark: CHUNK_SIZE, signal });
  const decoder = new Utf8Decoder((invalid) => {
    if (report) {
      reportIssue(report, invalid.line, 'line', describeInvalid(invalid), { severity: 'warning', replaced: invalid.count });
    }
  });
  let first = true;
  try {
    for await (const chunk of stream) {
      signal?.throwIfAborted();
      if (first) {
        first = false;
        const binary = sniffBinary((chunk as Buffer).subarray(0, 64 * 1024), false);
        if (binary) {
          if (report) {
            reportIssue(report, 0, 'file', `${binary}; the file is skipped`);
          }
          return;
        }
      }
      const text = decoder.push(chunk as Buffer);
      if (text) {
        yield text;
      }
    }
    const rest = decoder.end();
    if (rest) {
      yield rest;
    }
  } catch (error) {
    if (signal?.aborted) {
      throw signal.reason;
    }
    throw error;
  } finally {
    stream.destroy();
  }
}

/** One physical line (terminator and a trailing `\r` removed) and its 1-based number. */
export interface Line {
  text: string;
  line: number;
}

/** Streams physical lines split on `\n` (a `\r` before it is dropped, so CRLF files work). */
export async function* readLines<T>(file: string, signal?: AbortSignal, report?: ReaderContext<T>): AsyncGenerator<Line> {
  let pending: string[] = [];
  let line = 1;
  for await (const chunk of readChunks(file, signal, report)) {
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf('\n', start);
      if (newline < 0) {
        if (start < chunk.length) {
          pending.push(chunk.slice(start));
        }
        break;
      }
      let text = chunk.slice(start, newline);
      if (pending.length > 0) {
        pending.push(text);
        text = pending.join('');
        pending = [];
      }
      yield { text: text.endsWith('\r') ? text.slice(0, -1) : text, line };
      line++;
      start = newline + 1;
    }
  }
  if (pending.length > 0) {
    const text = pending.join('');
    yield { text: text.endsWith('\r') ? text.slice(0, -1) : text, line };
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Parses one record's JSON text and converts it, reporting problems at `line`. */
function parseRecord<T>(text: string, line: number, ctx: ReaderContext<T>, element?: number): T | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    reportIssue(ctx, line, 'line', `invalid JSON: ${errorMessage(error)}`, element !== undefined ? { element } : {});
    return undefined;
  }
  const convert = ctx.convert ?? (recordToSample as unknown as RecordConverter<T>);
  return convert(value, ctx, element !== undefined ? { line, unit: 'line', element } : { line, unit: 'line' });
}

/** JSON Lines: one record per physical line; blank lines are skipped silently. */
export async function* readJsonl<T = Sample>(ctx: ReaderContext<T>): AsyncGenerator<T> {
  for await (const { text, line } of readLines(ctx.file, ctx.signal, ctx)) {
    ctx.signal?.throwIfAborted();
    const body = line === 1 && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
    if (body.trim() === '') {
      continue;
    }
    const sample = parseRecord(body, line, ctx);
    if (sample) {
      yield sample;
    }
  }
}

/** A JSON file: a top-level array of records, an object with a `data` array, one object, or JSONL in disguise. */
export async function* readJson<T = Sample>(ctx: ReaderContext<T>): AsyncGenerator<T> {
  const shape = await probeJson(ctx.file, ctx.signal);
  if (shape === 'many') {
    yield* readJsonl(ctx);
    return;
  }
  const scanner = new JsonRecordScanner();
  const drain = function* (): Generator<T> {
    for (const event of scanner.take()) {
      if (event.kind === 'issue') {
        reportIssue(ctx, event.line, 'line', event.message, event.element !== undefined ? { element: event.element } : {});
      } else {
        const sample = parseRecord(event.text, event.line, ctx, event.element);
        if (sample) {
          yield sample;
        }
      }
    }
  };
  for await (const chunk of readChunks(ctx.file, ctx.signal, ctx)) {
    scanner.push(chunk);
    for (const sample of drain()) {
      ctx.signal?.throwIfAborted();
      yield sample;
    }
  }
  scanner.end();
  for (const sample of drain()) {
    ctx.signal?.throwIfAborted();
    yield sample;
  }
}

const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);
const BOM = 0xfeff;
/** Inside a string, the next character that matters: a quote, a backslash, or a (stray) newline. */
const STRING_STOP = /["\\\n]/g;

/**
 * Whether a JSON file that starts with `{` holds one top-level value (`'one'`) or several (`'many'`: JSONL).
 * Scans without keeping any text; stops as soon as a second value starts.
 */
async function probeJson(file: string, signal?: AbortSignal): Promise<'one' | 'many' | 'other'> {
  let started = false;
  let ended = false;
  let depth = 0;
  let inString = false;
  let escape = false;
  for await (const chunk of readChunks(file, signal)) {
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if (inString) {
        if (escape) {
          escape = false;
          continue;
        }
        STRING_STOP.lastIndex = i;
        const stop = STRING_STOP.exec(chunk);
        if (!stop) {
          break;
        }
        i = stop.index;
        if (stop[0] === '\\') {
          escape = true;
        } else if (stop[0] === '"') {
          inString = false;
        }
        continue;
      }
      if (WHITESPACE.has(c) || (c === BOM && !started)) {
        continue;
      }
      if (!started) {
        if (c !== 0x7b /* { */) {
          return 'other';
        }
        started = true;
        depth = 1;
        continue;
      }
      if (ended) {
        return 'many';
      }
      if (c === 0x22 /* " */) {
        inString = true;
      } else if (c === 0x7b || c === 0x5b) {
        depth++;
      } else if (c === 0x7d || c === 0x5d) {
        depth--;
        if (depth === 0) {
          ended = true;
        }
      }
    }
  }
  return 'one';
}

/** What the scanner found: the text of one record with the line it starts on, or a problem. */
export type ScanEvent =
  { kind: 'record'; text: string; line: number; element?: number } | { kind: 'issue'; line: number; message: string; element?: number };

/**
 * A small streaming, string-aware scanner over a JSON document. It does not parse values; it finds
 * where each record starts and ends so each can be parsed (and fail) on its own, with its line number.
 * Records are the elements of a top-level array, the elements of the `data` array of a top-level object,
 * or the top-level object itself when it has no `data` array.
 */
export class JsonRecordScanner {
  private line = 1;
  private readonly stack: number[] = [];
  private inString = false;
  private escape = false;
  private phase: 'start' | 'body' | 'after' | 'done' = 'start';
  /** Stack depth whose direct children are records; -1 while none are. */
  private recordDepth = -1;
  private events: ScanEvent[] = [];

  // The record (or top-level object) being captured.
  private capture: string[] | null = null;
  private captureFrom = 0;
  private captureLine = 0;
  private captureKind: 'container' | 'string' | 'scalar' = 'container';
  private captureDepth = 0;
  /** 0-based index of the captured record in its array (undefined for a top-level object). */
  private captureElement: number | undefined;
  /** Elements of the record array started so far. */
  private elements = 0;

  // Key tracking inside a top-level object, to find its `data` array.
  private topIsObject = false;
  private expectKey = false;
  private key: string[] | null = null;
  private keyFrom = 0;
  private lastKey: string | undefined;
  private wrapper = false;

  /** Events found so far; clears the queue. */
  take(): ScanEvent[] {
    const events = this.events;
    this.events = [];
    return events;
  }

  push(chunk: string): void {
    const n = chunk.length;
    for (let i = 0; i < n; i++) {
      if (this.phase === 'done') {
        return;
      }
      if (this.inString) {
        if (this.escape) {
          this.escape = false;
          if (chunk.charCodeAt(i) === 0x0a) {
            this.line++;
          }
          continue;
        }
        STRING_STOP.lastIndex = i;
        const stop = STRING_STOP.exec(chunk);
        if (!stop) {
          break;
        }
        i = stop.index;
        if (stop[0] === '\\') {
          this.escape = true;
        } else if (stop[0] === '\n') {
          this.line++;
        } else {
          this.closeString(chunk, i);
        }
        continue;
      }
      const c = chunk.charCodeAt(i);
      if (c === 0x0a) {
        if (this.capture && this.captureKind === 'scalar') {
          this.finishCapture(chunk, i);
        }
        this.line++;
        continue;
      }
      if (c === 0x20 || c === 0x09 || c === 0x0d) {
        if (this.capture && this.captureKind === 'scalar') {
          this.finishCapture(chunk, i);
        }
        continue;
      }
      if (this.phase === 'start') {
        this.startDocument(i, c);
        continue;
      }
      if (this.phase === 'after') {
        this.issue(this.line, 'unexpected text after the end of the top-level JSON value; the rest of the file is ignored');
        this.phase = 'done';
        return;
      }
      this.bodyChar(chunk, i, c);
    }
    // Carry partial captures over to the next chunk.
    if (this.capture) {
      this.capture.push(chunk.slice(this.captureFrom));
      this.captureFrom = 0;
    }
    if (this.key) {
      this.key.push(chunk.slice(this.keyFrom));
      this.keyFrom = 0;
    }
  }

  /** Call at end of file: reports an unfinished record or unclosed brackets. */
  end(): void {
    if (this.phase === 'done' || this.phase === 'after') {
      return;
    }
    if (this.phase === 'start') {
      this.issue(1, 'no JSON value in the file');
      return;
    }
    if (this.capture && this.captureKind === 'scalar' && !this.inString) {
      this.finishCapture('', 0);
    }
    if (this.capture) {
      this.issue(
        this.captureLine,
        'invalid JSON: unexpected end of file inside this element (truncated file or unbalanced brackets)',
        this.captureElement,
      );
      this.capture = null;
    } else {
      this.issue(this.line, 'invalid JSON: unexpected end of file; the top-level array is not closed');
    }
    this.phase = 'done';
  }

  private issue(line: number, message: string, element?: number): void {
    this.events.push(element === undefined ? { kind: 'issue', line, message } : { kind: 'issue', line, message, element });
  }

  private startDocument(i: number, c: number): void {
    if (c === BOM) {
      return;
    }
    if (c === 0x5b /* [ */) {
      this.stack.push(c);
      this.recordDepth = 1;
      this.phase = 'body';
    } else if (c === 0x7b /* { */) {
      this.topIsObject = true;
      this.expectKey = true;
      this.startCapture(i, 'container');
      this.stack.push(c);
      this.phase = 'body';
    } else {
      this.issue(this.line, 'expected a JSON array of records (or an object) at the top level');
      this.phase = 'done';
    }
  }

  private bodyChar(chunk: string, i: number, c: number): void {
    const depth = this.stack.length;
    const atRecordLevel = depth === this.recordDepth && !this.capture;
    const inTopObject = this.topIsObject && depth === 1;
    switch (c) {
      case 0x22 /* " */:
        if (atRecordLevel) {
          this.startCapture(i, 'string');
        } else if (inTopObject && this.expectKey) {
          this.key = [];
          this.keyFrom = i + 1;
        }
        this.inString = true;
        return;
      case 0x7b /* { */:
      case 0x5b /* [ */:
        if (inTopObject && c === 0x5b && !this.wrapper && this.lastKey === 'data') {
          // {"data": [...]}: the array's elements are the records; stop capturing the wrapper object.
          this.wrapper = true;
          this.capture = null;
          this.recordDepth = 2;
        } else if (atRecordLevel) {
          this.startCapture(i, 'container');
        }
        this.stack.push(c);
        return;
      case 0x7d /* } */:
      case 0x5d /* ] */:
        if (this.capture && this.captureKind === 'scalar') {
          this.finishCapture(chunk, i);
        }
        if (depth > 0 && this.stack[depth - 1] !== (c === 0x7d ? 0x7b : 0x5b) && this.capture && this.captureKind === 'container') {
          // A bracket that closes the wrong thing: this element is broken. Report it where it starts and
          // resume after it, as if the bracket had closed the element.
          const open = String.fromCharCode(this.stack[depth - 1] ?? 0x20);
          this.issue(
            this.captureLine,
            `invalid JSON: "${String.fromCharCode(c)}" on line ${this.line} does not close "${open}" (unbalanced brackets)`,
            this.captureElement,
          );
          this.capture = null;
          this.stack.length = this.captureDepth;
        } else {
          this.stack.pop();
          if (this.capture && this.captureKind === 'container' && this.stack.length === this.captureDepth) {
            this.finishCapture(chunk, i + 1);
          }
        }
        if (this.wrapper && this.recordDepth === 2 && this.stack.length === 1) {
          this.recordDepth = -1;
        }
        if (this.stack.length === 0) {
          this.phase = 'after';
        }
        return;
      case 0x2c /* , */:
        if (this.capture && this.captureKind === 'scalar') {
          this.finishCapture(chunk, i);
        }
        if (inTopObject) {
          this.expectKey = true;
          this.lastKey = undefined;
        }
        return;
      case 0x3a /* : */:
        if (inTopObject) {
          this.expectKey = false;
        }
        return;
      default:
        if (atRecordLevel) {
          this.startCapture(i, 'scalar');
        }
    }
  }

  private closeString(chunk: string, i: number): void {
    this.inString = false;
    if (this.key) {
      this.lastKey = this.key.join('') + chunk.slice(this.keyFrom, i);
      this.key = null;
      this.expectKey = false;
    } else if (this.capture && this.captureKind === 'string' && this.stack.length === this.captureDepth) {
      this.finishCapture(chunk, i + 1);
    }
  }

  private startCapture(i: number, kind: 'container' | 'string' | 'scalar'): void {
    this.capture = [];
    this.captureFrom = i;
    this.captureLine = this.line;
    this.captureKind = kind;
    this.captureDepth = this.stack.length;
    this.captureElement = this.recordDepth > 0 && this.stack.length === this.recordDepth ? this.elements++ : undefined;
  }

  private finishCapture(chunk: string, endExclusive: number): void {
    if (!this.capture) {
      return;
    }
    const text = this.capture.join('') + chunk.slice(this.captureFrom, endExclusive);
    this.capture = null;
    this.events.push(
      this.captureElement === undefined
        ? { kind: 'record', text, line: this.captureLine }
        : { kind: 'record', text, line: this.captureLine, element: this.captureElement },
    );
  }
}
