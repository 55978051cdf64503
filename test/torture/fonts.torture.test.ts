/**
 * Torture family "fonts and scripts": a --font-file that is not a font (text, an ELF binary, /dev/zero, a folder, a
 * truncated font) is refused up front with exit 2 naming the flag and the file, nothing written; text the font stack
 * cannot draw (emoji, Ethiopic) is warned about per sample (FILE:LINE, Unicode script, count) and counted in the
 * summary while every record still renders; Korean renders with the bundled Noto Sans KR (OCR reads it back).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { familyReport, leftoverTempFiles, listFiles, runCli, tortureCase } from '../support/torture';
import { tempDir } from '../support/helpers';
import { packageRoot } from '../../src/core/fonts';

const FAMILY = 'fonts and scripts';

/** A workspace: `in/` with the inputs, `--out out`; the CLI runs with it as cwd. */
function workspace(
  t: { after: (fn: () => void) => void },
  records: Array<{ context: string; question?: string }>,
): { root: string; input: string } {
  const root = tempDir(t, 't2vid-torture-fonts-');
  fs.mkdirSync(path.join(root, 'in'));
  const input = path.join(root, 'in', 'docs.jsonl');
  fs.writeFileSync(
    input,
    records.map((r, i) => JSON.stringify({ context: r.context, question: r.question ?? `q${i}?`, answer: `a${i}` })).join('\n') + '\n',
  );
  return { root, input };
}

/** Files below root outside in/ and out/: must be none. */
function outside(root: string): string[] {
  return listFiles(root).filter((f) => !f.startsWith(`in${path.sep}`) && !f.startsWith(`out${path.sep}`));
}

const GOOD = [
  { context: 'The lighthouse keeper climbed the stairs every evening to light the lamp before the ships came in.' },
  { context: 'A second record in plain English, which every font of the stack covers.' },
];

/** A bad --font-file: exit 2, the message names --font-file and the file, and nothing at all is written. */
async function refused(
  t: { after: (fn: () => void) => void },
  fontFile: (root: string) => string,
  why: RegExp,
  command: 'synth' | 'qa' = 'synth',
): Promise<void> {
  const { root, input } = workspace(t, GOOD);
  const font = fontFile(root);
  const before = listFiles(root);
  const started = performance.now();
  const out = command === 'synth' ? 'out' : path.join('out', 'docs.t2vid.jsonl');
  const r = await runCli(
    [command, input, '--out', out, '--font-file', font, '--jobs', '1', '--quiet'].filter(
      (a) => command === 'synth' || (a !== '--jobs' && a !== '1'),
    ),
    { cwd: root, timeoutMs: 30_000 },
  );
  assert.equal(r.code, 2, `exit 2 for a bad --font-file; stderr: ${r.stderr}`);
  assert.ok(performance.now() - started < 25_000, 'refused at once (nothing read without bound)');
  assert.match(r.stderr, /--font-file/, 'the message names the flag');
  assert.ok(r.stderr.includes(path.resolve(root, font)), `the message names the file: ${r.stderr}`);
  assert.match(r.stderr, why);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  assert.ok(!fs.existsSync(path.join(root, 'out')), 'nothing written: --out is not even created');
  assert.deepEqual(listFiles(root), before, 'no file written anywhere');
}

tortureCase(FAMILY, '--font-file README.md (text) is refused: exit 2, names flag and file, nothing written', async (t) => {
  await refused(t, () => path.join(packageRoot(), 'README.md'), /not a font file/);
});

tortureCase(FAMILY, '--font-file /bin/ls (an ELF binary) is refused', async (t) => {
  await refused(t, () => '/bin/ls', /not a font file.*7f 45 4c 46/);
});

tortureCase(FAMILY, '--font-file /dev/zero is refused unread (no hang, no memory)', async (t) => {
  await refused(t, () => '/dev/zero', /not a regular file/);
});

tortureCase(FAMILY, '--font-file naming a folder is refused', async (t) => {
  await refused(
    t,
    (root) => {
      fs.mkdirSync(path.join(root, 'fonts'));
      return path.join(root, 'fonts');
    },
    /is a folder/,
  );
});

