/**
 * The CLI as clusters install it: `npm pack` (which runs prepack: the production CLI and worker bundles and the
 * fonts), then `npm install -g` of the tarball into a temporary prefix — how a registry install behaves: no
 * devDependencies, nothing from the source tree but what the package carries — and `t2vid synth` from there on
 * an English and a Chinese text.
 *
 * The pack runs in a copy of the sources (with the repository's node_modules linked in), so it neither rewrites
 * this checkout's dist/ (the VSIX the E2E tests install is built from it) nor sees its media/fonts: the fonts
 * must come from prepack, as in a fresh clone.
 */
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import type { SynthSummary } from '../../src/core/synth';
import type { MiniCpmVEntry } from '../../src/core/writers/minicpmv';
import { repoRoot, sharedData, tempDir } from '../support/helpers';

/** What prepack needs to build the CLI package (esbuild.js --cli: src/, webview/ (the report's app), scripts/embeddings.js and the font and word-vector packages in node_modules). */
const SOURCES = [
  'package.json',
  'package-lock.json',
  '.npmignore',
  'README.md',
  'LICENSE',
  'esbuild.js',
  'tsconfig.json',
  'src',
  'scripts',
  'webview',
];

/** The environment without the npm_* variables of an outer `npm test` (its prefix, its script context). */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^npm_/i.test(k)) {
      env[k] = v;
    }
  }
  return { ...env, ...extra };
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, timeout = 240_000): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout, maxBuffer: 64 << 20 });
  assert.equal(
    r.status,
    0,
    `${cmd} ${args.join(' ')} (in ${cwd}) exited ${r.status ?? r.signal ?? r.error?.message}:\n${r.stdout}\n${r.stderr}`,
  );
  return r;
}

