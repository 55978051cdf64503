/**
 * Frame extraction on real videos that ffmpeg itself makes in the test: which seconds are kept (a video whose
 * brightness encodes the second), fewer frames than asked for a short video (all are kept, as T2Vid), size capping,
 * missing / corrupt / truncated videos reported per sample while the run goes on, resume without running ffmpeg,
 * cancel leaving no partial folder (API and CLI SIGINT → 130), and the shared MVBench set with its videos absent.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import {
  extractFrames,
  uniformIndices,
  VIDEO_SAMPLES_FILE,
  videoFolderName,
  type ExtractedSample,
  type VideoManifest,
} from '../../src/core/assemble/extractFrames';
import type { VideoSample } from '../../src/core/assemble/videoSet';
import { FfmpegNotFoundError, findFfmpeg, runningTools } from '../../src/core/util/ffmpeg';
import { FRAMES_ARGS, FRAMES_HELP } from '../../src/cli/frames';
import { repoRoot, sharedData, tempDir } from '../support/helpers';

const CLI = path.join(repoRoot(), 'dist', 'cli.js');

function ffmpeg(args: string[]): void {
  const r = spawnSync(findFfmpeg().ffmpeg, ['-nostdin', '-v', 'error', '-y', ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

/** Test videos; `seconds`: 7 s at 25 fps whose brightness is the second (luma 16 + 30·floor(t), RGB ≈ 35 a second). */
function makeVideos(dir: string): Record<string, string> {
  fs.mkdirSync(dir, { recursive: true });
  const v = {
    seconds: path.join(dir, 'seconds.mp4'),
    testsrc: path.join(dir, 'testsrc.mp4'),
    wide: path.join(dir, 'wide.mp4'),
    short: path.join(dir, 'short.mp4'),
    truncated: path.join(dir, 'truncated.mp4'),
    garbage: path.join(dir, 'garbage.mp4'),
  };
  ffmpeg([
    '-f',
    'lavfi',
    '-i',
    'color=c=black:s=64x48:r=25:d=7',
    '-vf',
    "geq=lum='16+floor(T)*30':cb=128:cr=128",
    '-pix_fmt',
    'yuv420p',
    v.seconds,
  ]);
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc=duration=7:size=320x240:rate=25', '-pix_fmt', 'yuv420p', v.testsrc]);
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc=duration=3:size=640x360:rate=25', '-pix_fmt', 'yuv420p', v.wide]);
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc=duration=0.5:size=320x240:rate=25', '-pix_fmt', 'yuv420p', v.short]);
  // The first 4 KB of an MP4 whose index (moov) is at the end: nothing to decode.
  fs.writeFileSync(v.truncated, fs.readFileSync(v.testsrc).subarray(0, 4096));
  fs.writeFileSync(v.garbage, Buffer.from('this is not a video at all\n'.repeat(100)));
  return v;
}

function sample(id: string, videoPath: string, line = 1): VideoSample {
  return {
    id,
    video: path.basename(videoPath),
    videoPath,
    turns: [
      { role: 'user', content: `question ${id}` },
      { role: 'assistant', content: 'answer' },
    ],
    source: { file: 'set.jsonl', line },
  };
}

function manifestOf(out: string, videoPath: string): VideoManifest {
  const dir = path.join(out, videoFolderName(path.basename(videoPath), videoPath));
  return JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as VideoManifest;
}

/** The second a frame of `secondsVideo` shows, from its mean brightness. */
async function secondOf(file: string): Promise<number> {
  const stats = await sharp(file).stats();
  return Math.round(stats.channels[0]!.mean / 34.9);
}

function partials(out: string): string[] {
  return fs.readdirSync(out).filter((f) => f.endsWith('.partial'));
}

test('uniformIndices: the middle of n equal spans; all when there are no more than n', () => {
  assert.deepEqual(uniformIndices(7, 4), [0, 2, 4, 6]);
  assert.deepEqual(uniformIndices(60, 24), [1, 3, 6, 8, 11, 13, 16, 18, 21, 23, 26, 28, 31, 33, 36, 38, 41, 43, 46, 48, 51, 53, 56, 58]);
  assert.deepEqual(uniformIndices(5, 24), [0, 1, 2, 3, 4]);
  assert.deepEqual(uniformIndices(24, 24), [...Array(24).keys()]);
  assert.deepEqual(uniformIndices(1, 3), [0]);
});