tortureCase(FAMILY, '--font-file with a font signature but truncated (first 4 KB of DejaVu Sans) is refused as damaged', async (t) => {
  await refused(
    t,
    (root) => {
      const file = path.join(root, 'in', 'cut.ttf');
      fs.writeFileSync(file, fs.readFileSync(path.join(packageRoot(), 'media', 'fonts', 'DejaVuSans.ttf')).subarray(0, 4096));
      return file;
    },
    /damaged|cannot be read as a font/,
  );
});

tortureCase(FAMILY, '`qa` checks --font-file the same way (exit 2 before any work)', async (t) => {
  await refused(t, () => '/bin/ls', /not a font file/, 'qa');
});

tortureCase(FAMILY, 'a real --font-file (DejaVu Sans Mono) is accepted and recorded; every record renders', async (t) => {
  const { root, input } = workspace(t, GOOD);
  const font = require.resolve('dejavu-fonts-ttf/ttf/DejaVuSansMono.ttf', { paths: [packageRoot()] });
  const r = await runCli(
    ['synth', input, '--out', 'out', '--font-file', font, '--font', 'DejaVu Sans Mono,Noto Sans SC', '--jobs', '1', '--json'],
    { cwd: root },
  );
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout) as { completed: number; uncoveredGlyphs: { characters: number } };
  assert.equal(summary.completed, GOOD.length);
  assert.equal(summary.uncoveredGlyphs.characters, 0);
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'out', 'frames', 'docs-000001', 'manifest.json'), 'utf8')) as {
    options: { render: { fontFile: string } };
  };
  assert.equal(manifest.options.render.fontFile, font);
  assert.deepEqual(outside(root), []);
  assert.deepEqual(leftoverTempFiles(path.join(root, 'out')), []);
});

const hasKor = spawnSync('tesseract', ['--list-langs'], { encoding: 'utf8' }).stdout?.split('\n').includes('kor') ?? false;

