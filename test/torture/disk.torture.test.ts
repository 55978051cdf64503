/**
 * Torture family "disk and permissions": a full disk (a real 2 MB tmpfs), a read-only output folder, symlinks planted
 * inside --out, failed samples and failed runs that must leave nothing half-written behind.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { familyReport, leftoverTempFiles, listFiles, runCli, tortureCase } from '../support/torture';

const FAMILY = 'disk and permissions';
const LEVAL = '/work/shared/data/long-text/leval-news_summ.jsonl';
const LEVAL_SAMPLES = 12;

function tmp(t: { after: (fn: () => void) => void }, name: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `t2vid-disk-${name}-`));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Mounts a real tmpfs of `size` on a fresh folder, or says why it cannot (not root, no CAP_SYS_ADMIN). */
function mountTmpfs(t: { after: (fn: () => void) => void }, size: string, extra = ''): { dir?: string; reason?: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 't2vid-disk-mnt-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}${extra ? ',' + extra : ''}`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (e) {
    fs.rmSync(dir, { recursive: true, force: true });
    const uid = process.getuid?.();
    return {
      reason: `cannot mount a tmpfs here (uid ${uid}${uid === 0 ? ', no CAP_SYS_ADMIN?' : ', not root'}): ${String((e as { stderr?: Buffer }).stderr ?? (e as Error).message).trim()}`,
    };
  }
  t.after(() => {
    try {
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
    } catch {
      // already gone
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return { dir };
}

/** Skips a case with its reason printed (never silently). */
function skipWithReason(t: import('node:test').TestContext, reason: string): void {
  process.stdout.write(`# SKIPPED (${FAMILY}): ${reason}\n`);
  t.skip(reason);
}

/** Every frame folder below `out` holds a manifest (a folder without one is a half-written sample). */
function foldersWithoutManifest(out: string): string[] {
  const frames = path.join(out, 'frames');
  if (!fs.existsSync(frames)) {
    return [];
  }
  return fs.readdirSync(frames).filter((id) => !fs.existsSync(path.join(frames, id, 'manifest.json')));
}

/** No `.tmp` temp file, no `.partial` dataset, no folder without a manifest. */
function assertClean(out: string): void {
  assert.deepEqual(leftoverTempFiles(out), [], 'no temp file left');
  assert.deepEqual(
    listFiles(out).filter((f) => f.endsWith('.partial')),
    [],
    'no partial dataset left',
  );
  assert.deepEqual(foldersWithoutManifest(out), [], 'no frame folder without a manifest');
}

async function fullDisk(t: import('node:test').TestContext, jobs: string): Promise<void> {
  const mount = mountTmpfs(t, '2m');
  if (!mount.dir) {
    skipWithReason(t, mount.reason!);
    return;
  }
  const out = path.join(mount.dir, 'out');
  const args = ['synth', LEVAL, '--out', out, '--jobs', jobs, '--json', '--quiet'];
  const r = await runCli(args);
  assert.equal(r.code, 1, `a full disk ends the run with 1: ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
  assert.doesNotMatch(r.stderr, /Unhandled|unhandled/, 'no unhandled rejection');
  const summary = JSON.parse(r.stdout) as { ok: boolean; failed: number; completed: number; stopped?: string; dataset?: string };
  assert.match(summary.stopped ?? '', /no space left on device \(ENOSPC\)/, 'the summary says why the run stopped');
  assert.ok(summary.failed >= 1, 'the failed samples are counted');
  const failedLines = r.stderr.split('\n').filter((l) => /^failed .*leval-news_summ\.jsonl:\d+: .*ENOSPC/.test(l));
  assert.ok(failedLines.length >= 1, `each failed sample is reported with file and line:\n${r.stderr}`);
  assert.equal(failedLines.length, summary.failed, 'one line per failed sample');
  assert.equal(summary.dataset, undefined, 'no dataset claimed');
  assertClean(out);
  assert.deepEqual(fs.readdirSync(mount.dir), ['out'], 'nothing written outside --out');
  // Free space, run the same command again: it resumes what was finished and completes the run.
  execFileSync('mount', ['-o', 'remount,size=64m', mount.dir]);
  const again = await runCli(args);
  assert.equal(again.code, 0, again.stderr);
  const done = JSON.parse(again.stdout) as { completed: number; resumed: number; entries: number; dataset?: string };
  assert.equal(done.resumed, summary.completed, 'every sample finished before the disk filled is resumed, not rendered again');
  assert.equal(done.completed + done.resumed, LEVAL_SAMPLES);
  assert.equal(JSON.parse(fs.readFileSync(path.join(out, 'minicpm-v.json'), 'utf8')).length, LEVAL_SAMPLES, 'every record comes out');
  assertClean(out);
}

tortureCase(FAMILY, 'full disk (2 MB tmpfs), --jobs 1: failed samples reported, clean stop with summary, resume after freeing space', (t) =>
  fullDisk(t, '1'),
);

tortureCase(FAMILY, 'full disk (2 MB tmpfs), --jobs 2: the parallel path stops as cleanly and resumes', (t) => fullDisk(t, '2'));

tortureCase(
  FAMILY,
  'full disk (256 KB tmpfs) under qa: whole lines kept, lost samples reported, clean stop, resume after freeing space',
  async (t) => {
    const mount = mountTmpfs(t, '256k');
    if (!mount.dir) {
      skipWithReason(t, mount.reason!);
      return;
    }
    const out = path.join(mount.dir, 'news.t2vid.jsonl');
    const args = ['qa', LEVAL, '--out', out, '--json', '--quiet'];
    const r = await runCli(args);
    assert.equal(r.code, 1, r.stderr);
    assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
    const summary = JSON.parse(r.stdout) as { stopped?: string; generated: number; failed: number };
    assert.match(summary.stopped ?? '', /no space left on device \(ENOSPC\)/);
    const failedLines = r.stderr.split('\n').filter((l) => /^failed .*leval-news_summ\.jsonl:\d+: .*ENOSPC/.test(l));
    assert.equal(failedLines.length, summary.failed);
    assert.ok(summary.failed >= 1);
    const text = fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '';
    const kept = text.split('\n').filter((l) => l !== '');
    assert.ok(text === '' || text.endsWith('\n'), 'no half-written last line');
    assert.equal(kept.length, summary.generated, 'every line counted as generated is in the file, whole');
    kept.forEach((l) => JSON.parse(l));
    assert.deepEqual(leftoverTempFiles(mount.dir), []);
    execFileSync('mount', ['-o', 'remount,size=16m', mount.dir]);
    const again = await runCli(args);
    assert.equal(again.code, 0, again.stderr);
    const done = JSON.parse(again.stdout) as { resumed: number; generated: number };
    assert.equal(done.resumed, kept.length);
    assert.equal(done.resumed + done.generated, LEVAL_SAMPLES);
    assert.equal(fs.readFileSync(out, 'utf8').trim().split('\n').length, LEVAL_SAMPLES, 'every record comes out');
  },
);

tortureCase(FAMILY, 'read-only --out: refused before any work with the folder and the reason', async (t) => {
  const input = path.join(tmp(t, 'in'), 'doc.txt');
  fs.writeFileSync(input, 'A short document about lighthouses.\n');
  let out: string;
  const mount = mountTmpfs(t, '1m', 'ro');
  if (mount.dir) {
    out = mount.dir;
  } else {
    if (process.getuid?.() === 0) {
      skipWithReason(t, `${mount.reason}; as root a chmod'ed folder is still writable`);
      return;
    }
    out = tmp(t, 'ro');
    fs.chmodSync(out, 0o555);
    t.after(() => fs.chmodSync(out, 0o755));
  }
  for (const jobs of ['1', '2']) {
    const r = await runCli(['synth', input, '--out', out, '--quiet', '--jobs', jobs]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^t2vid: cannot write to the output folder .* \((EROFS|EACCES)\)/m);
    assert.doesNotMatch(r.stderr, /Warning|render process/, 'refused before any render process starts');
    assert.doesNotMatch(r.stderr, /^\s+at /m);
  }
  assert.deepEqual(listFiles(out), []);
});

