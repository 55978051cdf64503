/**
 * Parquet files written by a real third-party writer, DuckDB (`@duckdb/node-api`, a devDependency), for the Parquet
 * torture family and the benchmark. Every file is written by DuckDB's own `COPY … TO … (FORMAT parquet)`, with the
 * codec and row-group size asked for; the long texts are slices of the L-Eval documents in ../shared/data.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The codecs DuckDB writes (its `lz4` is written as LZ4_RAW, as is `lz4_raw`). */
export type DuckCodec = 'snappy' | 'zstd' | 'gzip' | 'brotli' | 'lz4' | 'lz4_raw' | 'uncompressed';

/** Runs DuckDB statements on a fresh in-memory database, single-threaded (so rows keep their order). */
export async function duckdb(statements: string[]): Promise<void> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  const connection = await instance.connect();
  try {
    for (const statement of statements) {
      await connection.run(statement);
    }
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** `SELECT` (a query producing the rows) → `file`, with DuckDB's Parquet writer. */
export async function duckdbParquet(
  file: string,
  select: string,
  opts: { codec?: DuckCodec; rowGroupSize?: number } = {},
): Promise<string> {
  const options = [`FORMAT parquet`, `COMPRESSION ${opts.codec ?? 'snappy'}`];
  if (opts.rowGroupSize !== undefined) {
    options.push(`ROW_GROUP_SIZE ${opts.rowGroupSize}`);
  }
  await duckdb([`COPY (${select}) TO '${sqlString(file)}' (${options.join(', ')})`]);
  return file;
}

function sqlString(value: string): string {
  return value.replace(/'/g, "''");
}

/** The L-Eval documents (`input` of every record), concatenated: ~3 MB of real English text. */
export function levalCorpusSql(dataDir: string): string {
  const glob = path.join(dataDir, 'long-text', 'leval-*.jsonl');
  if (!fs.existsSync(path.dirname(glob))) {
    throw new Error(`L-Eval data not found at ${path.dirname(glob)}`);
  }
  return `SELECT string_agg(input, ' ') AS t FROM read_json('${sqlString(glob)}', format = 'newline_delimited')`;
}

/**
 * `rows` T2Vid records {context, question, answer}: each context a `chars`-character slice of the L-Eval corpus at
 * a different offset (so rows differ and compress like real text), question "What does row N say?", answer "row N".
 */
export async function longTextParquet(
  file: string,
  dataDir: string,
  opts: { rows: number; chars: number; codec?: DuckCodec; rowGroupSize?: number },
): Promise<string> {
  const select =
    `WITH corpus AS (${levalCorpusSql(dataDir)}) ` +
    `SELECT 'Row ' || i || '. ' || substr(t, 1 + ((i * 7919) % (length(t) - ${opts.chars})), ${opts.chars}) AS context, ` +
    `'What does row ' || i || ' say?' AS question, 'row ' || i AS answer ` +
    `FROM corpus, range(1, ${opts.rows + 1}) r(i) ORDER BY i`;
  return duckdbParquet(file, select, { codec: opts.codec, rowGroupSize: opts.rowGroupSize ?? opts.rows });
}