test('1 fps then N uniform: the chosen seconds, fewer for a short video, sizes capped, bad videos reported', async (t) => {
  const dir = tempDir(t);
  const v = makeVideos(path.join(dir, 'videos'));
  const out = path.join(dir, 'out');
  const samples = [
    sample('sec', v.seconds, 1),
    sample('sec-again', v.seconds, 2), // shares the video: extracted once
    sample('src', v.testsrc, 3),
    sample('wide', v.wide, 4),
    sample('short', v.short, 5),
    sample('trunc', v.truncated, 6),
    sample('garbage', v.garbage, 7),
    sample('missing', path.join(dir, 'videos', 'nope.mp4'), 8),
  ];
  const failures: string[] = [];
  const summary = await extractFrames(samples, { out, frames: 4, jobs: 2, onFailure: (f) => failures.push(f.samples[0]!.id) });
  assert.equal(summary.ok, true);
  assert.equal(summary.total, 7, 'seven distinct videos');
  assert.equal(summary.extracted, 4);
  assert.equal(summary.failed, 3);
  assert.equal(summary.missing, 1);
  assert.equal(summary.broken, 2);
  assert.deepEqual(failures.sort(), ['garbage', 'missing', 'trunc']);
  const missing = summary.failures.find((f) => f.kind === 'missing')!;
  assert.deepEqual(missing.samples, [{ id: 'missing', source: { file: 'set.jsonl', line: 8 } }]);
  assert.match(missing.reason, /video file not found \(ENOENT\)/);
  for (const f of summary.failures.filter((x) => x.kind === 'broken')) {
    assert.match(f.reason, /ffprobe cannot read it|ffmpeg/);
  }

  // 7 s at 1 fps = 7 frames; 4 kept: seconds 0, 2, 4, 6 — checked on the pixels, not only in the manifest.
  const sec = manifestOf(out, v.seconds);
  assert.equal(sec.decoded, 7);
  assert.deepEqual(
    sec.chosen.map((c) => c.time),
    [0, 2, 4, 6],
  );
  const secDir = path.join(out, videoFolderName('seconds.mp4', v.seconds));
  const shown = await Promise.all(sec.chosen.map((c) => secondOf(path.join(secDir, c.file))));
  assert.deepEqual(shown, [0, 2, 4, 6]);
  assert.deepEqual(fs.readdirSync(secDir).sort(), ['frame_000.png', 'frame_001.png', 'frame_002.png', 'frame_003.png', 'manifest.json']);
  assert.equal(sec.probe.frameRate, 25);
  assert.ok(Math.abs(sec.probe.duration! - 7) < 0.1, `duration ${sec.probe.duration}`);

  // Sizes: 320×240 stays (never enlarged), 640×360 fits 448 on the long side.
  const src = manifestOf(out, v.testsrc);
  const srcMeta = await sharp(path.join(out, videoFolderName('testsrc.mp4', v.testsrc), src.chosen[0]!.file)).metadata();
  assert.deepEqual([srcMeta.width, srcMeta.height], [320, 240]);
  const wide = manifestOf(out, v.wide);
  assert.equal(wide.chosen.length, 3, 'a 3 s video gives 3 frames of the 4 asked: all are kept');
  const wideMeta = await sharp(path.join(out, videoFolderName('wide.mp4', v.wide), wide.chosen[0]!.file)).metadata();
  assert.deepEqual([wideMeta.width, wideMeta.height], [448, 252]);
  // 0.5 s: one frame (t = 0).
  assert.deepEqual(
    manifestOf(out, v.short).chosen.map((c) => c.time),
    [0],
  );

  // video-samples.jsonl: the samples whose video has frames, in input order, paths relative to OUT.
  const lines = fs
    .readFileSync(path.join(out, VIDEO_SAMPLES_FILE), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as ExtractedSample);
  assert.deepEqual(
    lines.map((l) => l.id),
    ['sec', 'sec-again', 'src', 'wide', 'short'],
  );
  assert.deepEqual(lines[1]!.frames, lines[0]!.frames);
  assert.deepEqual(lines[0]!.timestamps, [0, 2, 4, 6]);
  for (const l of lines) {
    for (const f of l.frames) {
      assert.ok(fs.existsSync(path.join(out, f)), f);
    }
  }
  assert.deepEqual(partials(out), []);

  // Resume: nothing is decoded again — with ffmpeg and ffprobe pointing nowhere, every done video is still done.
  const mtimes = fs.readdirSync(secDir).map((f) => fs.statSync(path.join(secDir, f)).mtimeMs);
  const nowhere = { ffmpeg: path.join(dir, 'no-ffmpeg'), ffprobe: path.join(dir, 'no-ffprobe') };
  const again = await extractFrames(samples.slice(0, 5), { out, frames: 4, tools: nowhere });
  assert.equal(again.resumed, 4);
  assert.equal(again.extracted, 0);
  assert.equal(again.failed, 0);
  assert.deepEqual(
    fs.readdirSync(secDir).map((f) => fs.statSync(path.join(secDir, f)).mtimeMs),
    mtimes,
  );

  // Other settings, or a touched source, redo the video.
  const more = await extractFrames([samples[0]!], { out, frames: 7 });
  assert.equal(more.extracted, 1);
  assert.deepEqual(
    manifestOf(out, v.seconds).chosen.map((c) => c.index),
    [0, 1, 2, 3, 4, 5, 6],
  );
  fs.utimesSync(v.seconds, new Date(), new Date(Date.now() - 60_000));
  assert.equal((await extractFrames([samples[0]!], { out, frames: 7 })).extracted, 1);

  // A partial folder (a killed run) and a folder without a manifest are redone.
  const srcDir = path.join(out, videoFolderName('testsrc.mp4', v.testsrc));
  fs.rmSync(path.join(srcDir, 'manifest.json'));
  fs.mkdirSync(path.join(out, `.${path.basename(srcDir)}.partial`));
  const redo = await extractFrames([samples[2]!], { out, frames: 4 });
  assert.equal(redo.extracted, 1);
  assert.deepEqual(partials(out), []);
  assert.deepEqual(fs.readdirSync(srcDir).sort(), ['frame_000.png', 'frame_001.png', 'frame_002.png', 'frame_003.png', 'manifest.json']);
});

