/**
 * Parquet reader (hyparquet). Reads row group by row group, in batches of bounded size, so a large file
 * is never decoded whole. Rows are numbered from 1 across the whole file.
 */
import * as fs from 'node:fs';
import type { AsyncBuffer, FileMetaData } from 'hyparquet';
import type { Sample } from '../model';
import { recordToSample, type ReaderContext } from './schema';

/** Roughly how many uncompressed bytes to decode per batch of rows. */
const BATCH_BYTES = 64 * 1024 * 1024;
const MAX_BATCH_ROWS = 10_000;

/** Every field name any detected schema reads; see schema.ts. */
const SCHEMA_FIELDS = ['context', 'question', 'answer', 'input', 'instructions', 'outputs', 'instruction', 'output'];
const CONTEXT_FIELDS = ['context', 'input', 'instruction'];

/** An AsyncBuffer over an open file handle (hyparquet's own asyncBufferFromFile opens a stream per slice). */
function fileBuffer(handle: fs.promises.FileHandle, size: number): AsyncBuffer {
  return {
    byteLength: size,
    async slice(start: number, end?: number): Promise<ArrayBuffer> {
      const stop = Math.min(end ?? size, size);
      const length = Math.max(0, stop - start);
      const bytes = new Uint8Array(new ArrayBuffer(length));
      let done = 0;
      while (done < length) {
        const { bytesRead } = await handle.read(bytes, done, length - done, start + done);
        if (bytesRead === 0) throw new Error(`unexpected end of file at byte ${start + done}`);
        done += bytesRead;
      }
      return bytes.buffer;
    },
  };
}

/** Top-level column names, from the schema (children of the root element, depth-first list). */
function topLevelColumns(metadata: FileMetaData): string[] {
  const names: string[] = [];
  const schema = metadata.schema;
  let i = 1;
  const skipSubtree = (): void => {
    const element = schema[i++];
    for (let child = 0; child < (element?.num_children ?? 0); child++) skipSubtree();
  };
  for (let child = 0; child < (schema[0]?.num_children ?? 0) && i < schema.length; child++) {
    const name = schema[i]?.name;
    if (name !== undefined) names.push(name);
    skipSubtree();
  }
  return names;
}

/**
 * The columns worth decoding: only those a schema (or the field mapping) can use, when the file has a
 * usable context column; otherwise all of them (so the "no context field" issue lists the real keys).
 */
function columnsToRead(columns: string[], ctx: ReaderContext): string[] | undefined {
  const root = (field: string): string => (columns.includes(field) ? field : field.split('.')[0] ?? field);
  if (ctx.fields) {
    const wanted = [ctx.fields.context ?? 'context', ctx.fields.question, ctx.fields.answer]
      .filter((field): field is string => field !== undefined)
      .map(root);
    if (!columns.includes(wanted[0] ?? '')) return undefined;
    return columns.filter((column) => wanted.includes(column));
  }
  if (!CONTEXT_FIELDS.some((field) => columns.includes(field))) return undefined;
  return columns.filter((column) => SCHEMA_FIELDS.includes(column));
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Parquet: one record per row; ids `<stem>-r000001`, sources and issues with unit 'row'. */
export async function* readParquet(ctx: ReaderContext): AsyncGenerator<Sample> {
  const hyparquet = await import('hyparquet');
  ctx.signal?.throwIfAborted();
  const handle = await fs.promises.open(ctx.file, 'r');
  try {
    const { size } = await handle.stat();
    const file = fileBuffer(handle, size);
    let metadata: FileMetaData;
    try {
      metadata = await hyparquet.parquetMetadataAsync(file);
    } catch (error) {
      throw new Error(`${ctx.file}: not a readable Parquet file: ${errorMessage(error)}`);
    }
    const columns = columnsToRead(topLevelColumns(metadata), ctx);
    let groupStart = 0;
    for (const group of metadata.row_groups) {
      const groupRows = Number(group.num_rows);
      const groupBytes = Math.max(1, Number(group.total_byte_size));
      const batch = Math.max(1, Math.min(MAX_BATCH_ROWS, groupRows, Math.floor((groupRows * BATCH_BYTES) / groupBytes)));
      for (let rowStart = groupStart; rowStart < groupStart + groupRows; rowStart += batch) {
        ctx.signal?.throwIfAborted();
        const rowEnd = Math.min(rowStart + batch, groupStart + groupRows);
        let rows: Record<string, unknown>[];
        try {
          rows = await hyparquet.parquetReadObjects({ file, metadata, columns, rowStart, rowEnd, useOffsetIndex: true });
        } catch (error) {
          throw new Error(`${ctx.file}: cannot read Parquet rows ${rowStart + 1}-${rowEnd}: ${errorMessage(error)}`);
        }
        for (let k = 0; k < rows.length; k++) {
          ctx.signal?.throwIfAborted();
          const sample = recordToSample(rows[k], ctx, { line: rowStart + k + 1, unit: 'row' });
          if (sample) yield sample;
        }
      }
      groupStart += groupRows;
    }
  } finally {
    await handle.close();
  }
}