test('npm pack, npm install -g from the tarball, then t2vid synth on English and Chinese text', { timeout: 600_000 }, async (t) => {
  const root = repoRoot();
  const tmp = tempDir(t, 't2vid-npm-');
  const src = path.join(tmp, 'src');
  for (const entry of SOURCES) {
    fs.cpSync(path.join(root, entry), path.join(src, entry), { recursive: true });
  }
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(src, 'node_modules'), 'dir');

  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { name: string; version: string };
  const tarball = `${pkg.name}-${pkg.version}.tgz`;
  const npmEnv = cleanEnv();
  run('npm', ['pack', '--pack-destination', tmp], src, npmEnv);
  assert.ok(fs.existsSync(path.join(tmp, tarball)), `${tarball} in ${tmp}`);

  // What the tarball carries: the CLI and its worker, the fonts, no sources, tests or source maps.
  const listing = run('tar', ['-tzf', tarball], tmp, npmEnv)
    .stdout.split('\n')
    .filter(Boolean)
    .map((f) => f.replace(/^package\//, ''))
    .sort();
  for (const needed of [
    'dist/cli.js',
    'dist/worker.js',
    'dist/vendor/wink-eng-lite-web-model.js',
    'dist/vendor/llama3-tokenizer.js',
    'media/fonts/DejaVuSans.ttf',
    'media/fonts/NotoSansSC-Regular.ttf',
    'media/embeddings/glove-6b-100d-50k.bin',
    'dist/webview/diversity.js',
    'dist/webview/diversity.css',
    'dist/webview/vscode.css',
    'package.json',
  ]) {
    assert.ok(listing.includes(needed), `${needed} is not in ${tarball}: ${listing.join(', ')}`);
  }
  const unexpected = listing.filter((f) => /^(src|test|webview|bench|out)\/|\.map$|\.ts$/.test(f));
  assert.deepEqual(unexpected, [], `${tarball} carries files the CLI does not load`);

  const prefix = path.join(tmp, 'prefix');
  run('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', `./${tarball}`], tmp, npmEnv);
  const bin = path.join(prefix, 'bin', 't2vid');
  assert.ok(fs.existsSync(bin), `${bin} after npm install -g`);
  const installed = path.join(prefix, 'lib', 'node_modules', pkg.name);
  // Installed as from a registry: the run-time dependency (sharp), none of the devDependencies (fonts, esbuild).
  assert.ok(
    fs.existsSync(path.join(installed, 'node_modules', 'sharp', 'package.json')) ||
      fs.existsSync(path.join(prefix, 'lib', 'node_modules', 'sharp')),
    'sharp installed',
  );
  for (const dev of ['dejavu-fonts-ttf', '@expo-google-fonts/noto-sans-sc', 'esbuild']) {
    assert.ok(!fs.existsSync(path.join(installed, 'node_modules', dev)), `devDependency ${dev} installed with the package`);
  }

  // Inputs: a record of the bundled English sample, and the Chinese seed abstract with a question on it.
  const english = fs.readFileSync(path.join(root, 'media', 'sample', 'sample.jsonl'), 'utf8').split('\n')[0];
  fs.writeFileSync(path.join(tmp, 'en.jsonl'), english + '\n');
  const zh = fs.readFileSync(sharedData('seed-abstract-zh.txt'), 'utf8');
  fs.writeFileSync(
    path.join(tmp, 'zh.jsonl'),
    JSON.stringify({ context: zh, question: '作者在零样本推理中发现了哪两个局限？', answer: '泛化能力有限和缺乏时间理解能力。' }) + '\n',
  );

  // From an unrelated folder, with only the prefix's bin and node on PATH (no repository node_modules/.bin).
  const env = cleanEnv({ PATH: [path.join(prefix, 'bin'), path.dirname(process.execPath), '/usr/bin', '/bin'].join(path.delimiter) });
  for (const lang of ['en', 'zh']) {
    const out = path.join(tmp, `out-${lang}`);
    const r = spawnSync(bin, ['synth', path.join(tmp, `${lang}.jsonl`), '--out', out, '--json'], {
      cwd: tmp,
      env,
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(r.status, 0, `t2vid synth ${lang} exited ${r.status ?? r.signal}:\n${r.stdout}\n${r.stderr}`);
    assert.doesNotMatch(r.stderr, /warning|\(node:\d+\)/i, `t2vid synth ${lang} wrote a warning to stderr:\n${r.stderr}`);
    const summary = JSON.parse(r.stdout) as SynthSummary;
    assert.equal(summary.ok, true, `${lang}: ${r.stdout}`);
    assert.equal(summary.samples, 1);
    assert.equal(summary.failed, 0, `${lang}: ${JSON.stringify(summary.errors)}`);
    assert.ok(summary.frames >= 2, `${lang}: ${summary.frames} frames`);

    const framesDir = path.join(out, 'frames');
    const ids = fs.readdirSync(framesDir);
    assert.equal(ids.length, 1, `${lang}: one sample folder in ${framesDir}: ${ids.join(', ')}`);
    const pngs = fs.readdirSync(path.join(framesDir, ids[0])).filter((f) => f.endsWith('.png'));
    assert.equal(pngs.length, summary.frames, `${lang}: PNG files in ${path.join(framesDir, ids[0])}`);
    for (const png of pngs) {
      const head = fs.readFileSync(path.join(framesDir, ids[0], png)).subarray(0, 8);
      assert.deepEqual([...head], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], `${png} is a PNG`);
    }
    const dataset = JSON.parse(fs.readFileSync(path.join(out, 'minicpm-v.json'), 'utf8')) as MiniCpmVEntry[];
    assert.equal(dataset.length, 1, `${lang}: one dataset entry`);
    assert.equal(Object.keys(dataset[0].image).length, summary.frames, `${lang}: the entry names every frame`);
  }

  // t2vid diversity from the installed package: its word vectors (media/embeddings) and the bundled POS model load.
  const html = path.join(tmp, 'report.html');
  const d = spawnSync(bin, ['diversity', path.join(tmp, 'en.jsonl'), '--json', '--report', html], {
    cwd: tmp,
    env,
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(d.status, 0, `t2vid diversity exited ${d.status ?? d.signal}:\n${d.stderr}`);
  const report = JSON.parse(d.stdout) as { datasets: Array<{ metrics: Record<string, { value: number | null }> }> };
  assert.ok(Math.abs((report.datasets[0].metrics.vendi.value ?? 0) - 1) < 1e-6, 'the Vendi score of one instruction is 1');
  // --report inlines the diversity app the package carries.
  assert.match(fs.readFileSync(html, 'utf8'), /<script type="application\/json" id="t2vid-diversity-data">/);
});