test('only bad videos: not ok; ffmpeg absent: an error saying what to install', async (t) => {
  const dir = tempDir(t);
  const summary = await extractFrames([sample('gone', path.join(dir, 'gone.mp4'))], { out: path.join(dir, 'out') });
  assert.equal(summary.ok, false);
  assert.equal(summary.samplesWritten, 0);

  assert.throws(
    () => findFfmpeg({ PATH: dir }),
    (e: unknown) => e instanceof FfmpegNotFoundError && /apt-get install ffmpeg/.test((e as Error).message),
  );
  assert.throws(() => findFfmpeg({ T2VID_FFMPEG: path.join(dir, 'ffmpeg'), PATH: '' }), /T2VID_FFMPEG=.* is not an executable file/);
  const real = findFfmpeg();
  assert.deepEqual(findFfmpeg({ T2VID_FFMPEG: real.ffmpeg, PATH: '' }).ffprobe, real.ffprobe, 'ffprobe found beside T2VID_FFMPEG');
});

test('cancel kills ffmpeg and leaves no partial folder; the CLI exits 130 on SIGINT', async (t) => {
  const dir = tempDir(t);
  const long = path.join(dir, 'long.mp4');
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc=duration=40:size=640x360:rate=25', '-pix_fmt', 'yuv420p', long]);
  const out = path.join(dir, 'out');
  const controller = new AbortController();
  const watcher = setInterval(() => {
    if (fs.existsSync(out) && partials(out).length > 0 && runningTools() > 0) {
      controller.abort(new Error('cancelled'));
    }
  }, 5);
  // 25 fps output makes ffmpeg write every frame: long enough to be stopped half way.
  const summary = await extractFrames([sample('long', long)], { out, fps: 25, frames: 24, signal: controller.signal });
  clearInterval(watcher);
  assert.equal(summary.cancelled, true);
  assert.equal(summary.ok, false);
  assert.equal(runningTools(), 0, 'no ffmpeg left running');
  assert.deepEqual(fs.readdirSync(out), [], 'no partial folder, no video-samples.jsonl');

  // The CLI: SIGINT while ffmpeg runs → 130, nothing partial left.
  const set = path.join(dir, 'set.jsonl');
  fs.writeFileSync(set, JSON.stringify({ video: 'long.mp4', prompt: 'q', GT: 'a' }) + '\n');
  const cliOut = path.join(dir, 'cli-out');
  const child = spawn(process.execPath, [CLI, 'extract-frames', set, '--out', cliOut, '--fps', '25', '--quiet'], { stdio: 'ignore' });
  const code = await new Promise<number | null>((resolve) => {
    const timer = setInterval(() => {
      if (fs.existsSync(cliOut) && partials(cliOut).length > 0) {
        clearInterval(timer);
        child.kill('SIGINT');
      }
    }, 5);
    child.on('exit', (c) => {
      clearInterval(timer);
      resolve(c);
    });
  });
  assert.equal(code, 130);
  assert.deepEqual(fs.readdirSync(cliOut), []);
});

