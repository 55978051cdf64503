/**
 * UTF-8 decoding that says what it replaced: input files are decoded as UTF-8 with invalid sequences replaced by
 * U+FFFD (one per maximal invalid subpart, as the WHATWG decoder does), and every replacement is reported with its
 * 1-based line and its byte offset in the file, grouped per line. Files that are not text at all (NUL bytes, a UTF-16
 * BOM, mostly invalid UTF-8) are recognised from their first bytes (`sniffBinary`).
 */
import { isUtf8 } from 'node:buffer';

/** Invalid UTF-8 on one line: where the first sequence starts (byte offset in the file) and how many were replaced. */
export interface InvalidUtf8 {
  line: number;
  offset: number;
  count: number;
}

/** Byte offsets (relative to `buf`) where the WHATWG decoder would emit U+FFFD. */
export function invalidUtf8Offsets(buf: Uint8Array): number[] {
  const out: number[] = [];
  const n = buf.length;
  let i = 0;
  while (i < n) {
    const b = buf[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lower = 0x80;
    let upper = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) {
        lower = 0xa0;
      }
      if (b === 0xed) {
        upper = 0x9f;
      }
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) {
        lower = 0x90;
      }
      if (b === 0xf4) {
        upper = 0x8f;
      }
    } else {
      out.push(i);
      i++;
      continue;
    }
    let j = i + 1;
    let ok = true;
    for (let k = 0; k < need; k++, j++) {
      if (j >= n || buf[j] < lower || buf[j] > upper) {
        ok = false;
        break;
      }
      lower = 0x80;
      upper = 0xbf;
    }
    if (!ok) {
      out.push(i);
    } // the byte that broke the sequence is decoded again on its own
    i = j;
  }
  return out;
}

/** Bytes at the end of `buf` that start a sequence the chunk does not finish (0–3): carried to the next chunk. */
export function incompleteTail(buf: Uint8Array): number {
  const n = buf.length;
  for (let k = 1; k <= Math.min(3, n); k++) {
    const b = buf[n - k];
    if (b >= 0x80 && b <= 0xbf) {
      continue;
    }
    const len = b >= 0xf0 && b <= 0xf4 ? 4 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xc2 && b <= 0xdf ? 2 : 1;
    return len > k ? k : 0;
  }
  return 0;
}

/** Share of invalid UTF-8 sequences per byte above which a file counts as binary. */
const BINARY_INVALID_SHARE = 0.1;
/** How much of a file `sniffBinary` looks at. */
export const SNIFF_BYTES = 64 * 1024;

/**
 * Why these bytes (a file's start, or a whole file) are not UTF-8 text, or undefined if they may be. `strictNul`
 * (plain-text documents): a single NUL byte makes a file binary. Otherwise (JSON, JSONL: a stray NUL is one bad line,
 * reported with it) only a file where NUL bytes and invalid sequences together pass 10% of the bytes is.
 */
export function sniffBinary(buf: Uint8Array, strictNul = true): string | undefined {
  if (buf.length >= 2 && ((buf[0] === 0xff && buf[1] === 0xfe) || (buf[0] === 0xfe && buf[1] === 0xff))) {
    return 'UTF-16 text (byte-order mark at the start): convert the file to UTF-8';
  }
  const nul = buf.indexOf(0);
  if (nul >= 0 && strictNul) {
    return `binary content, not UTF-8 text (a NUL byte at byte offset ${nul})`;
  }
  let nuls = 0;
  for (let i = nul; i >= 0; i = buf.indexOf(0, i + 1)) {
    nuls++;
  }
  const tail = buf.length > SNIFF_BYTES ? 0 : incompleteTail(buf);
  const body = buf.subarray(0, buf.length - tail);
  const invalid = isUtf8(body) ? 0 : invalidUtf8Offsets(body).length;
  if ((invalid + nuls) / Math.max(1, body.length) > BINARY_INVALID_SHARE) {
    const what = [nuls ? `${nuls} NUL bytes` : '', invalid ? `${invalid} invalid UTF-8 sequences` : ''].filter(Boolean).join(' and ');
    return `binary content, not UTF-8 text (${what} in the first ${body.length} bytes)`;
  }
  return undefined;
}

function countNewlines(buf: Uint8Array, from: number, to: number): number {
  let n = 0;
  for (let i = buf.indexOf(0x0a, from); i >= 0 && i < to; i = buf.indexOf(0x0a, i + 1)) {
    n++;
  }
  return n;
}

/**
 * Decodes a stream of byte chunks, keeping the line count so invalid UTF-8 can be located. `push` returns the text of
 * every complete sequence so far; `end` the rest. Replacements are reported per line through `onInvalid` (a line's
 * report is sent when a later line has one, or at the end).
 */
export class Utf8Decoder {
  private readonly decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
  private carry: Uint8Array | undefined;
  private offset = 0;
  private line = 1;
  private pending: InvalidUtf8 | undefined;

  constructor(private readonly onInvalid: (invalid: InvalidUtf8) => void) {}

  push(chunk: Uint8Array): string {
    let buf = chunk;
    if (this.carry) {
      buf = Buffer.concat([this.carry, chunk]);
      this.carry = undefined;
    }
    const tail = incompleteTail(buf);
    if (tail) {
      this.carry = buf.slice(buf.length - tail);
      buf = buf.subarray(0, buf.length - tail);
    }
    return this.decode(buf);
  }

  end(): string {
    const rest = this.carry ? this.decode(this.carry) : '';
    this.carry = undefined;
    this.flush();
    return rest;
  }

  private decode(buf: Uint8Array): string {
    if (!isUtf8(buf)) {
      let at = 0;
      let line = this.line;
      for (const o of invalidUtf8Offsets(buf)) {
        line += countNewlines(buf, at, o);
        at = o;
        if (this.pending && this.pending.line === line) {
          this.pending.count++;
        } else {
          this.flush();
          this.pending = { line, offset: this.offset + o, count: 1 };
        }
      }
    }
    this.line += countNewlines(buf, 0, buf.length);
    this.offset += buf.length;
    return this.decoder.decode(buf);
  }

  private flush(): void {
    if (this.pending) {
      this.onInvalid(this.pending);
      this.pending = undefined;
    }
  }
}

/** The warning message for invalid UTF-8 on a line. */
export function describeInvalid(invalid: InvalidUtf8): string {
  return `invalid UTF-8 at byte offset ${invalid.offset}${invalid.count > 1 ? ` (${invalid.count} sequences on this line)` : ''} replaced with U+FFFD`;
}
