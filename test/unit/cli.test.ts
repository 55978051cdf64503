import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import type { SampleManifest, SynthSummary } from '../../src/core/synth';
import type { MiniCpmVEntry } from '../../src/core/writers/minicpmv';
import { placeholder } from '../../src/core/writers/minicpmv';
import { repoRoot, sharedData, tempDir } from '../support/helpers';
import { childrenOf } from '../support/proc';

const CLI = path.join(repoRoot(), 'dist', 'cli.js');

function t2vid(args: string[], cwd = repoRoot()): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function synth(args: string[]): { code: number; summary: SynthSummary; stderr: string } {
  const r = t2vid(['synth', ...args, '--json']);
  let summary: SynthSummary;
  try {
    summary = JSON.parse(r.stdout) as SynthSummary;
  } catch {
    throw new Error(`no JSON summary (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
  }
  return { code: r.code, summary, stderr: r.stderr };
}

/** A small L-Eval slice (the first `n` records of a real file) so CLI tests stay fast. */
function levalSlice(dir: string, n: number, name = 'leval-news_summ.jsonl'): string {
  const lines = fs
    .readFileSync(sharedData('long-text', name), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .slice(0, n);
  const file = path.join(dir, name);
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

function hashTree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        walk(p);
      } else if (e.name.endsWith('.png')) {
        out.set(path.relative(dir, p), createHash('sha256').update(fs.readFileSync(p)).digest('hex'));
      }
    }
  };
  walk(dir);
  return out;
}

test('synth writes frames, per-sample manifests and a MiniCPM-V dataset in the T2Vid shape', async (t) => {
  const dir = tempDir(t);
  const input = levalSlice(dir, 2);
  const out = path.join(dir, 'out');
  const { code, summary } = synth([input, '--out', out]);
  assert.equal(code, 0);
  assert.equal(summary.ok, true);
  assert.equal(summary.samples, 2);
  assert.equal(summary.completed, 2);
  assert.ok(summary.frames > 10);
  const records = fs
    .readFileSync(input, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { input: string; instructions: string[]; outputs: string[] });
  const dataset = JSON.parse(fs.readFileSync(path.join(out, 'minicpm-v.json'), 'utf8')) as MiniCpmVEntry[];
  assert.ok(Array.isArray(dataset));
  assert.equal(
    dataset.length,
    records.reduce((n, r) => n + r.instructions.length, 0),
    'one entry per instruction',
  );
  for (const [i, record] of records.entries()) {
    const id = `leval-news_summ-${String(i + 1).padStart(6, '0')}`;
    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'frames', id, 'manifest.json'), 'utf8')) as SampleManifest;
    assert.equal(manifest.complete, true);
    assert.equal(manifest.source.line, i + 1);
    assert.equal(
      manifest.frames.map((f) => record.input.slice(f.range[0], f.range[1])).join(''),
      record.input,
      'frame ranges cover the context exactly',
    );
    const entries = dataset.filter((e) => e.id === id || e.id.startsWith(`${id}-q`));
    assert.equal(entries.length, record.instructions.length);
    for (const [k, entry] of entries.entries()) {
      const keys = Object.keys(entry.image);
      assert.equal(keys.length, manifest.frames.length);
      keys.forEach((key, j) => {
        assert.equal(key, placeholder(j));
        assert.equal(entry.image[key], `frames/${id}/frame_${String(j).padStart(5, '0')}.png`);
        assert.ok(fs.existsSync(path.join(out, entry.image[key])));
      });
      assert.deepEqual(
        entry.conversations.map((c) => c.role),
        ['user', 'assistant'],
      );
      assert.equal(
        entry.conversations[0].content,
        keys.map((key) => `${key}\n`).join('') + record.instructions[k],
        'placeholders, each on its own line, then the question',
      );
      assert.equal(entry.conversations[1].content, record.outputs[k]);
    }
  }
  assert.equal(placeholder(7), '<image_07>');
  assert.equal(placeholder(100), '<image_100>');
});

test('parallel run: processes take samples one at a time; each sample is rendered once (--force too); bad lines are reported once; same result as one process', (t) => {
  const dir = tempDir(t);
  const input = levalSlice(dir, 7, 'leval-coursera.jsonl');
  // Two bad lines among the records: each is reported once, naming the file and line.
  const lines = fs.readFileSync(input, 'utf8').split('\n');
  lines.splice(2, 0, '{"input": "unterminated');
  lines.splice(5, 0, '[1, 2]');
  fs.writeFileSync(input, lines.join('\n'));
  const one = path.join(dir, 'one');
  const two = path.join(dir, 'two');
  const single = synth([input, '--out', one, '--jobs', '1']);
  const parallel = synth([input, '--out', two, '--jobs', '2']);
  assert.equal(single.code, 0, single.stderr);
  assert.equal(parallel.code, 0, parallel.stderr);
  assert.equal(parallel.summary.processes, 2);
  assert.equal(parallel.summary.completed, 7);
  assert.equal(parallel.summary.resumed, 0);
  assert.equal(parallel.summary.frames, single.summary.frames);
  assert.equal(parallel.summary.issues, 2);
  for (const line of [3, 6]) {
    const said = parallel.stderr.split('\n').filter((l) => l.includes(`leval-coursera.jsonl:${line}`));
    assert.equal(said.length, 1, `line ${line} reported once:\n${parallel.stderr}`);
  }
  assert.deepEqual(hashTree(two), hashTree(one));
  assert.equal(fs.readFileSync(path.join(two, 'minicpm-v.json'), 'utf8'), fs.readFileSync(path.join(one, 'minicpm-v.json'), 'utf8'));
  const forced = synth([input, '--out', two, '--jobs', '2', '--force']);
  assert.equal(forced.code, 0, forced.stderr);
  assert.equal(forced.summary.completed, 7, 'each sample rendered once, not once per process and again when assembling');
  assert.equal(forced.summary.resumed, 0);
  assert.equal(forced.summary.frames, single.summary.frames);
  assert.deepEqual(hashTree(two), hashTree(one));
  const resumed = synth([input, '--out', two, '--jobs', '2']);
  assert.equal(resumed.summary.completed, 0);
  assert.equal(resumed.summary.resumed, 7);
});

test(
  "parallel run: a render process killed mid-run costs nothing — the other takes the remaining samples, the parent renders the killed one's unfinished ones",
  { skip: process.platform !== 'linux' },
  async (t) => {
    const dir = tempDir(t);
    const input = levalSlice(dir, 8, 'leval-coursera.jsonl');
    const one = path.join(dir, 'one');
    assert.equal(synth([input, '--out', one, '--jobs', '1']).code, 0);
    const out = path.join(dir, 'two');
    const child = spawn(process.execPath, [CLI, 'synth', input, '--out', out, '--jobs', '2', '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let killed: number | undefined;
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        const frames = path.join(out, 'frames');
        // Once a render process is under way (its first frames written): kill one of the two.
        const started = fs.existsSync(frames) && fs.readdirSync(frames).some((d) => fs.readdirSync(path.join(frames, d)).length > 2);
        const workers = childrenOf(child.pid ?? -1, 'worker.js');
        if (started && workers.length === 2) {
          clearInterval(timer);
          killed = workers[0];
          process.kill(killed, 'SIGKILL');
          resolve();
        }
      }, 5);
      void exited.then(() => {
        clearInterval(timer);
        reject(new Error(`the run finished before a render process could be killed:\n${stderr}`));
      });
    });
    assert.equal(await exited, 0, stderr);
    const summary = JSON.parse(stdout) as SynthSummary;
    assert.equal(summary.ok, true);
    assert.equal(summary.failed, 0);
    assert.equal(summary.completed + summary.resumed, 8, JSON.stringify(summary));
    assert.equal(summary.processes, 1, 'one render process finished its run');
    assert.deepEqual(hashTree(out), hashTree(one), 'the same frames as a one-process run');
    assert.equal(fs.readFileSync(path.join(out, 'minicpm-v.json'), 'utf8'), fs.readFileSync(path.join(one, 'minicpm-v.json'), 'utf8'));
    assert.ok(killed !== undefined && !fs.existsSync(`/proc/${killed}`), 'the killed process is gone');
  },
);

test('resume: a re-run skips complete samples; a killed run picks up and ends identical to a clean run', async (t) => {
  const dir = tempDir(t);
  const input = levalSlice(dir, 6, 'leval-coursera.jsonl');
  const clean = path.join(dir, 'clean');
  assert.equal(synth([input, '--out', clean, '--jobs', '1']).code, 0);

  const again = synth([input, '--out', clean]);
  assert.equal(again.summary.resumed, 6);
  assert.equal(again.summary.completed, 0);
  assert.equal(again.summary.frames, 0);

  // Changed settings re-render.
  const bigger = synth([input, '--out', clean, '--font-size', '24', '--limit', '1']);
  assert.equal(bigger.summary.completed, 1);
  assert.equal(bigger.summary.resumed, 0);
  assert.equal(synth([input, '--out', clean]).summary.completed, 1, 'and back');

  // Kill a run half way, then resume it.
  const killed = path.join(dir, 'killed');
  const child = spawn(process.execPath, [CLI, 'synth', input, '--out', killed, '--jobs', '1', '--quiet'], { stdio: 'ignore' });
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      const frames = path.join(killed, 'frames');
      const done = fs.existsSync(frames)
        ? fs.readdirSync(frames).filter((d) => fs.existsSync(path.join(frames, d, 'manifest.json'))).length
        : 0;
      if (done >= 2) {
        clearInterval(timer);
        child.kill('SIGKILL');
        resolve();
      }
    }, 5);
    child.on('exit', () => {
      clearInterval(timer);
      reject(new Error('the run finished before it could be killed'));
    });
  });
  await new Promise((resolve) => child.on('exit', resolve));
  assert.ok(!fs.existsSync(path.join(killed, 'minicpm-v.json')), 'no dataset from a killed run');
  const resumed = synth([input, '--out', killed]);
  assert.equal(resumed.code, 0);
  assert.ok(resumed.summary.resumed >= 2, `resumed ${resumed.summary.resumed}`);
  assert.equal(resumed.summary.resumed + resumed.summary.completed, 6);
  assert.deepEqual(hashTree(killed), hashTree(clean), 'same frames as the uninterrupted run');
  assert.equal(fs.readFileSync(path.join(killed, 'minicpm-v.json'), 'utf8'), fs.readFileSync(path.join(clean, 'minicpm-v.json'), 'utf8'));
  const leftovers = fs.readdirSync(killed, { recursive: true }).filter((f) => String(f).endsWith('.tmp'));
  assert.deepEqual(
    leftovers.filter((f) => !String(f).startsWith('frames')),
    [],
    'no temp files left at the top',
  );
});

test('shards are deterministic and their union is the whole run', async (t) => {
  const dir = tempDir(t);
  const a = levalSlice(dir, 4, 'leval-news_summ.jsonl');
  const b = levalSlice(dir, 3, 'leval-scientific_qa.jsonl');
  const whole = path.join(dir, 'whole');
  assert.equal(synth([a, b, '--out', whole]).code, 0);
  const sharded = path.join(dir, 'sharded');
  let samples = 0;
  for (const i of [0, 1, 2]) {
    const r = synth([a, b, '--out', sharded, '--shard', `${i}/3`]);
    assert.equal(r.code, 0);
    samples += r.summary.samples;
    assert.ok(fs.existsSync(path.join(sharded, `minicpm-v.shard-000${i}-of-0003.json`)));
  }
  assert.equal(samples, 7);
  assert.deepEqual(hashTree(sharded), hashTree(whole), 'the same frames, each drawn once');
  const merged = t2vid(['merge', sharded]);
  assert.equal(merged.code, 0, merged.stderr);
  const ids = (file: string) => (JSON.parse(fs.readFileSync(file, 'utf8')) as MiniCpmVEntry[]).map((e) => e.id).sort();
  assert.deepEqual(ids(path.join(sharded, 'minicpm-v.json')), ids(path.join(whole, 'minicpm-v.json')));
  fs.rmSync(path.join(sharded, 'minicpm-v.shard-0001-of-0003.json'));
  const missing = t2vid(['merge', sharded]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /shard 1 of 3 not finished/);
});

test('bad input: each bad line is reported as FILE:LINE and skipped; exit 1 only if nothing is usable', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'mixed.jsonl');
  const good = (q: string) => JSON.stringify({ context: `A context about ${q}. `.repeat(20), question: `What about ${q}?`, answer: q });
  fs.writeFileSync(
    file,
    [
      good('apples'),
      '{"context": "broken',
      '',
      JSON.stringify({ context: '   ', question: 'q', answer: 'a' }),
      '[1,2]',
      good('pears'),
    ].join('\n'),
  );
  const out = path.join(dir, 'out');
  const r = synth([file, '--out', out]);
  assert.equal(r.code, 0);
  assert.equal(r.summary.completed, 2);
  assert.equal(r.summary.issues, 3);
  assert.match(r.stderr, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2: `));
  assert.match(r.stderr, /mixed\.jsonl:4: .*empty context/);
  assert.match(r.stderr, /mixed\.jsonl:5: /);
  const dataset = JSON.parse(fs.readFileSync(path.join(out, 'minicpm-v.json'), 'utf8')) as MiniCpmVEntry[];
  assert.deepEqual(
    dataset.map((e) => e.id),
    ['mixed-000001', 'mixed-000006'],
  );

  const bad = path.join(dir, 'bad.jsonl');
  fs.writeFileSync(bad, 'not json\n{"foo": 1}\n');
  const none = synth([bad, '--out', path.join(dir, 'out2')]);
  assert.equal(none.code, 1);
  assert.equal(none.summary.ok, false);
  assert.match(none.stderr, /bad\.jsonl:1: /);
  assert.match(none.stderr, /bad\.jsonl:2: /);
});

