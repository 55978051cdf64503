/**
 * Torture family "Parquet": files written by a real third-party writer (DuckDB, `@duckdb/node-api`), never only by our
 * own: every codec DuckDB writes, nested list-of-struct columns read through both path forms, a corrupt row group in
 * the middle of a file, an unreadable file and a truncated footer beside good inputs, and the memory bound on a file
 * written as one big row group. Each case runs the built CLI and checks the exit code, where the message points, that
 * every good record comes out, that nothing is written outside --out and that no temp file remains.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, after } from 'node:test';
import { familyReport, leftoverTempFiles, listFiles, runCli, tortureCase, type CliResult } from '../support/torture';
import { duckdbParquet, longTextParquet, levalCorpusSql, type DuckCodec } from '../support/duckdb';
import { packageRoot } from '../../src/core/fonts';

const FAMILY = 'Parquet';
const DATA = path.resolve(packageRoot(), '..', 'shared', 'data');
const ROWS = 12;
/** The engine's memory bound (core-engine issue): < 400 MB RSS, for Parquet as for JSONL. */
const MEMORY_BOUND_MB = 400;
let work = '';

/** Rows 1..n (from `from`): a slice of real L-Eval text as context, a question, an answer, and ShareGPT-style turns. */
function rowsSelect(from: number, to: number): string {
  return (
    `WITH corpus AS (${levalCorpusSql(DATA)}) ` +
    `SELECT 'Row ' || i || '. ' || substr(t, 1 + i * 977, 400) AS context, 'What does row ' || i || ' say?' AS question, ` +
    `'row ' || i AS answer, ` +
    `[{'from': 'human', 'value': 'Human turn ' || i}, {'from': 'gpt', 'value': 'Model turn ' || i}] AS conversations ` +
    `FROM corpus, range(${from}, ${to}) r(i)`
  );
}

interface Entry {
  id: string;
  conversations: { role: string; content: string }[];
}

/** Runs `synth` from a fresh working folder; checks nothing is written outside --out and no temp file is left. */
async function synth(inputs: string[], args: string[] = []): Promise<{ res: CliResult; out: string; entries: Entry[] }> {
  const cwd = fs.mkdtempSync(path.join(work, 'run-'));
  const out = path.join(cwd, 'out');
  const before = new Set(listFiles(work));
  const res = await runCli(['synth', ...inputs, '--out', out, '--jobs', '1', ...args], { cwd });
  const outside = listFiles(work).filter((f) => !before.has(f) && !f.startsWith(path.relative(work, out) + path.sep));
  assert.deepEqual(outside, [], `written outside --out: ${outside.join(', ')}`);
  assert.deepEqual(leftoverTempFiles(out), [], 'temp files left in --out');
  const dataset = path.join(out, 'minicpm-v.json');
  const entries = fs.existsSync(dataset) ? (JSON.parse(fs.readFileSync(dataset, 'utf8')) as Entry[]) : [];
  return { res, out, entries };
}

/** The question (user turn without the image tags) and answer of every dataset entry. */
function pairs(entries: Entry[]): [string, string][] {
  return entries.map((e) => [e.conversations[0]!.content.replace(/^(<image_\d+>\n?)+/, ''), e.conversations[1]!.content]);
}

function expectedPairs(
  rows: number[],
  question = (i: number): string => `What does row ${i} say?`,
  answer = (i: number): string => `row ${i}`,
): [string, string][] {
  return rows.map((i) => [question(i), answer(i)]);
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, k) => from + k);

before(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 't2vid-torture-parquet-'));
});
after(() => {
  if (work) {
    fs.rmSync(work, { recursive: true, force: true });
  }
});

// --- every codec, written by DuckDB ----------------------------------------------------------------------------

for (const [codec, label] of [
  ['snappy', 'SNAPPY'],
  ['zstd', 'ZSTD'],
  ['gzip', 'GZIP'],
  ['brotli', 'BROTLI'],
  ['lz4', 'LZ4_RAW'],
] as [DuckCodec, string][]) {
  tortureCase(FAMILY, `${label} file written by DuckDB: every row comes out`, async () => {
    const file = await duckdbParquet(path.join(work, `${codec}.parquet`), rowsSelect(1, ROWS + 1), { codec });
    const { res, entries } = await synth([file]);
    assert.equal(res.code, 0, res.stderr);
    assert.doesNotMatch(res.stderr, /unsupported compression codec|skipped/, res.stderr);
    assert.deepEqual(pairs(entries), expectedPairs(range(1, ROWS)));
    assert.deepEqual(
      entries.map((e) => e.id),
      range(1, ROWS).map((i) => `${codec}-r${String(i).padStart(6, '0')}`),
    );
  });
}