tortureCase(FAMILY, 'symlinks planted inside --out (a frame folder, the dataset) are replaced, their targets untouched', async (t) => {
  const root = tmp(t, 'links');
  const input = path.join(root, 'doc.jsonl');
  fs.writeFileSync(
    input,
    JSON.stringify({ context: 'The keeper climbed the stairs at dusk.', question: 'Who climbed?', answer: 'The keeper.' }) + '\n',
  );
  const victimDir = path.join(root, 'victim');
  fs.mkdirSync(victimDir);
  fs.writeFileSync(path.join(victimDir, 'precious.txt'), 'keep me');
  const victimFile = path.join(root, 'victim.json');
  fs.writeFileSync(victimFile, 'keep me too');
  const out = path.join(root, 'out');
  fs.mkdirSync(path.join(out, 'frames'), { recursive: true });
  fs.symlinkSync(victimDir, path.join(out, 'frames', 'doc-000001'));
  fs.symlinkSync(victimFile, path.join(out, 'minicpm-v.json'));
  const r = await runCli(['synth', input, '--out', out, '--quiet', '--jobs', '1']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(fs.readdirSync(victimDir), ['precious.txt']);
  assert.equal(fs.readFileSync(path.join(victimDir, 'precious.txt'), 'utf8'), 'keep me');
  assert.equal(fs.readFileSync(victimFile, 'utf8'), 'keep me too');
  assert.ok(!fs.lstatSync(path.join(out, 'frames', 'doc-000001')).isSymbolicLink());
  assert.equal(JSON.parse(fs.readFileSync(path.join(out, 'minicpm-v.json'), 'utf8')).length, 1);
  assertClean(out);
});

tortureCase(
  FAMILY,
  'a sample that cannot fit ("a single character … does not fit") leaves no empty frame folder; the good one comes out',
  async (t) => {
    const root = tmp(t, 'fit');
    // A cuneiform sign 34 px wide at 30 px cannot fit a 32-px-wide frame; "i" can.
    fs.writeFileSync(path.join(root, 'wide.txt'), '\u{1242B}\n');
    fs.writeFileSync(path.join(root, 'thin.txt'), 'i\n');
    const out = path.join(root, 'out');
    const r = await runCli([
      'synth',
      path.join(root, 'wide.txt'),
      path.join(root, 'thin.txt'),
      '--out',
      out,
      '--size',
      '32x48',
      '--margin',
      '0',
      '--font-size',
      '30',
      '--jobs',
      '1',
      '--quiet',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /failed .*wide\.txt:1: wide: a single character .* does not fit/);
    assert.deepEqual(fs.readdirSync(path.join(out, 'frames')), ['thin'], 'no folder for the failed sample');
    assertClean(out);
  },
);

tortureCase(FAMILY, 'a qa run where every sample fails leaves no 0-byte output file, and a previous output untouched', async (t) => {
  const root = tmp(t, 'qa');
  fs.writeFileSync(path.join(root, 'wide.txt'), '\u{1242B}\n');
  const out = path.join(root, 'out', 'wide.t2vid.jsonl');
  const args = ['qa', path.join(root, 'wide.txt'), '--out', out, '--size', '32x48', '--margin', '0', '--font-size', '30', '--quiet'];
  const r = await runCli(args);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /failed .*wide\.txt:1: wide: a single character/);
  assert.ok(!fs.existsSync(out), 'no 0-byte output file');
  // A previous output stays byte for byte.
  fs.writeFileSync(out, '{"id":"other-1","qa":[]}\n');
  const again = await runCli(args);
  assert.equal(again.code, 1);
  assert.equal(fs.readFileSync(out, 'utf8'), '{"id":"other-1","qa":[]}\n');
  assert.deepEqual(leftoverTempFiles(path.dirname(out)), []);
});

familyReport(FAMILY);
