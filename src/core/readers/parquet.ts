/**
 * Parquet reader (hyparquet, with hyparquet-compressors for every codec Parquet writers use: Snappy, ZSTD, GZIP,
 * Brotli, LZ4, LZ4_RAW). Reads only the columns a schema or the field mapping can use, row group by row group, in
 * row ranges of bounded size; within a row group only the pages a range overlaps are fetched and decoded (from the
 * file's offset index, or from page locations found by walking the page headers when the writer wrote none), so a
 * file written as one huge row group is never decoded whole. Rows are numbered from 1 across the whole file.
 * An unreadable footer is one issue for the file; an unreadable row group is one issue naming the row group, and
 * the other row groups are still read.
 */
import * as fs from 'node:fs';
import { isUtf8 } from 'node:buffer';
import type { AsyncBuffer, Compressors, FileMetaData, ParquetParsers, SchemaTree } from 'hyparquet';
import type { Sample } from '../model';
import { invalidUtf8Offsets } from './decode';
import { fieldPathRoot, recordToSample, reportIssue, type ReaderContext, type RecordConverter } from './schema';

/** Roughly how many uncompressed bytes of the selected columns to decode per range of rows. */
const BATCH_BYTES = 16 * 1024 * 1024;
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
        if (bytesRead === 0) {
          throw new Error(`unexpected end of file at byte ${start + done}`);
        }
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
    for (let child = 0; child < (element?.num_children ?? 0); child++) {
      skipSubtree();
    }
  };
  for (let child = 0; child < (schema[0]?.num_children ?? 0) && i < schema.length; child++) {
    const name = schema[i]?.name;
    if (name !== undefined) {
      names.push(name);
    }
    skipSubtree();
  }
  return names;
}

/**
 * The columns worth decoding: only those a schema (or the field mapping) can use, when the file has a
 * usable context column; otherwise, or with a custom converter, all of them (so the "no context field" issue lists the
 * real keys).
 */
function columnsToRead<T>(columns: string[], ctx: ReaderContext<T>): string[] | undefined {
  if (ctx.convert) {
    return undefined; // a custom converter (instruction-only records) may read any column
  }
  const root = (field: string): string => (columns.includes(field) ? field : fieldPathRoot(field));
  if (ctx.fields) {
    const wanted = [ctx.fields.context ?? 'context', ctx.fields.question, ctx.fields.answer]
      .filter((field): field is string => field !== undefined)
      .map(root);
    if (!columns.includes(wanted[0] ?? '')) {
      return undefined;
    }
    return columns.filter((column) => wanted.includes(column));
  }
  if (!CONTEXT_FIELDS.some((field) => columns.includes(field))) {
    return undefined;
  }
  return columns.filter((column) => SCHEMA_FIELDS.includes(column));
}

/**
 * A text value not decoded yet: hyparquet's string parser returns these (a view into the decompressed page), and a
 * row's values are decoded only when the row is handed on. So a page of long texts is held once, as bytes, instead
 * of as bytes and then as thousands of strings (DuckDB writes pages of ~80 MB: a whole row group of LongAlpaca size).
 */
class LazyText {
  constructor(readonly bytes: Uint8Array) {}

  /** A value used as a key (hyparquet builds MAP columns into objects) becomes its text. */
  toString(): string {
    return utf8.decode(this.bytes);
  }
}

const utf8 = new TextDecoder();
const lazyParsers = { stringFromBytes: (bytes: Uint8Array | undefined) => bytes && new LazyText(bytes) };

/**
 * The row with every LazyText inside it (nested lists and structs too) decoded to a string. Invalid UTF-8 is replaced
 * with U+FFFD, as in every other input, and counted in `invalid` (the caller warns with the row's number).
 */
function materialize(value: unknown, invalid: { count: number }): unknown {
  if (value instanceof LazyText) {
    if (!isUtf8(value.bytes)) {
      invalid.count += invalidUtf8Offsets(value.bytes).length;
    }
    return utf8.decode(value.bytes);
  }
  if (Array.isArray(value)) {
    return value.map((item) => materialize(item, invalid));
  }
  if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      out[key] = materialize(item, invalid);
    }
    return out;
  }
  return value;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// ---------------------------------------------------------------------------------------------------------------
// Page locations for files without an offset index: walk the page headers (Thrift compact protocol) of a column
// chunk, reading only the headers, never the page data.

