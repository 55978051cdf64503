/** Plain-text documents (.txt/.md/.markdown/.text): the whole file is one context with no QA pairs. */
import * as fs from 'node:fs';
import type { Sample } from '../model';
import { describeInvalid, sniffBinary, Utf8Decoder } from './decode';
import { reportIssue, type ReaderContext } from './schema';

/** Extensions read as one text document each. */
export { TEXT_EXTENSIONS } from '../../shared/fileTypes';

/**
 * Yields the file as one Sample: id = file stem, context = the text exactly as stored (a leading BOM removed,
 * line endings untouched). A blank file → issue "empty context" at line 1 and no sample. A file that is not text
 * (a NUL byte anywhere, a UTF-16 byte-order mark, more than 10% invalid UTF-8) → one file-level issue and no sample;
 * invalid UTF-8 in a text → a warning per line (line, byte offset, count), replaced with U+FFFD, the document kept.
 */
export async function* readText(ctx: ReaderContext): AsyncGenerator<Sample> {
  let bytes: Buffer;
  try {
    bytes = await fs.promises.readFile(ctx.file, { signal: ctx.signal });
  } catch (error) {
    if (ctx.signal?.aborted) {
      throw ctx.signal.reason;
    }
    throw error;
  }
  const binary = sniffBinary(bytes);
  if (binary) {
    reportIssue(ctx, 0, 'file', `${binary}; the file is skipped`);
    return;
  }
  const decoder = new Utf8Decoder((invalid) =>
    reportIssue(ctx, invalid.line, 'line', describeInvalid(invalid), { severity: 'warning', replaced: invalid.count }),
  );
  let text = decoder.push(bytes) + decoder.end();
  bytes = Buffer.alloc(0);
  if (text.charCodeAt(0) === 0xfeff) {
    text = text.slice(1);
  }
  if (text.trim() === '') {
    reportIssue(ctx, 1, 'line', 'empty context');
    return;
  }
  ctx.signal?.throwIfAborted();
  yield { id: ctx.stem, source: { file: ctx.file, line: 1 }, context: text, qa: [] };
}
