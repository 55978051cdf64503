/** Plain-text documents (.txt/.md/.markdown/.text): the whole file is one context with no QA pairs. */
import * as fs from 'node:fs';
import type { Sample } from '../model';
import { reportIssue, type ReaderContext } from './schema';

/** Extensions read as one text document each. */
export { TEXT_EXTENSIONS } from '../../shared/fileTypes';

/**
 * Yields the file as one Sample: id = file stem, context = the text exactly as stored (a leading BOM removed,
 * line endings untouched). A blank file → issue "empty context" at line 1 and no sample.
 */
export async function* readText(ctx: ReaderContext): AsyncGenerator<Sample> {
  let text: string;
  try {
    text = await fs.promises.readFile(ctx.file, { encoding: 'utf8', signal: ctx.signal });
  } catch (error) {
    if (ctx.signal?.aborted) throw ctx.signal.reason;
    throw error;
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === '') {
    reportIssue(ctx, 1, 'line', 'empty context');
    return;
  }
  ctx.signal?.throwIfAborted();
  yield { id: ctx.stem, source: { file: ctx.file, line: 1 }, context: text, qa: [] };
}