class NeedMoreBytes extends Error {}

/** Where a data page starts and which row it starts with (hyparquet's PageLocation, from the offset index). */
interface PageLocation {
  offset: bigint;
  compressed_page_size: number;
  first_row_index: bigint;
  /** Ours, not the offset index's: the page's uncompressed size, to cut row ranges at page boundaries. */
  uncompressed_page_size: number;
}

/** A minimal Thrift compact-protocol reader: structs become `{ [fieldId]: value }`. */
class CompactReader {
  offset = 0;
  constructor(private readonly bytes: Uint8Array) {}

  private byte(): number {
    if (this.offset >= this.bytes.length) {
      throw new NeedMoreBytes();
    }
    return this.bytes[this.offset++]!;
  }

  private varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = this.byte();
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) {
        return result;
      }
      shift += 7n;
      if (shift > 70n) {
        throw new Error('invalid varint in page header');
      }
    }
  }

  private zigzag(): bigint {
    const n = this.varint();
    return (n >> 1n) ^ -(n & 1n);
  }

  private skip(count: number): void {
    if (count < 0) {
      throw new Error('invalid length in page header');
    }
    if (this.offset + count > this.bytes.length) {
      throw new NeedMoreBytes();
    }
    this.offset += count;
  }

  private value(type: number): unknown {
    switch (type) {
      case 1:
        return true;
      case 2:
        return false;
      case 3:
        return this.byte();
      case 4:
      case 5:
        return Number(this.zigzag());
      case 6:
        return this.zigzag();
      case 7:
        this.skip(8);
        return undefined;
      case 8:
        this.skip(Number(this.varint()));
        return undefined;
      case 9:
      case 10: {
        const header = this.byte();
        const size = header >> 4 === 15 ? Number(this.varint()) : header >> 4;
        const elementType = header & 0x0f;
        for (let i = 0; i < size; i++) {
          if (elementType === 1 || elementType === 2) {
            this.byte();
          } else {
            this.value(elementType);
          }
        }
        return undefined;
      }
      case 11: {
        const size = Number(this.varint());
        if (size > 0) {
          const types = this.byte();
          for (let i = 0; i < size; i++) {
            this.value(types >> 4);
            this.value(types & 0x0f);
          }
        }
        return undefined;
      }
      case 12:
        return this.struct();
      default:
        throw new Error(`invalid Thrift type ${type} in page header`);
    }
  }

  struct(): Record<number, unknown> {
    const fields: Record<number, unknown> = {};
    let fieldId = 0;
    for (;;) {
      const header = this.byte();
      if (header === 0) {
        return fields;
      }
      const delta = header >> 4;
      fieldId = delta === 0 ? Number(this.zigzag()) : fieldId + delta;
      fields[fieldId] = this.value(header & 0x0f);
    }
  }
}

/** The maximum repetition level of every leaf column, by dotted path (0: one value per row). */
function maxRepetitionLevels(schema: SchemaTree): Map<string, number> {
  const levels = new Map<string, number>();
  const walk = (node: SchemaTree, path: string[], level: number): void => {
    for (const child of node.children) {
      const childPath = [...path, child.element.name];
      const childLevel = level + (child.element.repetition_type === 'REPEATED' ? 1 : 0);
      if (child.children.length === 0) {
        levels.set(childPath.join('.'), childLevel);
      } else {
        walk(child, childPath, childLevel);
      }
    }
  };
  walk(schema, [], 0);
  return levels;
}

/**
 * How many rows a v1 data page of a repeated column holds: the repetition levels equal to 0, counted in the
 * RLE/bit-packed hybrid run that starts the (decompressed) page. The values themselves are not decoded.
 */
