/**
 * OCR word error of the frames (`npm run bench`; alone: `node out/bench/ocr.js [--docs N]`): tesseract reads every
 * frame of the first N documents of each shared L-Eval file (default 1), rendered by the reference renderer
 * (bench/baseline_pil.py) and by ours in each mode, and the words read (all frames of a document in order) are
 * aligned with the document's own words (Levenshtein over lower-case letter/digit words): word error = edits ÷ source
 * words. Frames that clip lose words, and so do frames tesseract misreads. Writes bench/RESULTS-ocr.md.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { packageRoot } from '../src/core/fonts';

const ROOT = packageRoot();
const CLI = path.join(ROOT, 'dist', 'cli.js');
const PYTHON = '/usr/bin/python3';
const DATA = path.join(ROOT, '..', 'shared', 'data', 'long-text');
const FONT = path.join(ROOT, 'node_modules', 'dejavu-fonts-ttf', 'ttf', 'DejaVuSans.ttf');

const RUNS: ReadonlyArray<{ label: string; args: readonly string[] }> = [
  { label: 'ours, fit (default)', args: [] },
  { label: 'ours, words 115', args: ['--mode', 'words', '--words', '115'] },
  { label: 'ours, paper preset', args: ['--preset', 't2vid'] },
];

function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** Word-level Levenshtein distance (two rows). */
function editDistance(a: readonly string[], b: readonly string[]): number {
  let prev = new Uint32Array(b.length + 1).map((_, j) => j);
  let cur = new Uint32Array(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length];
}

