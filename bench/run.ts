/**
 * `npm run bench`: our renderer (the `t2vid` CLI) against the reference T2Vid renderer (PIL, bench/baseline_pil.py),
 * measured in the same run, because time ratios on a shared 2-core machine are noisy.
 *
 *   node out/bench/run.js [--quick] [--keep] [--big-mb=1000] [--limit=2000] [--sample=240] [--baseline-only] [--cli=dist/cli.js]
 *
 * 1. reference: /usr/bin/python3 bench/baseline_pil.py (2 processes) on the L-Eval documents;
 * 2. ours: `node dist/cli.js synth <files> --out <dir> --json`, once per row of MODES (fit, words 115, sentences 115);
 *    every frame written is checked for ink in its margins (clipped text), and the same documents are paged again
 *    in this process to count real layouts per frame and the metric model's mismatches (src/core/paginate.ts);
 * 3. PNG bytes/frame: a sample of our frames (the first mode's) vs the same frames re-encoded as 8-bit RGB PNG by sharp;
 * 4. peak RSS of the CLI on a generated ~1 GB JSONL (`--dry-run`, then `--limit 2000`); skipped by `--quick`;
 *    and on a LongAlpaca-12k-sized Parquet file written by DuckDB as ONE row group (12,000 rows, ~330 MB of text,
 *    Snappy; `--dry-run`), the layout that used to be decoded whole;
 * 5. a markdown table on stdout and in bench/RESULTS.md.
 *
 * bench/RESULTS.md is written by full runs only (not with --quick, --baseline-only or --cli).
 * `--baseline-only` runs the reference, the PNG sampling of its frames and the 1 GB generator without the CLI
 * (to test the harness itself). Everything is written under .bench/ (git-ignored) and deleted afterwards; the
 * generated JSONL is kept (and reused next time) only with `--keep`.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { resolveOptions, type Preset, type SegmentMode } from '../src/core/options';
import { paginate, pagingStats, resetPagingStats } from '../src/core/paginate';
import { Renderer } from '../src/core/render';
import { modelProfile } from '../src/shared/profiles';
import { longTextParquet } from '../test/support/duckdb';

const ROOT = path.resolve(__dirname, '..', '..');
const DATA_DIR = path.resolve(ROOT, '..', 'shared', 'data', 'long-text');
const BENCH_DIR = path.join(ROOT, '.bench');
const DEFAULT_CLI = path.join(ROOT, 'dist', 'cli.js');
const PYTHON = '/usr/bin/python3';
const BASELINE = path.join(ROOT, 'bench', 'baseline_pil.py');
const FONT = path.join(ROOT, 'node_modules', 'dejavu-fonts-ttf', 'ttf', 'DejaVuSans.ttf');
const RESULTS = path.join(ROOT, 'bench', 'RESULTS.md');
const CHILD_TIMEOUT_MS = 90 * 60 * 1000;
const RSS_POLL_MS = 100;
const RSS_TARGET_MB = 400;
const BYTES_RATIO_TARGET = 0.5;

/**
 * Our runs, one row each in the modes table: `t2vid synth --mode MODE --words WORDS [--preset PRESET]`. The first row
 * is the default mode (its frames give the PNG size figures). Layouts per frame are counted by paging the same
 * documents in this process with the same options; clipped frames are checked against the run's own margins (the
 * paper preset has none at the top and bottom).
 */
const MODES: ReadonlyArray<{ label: string; mode: SegmentMode; words: number; preset?: Preset }> = [
  { label: 'fit', mode: 'fit', words: 115 },
  { label: 'words 115', mode: 'words', words: 115 },
  { label: 'sentences 115', mode: 'sentences', words: 115 },
  { label: 'words 115, paper preset', mode: 'words', words: 115, preset: 't2vid' },
];

// ---------------------------------------------------------------------------------------------------------------
// arguments

interface Args {
  quick: boolean;
  keep: boolean;
  baselineOnly: boolean;
  bigMB: number;
  limit: number;
  sample: number;
  cli: string;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { quick: false, keep: false, baselineOnly: false, bigMB: 1000, limit: 2000, sample: 240, cli: DEFAULT_CLI };
  const num = (flag: string, value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) {
      throw new Error(`${flag} needs a positive number, got "${value}"`);
    }
    return n;
  };
  for (const a of argv) {
    const [flag, value] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, ''];
    switch (flag) {
      case '--quick':
        args.quick = true;
        break;
      case '--keep':
        args.keep = true;
        break;
      case '--baseline-only':
        args.baselineOnly = true;
        break;
      case '--big-mb':
        args.bigMB = num(flag, value);
        break;
      case '--limit':
        args.limit = Math.floor(num(flag, value));
        break;
      case '--sample':
        args.sample = Math.floor(num(flag, value));
        break;
      case '--cli':
        if (!value) {
          throw new Error('--cli needs a path');
        }
        args.cli = path.resolve(value);
        break;
      case '--help':
      case '-h':
        console.log(
          'usage: node out/bench/run.js [--quick] [--keep] [--big-mb=1000] [--limit=2000] [--sample=240] [--baseline-only] [--cli=dist/cli.js]',
        );
        process.exit(0);
        break;
      default:
        throw new Error(`unknown argument "${a}" (try --help)`);
    }
  }
  return args;
}

// ---------------------------------------------------------------------------------------------------------------
// corpus