function rowsInRepeatedPage(page: Uint8Array, numValues: number, maxRepetition: number): { rows: number; continuesRow: boolean } {
  const view = new DataView(page.buffer, page.byteOffset, page.byteLength);
  if (page.length < 4) {
    throw new Error('data page too short for its repetition levels');
  }
  const length = view.getUint32(0, true);
  const end = 4 + length;
  if (end > page.length) {
    throw new Error('repetition levels run past their data page');
  }
  const width = 32 - Math.clz32(maxRepetition);
  const byteWidth = Math.ceil(width / 8);
  let offset = 4;
  let seen = 0;
  let rows = 0;
  // Whether the page's first value continues the previous page's row (DuckDB splits a row's list across pages).
  let continuesRow = false;
  const startsRow = (value: number): void => {
    if (seen === 0 && value !== 0) {
      continuesRow = true;
    }
  };
  while (offset < end && seen < numValues) {
    let header = 0;
    let shift = 0;
    for (;;) {
      const b = page[offset++]!;
      header += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) {
        break;
      }
      shift += 7;
      if (offset >= end) {
        throw new Error('invalid repetition levels');
      }
    }
    if (header % 2 === 1) {
      // bit-packed: (header >> 1) groups of 8 values, `width` bytes per group
      const count = Math.floor(header / 2) * 8;
      let bit = offset * 8;
      for (let i = 0; i < count && seen < numValues; i++, seen++) {
        let value = 0;
        for (let b = 0; b < width; b++, bit++) {
          value |= ((page[bit >> 3]! >> (bit & 7)) & 1) << b;
        }
        startsRow(value);
        if (value === 0) {
          rows++;
        }
      }
      offset += Math.floor(header / 2) * width;
    } else {
      const count = Math.floor(header / 2);
      let value = 0;
      for (let b = 0; b < byteWidth; b++) {
        value |= page[offset + b]! << (8 * b);
      }
      offset += byteWidth;
      if (count > 0) {
        startsRow(value);
      }
      const take = Math.min(count, numValues - seen);
      if (value === 0) {
        rows += take;
      }
      seen += take;
    }
  }
  return { rows, continuesRow };
}

const HEADER_PROBE = 8 * 1024;
const MAX_HEADER = 16 * 1024 * 1024;

/**
 * The data pages of one column chunk and the first row of each, from their headers. A repeated column written with
 * v1 data pages says nothing of rows in its headers: each such page is decompressed (one at a time) and its
 * repetition levels counted. Undefined when that cannot be done (no decompressor): the column is then read whole.
 */
async function walkPageHeaders(
  file: AsyncBuffer,
  start: number,
  end: number,
  maxRepetition: number,
  decompress: ((bytes: Uint8Array, size: number) => Uint8Array) | undefined,
): Promise<PageLocation[] | undefined> {
  const pages: PageLocation[] = [];
  let offset = start;
  let row = 0n;
  while (offset < end) {
    let header: Record<number, unknown> | undefined;
    let headerLength = 0;
    for (let probe = HEADER_PROBE; header === undefined; probe *= 4) {
      const bytes = new Uint8Array(await file.slice(offset, Math.min(end, offset + probe)));
      const reader = new CompactReader(bytes);
      try {
        header = reader.struct();
        headerLength = reader.offset;
      } catch (error) {
        if (!(error instanceof NeedMoreBytes)) {
          throw error;
        }
        if (offset + probe >= end || probe >= MAX_HEADER) {
          throw new Error(`page header at byte ${offset} runs past its column chunk`);
        }
      }
    }
    const type = header[1];
    const compressedSize = header[3];
    if (typeof compressedSize !== 'number' || compressedSize < 0) {
      throw new Error(`invalid page header at byte ${offset}`);
    }
    if (type === 0 || type === 3) {
      const v1 = header[5] as Record<number, unknown> | undefined;
      const v2 = header[8] as Record<number, unknown> | undefined;
      let rows = type === 3 ? v2?.[3] : maxRepetition === 0 ? v1?.[1] : undefined;
      if (rows === undefined && type === 0 && typeof v1?.[1] === 'number' && typeof header[2] === 'number') {
        if (!decompress) {
          return undefined;
        }
        const compressed = new Uint8Array(await file.slice(offset + headerLength, offset + headerLength + compressedSize));
        const counted = rowsInRepeatedPage(decompress(compressed, header[2]), v1[1], maxRepetition);
        rows = counted.rows;
        const previous = pages[pages.length - 1];
        if (counted.continuesRow && previous) {
          // Locations must start at a row: this page joins the previous one (a location may hold several pages).
          previous.compressed_page_size += headerLength + compressedSize;
          previous.uncompressed_page_size += header[2];
          row += BigInt(counted.rows);
          offset += headerLength + compressedSize;
          continue;
        }
      }
      if (typeof rows !== 'number') {
        return undefined;
      }
      const uncompressed = typeof header[2] === 'number' ? header[2] : compressedSize;
      pages.push({
        offset: BigInt(offset),
        compressed_page_size: headerLength + compressedSize,
        first_row_index: row,
        uncompressed_page_size: uncompressed,
      });
      row += BigInt(rows);
    } else if (type !== 1 && type !== 2) {
      throw new Error(`unknown page type ${String(type)} at byte ${offset}`);
    }
    offset += headerLength + compressedSize;
  }
  return pages;
}

