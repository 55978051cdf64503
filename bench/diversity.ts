/**
 * Diversity metrics at scale: 20,000 and 100,000 instructions, every metric with the built-in word vectors (what
 * `t2vid diversity` computes), timed in a fresh process per size, with its peak RSS. The instructions are real
 * sentences sampled with a fixed seed: half are MVBench / TempCompass / L-Eval instructions, half sentences of the
 * L-Eval documents (4–60 words), from ../shared/data. Targets (issue 11): 20K < 10 s and < 500 MB, 100K < 60 s.
 * Then `t2vid select`'s methods: 1,000 of such a pool of 20,000 chosen against the MVBench set (3,985), each method
 * in a fresh process, timed from the texts in memory (word vectors of pool and set, then the choice). Target: < 10 s.
 * Run by `npm run bench`; `node out/bench/diversity.js` alone takes about two minutes, `--only select` the selection.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { packageRoot } from '../src/core/fonts';
import { readInstructions } from '../src/core/diversity/instructions';
import { sifEmbeddings } from '../src/core/diversity/embeddings';
import { measureInstructions } from '../src/core/diversity/measure';
import { selectDiverse } from '../src/core/diversity/select';
import { SELECT_METHODS, type SelectMethod } from '../src/shared/diversity';
import { diversityMap } from '../src/core/diversity/map';
import { seededRandom, words } from '../src/core/diversity/text';

const SIZES = [20_000, 100_000];
const SELECT_POOL = 20_000;
const SELECT_K = 1000;
const data = path.join(packageRoot(), '..', 'shared', 'data');

async function pool(size: number): Promise<string[]> {
  const leval = fs
    .readdirSync(path.join(data, 'long-text'))
    .filter((f) => f.startsWith('leval-'))
    .sort()
    .map((f) => path.join(data, 'long-text', f));
  const instructions: string[] = [];
  for (const file of [
    path.join(data, 'video-instructions', 'mvbench.jsonl'),
    path.join(data, 'video-instructions', 'tempcompass.jsonl'),
    ...leval,
  ]) {
    for await (const i of readInstructions(file)) {
      instructions.push(i.text);
    }
  }
  const sentences: string[] = [];
  const segmenter = new Intl.Segmenter('en', { granularity: 'sentence' });
  for (const file of leval) {
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      if (!line.trim()) {
        continue;
      }
      for (const s of segmenter.segment((JSON.parse(line) as { input: string }).input)) {
        const text = s.segment.trim().replace(/\s+/g, ' ');
        const words = text.split(' ').length;
        if (words >= 4 && words <= 60) {
          sentences.push(text);
        }
      }
    }
  }
  const random = seededRandom(11);
  return Array.from({ length: size }, () => {
    const from = random() < 0.5 ? instructions : sentences;
    return from[Math.floor(random() * from.length)]!;
  });
}

async function child(size: number): Promise<void> {
  const texts = await pool(size);
  const started = performance.now();
  const result = measureInstructions(texts, { seed: 1 });
  const seconds = (performance.now() - started) / 1000;
  const out = {
    size,
    seconds,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    vendi: result.metrics.vendi?.value,
    distinct2: result.metrics['distinct-2']?.value,
    nearDuplicates: result.metrics['near-duplicates']?.value,
  };
  process.stdout.write(JSON.stringify(out) + '\n');
}

/** One selection method, timed in this process: 1,000 of 20,000 against MVBench. */
async function selectChild(method: SelectMethod): Promise<void> {
  const texts = await pool(SELECT_POOL);
  const video: string[] = [];
  for await (const i of readInstructions(path.join(data, 'video-instructions', 'mvbench.jsonl'))) {
    video.push(i.text);
  }
  const started = performance.now();
  const poolSet = sifEmbeddings(texts.map((t) => words(t)));
  const videoSet = sifEmbeddings(video.map((t) => words(t)));
  const embedded = performance.now();
  const result = selectDiverse(poolSet, videoSet, { k: SELECT_K, method, seed: 1 });
  const done = performance.now();
  const out = {
    method,
    chosen: result.picked.length,
    embedSeconds: (embedded - started) / 1000,
    selectSeconds: (done - embedded) / 1000,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  };
  process.stdout.write(JSON.stringify(out) + '\n');
}