test('t2vid extract-frames on the shared MVBench set without its videos: each missing video reported, exit 1; one present: 0', async (t) => {
  const dir = tempDir(t);
  const mvbench = sharedData('video-instructions', 'mvbench.jsonl');
  const lines = fs
    .readFileSync(mvbench, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
  const videos = new Set(lines.map((l) => (JSON.parse(l) as { video: string }).video));
  const root = path.join(dir, 'root');
  fs.mkdirSync(root);
  const run = (): { code: number | null; summary: Record<string, unknown>; stderr: string } => {
    const r = spawnSync(
      process.execPath,
      [CLI, 'extract-frames', mvbench, '--video-root', root, '--out', path.join(dir, 'out'), '--json'],
      { encoding: 'utf8', maxBuffer: 64 << 20 },
    );
    return { code: r.status, summary: JSON.parse(r.stdout) as Record<string, unknown>, stderr: r.stderr };
  };
  const none = run();
  assert.equal(none.code, 1);
  assert.equal(none.summary.missing, videos.size);
  assert.equal(none.summary.samples, lines.length);
  assert.equal(
    none.stderr.match(/^missing .*mvbench\.jsonl:\d+: /gmu)?.length,
    videos.size,
    'one line per missing video, with file and line',
  );

  const first = (JSON.parse(lines[0]!) as { video: string }).video;
  fs.mkdirSync(path.dirname(path.join(root, first)), { recursive: true });
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc=duration=2:size=160x120:rate=25', '-pix_fmt', 'yuv420p', path.join(root, first)]);
  const one = run();
  assert.equal(one.code, 0);
  assert.equal(one.summary.extracted, 1);
  assert.equal(one.summary.missing, videos.size - 1);
});

test('t2vid extract-frames: --help names every flag; usage errors exit 2', () => {
  const cli = (...args: string[]): { code: number | null; stdout: string; stderr: string } => {
    const r = spawnSync(process.execPath, [CLI, 'extract-frames', ...args], { encoding: 'utf8' });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const help = cli('--help');
  assert.equal(help.code, 0);
  assert.equal(help.stdout, FRAMES_HELP);
  for (const flag of Object.keys(FRAMES_ARGS)) {
    assert.ok(FRAMES_HELP.includes(`--${flag}`), `--${flag} in the help`);
  }
  const set = sharedData('video-instructions', 'mvbench.jsonl');
  for (const [args, message] of [
    [[set], /needs --out DIR/],
    [['--out', '/tmp/x'], /needs at least one DATASET/],
    [[set, '--out', '/tmp/x', '--fps', '0'], /--fps takes a number > 0/],
    [[set, '--out', '/tmp/x', '--frames', '0'], /--frames takes a whole number from 1 to 10000/],
    [[set, '--out', '/tmp/x', '--fields', 'context=a'], /unknown key "context"/],
  ] as Array<[string[], RegExp]>) {
    const r = cli(...args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, message);
  }
});