/** Page locations of the selected columns of one row group, keyed by dotted column path, for hyparquet's plan. */
async function pageLocationsOf(
  file: AsyncBuffer,
  metadata: FileMetaData,
  groupIndex: number,
  columns: string[] | undefined,
  levels: Map<string, number>,
  decompressorFor: (codec: string) => ((bytes: Uint8Array, size: number) => Uint8Array) | undefined,
): Promise<Record<string, PageLocation[]>> {
  const locations: Record<string, PageLocation[]> = {};
  for (const chunk of metadata.row_groups[groupIndex]?.columns ?? []) {
    const meta = chunk.meta_data;
    if (!meta || (columns && !columns.includes(meta.path_in_schema[0] ?? ''))) {
      continue;
    }
    if (chunk.offset_index_offset !== undefined && chunk.offset_index_length) {
      continue;
    } // hyparquet reads the writer's
    const path = meta.path_in_schema.join('.');
    const start = Number(meta.dictionary_page_offset || meta.data_page_offset);
    const end = start + Number(meta.total_compressed_size);
    let pages: PageLocation[] | undefined;
    try {
      pages = await walkPageHeaders(file, start, end, levels.get(path) ?? 0, decompressorFor(meta.codec));
    } catch {
      // Headers we cannot walk: hyparquet reads the column chunk whole, and reports it if it is damaged.
      pages = undefined;
    }
    if (pages && pages.length > 0) {
      locations[path] = pages;
    }
  }
  return locations;
}

/**
 * The row ranges (relative to the row group) to decode one at a time. With page locations, cut at the page boundaries
 * of the largest column, a range holding pages up to BATCH_BYTES (at least one page), so no page is decoded twice;
 * otherwise ranges of as many rows as hold about BATCH_BYTES on average.
 */
function rowRanges(groupRows: number, groupBytes: number, locations: Record<string, PageLocation[]>): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  const size = (pages: PageLocation[]): number => pages.reduce((sum, page) => sum + page.uncompressed_page_size, 0);
  const largest = Object.values(locations).sort((a, b) => size(b) - size(a))[0];
  if (largest && size(largest) * 2 >= groupBytes) {
    let start = 0;
    let bytes = 0;
    for (let i = 0; i < largest.length; i++) {
      bytes += largest[i]!.uncompressed_page_size;
      const next = i + 1 < largest.length ? Number(largest[i + 1]!.first_row_index) : groupRows;
      if (bytes >= BATCH_BYTES || next >= groupRows) {
        if (next > start) {
          ranges.push([start, Math.min(next, groupRows)]);
        }
        start = next;
        bytes = 0;
      }
    }
    if (start < groupRows) {
      ranges.push([start, groupRows]);
    }
    return ranges;
  }
  const batch = Math.max(1, Math.min(MAX_BATCH_ROWS, groupRows, Math.floor((groupRows * BATCH_BYTES) / groupBytes)));
  for (let start = 0; start < groupRows; start += batch) {
    ranges.push([start, Math.min(start + batch, groupRows)]);
  }
  return ranges;
}

// ---------------------------------------------------------------------------------------------------------------