test('an unwritable output folder fails before any work; usage errors exit 2', async (t) => {
  const dir = tempDir(t);
  const blocker = path.join(dir, 'a-file');
  fs.writeFileSync(blocker, '');
  const r = t2vid(['synth', sharedData('long-text', 'leval-news_summ.jsonl'), '--out', path.join(blocker, 'out')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /cannot write to the output folder .*a-file/);
  assert.equal(t2vid(['synth', 'x.jsonl']).code, 2, 'missing --out');
  assert.equal(t2vid(['synth', 'x.jsonl', '--out', dir, '--mode', 'pages']).code, 2);
  assert.equal(t2vid(['synth', 'x.jsonl', '--out', dir, '--shard', '3/3']).code, 2);
  assert.equal(t2vid(['synth', 'x.jsonl', '--out', dir, '--bogus']).code, 2);
  const missing = t2vid(['synth', path.join(dir, 'nope.jsonl'), '--out', dir]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /nope\.jsonl/);
});

test('--help documents every option; --version prints the engine version', () => {
  const help = t2vid(['--help']);
  assert.equal(help.code, 0);
  for (const option of [
    '--out',
    '--preset',
    '--mode',
    '--words',
    '--count',
    '--size',
    '--font-size',
    '--jobs',
    '--shard',
    '--format',
    '--fields',
    '--json',
    '--dry-run',
    '--limit',
    '--force',
    '--bit-depth',
  ]) {
    assert.ok(help.stdout.includes(option), `help mentions ${option}`);
  }
  assert.equal(t2vid(['synth', '--help']).code, 0);
  const version = t2vid(['--version']);
  assert.equal(
    version.stdout.trim(),
    (JSON.parse(fs.readFileSync(path.join(repoRoot(), 'package.json'), 'utf8')) as { version: string }).version,
  );
});

test('npx t2vid runs the bin from the project folder', () => {
  const r = spawnSync('npx', ['--no-install', 't2vid', '--version'], { cwd: repoRoot(), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^\d+\.\d+\.\d+/);
});

test('the bundled sample (the demo) synthesizes; dry run counts without writing; Ctrl-C cancels and resumes', async (t) => {
  const dir = tempDir(t);
  const md = path.join(repoRoot(), 'media', 'sample', 'lighthouse-keepers.md');
  const jsonl = path.join(repoRoot(), 'media', 'sample', 'sample.jsonl');
  const dry = synth([md, jsonl, '--dry-run']);
  assert.equal(dry.code, 0);
  assert.equal(dry.summary.samples, 6);
  assert.ok((dry.summary.words ?? 0) > 3000);
  const out = path.join(dir, 'demo');
  const child = spawn(process.execPath, [CLI, 'synth', md, jsonl, '--out', out, '--jobs', '1', '--mode', 'fit', '--json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      if (fs.existsSync(path.join(out, 'frames'))) {
        clearInterval(timer);
        child.kill('SIGINT');
        resolve();
      }
    }, 5);
  });
  const code = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? -1)));
  if (code === 130) {
    const cancelled = JSON.parse(stdout) as SynthSummary;
    assert.equal(cancelled.cancelled, true);
  }
  const full = synth([md, jsonl, '--out', out, '--mode', 'fit']);
  assert.equal(full.code, 0);
  assert.equal(full.summary.resumed + full.summary.completed, 6);
  assert.equal(full.summary.withoutQuestion, 1, 'the .md document has no question: frames only');
  const dataset = JSON.parse(fs.readFileSync(path.join(out, 'minicpm-v.json'), 'utf8')) as MiniCpmVEntry[];
  assert.equal(dataset.length, 5);
  assert.ok(
    dataset.some((e) => /[\u4e00-\u9fff]/.test(e.conversations[0].content)),
    'the Chinese sample is in',
  );
});