tortureCase(
  FAMILY,
  'Korean renders with the bundled Noto Sans KR, no tofu: no coverage warning, and OCR (tesseract kor) reads it back',
  async (t) => {
    assert.ok(hasKor, 'tesseract-ocr-kor must be installed (.ci/run and test/e2e/setup.sh install it)');
    const korean = '대한민국의 수도는 서울입니다. 한국어 문장을 렌더링합니다.';
    const { root, input } = workspace(t, [{ context: korean }, ...GOOD]);
    const r = await runCli(['synth', input, '--out', 'out', '--jobs', '1', '--font-size', '28', '--bit-depth', '8', '--json'], {
      cwd: root,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /Hangul/, 'no font warning for Korean');
    const frame = path.join(root, 'out', 'frames', 'docs-000001', 'frame_00000.png');
    const read = execFileSync('tesseract', [frame, 'stdout', '-l', 'kor', '--psm', '6'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).replace(/\s+/g, '');
    const truth = [...korean].filter((c) => /\p{Script=Hangul}/u.test(c));
    const got = new Set(read);
    const recall = truth.filter((c) => got.has(c)).length / truth.length;
    assert.ok(recall > 0.85, `Hangul syllables read back by OCR: ${recall.toFixed(2)} (${read})`);
    const summary = JSON.parse(r.stdout) as { completed: number; uncoveredGlyphs: { characters: number } };
    assert.equal(summary.completed, 3);
    assert.equal(summary.uncoveredGlyphs.characters, 0);
    assert.deepEqual(outside(root), []);
  },
  { skip: !hasKor && !process.env.CI ? 'tesseract kor data not installed' : undefined },
);

/** Records with text no bundled font covers: emoji absent from DejaVu Sans, and Ethiopic. */
const UNCOVERED = [
  GOOD[0],
  { context: 'Crab 🦀 and melting face 🫠 and a second crab 🦀 are drawn as boxes.' },
  GOOD[1],
  { context: 'Ethiopic greeting: ሰላም ዓለም.' },
];

function checkWarnings(stderr: string, input: string): void {
  const warnings = stderr.split('\n').filter((l) => l.startsWith('warning '));
  assert.equal(warnings.length, 2, `one warning per affected sample, once: ${stderr}`);
  assert.ok(warnings[0].includes(`${input}:2:`), `the emoji sample is located at line 2: ${warnings[0]}`);
  assert.match(warnings[0], /3 characters no font covers \(Common \(emoji\) 3\)/);
  assert.ok(warnings[1].includes(`${input}:4:`), `the Ethiopic sample is located at line 4: ${warnings[1]}`);
  assert.match(warnings[1], /6 characters no font covers \(Ethiopic 6\)/);
}

tortureCase(
  FAMILY,
  'uncovered emoji and Ethiopic: a warning per sample (FILE:LINE, script, count), counted in the summary; every record renders',
  async (t) => {
    const { root, input } = workspace(t, UNCOVERED);
    const r = await runCli(['synth', input, '--out', 'out', '--jobs', '1', '--json'], { cwd: root });
    assert.equal(r.code, 0, r.stderr);
    checkWarnings(r.stderr, input);
    const summary = JSON.parse(r.stdout) as {
      completed: number;
      entries: number;
      uncoveredGlyphs: { samples: number; characters: number; byScript: Record<string, number> };
    };
    assert.equal(summary.completed, 4, 'every record still renders (the boxes are kept, the text keeps its place)');
    assert.equal(summary.entries, 4);
    assert.deepEqual(summary.uncoveredGlyphs, { samples: 2, characters: 9, byScript: { 'Common (emoji)': 3, Ethiopic: 6 } });
    assert.deepEqual(outside(root), []);
    assert.deepEqual(leftoverTempFiles(path.join(root, 'out')), []);
  },
);

tortureCase(FAMILY, 'uncovered characters with --jobs 2: each sample warned once (not once per process), human summary line', async (t) => {
  const { root, input } = workspace(t, UNCOVERED);
  const r = await runCli(['synth', input, '--out', 'out', '--jobs', '2', '--quiet'], { cwd: root });
  assert.equal(r.code, 0, r.stderr);
  checkWarnings(r.stderr, input);
  assert.match(r.stderr, /9 characters in 2 samples no font covers \(Common \(emoji\) 3, Ethiopic 6\): drawn as boxes/);
  assert.equal(JSON.parse(fs.readFileSync(path.join(root, 'out', 'minicpm-v.json'), 'utf8')).length, 4);
  assert.deepEqual(outside(root), []);
  assert.deepEqual(leftoverTempFiles(path.join(root, 'out')), []);
});

tortureCase(FAMILY, '--dry-run reports uncovered characters too, and writes nothing', async (t) => {
  const { root, input } = workspace(t, UNCOVERED);
  const r = await runCli(['synth', input, '--dry-run', '--json'], { cwd: root });
  assert.equal(r.code, 0, r.stderr);
  checkWarnings(r.stderr, input);
  assert.equal((JSON.parse(r.stdout) as { uncoveredGlyphs: { characters: number } }).uncoveredGlyphs.characters, 9);
  assert.deepEqual(outside(root), []);
  assert.ok(!fs.existsSync(path.join(root, 'out')));
});

tortureCase(
  FAMILY,
  'coverage counts the user font: APL symbols only DejaVu Sans Mono has are warned about without it, covered with --font-file',
  async (t) => {
    const mono = require.resolve('dejavu-fonts-ttf/ttf/DejaVuSansMono.ttf', { paths: [packageRoot()] });
    const { root, input } = workspace(t, [{ context: 'APL symbols ⍁⍂⍃ are in DejaVu Sans Mono, not in the bundled fonts.' }]);
    const without = await runCli(['synth', input, '--dry-run', '--json'], { cwd: root });
    assert.equal(without.code, 0, without.stderr);
    assert.ok(without.stderr.includes(`warning ${input}:1: sample docs-000001: 3 characters no font covers (Common 3)`), without.stderr);
    const withFont = await runCli(['synth', input, '--dry-run', '--json', '--font-file', mono, '--font', 'DejaVu Sans Mono'], {
      cwd: root,
    });
    assert.equal(withFont.code, 0, withFont.stderr);
    assert.doesNotMatch(withFont.stderr, /warning/);
    assert.equal((JSON.parse(withFont.stdout) as { uncoveredGlyphs: { characters: number } }).uncoveredGlyphs.characters, 0);
    assert.deepEqual(outside(root), []);
  },
);

familyReport(FAMILY);
