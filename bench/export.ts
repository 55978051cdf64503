/**
 * Export + preflight of a 100,000-sample training set (issue 12's target: < 60 s and < 500 MB RSS on this 2-core
 * machine, frames referenced in place).
 *
 *   node out/bench/export.js [--samples=100000] [--format=minicpm-v] [--keep]
 *
 * 1. Renders one real L-Eval document with the CLI (`t2vid synth`, ~47 frames of 448×448): the frame pool.
 * 2. Writes an assembled set (samples.jsonl + manifest.json) of N samples, 16–24 consecutive frames each (~2M frame
 *    references for 100K samples, all pointing into the pool: no 2M files), turns taken in turn from the 595 real
 *    L-Eval question/answer pairs (~103 Llama-3 tokens each), a third of the samples marked `video`. Not timed.
 * 3. Times `node dist/cli.js export SET --format minicpm-v --out DIR --json` (the MiniCPM-V JSON array, streamed;
 *    profile minicpm-v-2.5: frame, first-turn and budget filters with exact Llama-3 counts), which runs preflight on
 *    the written file (every record parsed, every image path stat'ed and its PNG header decoded by sharp once (a
 *    bounded cache holds the pool), placeholders, roles, ids, budgets); peak RSS from /usr/bin/time -f %M; then
 *    `t2vid preflight` alone on the same file.
 * 4. Writes bench/RESULTS-export.md. Everything lives under .bench/export (git-ignored), deleted unless --keep.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AssembledSetWriter, type TrainingSample } from '../src/core/assemble/trainingSet';

const ROOT = path.resolve(__dirname, '..', '..');
const DATA = path.resolve(ROOT, '..', 'shared', 'data', 'long-text');
const WORK = path.join(ROOT, '.bench', 'export');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const RESULTS = path.join(ROOT, 'bench', 'RESULTS-export.md');

function arg(name: string, fallback: string): string {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? a.slice(name.length + 3) : fallback;
}

function timed(args: string[]): { seconds: number; rssMB: number; stdout: string; stderr: string; code: number } {
  const started = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, CLI, ...args], { encoding: 'utf8', maxBuffer: 256 << 20 });
  const seconds = (performance.now() - started) / 1000;
  const lines = r.stderr.trimEnd().split('\n');
  const rssKB = Number(lines.pop());
  return { seconds, rssMB: rssKB / 1024, stdout: r.stdout, stderr: lines.join('\n'), code: r.status ?? -1 };
}

async function main(): Promise<void> {
  const n = Number(arg('samples', '100000'));
  const format = arg('format', 'minicpm-v');
  fs.rmSync(WORK, { recursive: true, force: true });
  fs.mkdirSync(WORK, { recursive: true });
  // 1. The frame pool: one real document rendered by the CLI.
  const doc = path.join(WORK, 'doc.jsonl');
  fs.writeFileSync(doc, fs.readFileSync(path.join(DATA, 'leval-news_summ.jsonl'), 'utf8').split('\n')[0] + '\n');
  const synth = spawnSync(process.execPath, [CLI, 'synth', doc, '--out', path.join(WORK, 'synth'), '--quiet'], { encoding: 'utf8' });
  if (synth.status !== 0) {
    throw new Error(`synth failed: ${synth.stderr}`);
  }
  const poolDir = path.join(WORK, 'synth', 'frames', 'doc-000001');
  const pool = fs
    .readdirSync(poolDir)
    .filter((f) => f.endsWith('.png'))
    .sort()
    .map((f) => path.join(poolDir, f));
  // 2. The assembled set.
  const pairs: Array<[string, string]> = [];
  for (const f of fs
    .readdirSync(DATA)
    .filter((x) => x.startsWith('leval-'))
    .sort()) {
    for (const line of fs.readFileSync(path.join(DATA, f), 'utf8').split('\n')) {
      if (line.trim()) {
        const o = JSON.parse(line) as { instructions?: string[]; outputs?: string[] };
        (o.instructions ?? []).forEach((q, i) => pairs.push([q, o.outputs?.[i] ?? '']));
      }
    }
  }
  const set = path.join(WORK, 'set');
  const writer = new AssembledSetWriter(set);
  let refs = 0;
  const genStart = performance.now();
  for (let i = 0; i < n; i++) {
    const count = 16 + (i % 9);
    const start = (i * 7) % (pool.length - count);
    const [q, a] = pairs[i % pairs.length];
    const sample: TrainingSample = {
      id: `s${String(i).padStart(6, '0')}`,
      frames: pool.slice(start, start + count),
      turns: [
        { role: 'user', content: q },
        { role: 'assistant', content: a },
      ],
      source: { file: doc, line: 1 },
      origin: i % 3 === 2 ? 'video' : 'synthetic',
    };
    refs += count;
    await writer.add(sample);
  }
  await writer.close({ sources: [{ path: doc, kind: 'synth-output', samples: n }], seed: null, filters: [] });
  const genSeconds = (performance.now() - genStart) / 1000;
  const setMB = fs.statSync(path.join(set, 'samples.jsonl')).size / 1e6;
  console.log(`assembled set: ${n} samples, ${refs} frame references, ${setMB.toFixed(1)} MB (${genSeconds.toFixed(1)} s, not timed)`);

  // 3. Export (+ its preflight), then preflight alone.
  const out = path.join(WORK, 'out');
  const exp = timed(['export', set, '--format', format, '--out', out, '--json']);
  if (exp.code !== 0) {
    throw new Error(`export exited ${exp.code}: ${exp.stderr.slice(0, 2000)}`);
  }
  const summary = JSON.parse(exp.stdout) as {
    written: number;
    dropped: number;
    file: string;
    seconds: number;
    filters: Array<{ name: string; dropped: number }>;
    preflight: { seconds: number; records: number; images: number; ok: boolean };
  };
  const fileMB = fs.statSync(summary.file).size / 1e6;
  const pre = timed(['preflight', summary.file, '--json']);
  const preReport = JSON.parse(pre.stdout) as { ok: boolean; records: number; images: number; seconds: number };
  const load = os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' / ');
  const verdict = (ok: boolean): string => (ok ? 'pass' : 'miss');
  const md = `# Export + preflight of ${n.toLocaleString('en')} samples

Generated by \`node out/bench/export.js\` (\`npm run bench\`) on ${new Date().toISOString().slice(0, 16)}Z; ${os.cpus().length} cores
(${os.cpus()[0]?.model.trim()}), load average after the runs ${load}; Node ${process.version}.

Input: an assembled set of ${n.toLocaleString('en')} samples (samples.jsonl ${setMB.toFixed(1)} MB), ${refs.toLocaleString('en')} frame
references (16–24 a sample) into ${pool.length} real frames rendered by \`t2vid synth\` from one L-Eval news_summ document, turns
from the ${pairs.length} real L-Eval question/answer pairs in turn. Profile minicpm-v-2.5: ≤ 90 frames, < 500 words, ≤ 8192 tokens
(exact Llama-3 counts). Wall time and peak RSS (/usr/bin/time %M) of the whole CLI process.

| run | samples written | wall s | peak RSS MB | target | result |
| --- | ---: | ---: | ---: | --- | --- |
| \`t2vid export --format ${format}\` (read, filter, write ${fileMB.toFixed(0)} MB, then preflight) | ${summary.written.toLocaleString('en')} (${summary.dropped} dropped) | ${exp.seconds.toFixed(1)} | ${exp.rssMB.toFixed(0)} | < 60 s, < 500 MB | ${verdict(exp.seconds < 60 && exp.rssMB < 500)} |
| … of which preflight (as the export reports it) | ${summary.preflight.records.toLocaleString('en')} records, ${summary.preflight.images.toLocaleString('en')} images | ${summary.preflight.seconds.toFixed(1)} | – | – | ${summary.preflight.ok ? 'ok' : 'problems'} |
| \`t2vid preflight\` alone on the written file | ${preReport.records.toLocaleString('en')} records, ${preReport.images.toLocaleString('en')} images | ${pre.seconds.toFixed(1)} | ${pre.rssMB.toFixed(0)} | – | ${preReport.ok ? 'ok' : 'problems'} |

Filters: ${summary.filters.map((f) => `${f.name} ${f.dropped} dropped`).join(', ')}. The frame pool is small, so each distinct image is
stat'ed and decoded once (preflight caches up to 200,000 checked paths); a set whose 2M references are 2M distinct files
costs one stat + PNG header read per file on top of these figures.
`;
  fs.writeFileSync(RESULTS, md);
  console.log(md);
  if (!process.argv.includes('--keep')) {
    fs.rmSync(WORK, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