function selectRows(): string[] {
  const rows: string[] = [];
  for (const method of SELECT_METHODS) {
    const r = spawnSync(process.execPath, [__filename, '--select', method], { encoding: 'utf8', maxBuffer: 16 << 20 });
    if (r.status !== 0) {
      throw new Error(`the ${method} selection failed: ${r.stderr}`);
    }
    const m = JSON.parse(r.stdout) as { chosen: number; embedSeconds: number; selectSeconds: number; peakRssMb: number };
    rows.push(
      `| ${method} | ${m.chosen} | ${m.embedSeconds.toFixed(1)} | ${m.selectSeconds.toFixed(1)} | ${(m.embedSeconds + m.selectSeconds).toFixed(1)} | ${m.peakRssMb.toFixed(0)} | < 10 s |`,
    );
  }
  return [
    '',
    `\`t2vid select\`: ${SELECT_K.toLocaleString('en')} of a pool of ${SELECT_POOL.toLocaleString('en')} (as above) chosen against MVBench (3,985), one fresh process per method.`,
    'Seconds from the texts in memory: word vectors of pool and set, then the choice (the metrics report of the CLI comes on top).',
    '',
    '| method | chosen | embeddings (s) | selection (s) | total (s) | peak RSS (MB) | target |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
    ...rows,
  ];
}

/** The map step: UMAP of `size` of the pool's instructions (one dataset), timed alone. */
async function mapChild(size: number): Promise<void> {
  const texts = await pool(size);
  const started = performance.now();
  const map = await diversityMap(
    [{ label: 'pool', instructions: texts.map((text, i) => ({ text, source: { file: 'pool', line: i + 1 }, index: 0 })) }],
    {
      seed: 1,
      maxPoints: size,
    },
  );
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(JSON.stringify({ size: map.points.length, seconds, peakRssMb: process.resourceUsage().maxRSS / 1024 }) + '\n');
}

const MAP_SIZE = 5_000;

function main(): void {
  if (process.argv.includes('--only') && process.argv[process.argv.indexOf('--only') + 1] === 'select') {
    const lines = selectRows();
    console.log(lines.join('\n'));
    return;
  }
  const rows: string[] = [];
  for (const size of SIZES) {
    const r = spawnSync(process.execPath, [__filename, '--size', String(size)], { encoding: 'utf8', maxBuffer: 16 << 20 });
    if (r.status !== 0) {
      throw new Error(`the ${size} run failed: ${r.stderr}`);
    }
    const m = JSON.parse(r.stdout) as { seconds: number; peakRssMb: number; vendi: number; distinct2: number; nearDuplicates: number };
    const target = size <= 20_000 ? '< 10 s, < 500 MB' : '< 60 s';
    rows.push(
      `| ${size.toLocaleString('en')} | ${m.seconds.toFixed(1)} | ${m.peakRssMb.toFixed(0)} | ${target} | ${m.vendi.toFixed(2)} | ${m.distinct2.toFixed(3)} | ${(m.nearDuplicates * 100).toFixed(1)} % |`,
    );
  }
  const r = spawnSync(process.execPath, [__filename, '--map', String(MAP_SIZE)], { encoding: 'utf8', maxBuffer: 16 << 20 });
  if (r.status !== 0) {
    throw new Error(`the map run failed: ${r.stderr}`);
  }
  const map = JSON.parse(r.stdout) as { size: number; seconds: number; peakRssMb: number };
  const lines = [
    `Every diversity metric with the built-in word vectors, one fresh process per size (${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(2)}).`,
    'Seconds: the metrics alone (the set is in memory); peak RSS: the whole process, the set included.',
    '',
    '| instructions | seconds | peak RSS (MB) | target | Vendi | distinct-2 | near duplicates |',
    '| ---: | ---: | ---: | --- | ---: | ---: | ---: |',
    ...rows,
    '',
    `The map (UMAP of the SIF embeddings, core/diversity/map.ts): ${map.size.toLocaleString('en')} points in ${map.seconds.toFixed(1)} s, peak RSS ${map.peakRssMb.toFixed(0)} MB (target < 10 s).`,
    ...selectRows(),
  ];
  console.log(lines.join('\n'));
  fs.writeFileSync(
    path.join(packageRoot(), 'bench', 'RESULTS-diversity.md'),
    `# Diversity metrics\n\nGenerated by \`npm run bench\` on ${new Date().toISOString().slice(0, 16)}Z.\n\n${lines.join('\n')}\n`,
  );
}

const sizeFlag = process.argv.indexOf('--size');
const selectFlag = process.argv.indexOf('--select');
const mapFlag = process.argv.indexOf('--map');
if (mapFlag > 0) {
  void mapChild(Number(process.argv[mapFlag + 1]));
} else if (sizeFlag > 0) {
  void child(Number(process.argv[sizeFlag + 1]));
} else if (selectFlag > 0) {
  void selectChild(process.argv[selectFlag + 1] as SelectMethod);
} else {
  main();
}