interface Corpus {
  files: string[];
  contexts: string[];
  chars: number; // Unicode code points, the same count Python's len() gives
  words: number; // whitespace-separated
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function loadCorpus(): Corpus {
  if (!fs.existsSync(DATA_DIR)) {
    throw new Error(`no test data at ${DATA_DIR}`);
  }
  const files = fs
    .readdirSync(DATA_DIR)
    .filter((f) => /^leval-.*\.jsonl$/.test(f))
    .sort()
    .map((f) => path.join(DATA_DIR, f));
  if (files.length === 0) {
    throw new Error(`no leval-*.jsonl files in ${DATA_DIR}`);
  }
  const contexts: string[] = [];
  let chars = 0;
  let words = 0;
  for (const file of files) {
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      if (!line.trim()) {
        continue;
      }
      const obj: unknown = JSON.parse(line);
      if (!isRecord(obj) || typeof obj.input !== 'string' || !obj.input.trim()) {
        continue;
      }
      contexts.push(obj.input);
      for (const ch of obj.input) {
        void ch;
        chars++;
      }
      words += obj.input.split(/\s+/).filter((w) => w.length > 0).length;
    }
  }
  return { files, contexts, chars, words };
}

// ---------------------------------------------------------------------------------------------------------------
// child processes, with the peak RSS of the process tree sampled from /proc

/** Memory of a child's process tree, sampled from /proc every RSS_POLL_MS (zeros where /proc is unavailable). */
interface ObservedMemory {
  /** The largest single-process peak RSS (VmHWM) in the tree: what a per-process figure such as the CLI's shows. */
  largestProcessMB: number;
  /** The peak over samples of the tree's total proportional set size (Σ Pss): the memory the run needs. */
  treePssMB: number;
}

interface ChildResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string; // the last 64 KB
  wallSeconds: number;
  memory: ObservedMemory;
  /** user + sys CPU seconds of the process tree (incl. reaped children), at the last sample before exit. */
  cpuSeconds: number;
}

const CLK_TCK = 100; // Linux USER_HZ

function readKB(file: string, key: string): number {
  try {
    const text = fs.readFileSync(file, 'utf8');
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text);
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

interface ProcSample {
  largestHwmKB: number;
  pssKB: number;
  cpuTicks: number;
}

/** One look at the process tree under `root`: memory and CPU time so far. */
function sampleTree(root: number): ProcSample {
  const children = new Map<number, number[]>();
  const ticks = new Map<number, number>();
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return { largestHwmKB: 0, pssKB: 0, cpuTicks: 0 };
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) {
      continue;
    }
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
      // fields after "pid (comm) ": state ppid ... utime(14) stime(15) cutime(16) cstime(17)
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const pid = Number(e);
      const ppid = Number(f[1]);
      ticks.set(pid, Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]));
      const list = children.get(ppid) ?? [];
      list.push(pid);
      children.set(ppid, list);
    } catch {
      // the process ended while we looked
    }
  }
  const sample: ProcSample = { largestHwmKB: 0, pssKB: 0, cpuTicks: 0 };
  const stack = [root];
  while (stack.length > 0) {
    const pid = stack.pop() as number;
    sample.largestHwmKB = Math.max(sample.largestHwmKB, readKB(`/proc/${pid}/status`, 'VmHWM'));
    sample.pssKB += readKB(`/proc/${pid}/smaps_rollup`, 'Pss');
    sample.cpuTicks += ticks.get(pid) ?? 0;
    stack.push(...(children.get(pid) ?? []));
  }
  return sample;
}

