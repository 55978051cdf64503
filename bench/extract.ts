/**
 * Frame extraction throughput (issue 12): ten 60 s 640×360 25 fps test videos (ffmpeg's testsrc, made here in a temp
 * folder, ten copies so each is its own video), extracted by `extractFrames` (1 fps, 24 kept, frames capped at 448)
 * beside ffmpeg alone doing the same 1-fps extraction (the same filter chain, every 1-fps frame written as PNG, no
 * probe, no choice, no manifest) on the same videos: one process at a time, and as many at once as `--jobs` runs.
 * Prints a table and writes bench/RESULTS-extract.md. Run by `npm run bench`; `node out/bench/extract.js` alone takes
 * under a minute.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { packageRoot } from '../src/core/fonts';
import { extractFrames, filterChain, VIDEO_MANIFEST, type VideoManifest } from '../src/core/assemble/extractFrames';
import type { VideoSample } from '../src/core/assemble/videoSet';
import { findFfmpeg, runTool } from '../src/core/util/ffmpeg';
import { processCap } from '../src/core/parallel';

const VIDEOS = 10;
const SECONDS = 60;

interface Row {
  what: string;
  jobs: number;
  seconds: number;
  videos: number;
  /** 1-fps frames decoded and written as PNG. */
  decoded: number;
  /** Frames kept (ffmpeg alone keeps all). */
  kept: number;
}

async function main(): Promise<void> {
  const tools = findFfmpeg();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 't2vid-bench-extract-'));
  try {
    const first = path.join(dir, 'video-00.mp4');
    const made = spawnSync(tools.ffmpeg, [
      '-nostdin',
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      `testsrc=duration=${SECONDS}:size=640x360:rate=25`,
      '-pix_fmt',
      'yuv420p',
      first,
    ]);
    if (made.status !== 0) {
      throw new Error(`ffmpeg could not make the test video: ${made.stderr.toString()}`);
    }
    const videos = [first];
    for (let i = 1; i < VIDEOS; i++) {
      const copy = path.join(dir, `video-${String(i).padStart(2, '0')}.mp4`);
      fs.copyFileSync(first, copy);
      videos.push(copy);
    }
    const samples: VideoSample[] = videos.map((v, i) => ({
      id: `v${i}`,
      video: path.basename(v),
      videoPath: v,
      turns: [{ role: 'user', content: 'What happens?' }],
      source: { file: 'bench', line: i + 1 },
    }));
    const settings = { fps: 1, frames: 24, maxSize: 448 };
    const rows: Row[] = [];
    const jobsList = [...new Set([1, processCap()])];

    for (const jobs of jobsList) {
      // ffmpeg alone: the same chain, every 1-fps frame written, `jobs` processes at once.
      const out = path.join(dir, `alone-${jobs}`);
      const started = performance.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: jobs }, async () => {
          while (next < videos.length) {
            const i = next++;
            const target = path.join(out, String(i));
            fs.mkdirSync(target, { recursive: true });
            const r = await runTool(tools.ffmpeg, [
              '-nostdin',
              '-v',
              'error',
              '-i',
              videos[i]!,
              '-vf',
              filterChain(settings),
              path.join(target, '%06d.png'),
            ]);
            if (r.code !== 0) {
              throw new Error(r.stderr);
            }
          }
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      const decoded = videos.reduce((n, _, i) => n + fs.readdirSync(path.join(out, String(i))).length, 0);
      rows.push({ what: 'ffmpeg alone (fps=1, scale, PNG)', jobs, seconds, videos: VIDEOS, decoded, kept: decoded });

      const ours = path.join(dir, `ours-${jobs}`);
      const summary = await extractFrames(samples, { out: ours, ...settings, jobs, tools });
      if (summary.extracted !== VIDEOS) {
        throw new Error(`extractFrames extracted ${summary.extracted} of ${VIDEOS}: ${JSON.stringify(summary.failures)}`);
      }
      rows.push({
        what: 't2vid extractFrames (probe, fps=1, 24 kept, manifest)',
        jobs,
        seconds: summary.seconds,
        videos: VIDEOS,
        decoded: fs
          .readdirSync(ours, { withFileTypes: true })
          .filter((d) => d.isDirectory())
          .reduce((n, d) => n + (JSON.parse(fs.readFileSync(path.join(ours, d.name, VIDEO_MANIFEST), 'utf8')) as VideoManifest).decoded, 0),
        kept: summary.framesWritten,
      });
    }
    const header = '| run | jobs | seconds | videos/s | 1-fps frames/s | kept frames/s |\n|---|---|---|---|---|---|';
    const lines = rows.map(
      (r) =>
        `| ${r.what} | ${r.jobs} | ${r.seconds.toFixed(2)} | ${(r.videos / r.seconds).toFixed(2)} | ` +
        `${(r.decoded / r.seconds).toFixed(1)} | ${(r.kept / r.seconds).toFixed(1)} |`,
    );
    const md =
      `# Frame extraction throughput\n\n${VIDEOS} videos of ${SECONDS} s, 640×360, 25 fps (testsrc, H.264), frames scaled to ` +
      `448 on the long side; ${os.cpus().length} cores, load ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} at the end; ${new Date().toISOString()}.\n\n${header}\n${lines.join('\n')}\n`;
    process.stdout.write(md);
    fs.writeFileSync(path.join(packageRoot(), 'bench', 'RESULTS-extract.md'), md);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

void main().catch((e: unknown) => {
  process.stderr.write(`bench extract: ${(e as Error).message}\n`);
  process.exitCode = 1;
});