function ocr(file: string, lang = 'eng'): string {
  return execFileSync('tesseract', [file, 'stdout', '-l', lang, '--psm', '6'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
}

/** Han characters, letters and digits of a text, one a unit: what a character error rate of Chinese counts. */
function chars(text: string): string[] {
  return [...text.toLowerCase()].filter((c) => /[\p{Script=Han}\p{L}\p{N}]/u.test(c));
}

/** The Chinese paragraphs of the shared abstract (the same selection as the tests' chinesePart). */
function chineseText(): string {
  return fs
    .readFileSync(path.join(DATA, '..', 'seed-abstract-zh.txt'), 'utf8')
    .split('\n')
    .filter((line) => (line.match(/\p{Script=Han}/gu)?.length ?? 0) > line.length / 2)
    .join('\n')
    .trim();
}

function pngsUnder(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.png'))
    .sort()
    .map((f) => path.join(dir, f));
}

interface Score {
  label: string;
  frames: number;
  sourceWords: number;
  edits: number;
}

function main(): void {
  const n = Number(process.argv.find((a) => a.startsWith('--docs='))?.slice(7) ?? 1);
  if (spawnSync('tesseract', ['--version']).status !== 0) {
    throw new Error('tesseract is not installed: apt-get install tesseract-ocr tesseract-ocr-eng');
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 't2vid-ocr-'));
  try {
    const docs: string[] = [];
    for (const name of fs.readdirSync(DATA).sort()) {
      const lines = fs
        .readFileSync(path.join(DATA, name), 'utf8')
        .split('\n')
        .filter((l) => l.trim());
      docs.push(...lines.slice(0, n).map((l) => (JSON.parse(l) as { input: string }).input));
    }
    const input = path.join(work, 'docs.jsonl');
    fs.writeFileSync(input, docs.map((d, i) => JSON.stringify({ id: `doc${i}`, context: d })).join('\n') + '\n');
    const sourceWords = docs.reduce((s, d) => s + words(d).length, 0);
    const scores: Score[] = [];

    const ref = path.join(work, 'reference');
    execFileSync(PYTHON, [path.join(ROOT, 'bench', 'baseline_pil.py'), '--font', FONT, '--out', ref, '--workers', '2', input], {
      stdio: 'ignore',
    });
    const refScore: Score = { label: 'reference (PIL, DejaVu Sans)', frames: 0, sourceWords, edits: 0 };
    docs.forEach((doc, i) => {
      const frames = pngsUnder(path.join(ref, `doc_${String(i).padStart(5, '0')}`));
      refScore.frames += frames.length;
      refScore.edits += editDistance(words(doc), words(frames.map((f) => ocr(f)).join('\n')));
    });
    scores.push(refScore);

    for (const run of RUNS) {
      const out = path.join(work, run.label.replace(/\W+/g, '-'));
      execFileSync(process.execPath, [CLI, 'synth', input, '--out', out, '--quiet', ...run.args], { stdio: 'ignore' });
      const score: Score = { label: run.label, frames: 0, sourceWords, edits: 0 };
      docs.forEach((doc, i) => {
        // Frame folders are named by the input file's stem and the sample's line: docs-000001 for the first line.
        const frames = pngsUnder(path.join(out, 'frames', `docs-${String(i + 1).padStart(6, '0')}`));
        score.frames += frames.length;
        score.edits += editDistance(words(doc), words(frames.map((f) => ocr(f)).join('\n')));
      });
      scores.push(score);
      process.stderr.write(`ocr: ${run.label}: ${((100 * score.edits) / sourceWords).toFixed(2)} %\n`);
    }

    // Chinese: the abstract's Chinese paragraphs, tesseract chi_sim, character error (Han, letters, digits).
    const zh = chineseText();
    const zhInput = path.join(work, 'zh.jsonl');
    fs.writeFileSync(zhInput, JSON.stringify({ id: 'zh', context: zh }) + '\n');
    const zhScores: Score[] = [];
    for (const run of RUNS.filter((r) => !r.args.includes('words'))) {
      const out = path.join(work, `zh-${run.label.replace(/\W+/g, '-')}`);
      execFileSync(process.execPath, [CLI, 'synth', zhInput, '--out', out, '--quiet', ...run.args], { stdio: 'ignore' });
      const frames = pngsUnder(path.join(out, 'frames', 'zh-000001'));
      const truth = chars(zh);
      const read = chars(frames.map((f) => ocr(f, 'chi_sim')).join('\n'));
      zhScores.push({ label: run.label, frames: frames.length, sourceWords: truth.length, edits: editDistance(truth, read) });
      process.stderr.write(`ocr: Chinese, ${run.label}: ${((100 * zhScores[zhScores.length - 1].edits) / truth.length).toFixed(2)} %\n`);
    }

    const report = [
      '# OCR word error of the frames',
      '',
      `Generated by \`node out/bench/ocr.js --docs=${n}\` on ${new Date().toISOString().slice(0, 16)}Z: the first ${n} document(s) of each ` +
        `shared L-Eval file (${docs.length} documents, ${sourceWords.toLocaleString('en-US')} words), tesseract ` +
        `\`-l eng --psm 6\` on every frame. Word error = word-level edit distance between the document's words and the ` +
        'words read from its frames in order, ÷ the document words (lower case, letters and digits only).',
      '',
      '| frames by | frames | word error |',
      '| --- | ---: | ---: |',
      ...scores.map((s) => `| ${s.label} | ${s.frames.toLocaleString('en-US')} | ${((100 * s.edits) / s.sourceWords).toFixed(2)} % |`),
      '',
      `Chinese: the Chinese paragraphs of \`seed-abstract-zh.txt\` (${zhScores[0]?.sourceWords ?? 0} characters), tesseract ` +
        "`-l chi_sim --psm 6`; character error = edit distance over Han characters, letters and digits ÷ the source's. " +
        '(The reference renderer draws Chinese as empty boxes with its Latin font, so it has no row here.)',
      '',
      '| frames by | frames | character error |',
      '| --- | ---: | ---: |',
      ...zhScores.map((s) => `| ${s.label} | ${s.frames} | ${((100 * s.edits) / s.sourceWords).toFixed(2)} % |`),
      '',
    ].join('\n');
    fs.writeFileSync(path.join(ROOT, 'bench', 'RESULTS-ocr.md'), report);
    process.stdout.write(report);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main();