function runChild(command: string, args: readonly string[], label: string): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const peak: ProcSample = { largestHwmKB: 0, pssKB: 0, cpuTicks: 0 };
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (d: string) => (stdout += d));
    child.stderr.on('data', (d: string) => {
      stderr += d;
      if (stderr.length > 128 * 1024) {
        stderr = stderr.slice(-64 * 1024);
      }
    });
    const poll = setInterval(() => {
      if (child.pid === undefined) {
        return;
      }
      const t = sampleTree(child.pid);
      peak.largestHwmKB = Math.max(peak.largestHwmKB, t.largestHwmKB);
      peak.pssKB = Math.max(peak.pssKB, t.pssKB);
      peak.cpuTicks = Math.max(peak.cpuTicks, t.cpuTicks);
    }, RSS_POLL_MS);
    const timeout = setTimeout(() => {
      process.stderr.write(`bench: ${label} ran over ${CHILD_TIMEOUT_MS / 60000} min, stopping it\n`);
      child.kill('SIGTERM');
    }, CHILD_TIMEOUT_MS);
    running.add(child.pid ?? -1);
    child.on('error', (err) => {
      clearInterval(poll);
      clearTimeout(timeout);
      reject(new Error(`${label}: could not start ${command}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearInterval(poll);
      clearTimeout(timeout);
      running.delete(child.pid ?? -1);
      resolve({
        code,
        signal,
        stdout,
        stderr: stderr.slice(-64 * 1024),
        wallSeconds: (performance.now() - t0) / 1000,
        memory: { largestProcessMB: peak.largestHwmKB / 1024, treePssMB: peak.pssKB / 1024 },
        cpuSeconds: peak.cpuTicks / CLK_TCK,
      });
    });
  });
}

function childFailure(label: string, r: ChildResult): Error {
  const tail = r.stderr.trim().split('\n').slice(-15).join('\n');
  return new Error(`${label} exited with ${r.code ?? r.signal}\n${tail}`);
}

// ---------------------------------------------------------------------------------------------------------------
// the reference renderer

interface BaselineResult {
  frames: number;
  seconds: number;
  bytes: number;
  clipped: number;
  documents: number;
  wallSeconds: number;
  memory: ObservedMemory;
  cpuSeconds: number;
  python: string;
  pillow: string;
}

function checkPython(): { python: string; pillow: string } {
  if (!fs.existsSync(PYTHON)) {
    throw new Error(`the baseline needs Debian's python3 at ${PYTHON} with Pillow: apt-get install python3 python3-pil`);
  }
  const r = spawnSync(PYTHON, ['-c', 'import sys, PIL; print(sys.version.split()[0], PIL.__version__)'], {
    encoding: 'utf8',
  });
  if (r.status !== 0) {
    throw new Error(`PIL is missing for ${PYTHON} (${r.stderr.trim().split('\n').pop() ?? ''}): apt-get install python3-pil`);
  }
  const [python, pillow] = r.stdout.trim().split(' ');
  return { python, pillow };
}

async function runBaseline(corpus: Corpus, outDir: string): Promise<BaselineResult> {
  const versions = checkPython();
  if (!fs.existsSync(FONT)) {
    throw new Error(`font not found: ${FONT} (npm install)`);
  }
  const r = await runChild(PYTHON, [BASELINE, '--font', FONT, '--out', outDir, '--workers', '2', ...corpus.files], 'baseline');
  if (r.code !== 0) {
    throw childFailure('baseline', r);
  }
  const obj: unknown = JSON.parse(r.stdout.trim().split('\n').pop() ?? '');
  if (!isRecord(obj)) {
    throw new Error(`baseline printed no JSON object: ${r.stdout}`);
  }
  const n = (k: string): number => {
    const v = obj[k];
    if (typeof v !== 'number') {
      throw new Error(`baseline JSON has no numeric "${k}": ${r.stdout}`);
    }
    return v;
  };
  return {
    frames: n('frames'),
    seconds: n('seconds'),
    bytes: n('bytes'),
    clipped: n('clipped'),
    documents: n('documents'),
    wallSeconds: r.wallSeconds,
    memory: r.memory,
    cpuSeconds: r.cpuSeconds,
    ...versions,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// our CLI

interface CliSummary {
  ok: boolean;
  samples: number;
  completed: number;
  resumed: number;
  failed: number;
  frames: number;
  bytes: number;
  seconds: number;
  framesPerSecond: number;
  peakRssMB: number;
  out: string;
  /** Optional: segments counted (what `--dry-run` reports instead of frames). */
  segments?: number;
}

interface OursResult {
  summary: CliSummary;
  wallSeconds: number;
  memory: ObservedMemory;
  cpuSeconds: number;
}

/** Throws if stdout is not one JSON object; missing or mistyped keys go to `problems` (their values become NaN). */
function parseSummary(stdout: string, label: string, problems: string[]): CliSummary {
  let obj: unknown;
  try {
    obj = JSON.parse(stdout);
  } catch {
    throw new Error(`${label}: stdout with --json is not one JSON object:\n${stdout.slice(0, 2000)}`);
  }
  if (!isRecord(obj)) {
    throw new Error(`${label}: stdout with --json is not a JSON object`);
  }
  const missing: string[] = [];
  const num = (k: string): number => {
    const v = obj[k];
    if (typeof v === 'number' && Number.isFinite(v)) {
      return v;
    }
    missing.push(`${k} (number)`);
    return NaN;
  };
  const ok = obj.ok;
  if (typeof ok !== 'boolean') {
    missing.push('ok (boolean)');
  }
  const out = obj.out;
  if (typeof out !== 'string') {
    missing.push('out (string)');
  }
  const s: CliSummary = {
    ok: ok === true,
    samples: num('samples'),
    completed: num('completed'),
    resumed: num('resumed'),
    failed: num('failed'),
    frames: num('frames'),
    bytes: num('bytes'),
    seconds: num('seconds'),
    framesPerSecond: num('framesPerSecond'),
    peakRssMB: num('peakRssMB'),
    out: typeof out === 'string' ? out : '',
    segments: typeof obj.segments === 'number' ? obj.segments : undefined,
  };
  if (missing.length > 0) {
    problems.push(`${label}: the --json summary lacks ${missing.join(', ')}: ${stdout.slice(0, 1000)}`);
  }
  return s;
}

async function runOurs(cli: string, label: string, cliArgs: readonly string[], problems: string[]): Promise<OursResult> {
  if (!fs.existsSync(cli)) {
    throw new Error(`${cli} does not exist: run npm run build`);
  }
  const r = await runChild(process.execPath, [cli, ...cliArgs, '--json'], label);
  if (r.code !== 0 && r.stdout.trim() === '') {
    throw childFailure(label, r);
  }
  const summary = parseSummary(r.stdout.trim(), label, problems);
  if (r.code !== 0 || !summary.ok || summary.failed > 0) {
    throw new Error(`${label}: ok=${summary.ok}, failed=${summary.failed}, exit ${r.code ?? r.signal}\n${r.stderr.slice(-3000)}`);
  }
  return { summary, wallSeconds: r.wallSeconds, memory: r.memory, cpuSeconds: r.cpuSeconds };
}

// ---------------------------------------------------------------------------------------------------------------
// PNG sizes

function listPngs(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.png'))
    .sort()
    .map((f) => path.join(dir, f));
}

function evenSample<T>(items: readonly T[], n: number): T[] {
  if (items.length <= n) {
    return [...items];
  }
  const out: T[] = [];
  for (let i = 0; i < n; i++) {
    out.push(items[Math.floor(((i + 0.5) * items.length) / n)]);
  }
  return out;
}

interface PngSample {
  frames: number; // sampled
  ownBytes: number; // average as written
  rgbBytes: number; // average re-encoded as 8-bit RGB by sharp
  greyBytes: number; // average re-encoded as 8-bit greyscale by sharp
  format: string; // of the files as written, e.g. "448×448, 1 channel, 4-bit"
}

async function samplePngs(dir: string, n: number): Promise<PngSample> {
  const files = evenSample(listPngs(dir), n);
  if (files.length === 0) {
    throw new Error(`no PNG files under ${dir}`);
  }
  let own = 0;
  let rgb = 0;
  let grey = 0;
  const formats = new Map<string, number>();
  for (const f of files) {
    own += fs.statSync(f).size;
    const meta = await sharp(f).metadata();
    const fmt = `${meta.width}×${meta.height}, ${meta.channels} channel${meta.channels === 1 ? '' : 's'}, ${pngBitDepth(f)}-bit`;
    formats.set(fmt, (formats.get(fmt) ?? 0) + 1);
    const buf = await sharp(f).toColourspace('srgb').png().toBuffer();
    const out = await sharp(buf).metadata();
    // IHDR: bit depth 8, colour type 2 (truecolour, no palette, no alpha)
    if (out.channels !== 3 || out.format !== 'png' || buf[24] !== 8 || buf[25] !== 2) {
      throw new Error(`sharp re-encode of ${f} is not an 8-bit 3-channel truecolour PNG (${out.channels} channels, ${out.format})`);
    }
    rgb += buf.length;
    const g = await sharp(f).toColourspace('b-w').png().toBuffer();
    if ((await sharp(g).metadata()).channels !== 1) {
      throw new Error(`sharp grey re-encode of ${f} is not 1-channel`);
    }
    grey += g.length;
  }
  const format = [...formats.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([k, c]) => (formats.size > 1 ? `${k} (${c})` : k))
    .join('; ');
  return { frames: files.length, ownBytes: own / files.length, rgbBytes: rgb / files.length, greyBytes: grey / files.length, format };
}

interface AntialiasedSample {
  frames: number;
  greyBytes: number; // our 8-bit grey frames as written (--bit-depth 8)
  rgbBytes: number; // the same, re-encoded as 3-channel 8-bit RGB by sharp: what an RGB pipeline writes
}

/** The frames at the same relative paths in a `--bit-depth 8` run: the antialiased version of each sampled frame. */
async function sampleAntialiased(dir4: string, dir8: string, n: number): Promise<AntialiasedSample> {
  const files = evenSample(listPngs(dir4), n).map((f) => path.join(dir8, path.relative(dir4, f)));
  let grey = 0;
  let rgb = 0;
  for (const f of files) {
    if (pngBitDepth(f) !== 8) {
      throw new Error(`${f} is not an 8-bit PNG`);
    }
    grey += fs.statSync(f).size;
    const buf = await sharp(f).toColourspace('srgb').png().toBuffer();
    if (buf[24] !== 8 || buf[25] !== 2) {
      throw new Error(`sharp re-encode of ${f} is not 8-bit truecolour`);
    }
    rgb += buf.length;
  }
  return { frames: files.length, greyBytes: grey / files.length, rgbBytes: rgb / files.length };
}

/** Bit depth from the IHDR chunk (sharp reports 4-bit grey as 8-bit after decoding). */
function pngBitDepth(file: string): number {
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(26);
    fs.readSync(fd, head, 0, 26, 0);
    return head[24];
  } finally {
    fs.closeSync(fd);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// per mode: clipped frames, layouts per frame

interface PagingCount {
  frames: number;
  layouts: number;
  predicted: number;
  mismatches: number;
  borderline: number;
  seconds: number;
}

interface ModeRun {
  label: string;
  result?: OursResult;
  /** Frames written with ink in their 20-px margins (every frame checked). */
  clipped?: number;
  checked?: number;
  paging?: PagingCount;
}

/** Frames under `dir` with any non-background pixel in the margins of the run's geometry (defaults: 20 px each side). */
async function clippedFrames(dir: string, preset?: Preset): Promise<{ clipped: number; checked: number }> {
  const o = resolveOptions({ render: { preset } }).render;
  let clipped = 0;
  const files = listPngs(dir);
  for (const f of files) {
    const { data, info } = await sharp(f).greyscale().raw().toBuffer({ resolveWithObject: true });
    let ink = false;
    for (let y = 0; y < info.height && !ink; y++) {
      const inRows = y >= o.marginY && y < info.height - o.marginY;
      for (let x = 0; x < info.width; x++) {
        if (inRows && x === o.marginX) {
          x = info.width - o.marginX; // skip the text area
        }
        if (data[y * info.width + x] !== 255) {
          ink = true;
          break;
        }
      }
    }
    clipped += ink ? 1 : 0;
  }
  return { clipped, checked: files.length };
}

/** Page the corpus in this process (no PNG encoding) and count real layouts and model mismatches. */
async function pagingCount(corpus: Corpus, mode: SegmentMode, words: number, preset?: Preset): Promise<PagingCount> {
  const options = resolveOptions({ segment: { mode, wordsPerFrame: words }, render: { preset } });
  const renderer = new Renderer(options.render);
  resetPagingStats();
  const t0 = performance.now();
  for (const text of corpus.contexts) {
    for await (const page of paginate(text, renderer, { segment: options.segment })) {
      void page;
    }
  }
  return { ...pagingStats, seconds: (performance.now() - t0) / 1000 };
}

// ---------------------------------------------------------------------------------------------------------------
// the big JSONL

interface BigFile {
  path: string;
  bytes: number;
  lines: number;
  reused: boolean;
}

function generateBig(file: string, targetBytes: number, contexts: readonly string[], reuse: boolean): BigFile {
  if (reuse && fs.existsSync(file) && fs.statSync(file).size >= targetBytes) {
    let lines = 0;
    const fd = fs.openSync(file, 'r');
    try {
      const buf = Buffer.alloc(1 << 22);
      for (let n = fs.readSync(fd, buf); n > 0; n = fs.readSync(fd, buf)) {
        for (let i = buf.indexOf(10); i !== -1 && i < n; i = buf.indexOf(10, i + 1)) {
          lines++;
        }
      }
    } finally {
      fs.closeSync(fd);
    }
    return { path: file, bytes: fs.statSync(file).size, lines, reused: true };
  }
  const encoded = contexts.map((context) => Buffer.from(JSON.stringify({ context, question: 'q', answer: 'a' }) + '\n'));
  const fd = fs.openSync(file, 'w');
  let bytes = 0;
  let lines = 0;
  try {
    const pending: Buffer[] = [];
    let pendingBytes = 0;
    for (let i = 0; bytes < targetBytes; i = (i + 1) % encoded.length) {
      pending.push(encoded[i]);
      pendingBytes += encoded[i].length;
      bytes += encoded[i].length;
      lines++;
      if (pendingBytes >= 8 << 20) {
        fs.writeSync(fd, Buffer.concat(pending, pendingBytes));
        pending.length = 0;
        pendingBytes = 0;
      }
    }
    if (pendingBytes > 0) {
      fs.writeSync(fd, Buffer.concat(pending, pendingBytes));
    }
  } finally {
    fs.closeSync(fd);
  }
  return { path: file, bytes, lines, reused: false };
}

// ---------------------------------------------------------------------------------------------------------------
// cleanup, also on Ctrl-C

const running = new Set<number>();
const toDelete = new Set<string>();

function cleanup(): void {
  for (const p of toDelete) {
    fs.rmSync(p, { recursive: true, force: true });
  }
  toDelete.clear();
  try {
    fs.rmdirSync(BENCH_DIR); // only if empty
  } catch {
    // kept: not empty (a --keep file) or not there
  }
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    for (const pid of running) {
      try {
        if (pid > 0) {
          process.kill(pid, 'SIGTERM');
        }
      } catch {
        // already gone
      }
    }
    cleanup();
    process.exit(130);
  });
}

// ---------------------------------------------------------------------------------------------------------------
// formatting

const NA = '—';

function fmt(v: number | undefined, digits = 0): string {
  if (v === undefined || !Number.isFinite(v)) {
    return NA;
  }
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function ratio(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) {
    return NA;
  }
  return `${(a / b).toFixed(2)}×`;
}

function row(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}

interface Report {
  args: Args;
  startedAt: Date;
  loadAvg: number[];
  corpus: Corpus;
  baseline?: BaselineResult;
  /** One per row of MODES, in order. */
  modes: ModeRun[];
  ourPng?: PngSample;
  /** The same sampled frames rendered antialiased (8-bit grey), as written and as 8-bit RGB. */
  aaPng?: AntialiasedSample;
  refPng?: PngSample;
  big?: BigFile;
  dry?: OursResult;
  limited?: OursResult;
  /** `synth --dry-run` on the one-row-group Parquet file. */
  parquetDry?: OursResult;
  errors: string[];
}

function machine(): string {
  const cpus = os.cpus();
  const model = cpus[0]?.model.trim() ?? 'unknown CPU';
  return `${cpus.length} cores, ${model}, ${fmt(os.totalmem() / 2 ** 30, 1)} GiB RAM, ${os.type()} ${os.release()}`;
}

function gitRevision(): string {
  const r = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) {
    return 'no commit yet';
  }
  const dirty = spawnSync('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT, encoding: 'utf8' });
  return `${r.stdout.trim()}${dirty.stdout.trim() ? ' (+ uncommitted changes in src/)' : ''}`;
}

function renderReport(r: Report): string {
  const { corpus, baseline: b } = r;
  const L: string[] = [];
  L.push('# T2Vid Studio benchmark results', '');
  L.push(`Generated by \`npm run bench\`${r.args.quick ? ' (`--quick`)' : ''} on ${r.startedAt.toISOString().slice(0, 16)}Z.`, '');
  L.push(`- Machine: ${machine()}; load average at start ${r.loadAvg.map((x) => x.toFixed(2)).join(' / ')}.`);
  L.push(`- Software: Node ${process.version}${b ? `, Python ${b.python} + Pillow ${b.pillow}` : ''}; project revision ${gitRevision()}.`);
  L.push(
    `- Corpus: ${corpus.files.length} L-Eval files (\`../shared/data/long-text/leval-*.jsonl\`, field \`input\`), ` +
      `${fmt(corpus.contexts.length)} documents, ${fmt(corpus.words)} words, ${fmt(corpus.chars)} characters.`,
  );
  L.push(
    '- Reference: `bench/baseline_pil.py`, the T2Vid renderer (115 tokens per frame, PIL ImageDraw, DejaVu Sans 20 px, ' +
      `448×448 RGB PNG), 2 worker processes. Ours: \`t2vid synth\` defaults (448×448, 20 px, 4-bit grey PNG) in each mode: ${MODES.map((m) => m.label).join(', ')}.`,
  );
  L.push(
    "- Seconds are each program's own clock around its rendering work; wall seconds include process start-up and reading. " +
      'Characters/s = corpus characters ÷ own seconds (fairer than frames/s: we never clip, so an overflowing piece ' +
      'becomes two frames). Ratios are ours ÷ reference.',
    '',
  );

  const runs = r.modes;
  const docs = b?.documents ?? corpus.contexts.length;
  const tokens = (frames: number | undefined, id: string): number | undefined =>
    frames === undefined ? undefined : (frames * (modelProfile(id)?.tokensPerFrame ?? NaN) * 1000) / corpus.words;
  L.push('## Frames and speed per mode (same run, same documents)', '');
  L.push(
    'Seconds are each program\'s own clock; "× faster per document" is the reference\'s seconds per document ÷ ours. ' +
      'Visual tokens per 1,000 source words (whitespace-separated) at 96 tokens a frame (MiniCPM-V 2.5) and 169 (Idefics3). ' +
      'Clipped: frames with ink in the 20-px margins (every frame of ours checked; the reference counts its own). ' +
      'Layouts per frame and model mismatches: the same documents paged again in the bench process (src/core/paginate.ts ' +
      'counters): a mismatch is a frame whose real layout disagreed with the predicted page break and was corrected.',
    '',
  );
  L.push(
    row([
      'run',
      'frames',
      '÷ reference',
      'seconds',
      'wall seconds',
      'documents/s',
      'frames/s',
      'seconds/document',
      '× faster per document',
      'MiniCPM-V tokens / 1k words',
      'Idefics3 tokens / 1k words',
      'clipped frames',
      'layouts/frame',
      'model mismatches',
    ]),
  );
  L.push(row(['---', ...Array<string>(13).fill('---:')]));
  if (b) {
    L.push(
      row([
        'reference (PIL, `t2vid.py` rules)',
        fmt(b.frames),
        '1.00×',
        fmt(b.seconds, 2),
        fmt(b.wallSeconds, 2),
        fmt(docs / b.seconds, 2),
        fmt(b.frames / b.seconds, 1),
        fmt(b.seconds / docs, 3),
        '1.00×',
        fmt(tokens(b.frames, 'minicpm-v-2.5')),
        fmt(tokens(b.frames, 'idefics3')),
        `${fmt(b.clipped)} (${((100 * b.clipped) / b.frames).toFixed(1)}%)`,
        NA,
        NA,
      ]),
    );
  }
  for (const m of runs) {
    const s = m.result?.summary;
    const p = m.paging;
    L.push(
      row([
        `ours, ${m.label}`,
        fmt(s?.frames),
        ratio(s?.frames, b?.frames),
        fmt(s?.seconds, 2),
        fmt(m.result?.wallSeconds, 2),
        s ? fmt(s.samples / s.seconds, 2) : NA,
        s ? fmt(s.frames / s.seconds, 1) : NA,
        s ? fmt(s.seconds / s.samples, 3) : NA,
        s && b ? `${(b.seconds / docs / (s.seconds / s.samples)).toFixed(2)}×` : NA,
        fmt(tokens(s?.frames, 'minicpm-v-2.5')),
        fmt(tokens(s?.frames, 'idefics3')),
        m.clipped !== undefined ? `${fmt(m.clipped)} of ${fmt(m.checked)}` : NA,
        p ? (p.layouts / p.frames).toFixed(3) : NA,
        p ? `${fmt(p.mismatches)} (${((100 * p.mismatches) / Math.max(1, p.predicted)).toFixed(2)}%)` : NA,
      ]),
    );
  }
  L.push('');

  L.push('## Render throughput (same run)', '');
  L.push(row(['metric', 'reference (PIL)', ...runs.map((m) => `ours, ${m.label}`), ...runs.map((m) => `${m.label} ÷ ref`)]));
  L.push(row(['---', '---:', ...runs.map(() => '---:'), ...runs.map(() => '---:')]));
  const line = (name: string, ref: number | undefined, ours: (x: OursResult) => number, digits: number): void => {
    const values = runs.map((m) => (m.result ? ours(m.result) : undefined));
    L.push(row([name, fmt(ref, digits), ...values.map((v) => fmt(v, digits)), ...values.map((v) => ratio(v, ref))]));
  };
  const cps = (secs: number | undefined): number | undefined => (secs ? corpus.chars / secs : undefined);
  line('frames', b?.frames, (x) => x.summary.frames, 0);
  line('seconds (own clock)', b?.seconds, (x) => x.summary.seconds, 2);
  line('wall seconds (child process)', b?.wallSeconds, (x) => x.wallSeconds, 2);
  line('frames/s', b ? b.frames / b.seconds : undefined, (x) => x.summary.frames / x.summary.seconds, 1);
  line('characters/s', cps(b?.seconds), (x) => corpus.chars / x.summary.seconds, 0);
  line('CPU seconds (user+sys, process tree, whole run)', b?.cpuSeconds, (x) => x.cpuSeconds, 1);
  line('characters per CPU second', cps(b?.cpuSeconds), (x) => corpus.chars / x.cpuSeconds, 0);
  line('PNG bytes/frame (all frames, as written)', b ? b.bytes / b.frames : undefined, (x) => x.summary.bytes / x.summary.frames, 0);
  line('total PNG MB', b ? b.bytes / 1e6 : undefined, (x) => x.summary.bytes / 1e6, 1);
  line('peak RSS MB (self-reported)', undefined, (x) => x.summary.peakRssMB, 0);
  line('peak RSS MB of the largest process (observed)', b?.memory.largestProcessMB, (x) => x.memory.largestProcessMB, 0);
  line('peak memory MB, all processes (observed Σ PSS)', b?.memory.treePssMB, (x) => x.memory.treePssMB, 0);
  L.push(
    row([
      'samples (ours: completed / of)',
      b ? fmt(b.documents) : NA,
      ...runs.map((m) => (m.result ? `${fmt(m.result.summary.completed)} / ${fmt(m.result.summary.samples)}` : NA)),
      ...runs.map(() => ''),
    ]),
  );
  L.push('');

  L.push('## PNG size', '');
  const op = r.ourPng;
  const rp = r.refPng;
  L.push(row(['metric', 'value']));
  L.push(row(['---', '---:']));
  if (op) {
    L.push(
      row([`ours (${MODES[0].label}), ${fmt(op.frames)} frames sampled evenly: bytes/frame as written (${op.format})`, fmt(op.ownBytes)]),
    );
    const aa = r.aaPng;
    if (aa) {
      L.push(row(['the same frames rendered antialiased (`--bit-depth 8`, 256 grey levels): bytes/frame as written', fmt(aa.greyBytes)]));
      L.push(row(['the same antialiased frames as 3-channel 8-bit RGB PNG (sharp): bytes/frame', fmt(aa.rgbBytes)]));
      const q = op.ownBytes / aa.rgbBytes;
      L.push(
        row([
          `ours ÷ RGB PNG of the same frame (target ≤ ${BYTES_RATIO_TARGET})`,
          `${q.toFixed(2)} (${q <= BYTES_RATIO_TARGET ? 'pass' : 'FAIL'})`,
        ]),
      );
      L.push(row(['ours ÷ 8-bit antialiased grey', (op.ownBytes / aa.greyBytes).toFixed(2)]));
    } else {
      L.push(row(['ours ÷ RGB PNG of the same frame', NA]));
    }
    L.push(row(['our 4-bit frames re-encoded as 8-bit RGB PNG by sharp (quantised pixels kept): bytes/frame', fmt(op.rgbBytes)]));
    L.push(row(['the same frames re-encoded as 8-bit greyscale PNG by sharp: bytes/frame', fmt(op.greyBytes)]));
    L.push(row(['ours ÷ 8-bit greyscale', (op.ownBytes / op.greyBytes).toFixed(2)]));
    const first = runs[0]?.result;
    if (b && first) {
      L.push(
        row([
          'ours ÷ reference PIL RGB, all frames of both',
          (first.summary.bytes / first.summary.frames / (b.bytes / b.frames)).toFixed(2),
        ]),
      );
    }
  } else {
    L.push(row([`ours (${MODES[0].label}): bytes/frame as written / as 8-bit RGB (sharp)`, NA]));
  }
  if (b) {
    L.push(row([`reference, all ${fmt(b.frames)} frames: bytes/frame as written by PIL (8-bit RGB)`, fmt(b.bytes / b.frames)]));
  }
  if (rp) {
    L.push(row([`reference, ${fmt(rp.frames)} frames sampled: PIL bytes/frame (${rp.format})`, fmt(rp.ownBytes)]));
    L.push(row(['the same reference frames re-encoded as 8-bit RGB PNG by sharp: bytes/frame', fmt(rp.rgbBytes)]));
  }
  L.push('');

  L.push(`## Peak memory on a ~${fmt(r.args.bigMB)} MB JSONL`, '');
  if (r.args.quick) {
    L.push('Skipped (`--quick`).', '');
  } else {
    const big = r.big;
    if (big) {
      L.push(
        `Generated \`.bench/big.jsonl\`: ${fmt(big.bytes / 1e6, 0)} MB, ${fmt(big.lines)} lines ` +
          '`{"context", "question", "answer"}` (the L-Eval documents repeated)' +
          `${big.reused ? ', reused from an earlier `--keep` run' : ''}.`,
        '',
      );
    }
    L.push(
      row([
        'run',
        'samples',
        'frames',
        'seconds (own)',
        'wall seconds',
        'peak RSS MB (self-reported)',
        'largest process MB (observed)',
        'all processes MB (observed Σ PSS)',
        `< ${RSS_TARGET_MB} MB (self / all)`,
      ]),
    );
    L.push(row(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---']));
    const verdict = (mb: number): string => (!Number.isFinite(mb) ? NA : mb < RSS_TARGET_MB ? 'pass' : 'FAIL');
    const bigRow = (name: string, x: OursResult | undefined): void => {
      const s = x?.summary;
      L.push(
        row([
          name,
          s ? (s.completed > 0 ? `${fmt(s.completed)} / ${fmt(s.samples)}` : fmt(s.samples)) : NA,
          s && s.frames === 0 && s.segments !== undefined ? `0 (${fmt(s.segments)} segments)` : fmt(s?.frames),
          fmt(s?.seconds, 1),
          fmt(x?.wallSeconds, 1),
          fmt(s?.peakRssMB),
          fmt(x?.memory.largestProcessMB),
          fmt(x?.memory.treePssMB),
          x ? `${verdict(x.summary.peakRssMB)} / ${verdict(x.memory.treePssMB)}` : NA,
        ]),
      );
    };
    bigRow('`synth big.jsonl --dry-run` (read + segment all)', r.dry);
    bigRow(`\`synth big.jsonl --limit ${r.args.limit}\` (render)`, r.limited);
    bigRow('`synth big.parquet --dry-run` (one row group, 12,000 rows, ~330 MB of text, DuckDB, Snappy)', r.parquetDry);
    L.push('');
  }

  if (r.errors.length > 0) {
    L.push('## Errors', '');
    for (const e of r.errors) {
      L.push('```', e.trim(), '```');
    }
    L.push('');
  }
  return L.join('\n');
}

// ---------------------------------------------------------------------------------------------------------------

function log(msg: string): void {
  process.stderr.write(`bench: ${msg}\n`);
}

async function step<T>(report: Report, name: string, fn: () => Promise<T>): Promise<T | undefined> {
  log(`${name} ...`);
  const t0 = performance.now();
  try {
    const v = await fn();
    log(`${name}: done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    return v;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    log(`${name}: FAILED\n${msg}`);
    report.errors.push(`${name}: ${msg}`);
    return undefined;
  }
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const report: Report = { args, startedAt: new Date(), loadAvg: os.loadavg(), corpus: loadCorpus(), modes: [], errors: [] };
  const { corpus } = report;
  fs.mkdirSync(BENCH_DIR, { recursive: true });
  const work = fs.mkdtempSync(path.join(BENCH_DIR, 'run-'));
  toDelete.add(work);
  const bigFile = path.join(BENCH_DIR, 'big.jsonl');
  const bigOut = path.join(BENCH_DIR, 'out-big');
  try {
    if (!args.baselineOnly && !fs.existsSync(args.cli)) {
      throw new Error(`${args.cli} does not exist: run \`npm run build\` (or pass --baseline-only to test the harness)`);
    }
    log(`corpus: ${corpus.contexts.length} documents, ${corpus.chars} characters; work dir ${path.relative(ROOT, work)}`);
    const refOut = path.join(work, 'reference');
    report.baseline = await step(report, 'reference renderer (PIL, 2 processes)', () => runBaseline(corpus, refOut));
    if (report.baseline) {
      report.refPng = await step(report, 'reference PNG sample', () => samplePngs(refOut, args.sample));
    }
    // Every run's frames stay in the work dir until the end: deleting thousands of files right before the next run
    // makes ext4 slow to create that run's files (it skips inodes deleted in the last minutes: `recently_deleted`
    // was 7% of a render process's CPU in perf), a cost that depended only on a run's place in the bench.

    if (!args.baselineOnly) {
      for (const [n, m] of MODES.entries()) {
        const run: ModeRun = { label: m.label };
        report.modes.push(run);
        const modeArgs = ['--mode', m.mode, '--words', String(m.words), ...(m.preset ? ['--preset', m.preset] : [])];
        const modeOut = path.join(work, `ours-${n}`);
        run.result = await step(report, `ours, ${m.label}`, () =>
          runOurs(args.cli, `synth (${m.label})`, ['synth', ...corpus.files, '--out', modeOut, ...modeArgs], report.errors),
        );
        if (run.result) {
          const c = await step(report, `clipped frames (${m.label})`, () => clippedFrames(modeOut, m.preset));
          run.clipped = c?.clipped;
          run.checked = c?.checked;
        }
        if (n === 0 && run.result) {
          report.ourPng = await step(report, `our PNG sample (${args.sample} frames)`, () => samplePngs(modeOut, args.sample));
          if (report.ourPng && report.ourPng.frames < 200) {
            report.errors.push(`only ${report.ourPng.frames} of our frames could be sampled (wanted ≥ 200)`);
          }
          // The same frames without quantisation (8-bit antialiased grey), for the "½ of an RGB PNG of the same frame" check.
          const eightOut = path.join(work, 'ours-8bit');
          const eight = await step(report, `ours, ${m.label}, --bit-depth 8`, () =>
            runOurs(
              args.cli,
              `synth (${m.label}, 8-bit)`,
              ['synth', ...corpus.files, '--out', eightOut, ...modeArgs, '--bit-depth', '8'],
              report.errors,
            ),
          );
          if (eight) {
            report.aaPng = await step(report, 'antialiased PNG sample', () => sampleAntialiased(modeOut, eightOut, args.sample));
          }
        }
        run.paging = await step(report, `layouts per frame (${m.label}, in this process)`, () =>
          pagingCount(corpus, m.mode, m.words, m.preset),
        );
      }
    }

    if (!args.quick) {
      if (!args.keep) {
        toDelete.add(bigFile);
      }
      toDelete.add(bigOut);
      report.big = await step(report, `generate ~${args.bigMB} MB JSONL`, async () =>
        generateBig(bigFile, Math.round(args.bigMB * 1e6), corpus.contexts, args.keep),
      );
      if (report.big && !args.baselineOnly) {
        const rel = path.relative(ROOT, bigFile);
        const relOut = path.relative(ROOT, bigOut);
        fs.rmSync(bigOut, { recursive: true, force: true });
        report.dry = await step(report, 'ours, --dry-run on the big JSONL', () =>
          runOurs(args.cli, 'synth --dry-run (big)', ['synth', rel, '--out', relOut, '--dry-run'], report.errors),
        );
        fs.rmSync(bigOut, { recursive: true, force: true });
        report.limited = await step(report, `ours, --limit ${args.limit} on the big JSONL`, () =>
          runOurs(
            args.cli,
            `synth --limit ${args.limit} (big)`,
            ['synth', rel, '--out', relOut, '--limit', String(args.limit)],
            report.errors,
          ),
        );
        fs.rmSync(bigOut, { recursive: true, force: true });
      }
      if (!args.baselineOnly) {
        // LongAlpaca-12k's size, written by DuckDB as one row group (pyarrow's default layout for a file that size).
        const parquetFile = path.join(work, 'big.parquet');
        const made = await step(report, 'generate the one-row-group Parquet file (DuckDB)', () =>
          longTextParquet(parquetFile, path.dirname(DATA_DIR), { rows: 12_000, chars: 27_500, codec: 'snappy' }),
        );
        if (made) {
          const relOut = path.relative(ROOT, bigOut);
          report.parquetDry = await step(report, 'ours, --dry-run on the one-row-group Parquet file', () =>
            runOurs(
              args.cli,
              'synth --dry-run (big parquet)',
              ['synth', path.relative(ROOT, parquetFile), '--out', relOut, '--dry-run'],
              report.errors,
            ),
          );
          fs.rmSync(bigOut, { recursive: true, force: true });
        }
        fs.rmSync(parquetFile, { force: true });
      }
    }
  } catch (e) {
    report.errors.push(e instanceof Error ? e.message : String(e));
  } finally {
    cleanup();
  }

  const md = renderReport(report);
  console.log(md);
  if (!args.baselineOnly && !args.quick && args.cli === DEFAULT_CLI) {
    fs.writeFileSync(RESULTS, md.endsWith('\n') ? md : md + '\n');
    log(`wrote ${path.relative(ROOT, RESULTS)}`);
  } else {
    log('--quick, --baseline-only or --cli: bench/RESULTS.md not written (it keeps full runs only)');
  }
  return report.errors.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    cleanup();
    console.error(e instanceof Error ? (e.stack ?? e.message) : e);
    process.exit(1);
  },
);