// --- nested list-of-struct columns ----------------------------------------------------------------------------

for (const [form, question, answer] of [
  ['dotted', 'conversations.0.value', 'conversations.1.value'],
  ['bracket', 'conversations[0].value', 'conversations[1].value'],
]) {
  tortureCase(FAMILY, `list-of-struct column read through the ${form} path form (${question})`, async () => {
    const file = await duckdbParquet(path.join(work, `nested-${form}.parquet`), rowsSelect(1, ROWS + 1), { codec: 'zstd' });
    const { res, entries } = await synth([file], ['--fields', `context=context,question=${question},answer=${answer}`]);
    assert.equal(res.code, 0, res.stderr);
    assert.doesNotMatch(res.stderr, /skipped/, res.stderr);
    assert.deepEqual(
      pairs(entries),
      expectedPairs(
        range(1, ROWS),
        (i) => `Human turn ${i}`,
        (i) => `Model turn ${i}`,
      ),
    );
  });
}

tortureCase(
  FAMILY,
  'long lists DuckDB splits across pages (one row group, 20,000 rows): every row gets its own turns, in order',
  async () => {
    const rows = 20_000;
    const file = await duckdbParquet(
      path.join(work, 'nested-long.parquet'),
      `WITH corpus AS (${levalCorpusSql(DATA)}) SELECT 'Row ' || i || '.' AS context, ` +
        `[{'from': 'human', 'value': 'Human turn ' || i || '. ' || substr(t, 1 + (i * 131) % 100000, 6000)}, ` +
        `{'from': 'gpt', 'value': 'Model turn ' || i}] AS conversations FROM corpus, range(1, ${rows + 1}) r(i)`,
      { codec: 'zstd', rowGroupSize: rows },
    );
    const fields = 'context=context,question=conversations[0].value,answer=conversations.1.value';
    const res = await runCli(['synth', file, '--dry-run', '--json', '--fields', fields], { cwd: work });
    assert.equal(res.code, 0, res.stderr);
    const summary = JSON.parse(res.stdout) as { samples: number; entries: number; issues: number };
    assert.deepEqual([summary.samples, summary.entries, summary.issues], [rows, rows, 0]);
    // Row by row, in-process through the same reader: row k has turns k (a page that continues a row is joined to it).
    const { readSamples, parseFieldMapping } = await import('../../src/core/readers');
    let k = 0;
    for await (const sample of readSamples(file, { fields: parseFieldMapping(fields), onIssue: (issue) => assert.fail(issue.message) })) {
      k++;
      assert.equal(sample.context, `Row ${k}.`);
      assert.ok(sample.qa[0]!.question.startsWith(`Human turn ${k}. `), `row ${k}`);
      assert.equal(sample.qa[0]!.answer, `Model turn ${k}`);
    }
    assert.equal(k, rows);
  },
  { timeout: 240_000 },
);

// --- damaged files ----------------------------------------------------------------------------------------------

/** A DuckDB file of 3 row groups of 10 rows (rows 1–30); each SELECT of the UNION ALL becomes one row group. */
async function threeGroups(name: string): Promise<string> {
  const select = [rowsSelect(1, 11), rowsSelect(11, 21), rowsSelect(21, 31)].map((s) => `(${s})`).join(' UNION ALL ');
  return duckdbParquet(path.join(work, name), select, { codec: 'snappy', rowGroupSize: 10 });
}

tortureCase(
  FAMILY,
  'corrupt row group in the middle of a 3-group file: the other groups still out, the message names the group',
  async () => {
    const file = await threeGroups('corrupt-middle.parquet');
    const { parquetMetadataAsync } = await import('hyparquet');
    const bytes = fs.readFileSync(file);
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    const metadata = await parquetMetadataAsync(buffer);
    assert.deepEqual(
      metadata.row_groups.map((g) => Number(g.num_rows)),
      [10, 10, 10],
      'DuckDB wrote 3 row groups',
    );
    const chunk = metadata.row_groups[1]!.columns.find((c) => c.meta_data?.path_in_schema[0] === 'context')!.meta_data!;
    const start = Number(chunk.dictionary_page_offset || chunk.data_page_offset);
    bytes.fill(0xff, start, start + Number(chunk.total_compressed_size));
    fs.writeFileSync(file, bytes);
    const { res, entries } = await synth([file]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stderr, /corrupt-middle\.parquet: row group 2: rows 11-20 of 30 unreadable \(.+\); all 10 rows skipped/, res.stderr);
    assert.equal(res.stderr.match(/: row group \d+:/g)?.length, 1, res.stderr);
    assert.match(res.stderr, /1 Parquet row group skipped/, res.stderr);
    assert.deepEqual(pairs(entries), expectedPairs([...range(1, 10), ...range(21, 30)]));
  },
);

