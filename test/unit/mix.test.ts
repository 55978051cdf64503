/**
 * `t2vid mix` and `t2vid assemble` on real inputs: synthetic samples rendered by the real CLI from three L-Eval
 * documents, real video samples whose frames ffmpeg extracts from videos it makes in the test. Checked: the same seed
 * writes the same bytes, counts and ratios are exact, duplicates are dropped and counted, video frames are subsampled
 * uniformly, the diversity selection beats a random choice on the diversity it optimises, bad configs are reported
 * with the file and the JSON path, and an assembly exports, passes preflight, and reuses its mix when nothing changed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { extractFrames, uniformIndices, VIDEO_SAMPLES_FILE, type ExtractedSample } from '../../src/core/assemble/extractFrames';
import { parseAssembleConfig, readAssembleConfig, runAssemble, writeAssembleConfig } from '../../src/core/assemble/config';
import { mix } from '../../src/core/assemble/mix';
import { readAssembledManifest, readAssembledSet, type TrainingSample } from '../../src/core/assemble/trainingSet';
import { measureInstructions } from '../../src/core/diversity/measure';
import { findFfmpeg } from '../../src/core/util/ffmpeg';
import { ASSEMBLE_CONFIG_VERSION, type AssembleConfig } from '../../src/shared/assemble';
import { repoRoot, sharedData } from '../support/helpers';

const CLI = path.join(repoRoot(), 'dist', 'cli.js');

function t2vid(args: string[], cwd?: string): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 64 << 20, cwd });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

let dir: string;
let synthOut: string;
let videoOut: string;
/** Distinct video samples (one more line in video-samples.jsonl repeats the first). */
const VIDEOS = 7;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 't2vid-mix-'));
  // Synthetic: the first document of three L-Eval files (one sample per QA pair), rendered by the real CLI.
  const lines = ['leval-coursera.jsonl', 'leval-scientific_qa.jsonl', 'leval-paper_assistant.jsonl'].map(
    (f) => fs.readFileSync(sharedData('long-text', f), 'utf8').split('\n')[0],
  );
  const input = path.join(dir, 'docs.jsonl');
  fs.writeFileSync(input, lines.join('\n') + '\n');
  synthOut = path.join(dir, 'synth');
  const r = t2vid(['synth', input, '--out', synthOut, '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  // Video: seven 12-second clips made by ffmpeg, 10 frames each kept by extract-frames; the first sample twice.
  const ffmpeg = findFfmpeg().ffmpeg;
  const clips = path.join(dir, 'clips');
  fs.mkdirSync(clips);
  const samples = [];
  for (let i = 0; i < VIDEOS; i++) {
    const file = path.join(clips, `clip${i}.mp4`);
    const p = spawnSync(ffmpeg, [
      '-nostdin',
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      `testsrc=duration=12:size=96x64:rate=5`,
      '-vf',
      `hue=h=${i * 50}`,
      '-pix_fmt',
      'yuv420p',
      file,
    ]);
    assert.equal(p.status, 0, String(p.stderr));
    samples.push({
      id: `v${i}`,
      video: `clip${i}.mp4`,
      videoPath: file,
      turns: [
        { role: 'user' as const, content: `What happens in clip ${i}? Describe the moving bars.` },
        { role: 'assistant' as const, content: `The bars of clip ${i} scroll.` },
      ],
      source: { file: path.join(dir, 'videos.jsonl'), line: i + 1 },
    });
  }
  samples.push({ ...samples[0], id: 'v0-again', source: { ...samples[0].source, line: VIDEOS + 1 } });
  videoOut = path.join(dir, 'video-frames');
  const summary = await extractFrames(samples, { out: videoOut, frames: 10, fps: 1, maxSize: 96 });
  assert.equal(summary.failed, 0);
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

async function samplesOf(out: string): Promise<TrainingSample[]> {
  const all: TrainingSample[] = [];
  for await (const s of readAssembledSet(out)) {
    all.push(s);
  }
  return all;
}

async function syntheticAvailable(): Promise<number> {
  const s = await mix({ synthetic: [synthOut], video: [], countSynthetic: 1, countVideo: 0, seed: 1, out: path.join(dir, 'probe') });
  return s.available.synthetic;
}

test('mix: the same seed writes the same bytes; another seed another choice; counts exact; duplicates dropped', async () => {
  const run = (name: string, seed: number) =>
    mix({ synthetic: [synthOut], video: [videoOut], countSynthetic: 10, countVideo: 5, seed, out: path.join(dir, name) });
  const a = await run('a', 7);
  await run('b', 7);
  const c = await run('c', 8);
  for (const f of ['samples.jsonl', 'manifest.json']) {
    assert.ok(fs.readFileSync(path.join(dir, 'a', f)).equals(fs.readFileSync(path.join(dir, 'b', f))), `${f}: same bytes`);
  }
  assert.notEqual(
    fs.readFileSync(path.join(dir, 'a', 'samples.jsonl'), 'utf8'),
    fs.readFileSync(path.join(dir, 'c', 'samples.jsonl'), 'utf8'),
  );
  assert.deepEqual(a.chosen, { synthetic: 10, video: 5 });
  assert.deepEqual(a.manifest.counts, { synthetic: 10, video: 5 });
  assert.equal(a.available.video, VIDEOS, 'the repeated video sample is one sample');
  assert.equal(a.duplicates.video, 1);
  assert.equal(c.manifest.samples, 15);
  const samples = await samplesOf(path.join(dir, 'a'));
  assert.equal(samples.length, 15);
  assert.equal(new Set(samples.map((s) => s.id)).size, 15, 'no sample twice');
  for (const s of samples) {
    assert.ok(
      s.frames.every((f) => fs.existsSync(f)),
      `${s.id}: its frames exist`,
    );
  }
  // Both kinds are interleaved by the seeded shuffle, not appended.
  const origins = samples.map((s) => s.origin).join(',');
  assert.notEqual(origins, [...Array(10).fill('synthetic'), ...Array(5).fill('video')].join(','));
  const manifest = await readAssembledManifest(path.join(dir, 'a'));
  assert.equal(manifest.createdAt, undefined, 'no time stamp in a mix');
  assert.ok(
    manifest.sources.every((s) => /^[0-9a-f]{64}$/.test(s.sha256 ?? '')),
    'each source hashed',
  );
});

test('mix: a ratio takes every video sample and the synthetic share of the output', async () => {
  const s = await mix({ synthetic: [synthOut], video: [videoOut], ratio: 0.5, seed: 1, out: path.join(dir, 'ratio') });
  assert.deepEqual(s.chosen, { synthetic: VIDEOS, video: VIDEOS });
  const s2 = await mix({ synthetic: [synthOut], video: [videoOut], ratio: 0.3, seed: 1, out: path.join(dir, 'ratio30') });
  assert.equal(s2.chosen.synthetic, Math.round((VIDEOS * 0.3) / 0.7));
  await assert.rejects(
    mix({ synthetic: [synthOut], video: [videoOut], ratio: 0.99, seed: 1, out: path.join(dir, 'too-many') }),
    /asked for 693 synthetic samples, only \d+ available/,
  );
  await assert.rejects(
    mix({ synthetic: [synthOut], video: [videoOut], countSynthetic: 1, countVideo: VIDEOS + 1, seed: 1, out: path.join(dir, 'x') }),
    new RegExp(`asked for ${VIDEOS + 1} video samples, only ${VIDEOS} available \\(after dropping 1 duplicates\\)`),
  );
  await assert.rejects(
    mix({ synthetic: [synthOut], video: [], countSynthetic: 1, ratio: 0.5, seed: 1, out: path.join(dir, 'x') }),
    /either both counts or a ratio/,
  );
  assert.ok(!fs.existsSync(path.join(dir, 'too-many', 'samples.jsonl')), 'nothing written on an error');
});

test('mix: video samples keep --video-frames frames, chosen uniformly', async () => {
  const s = await mix({
    synthetic: [],
    video: [videoOut],
    countSynthetic: 0,
    countVideo: 3,
    videoFrames: 4,
    seed: 3,
    out: path.join(dir, 'vf'),
  });
  assert.equal(s.subsampled, 3);
  const lines = fs
    .readFileSync(path.join(videoOut, VIDEO_SAMPLES_FILE), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as ExtractedSample);
  for (const sample of await samplesOf(path.join(dir, 'vf'))) {
    const source = lines.find((l) => l.id === sample.id)!;
    assert.equal(source.frames.length, 10);
    const want = uniformIndices(10, 4).map((i) => path.resolve(videoOut, source.frames[i]));
    assert.deepEqual(sample.frames, want, `${sample.id}: frames ${uniformIndices(10, 4).join(', ')} of 10`);
  }
});

test('mix --select diverse: a different choice whose instructions are more diverse than the random one', async () => {
  const k = Math.min(12, Math.floor((await syntheticAvailable()) / 3));
  const opts = { synthetic: [synthOut], video: [videoOut], countSynthetic: k, countVideo: VIDEOS, seed: 5 };
  const random = await mix({ ...opts, select: 'random', out: path.join(dir, 'random') });
  const diverse = await mix({ ...opts, select: 'diverse', out: path.join(dir, 'diverse') });
  assert.equal(diverse.chosen.synthetic, k);
  assert.equal(random.manifest.mix?.select, 'random');
  assert.equal(diverse.manifest.mix?.select, 'diverse');
  const questions = async (out: string) => (await samplesOf(out)).filter((s) => s.origin === 'synthetic').map((s) => s.turns[0].content);
  const [r, d] = [await questions(path.join(dir, 'random')), await questions(path.join(dir, 'diverse'))];
  assert.notDeepEqual(new Set(r), new Set(d));
  const vendi = (texts: string[]) => measureInstructions(texts, { seed: 1 }).metrics.vendi?.value ?? 0;
  assert.ok(vendi(d) > vendi(r), `Vendi (word vectors) of the diverse choice ${vendi(d).toFixed(3)} > random ${vendi(r).toFixed(3)}`);
});

function config(over: Partial<AssembleConfig> = {}): AssembleConfig {
  return {
    version: ASSEMBLE_CONFIG_VERSION,
    synthetic: [synthOut],
    video: [videoOut],
    countSynthetic: 8,
    countVideo: 4,
    select: 'random',
    seed: 11,
    profile: 'minicpm-v-2.5',
    format: 'ms-swift',
    frames: 'reference',
    out: path.join(dir, 'assembled'),
    ...over,
  };
}

test('assemble config: errors name the file and the JSON path; paths inside its folder are written relative', async () => {
  const file = path.join(dir, 'set.t2vid-assemble.json');
  assert.throws(() => parseAssembleConfig({ ...config(), format: 'nope' }, file), /set\.t2vid-assemble\.json: \$\.format: /);
  assert.throws(() => parseAssembleConfig({ ...config(), synthetic: [synthOut, 3] }, file), /\$\.synthetic\[1\]: /);
  assert.throws(() => parseAssembleConfig({ ...config(), extra: true }, file), /\$\.extra: /);
  assert.throws(() => parseAssembleConfig({ ...config(), ratio: 0.5 }, file), /either both counts or a ratio/);
  fs.writeFileSync(file, '{\n  "version": 1,\n  "synthetic": [\n}\n');
  await assert.rejects(readAssembleConfig(file), /set\.t2vid-assemble\.json:4: not valid JSON/);
  await writeAssembleConfig(file, config());
  const written = JSON.parse(fs.readFileSync(file, 'utf8')) as AssembleConfig;
  assert.deepEqual(written.synthetic, ['synth']);
  assert.equal(written.out, 'assembled');
  assert.deepEqual(await readAssembleConfig(file), written);
});

test('t2vid assemble: mix + ms-swift export + preflight; a second run reuses the mix, a changed seed does not', async () => {
  const file = path.join(dir, 'run.t2vid-assemble.json');
  await writeAssembleConfig(file, config());
  const first = t2vid(['assemble', file, '--json']);
  assert.equal(first.code, 0, first.stderr);
  const summary = JSON.parse(first.stdout) as { ok: boolean; reused: boolean; exportFile: string; preflight: { problems: unknown[] } };
  assert.ok(summary.ok);
  assert.equal(summary.reused, false);
  assert.equal(summary.preflight.problems.length, 0);
  const exported = fs.readFileSync(summary.exportFile, 'utf8').trim().split('\n');
  assert.equal(exported.length, 12, '8 synthetic + 4 video samples exported');
  const again = await runAssemble(await readAssembleConfig(file), dir);
  assert.equal(again.reused, true);
  assert.ok(again.ok);
  const human = t2vid(['assemble', file]);
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stderr, /reused the mix/);
  assert.match(human.stderr, /preflight .*: 12 records, \d+ images: ok/);
  const reseeded = await runAssemble({ ...(await readAssembleConfig(file)), seed: 12 }, dir);
  assert.equal(reseeded.reused, false);
});

test('t2vid mix: the CLI writes the set; usage errors exit 2, not enough samples exits 1', () => {
  const out = path.join(dir, 'cli-mix');
  const ok = t2vid(['mix', '--synthetic', synthOut, '--video', videoOut, '--ratio', '0.5', '--seed', '3', '--out', out, '--json']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.deepEqual((JSON.parse(ok.stdout) as { chosen: unknown }).chosen, { synthetic: VIDEOS, video: VIDEOS });
  const human = t2vid(['mix', '--synthetic', synthOut, '--video', videoOut, '--ratio', '0.5', '--seed', '3', '--out', out]);
  assert.match(human.stderr, /mixed 14 samples/);
  assert.match(human.stderr, /duplicates dropped: \d+ synthetic, 1 video/);
  for (const bad of [
    ['mix', '--synthetic', synthOut, '--ratio', '0.5', '--out', out],
    ['mix', '--synthetic', synthOut, '--ratio', '1.5', '--seed', '1', '--out', out],
    ['mix', '--synthetic', synthOut, '--ratio', '0.5', '--count-video', '2', '--seed', '1', '--out', out],
    ['mix', '--synthetic', synthOut, '--count-synthetic', '2', '--seed', '1', '--out', out],
    ['mix', '--synthetic', synthOut, '--ratio', '0.5', '--seed', '1', '--select', 'best', '--out', out],
  ]) {
    assert.equal(t2vid(bad).code, 2, bad.join(' '));
  }
  const short = t2vid(['mix', '--video', videoOut, '--count-synthetic', '0', '--count-video', '99', '--seed', '1', '--out', out]);
  assert.equal(short.code, 1);
  assert.match(short.stderr, /asked for 99 video samples, only 7 available/);
  const help = t2vid(['mix', '--help']);
  for (const flag of [
    '--synthetic',
    '--video',
    '--count-synthetic',
    '--count-video',
    '--ratio',
    '--select',
    '--video-frames',
    '--seed',
    '--out',
    '--json',
  ]) {
    assert.ok(help.stdout.includes(flag), `help lists ${flag}`);
  }
});
