/**
 * The torture suite's shared scaffold (test/torture/*.torture.test.ts, one file per family): `tortureCase` runs one
 * case as a node:test test and records its outcome; each family file ends with `familyReport(family)`, which prints
 * the family's row; test/torture/zz-summary.test.ts prints the table of every family that ran. Helpers run the real
 * built CLI (dist/cli.js) and check what every case must: the exit code, where the message points, that nothing is
 * left outside --out, that no temp file or half-written output remains.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { packageRoot } from '../../src/core/fonts';
import { tempDir } from './helpers';

export const TORTURE_FAMILIES = [
  'input encodings',
  'JSON shapes',
  'Parquet',
  'paths and names',
  'disk and permissions',
  'signals and resume',
  'fonts and scripts',
  'endpoints',
  'webview content',
] as const;
export type TortureFamily = (typeof TORTURE_FAMILIES)[number];

/** Where each family's results are written for the summary (one JSON file per family). */
export function resultsDir(): string {
  const dir = path.join(os.tmpdir(), `t2vid-torture-${process.env.T2VID_TORTURE_RUN ?? 'results'}`);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

const outcomes = new Map<TortureFamily, { name: string; passed: boolean }[]>();

/** One torture case, run as a test of its own and counted in its family's row. */
export function tortureCase(
  family: TortureFamily,
  name: string,
  fn: (t: import('node:test').TestContext) => Promise<void> | void,
  options: { timeout?: number; skip?: string } = {},
): void {
  const list = outcomes.get(family) ?? [];
  outcomes.set(family, list);
  test(`[${family}] ${name}`, { timeout: options.timeout ?? 120_000, skip: options.skip }, async (t) => {
    try {
      await fn(t);
      list.push({ name, passed: true });
    } catch (e) {
      list.push({ name, passed: false });
      throw e;
    }
  });
}

/** Call once at the end of a family file: prints the family's row and records it for the summary table. */
export function familyReport(family: TortureFamily): void {
  after(() => {
    const list = outcomes.get(family) ?? [];
    const passed = list.filter((c) => c.passed).length;
    fs.writeFileSync(
      path.join(resultsDir(), `${family.replace(/\W+/g, '-')}.json`),
      JSON.stringify({ family, cases: list.length, passed, failed: list.filter((c) => !c.passed).map((c) => c.name) }),
    );
    process.stdout.write(`# torture: ${family}: ${passed}/${list.length} passed\n`);
  });
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the built `t2vid` CLI (dist/cli.js) with `args`; `env` adds to the environment. */
export function runCli(
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string; onSpawn?: (pid: number) => void } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(packageRoot(), 'dist', 'cli.js'), ...args], {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 110_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    if (child.pid) {
      opts.onSpawn?.(child.pid);
    }
    child.stdin.end(opts.input ?? '');
  });
}

/** Every file below `dir` (relative paths), for "nothing written outside --out" and leftover checks. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        walk(p);
      } else {
        out.push(path.relative(dir, p));
      }
    }
  };
  if (fs.existsSync(dir)) {
    walk(dir);
  }
  return out.sort();
}

/** Temp files the writers use (`.NAME.<pid>.*.tmp`) or any `*.tmp` left below `dir`. */
export function leftoverTempFiles(dir: string): string[] {
  return listFiles(dir).filter((f) => /\.tmp$/.test(f) || /(^|\/)\.[^/]+\.\d+\.[^/]*tmp/.test(f));
}

/** A case's workspace: `in/` holds the inputs (name → bytes); the CLI runs with it as cwd and `--out out`. */
export function tortureWorkspace(
  t: { after: (fn: () => void) => void },
  files: Record<string, string | Buffer>,
  prefix = 't2vid-torture-',
): { root: string; inputs: string[] } {
  const root = tempDir(t, prefix);
  fs.mkdirSync(path.join(root, 'in'));
  const inputs = Object.entries(files).map(([name, bytes]) => {
    const file = path.join(root, 'in', name);
    fs.writeFileSync(file, bytes);
    return file;
  });
  return { root, inputs };
}

/** What every case checks after a run: nothing outside in/ and out/, no temp file, no frame folder without its manifest. */
export function assertClean(root: string): void {
  assert.deepEqual(
    listFiles(root).filter((f) => !f.startsWith(`in${path.sep}`) && !f.startsWith(`out${path.sep}`)),
    [],
    'nothing written outside --out',
  );
  assert.deepEqual(leftoverTempFiles(path.join(root, 'out')), [], 'no temp file left');
  const frames = path.join(root, 'out', 'frames');
  for (const id of fs.existsSync(frames) ? fs.readdirSync(frames) : []) {
    assert.ok(fs.existsSync(path.join(frames, id, 'manifest.json')), `frames/${id} has its manifest (no half-written sample)`);
  }
}

/** `t2vid synth INPUTS --out out --jobs 1 --quiet EXTRA` in `root`. */
export function synthIn(root: string, inputs: string[], ...extra: string[]): Promise<CliResult> {
  return runCli(['synth', ...inputs, '--out', 'out', '--jobs', '1', '--quiet', ...extra], { cwd: root, timeoutMs: 100_000 });
}