tortureCase(FAMILY, 'an unreadable .parquet beside a good JSONL: the JSONL samples still out, rc 0', async () => {
  const bad = path.join(work, 'not-parquet.parquet');
  fs.writeFileSync(bad, 'PAR1 this was a CSV export,1,2,3\n'.repeat(20));
  const good = path.join(work, 'good.jsonl');
  fs.writeFileSync(
    good,
    range(1, 3)
      .map((i) =>
        JSON.stringify({ context: `Document ${i}. ${'text '.repeat(30)}`, question: `What does row ${i} say?`, answer: `row ${i}` }),
      )
      .join('\n') + '\n',
  );
  const { res, entries } = await synth([bad, good]);
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stderr, /not-parquet\.parquet: not a readable Parquet file \(.+\); no row read/, res.stderr);
  assert.deepEqual(pairs(entries), expectedPairs(range(1, 3)));
});

tortureCase(FAMILY, 'a DuckDB file with a truncated footer beside a good one: one issue, the good file read whole', async () => {
  const whole = await duckdbParquet(path.join(work, 'truncated.parquet'), rowsSelect(1, ROWS + 1), { codec: 'zstd' });
  const bytes = fs.readFileSync(whole);
  fs.writeFileSync(whole, bytes.subarray(0, bytes.length - 37));
  const good = await duckdbParquet(path.join(work, 'good-gzip.parquet'), rowsSelect(1, ROWS + 1), { codec: 'gzip' });
  const { res, entries } = await synth([whole, good]);
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stderr, /truncated\.parquet: not a readable Parquet file \(.+\); no row read/, res.stderr);
  assert.equal(res.stderr.match(/truncated\.parquet/g)?.length, 1, res.stderr);
  assert.deepEqual(pairs(entries), expectedPairs(range(1, ROWS)));
  assert.ok(entries.every((e) => e.id.startsWith('good-gzip-r')));
});

tortureCase(FAMILY, 'a truncated footer as the only input: rc 1 with the file named, no temp file', async () => {
  const whole = await duckdbParquet(path.join(work, 'alone.parquet'), rowsSelect(1, ROWS + 1), { codec: 'snappy' });
  fs.truncateSync(whole, fs.statSync(whole).size - 5);
  const { res, entries } = await synth([whole]);
  assert.equal(res.code, 1, res.stderr);
  assert.match(res.stderr, /alone\.parquet: not a readable Parquet file/, res.stderr);
  assert.deepEqual(entries, []);
});

// --- memory -------------------------------------------------------------------------------------------------------

/** Peak RSS (VmHWM, MB) of the CLI child, read from /proc while it runs. */
async function peakRss(args: string[], cwd: string): Promise<{ res: CliResult; peakMB: number }> {
  let pid = 0;
  let peak = 0;
  const poll = setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) {
        peak = Math.max(peak, Number(m[1]) / 1024);
      }
    } catch {
      // not started yet, or gone
    }
  }, 25);
  try {
    const res = await runCli(args, { cwd, onSpawn: (p) => (pid = p), timeoutMs: 170_000 });
    return { res, peakMB: peak };
  } finally {
    clearInterval(poll);
  }
}

tortureCase(
  FAMILY,
  'one-row-group DuckDB file of ~55 MB of text: --dry-run stays within the memory bound',
  async () => {
    const rows = 2000;
    const chars = 27_500;
    const file = await longTextParquet(path.join(work, 'one-group.parquet'), DATA, { rows, chars, codec: 'snappy' });
    const { parquetMetadataAsync } = await import('hyparquet');
    const bytes = fs.readFileSync(file);
    const metadata = await parquetMetadataAsync(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    assert.equal(metadata.row_groups.length, 1, 'DuckDB wrote one row group');
    const { res, peakMB } = await peakRss(['synth', file, '--dry-run', '--json'], work);
    assert.equal(res.code, 0, res.stderr);
    const summary = JSON.parse(res.stdout) as { samples: number; issues: number };
    assert.equal(summary.samples, rows);
    assert.equal(summary.issues, 0);
    process.stdout.write(`# parquet one-group ${((rows * chars) / 1e6).toFixed(0)} MB of text: peak RSS ${peakMB.toFixed(0)} MB\n`);
    assert.ok(peakMB < MEMORY_BOUND_MB, `peak RSS ${peakMB.toFixed(0)} MB, bound ${MEMORY_BOUND_MB} MB`);
  },
  { timeout: 240_000 },
);

familyReport(FAMILY);