/** Parquet: one record per row; ids `<stem>-r000001`, sources and issues with unit 'row'. */
export async function* readParquet<T = Sample>(ctx: ReaderContext<T>): AsyncGenerator<T> {
  const hyparquet = await import('hyparquet');
  // Snappy stays with hyparquet's own decoder, which writes straight into the page buffer: hyparquet-compressors'
  // Snappy (WebAssembly) grows a linear memory as big as input + output that is never given back (+110 MB RSS on
  // an 83 MB page).
  const { SNAPPY: _wasmSnappy, ...compressors } = ((await import('hyparquet-compressors')) as { compressors: Compressors }).compressors;
  ctx.signal?.throwIfAborted();
  const handle = await fs.promises.open(ctx.file, 'r');
  try {
    const { size } = await handle.stat();
    const file = fileBuffer(handle, size);
    let metadata: FileMetaData;
    try {
      metadata = await hyparquet.parquetMetadataAsync(file);
    } catch (error) {
      reportIssue(ctx, 0, 'file', `not a readable Parquet file (${errorMessage(error)}); no row read`);
      return;
    }
    const columns = columnsToRead(topLevelColumns(metadata), ctx);
    const levels = maxRepetitionLevels(hyparquet.parquetSchema(metadata));
    const decompressorFor = (codec: string): ((bytes: Uint8Array, size: number) => Uint8Array) | undefined => {
      if (codec === 'UNCOMPRESSED') {
        return (bytes) => bytes;
      }
      if (codec === 'SNAPPY') {
        return (bytes, size) => {
          const out = new Uint8Array(size);
          hyparquet.snappyUncompress(bytes, out);
          return out;
        };
      }
      return (compressors as Compressors)[codec as keyof Compressors];
    };
    let groupStart = 0;
    for (let groupIndex = 0; groupIndex < metadata.row_groups.length; groupIndex++) {
      const group = metadata.row_groups[groupIndex]!;
      const groupRows = Number(group.num_rows);
      const groupEnd = groupStart + groupRows;
      const where = `rows ${groupStart + 1}-${groupEnd} of ${Number(metadata.num_rows)}`;
      let lost = 0;
      let firstError: string | undefined;
      try {
        ctx.signal?.throwIfAborted();
        const pageLocations = await pageLocationsOf(file, metadata, groupIndex, columns, levels, decompressorFor);
        const pageLocationsByGroup = metadata.row_groups.map((_, i) => (i === groupIndex ? pageLocations : {}));
        // The uncompressed bytes of the columns read, to size the row ranges.
        const groupBytes = Math.max(
          1,
          group.columns
            .filter((chunk) => !columns || columns.includes(chunk.meta_data?.path_in_schema[0] ?? ''))
            .reduce((sum, chunk) => sum + Number(chunk.meta_data?.total_uncompressed_size ?? 0), 0),
        );
        for (const [first, last] of rowRanges(groupRows, groupBytes, pageLocations)) {
          ctx.signal?.throwIfAborted();
          const rowStart = groupStart + first;
          const rowEnd = groupStart + last;
          let rows: Record<string, unknown>[] | undefined;
          try {
            // pageLocationsByGroup: page locations found above, so only the pages of this row range are fetched.
            const options = {
              file,
              metadata,
              columns,
              rowStart,
              rowEnd,
              compressors,
              useOffsetIndex: true,
              pageLocationsByGroup,
              parsers: lazyParsers as unknown as Partial<ParquetParsers>,
            };
            rows = await hyparquet.parquetReadObjects(options);
          } catch (error) {
            ctx.signal?.throwIfAborted();
            firstError ??= errorMessage(error);
            lost += rowEnd - rowStart;
            continue;
          }
          for (let k = 0; k < rows.length; k++) {
            ctx.signal?.throwIfAborted();
            const invalid = { count: 0 };
            const record = materialize(rows[k], invalid);
            if (invalid.count) {
              const n = invalid.count;
              reportIssue(ctx, rowStart + k + 1, 'row', `${n} invalid UTF-8 sequence${n === 1 ? '' : 's'} replaced with U+FFFD`, {
                severity: 'warning',
                replaced: n,
              });
            }
            const sample = (ctx.convert ?? (recordToSample as unknown as RecordConverter<T>))(record, ctx, {
              line: rowStart + k + 1,
              unit: 'row',
            });
            rows[k] = {}; // release the row's bytes as soon as its sample is handed on
            if (sample) {
              yield sample;
            }
          }
          rows = undefined;
        }
      } catch (error) {
        ctx.signal?.throwIfAborted();
        firstError ??= errorMessage(error);
        lost = groupRows;
      }
      if (firstError !== undefined) {
        const which = lost === groupRows ? `all ${groupRows} rows skipped` : `${lost} of these ${groupRows} rows skipped`;
        reportIssue(ctx, groupIndex + 1, 'row group', `${where} unreadable (${firstError}); ${which}`);
      }
      groupStart = groupEnd;
    }
  } finally {
    await handle.close();
  }
}
