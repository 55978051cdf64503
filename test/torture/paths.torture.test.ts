/**
 * Torture family "paths and names": long and odd input file names, shell-like stems, an output that is one of the
 * inputs (the same path, a symlink, a hard link) in every command, bad --jobs and option values named by their flag.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MAX_ID_BYTES, safeId } from '../../src/core/synth';
import { familyReport, leftoverTempFiles, listFiles, runCli, tortureCase } from '../support/torture';

const FAMILY = 'paths and names';

function tmp(t: { after: (fn: () => void) => void }, name: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `t2vid-paths-${name}-`));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const RECORD = (n: number): string =>
  JSON.stringify({
    context: `Record ${n}: the keeper lit the lamp and watched the sea.`,
    question: `What did record ${n} say?`,
    answer: 'The lamp.',
  }) + '\n';

/** Every name below `dir` fits a file system's 255-byte limit. */
function longestNameBytes(dir: string): number {
  let longest = 0;
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      longest = Math.max(longest, Buffer.byteLength(e.name));
      if (e.isDirectory()) {
        walk(path.join(d, e.name));
      }
    }
  };
  walk(dir);
  return longest;
}

async function longStem(t: import('node:test').TestContext, stem: string): Promise<void> {
  const root = tmp(t, 'long');
  const input = path.join(root, `${stem}.jsonl`);
  assert.ok(Buffer.byteLength(path.basename(input)) <= 255);
  fs.writeFileSync(input, RECORD(1) + RECORD(2) + RECORD(3));
  const out = path.join(root, 'out');
  const r = await runCli(['synth', input, '--out', out, '--jobs', '1', '--quiet', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout) as { completed: number; failed: number };
  assert.equal(summary.failed, 0, r.stderr);
  assert.equal(summary.completed, 3, 'every record comes out');
  assert.ok(longestNameBytes(out) <= 255, 'every name fits 255 bytes');
  const ids = fs.readdirSync(path.join(out, 'frames')).sort();
  assert.equal(ids.length, 3);
  for (const id of ids) {
    assert.ok(Buffer.byteLength(id) <= 200, `${id} is shortened`);
    assert.match(id, /~[0-9a-f]{12}-00000[123]$/, 'a hash of the whole id, then the line');
  }
  const dataset = JSON.parse(fs.readFileSync(path.join(out, 'minicpm-v.json'), 'utf8')) as Array<{ id: string }>;
  assert.deepEqual(dataset.map((e) => e.id).sort(), ids);
  // Stable: a fresh run elsewhere gives the same ids, and re-running resumes every sample.
  const out2 = path.join(root, 'out2');
  assert.equal((await runCli(['synth', input, '--out', out2, '--jobs', '1', '--quiet'])).code, 0);
  assert.deepEqual(fs.readdirSync(path.join(out2, 'frames')).sort(), ids);
  const again = await runCli(['synth', input, '--out', out, '--jobs', '1', '--quiet', '--json']);
  assert.equal((JSON.parse(again.stdout) as { resumed: number }).resumed, 3);
  assert.deepEqual(leftoverTempFiles(out), []);
}

tortureCase(FAMILY, 'a legal 249-character input file name: ids shortened with a stable hash, every sample rendered', (t) =>
  longStem(t, 'a'.repeat(243)),
);

tortureCase(FAMILY, 'a long stem with CJK (200 ASCII + 15 CJK characters = 245 bytes): names fit in bytes, ids shortened', (t) =>
  longStem(t, 'a'.repeat(200) + '长'.repeat(15)),
);

tortureCase(FAMILY, 'shell-like and device-like stems ($(touch pwn), `id`, con, nul) are plain names: nothing executed', async (t) => {
  const root = tmp(t, 'shell');
  const stems = ['$(touch pwn)', '`touch pwn2`', 'con', 'nul', '; rm -rf x'];
  const inputs = stems.map((s, i) => {
    const file = path.join(root, `${s}.jsonl`);
    fs.writeFileSync(file, RECORD(i));
    return file;
  });
  fs.mkdirSync(path.join(root, 'x'));
  const out = path.join(root, 'out');
  const r = await runCli(['synth', ...inputs, '--out', out, '--jobs', '1', '--quiet'], { cwd: root });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(!fs.existsSync(path.join(root, 'pwn')) && !fs.existsSync(path.join(root, 'pwn2')), 'nothing executed');
  assert.ok(fs.existsSync(path.join(root, 'x')));
  const ids = fs.readdirSync(path.join(out, 'frames')).sort();
  assert.equal(ids.length, stems.length, 'one folder per input');
  for (const id of ids) {
    assert.match(id, /^[A-Za-z0-9._-]+-000001$/, 'shell characters replaced in ids');
  }
  assert.ok(ids.includes('con-000001') && ids.includes('nul-000001'));
  assert.equal(JSON.parse(fs.readFileSync(path.join(out, 'minicpm-v.json'), 'utf8')).length, stems.length);
});

tortureCase(
  FAMILY,
  'qa --out that is its own input (same path, a symlink, a hard link): refused with rc 2, the input untouched',
  async (t) => {
    const root = tmp(t, 'qaself');
    const input = path.join(root, 'data.t2vid.jsonl');
    fs.writeFileSync(input, RECORD(1) + RECORD(2));
    const before = fs.readFileSync(input, 'utf8');
    fs.symlinkSync(input, path.join(root, 'link.t2vid.jsonl'));
    fs.linkSync(input, path.join(root, 'hard.t2vid.jsonl'));
    for (const out of [
      input,
      path.join(root, 'link.t2vid.jsonl'),
      path.join(root, 'hard.t2vid.jsonl'),
      path.join(root, '.', 'sub', '..', 'data.t2vid.jsonl'),
    ]) {
      fs.mkdirSync(path.join(root, 'sub'), { recursive: true });
      const r = await runCli(['qa', input, '--out', out, '--quiet']);
      assert.equal(r.code, 2, `${out}: ${r.stderr}`);
      assert.match(r.stderr, /--out .* is the input .*data\.t2vid\.jsonl/);
      assert.equal(fs.readFileSync(input, 'utf8'), before, 'the input did not grow');
    }
    // A different file is fine and the input stays as it was.
    const ok = await runCli(['qa', input, '--out', path.join(root, 'new.t2vid.jsonl'), '--quiet']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(fs.readFileSync(input, 'utf8'), before);
  },
);

tortureCase(
  FAMILY,
  'synth whose dataset file would be one of its inputs (hard link, symlink): refused with rc 2 before rendering',
  async (t) => {
    const root = tmp(t, 'synthself');
    const out = path.join(root, 'out');
    fs.mkdirSync(out);
    const input = path.join(root, 'in.json');
    fs.writeFileSync(input, '[' + RECORD(1).trim() + ']\n');
    const before = fs.readFileSync(input, 'utf8');
    for (const plant of ['hard', 'symlink'] as const) {
      fs.rmSync(path.join(out, 'minicpm-v.json'), { force: true });
      if (plant === 'hard') {
        fs.linkSync(input, path.join(out, 'minicpm-v.json'));
      } else {
        fs.symlinkSync(input, path.join(out, 'minicpm-v.json'));
      }
      for (const jobs of ['1', '2']) {
        const r = await runCli(['synth', input, '--out', out, '--jobs', jobs, '--quiet']);
        assert.equal(r.code, 2, `${plant}, --jobs ${jobs}: ${r.stderr}`);
        assert.match(r.stderr, /the dataset file .*minicpm-v\.json is the input .*in\.json/);
        assert.ok(!fs.existsSync(path.join(out, 'frames')), 'nothing rendered');
        assert.equal(fs.readFileSync(input, 'utf8'), before);
      }
    }
    // --out naming the input file itself.
    for (const jobs of ['1', '2']) {
      const self = await runCli(['synth', input, '--out', input, '--jobs', jobs, '--quiet']);
      assert.equal(self.code, 2, self.stderr);
      assert.match(self.stderr, /--out .*in\.json is the input/);
      assert.equal(fs.readFileSync(input, 'utf8'), before);
    }
    // The dataset given back as an input under its own name.
    fs.rmSync(path.join(out, 'minicpm-v.json'));
    assert.equal((await runCli(['synth', input, '--out', out, '--jobs', '1', '--quiet'])).code, 0);
    const r = await runCli(['synth', path.join(out, 'minicpm-v.json'), '--out', out, '--jobs', '1', '--quiet']);
    assert.equal(r.code, 2, r.stderr);
  },
);

tortureCase(FAMILY, 'ids are shortened by UTF-8 bytes, not characters: stable, distinct, never splitting a character', () => {
  const cjk = '长'.repeat(100); // 100 characters, 300 bytes
  const a = safeId(`${cjk}-000001`);
  const b = safeId(`${cjk}-000002`);
  const c = safeId(`${cjk}x-000001`);
  for (const id of [a, b, c]) {
    assert.ok(Buffer.byteLength(id) <= MAX_ID_BYTES, `${Buffer.byteLength(id)} bytes`);
    assert.ok(!id.includes('\ufffd'));
    assert.equal(Buffer.from(id).toString('utf8'), id, 'whole characters only');
  }
  assert.equal(a, safeId(`${cjk}-000001`), 'stable');
  assert.equal(new Set([a, b, c]).size, 3, 'distinct ids stay distinct');
  assert.match(a, /^长+~[0-9a-f]{12}-000001$/);
  assert.equal(safeId('short-000001'), 'short-000001', 'short ids unchanged');
  assert.equal(safeId('a'.repeat(MAX_ID_BYTES)), 'a'.repeat(MAX_ID_BYTES));
  assert.notEqual(safeId('a'.repeat(MAX_ID_BYTES + 1)), 'a'.repeat(MAX_ID_BYTES + 1));
});

tortureCase(FAMILY, 'merge whose merged file is a link to one of the shards: refused with rc 2, the shard untouched', async (t) => {
  const root = tmp(t, 'merge');
  const input = path.join(root, 'in.jsonl');
  fs.writeFileSync(input, RECORD(1) + RECORD(2));
  const out = path.join(root, 'out');
  for (const shard of ['0/2', '1/2']) {
    const r = await runCli(['synth', input, '--out', out, '--shard', shard, '--jobs', '1', '--quiet']);
    assert.equal(r.code, 0, r.stderr);
  }
  const shard0 = path.join(out, 'minicpm-v.shard-0000-of-0002.json');
  const before = fs.readFileSync(shard0, 'utf8');
  fs.symlinkSync(shard0, path.join(out, 'minicpm-v.json'));
  const r = await runCli(['merge', out]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /the merged dataset .*minicpm-v\.json is the input .*shard-0000-of-0002\.json/);
  assert.equal(fs.readFileSync(shard0, 'utf8'), before);
  fs.rmSync(path.join(out, 'minicpm-v.json'));
  const ok = await runCli(['merge', out]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(JSON.parse(fs.readFileSync(path.join(out, 'minicpm-v.json'), 'utf8')).length, 2);
});

tortureCase(FAMILY, '--jobs 0, -1 and 1.5 are usage errors (rc 2) naming --jobs; nothing written', async (t) => {
  const root = tmp(t, 'jobs');
  const input = path.join(root, 'in.jsonl');
  fs.writeFileSync(input, RECORD(1));
  for (const jobs of ['0', '-1', '1.5', 'many']) {
    const out = path.join(root, `out${jobs}`);
    const r = await runCli(['synth', input, '--out', out, `--jobs=${jobs}`, '--quiet']);
    assert.equal(r.code, 2, `--jobs ${jobs}: ${r.stderr}`);
    assert.match(r.stderr, /--jobs takes a whole number ≥ 1/);
    assert.ok(!fs.existsSync(out));
  }
});

tortureCase(FAMILY, '--jobs 1000 on 3 samples: at most 3 render processes, and stderr says it was lowered', async (t) => {
  const root = tmp(t, 'jobsmax');
  const input = path.join(root, 'in.jsonl');
  fs.writeFileSync(input, RECORD(1) + RECORD(2) + RECORD(3));
  const out = path.join(root, 'out');
  const r = await runCli(['synth', input, '--out', out, '--jobs', '1000', '--quiet', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout) as { processes?: number; completed: number };
  assert.ok((summary.processes ?? 1) <= Math.min(3, os.availableParallelism()), `processes: ${summary.processes}`);
  assert.match(r.stderr, /--jobs 1000 lowered to [1-3] render process/);
  assert.equal(JSON.parse(fs.readFileSync(path.join(out, 'minicpm-v.json'), 'utf8')).length, 3);
});

tortureCase(
  FAMILY,
  'a bad option value is reported by the flag the user typed (--font-size, --mode, --align), not the internal name',
  async (t) => {
    const root = tmp(t, 'flags');
    const input = path.join(root, 'in.jsonl');
    fs.writeFileSync(input, RECORD(1));
    const cases: Array<[string[], RegExp]> = [
      [['--font-size', '2'], /--font-size must be a whole number from 4 to 512, got 2/],
      [['--mode', 'paragraphs'], /--mode must be /],
      [['--align', 'middle'], /--align must be /],
      [['--line-spacing', '99999'], /--line-spacing must be /],
      [['--foreground', 'red'], /--foreground must be a colour/],
    ];
    for (const command of ['synth', 'qa']) {
      for (const [flags, message] of cases) {
        const out = command === 'synth' ? path.join(root, 'out') : path.join(root, 'out.t2vid.jsonl');
        const r = await runCli([command, input, '--out', out, ...flags]);
        assert.equal(r.code, 2, `${command} ${flags.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, message);
        assert.doesNotMatch(r.stderr, /\b(fontSize|lineSpacing|segment\.mode)\b/);
        assert.deepEqual(listFiles(root), ['in.jsonl']);
      }
    }
  },
);

familyReport(FAMILY);
