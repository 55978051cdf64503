/**
 * Torture family "input encodings": binary files given as text (random bytes, an ELF binary, UTF-16) are refused up
 * front as a file, naming it, with nothing written for it while every other input is still processed; invalid UTF-8
 * is replaced but warned about (file, line, byte offset) and counted in the summary; escape sequences, NUL bytes and
 * bidi overrides from the input never reach the terminal raw; BOM/CRLF, a 50 MB invalid line and a 2M-word one-line
 * document (linear, bounded memory, cancelled by SIGTERM within seconds) are handled.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { assertClean, familyReport, runCli, synthIn, tortureCase, tortureWorkspace, type CliResult } from '../support/torture';
import { wordUnits } from '../../src/core/segment';

const FAMILY = 'input encodings';

const workspace = (t: { after: (fn: () => void) => void }, files: Record<string, string | Buffer>): { root: string; inputs: string[] } =>
  tortureWorkspace(t, files, 't2vid-torture-enc-');
const clean = assertClean;
const synth = synthIn;

/** The run summary printed by `--json`. */
function summaryOf(r: CliResult): {
  samples: number;
  completed: number;
  entries: number;
  input: { linesSkipped: number; filesSkipped: number; warnings: number; invalidUtf8: number };
} {
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

/** Sample ids with a complete manifest below out/frames. */
function rendered(root: string): string[] {
  const frames = path.join(root, 'out', 'frames');
  return (fs.existsSync(frames) ? fs.readdirSync(frames) : []).filter((id) => fs.existsSync(path.join(frames, id, 'manifest.json'))).sort();
}

/** No raw control character (but newline) on a stream the CLI wrote to the terminal. */
function assertNoRawControls(text: string, what: string): void {
  const raw = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/.exec(text);
  assert.equal(
    raw,
    null,
    `${what} holds a raw control character U+${raw?.[0].charCodeAt(0).toString(16).padStart(4, '0')}: ${JSON.stringify(text)}`,
  );
}

const GOOD_TEXT = 'The lighthouse keeper climbed the stairs every evening to light the lamp before the ships came in.\n';
const GOOD_JSONL = (n: number, from = 0): string =>
  Array.from({ length: n }, (_, i) =>
    JSON.stringify({
      context: `Record ${from + i} tells of the harbour and its ${from + i} boats.`,
      question: `How many boats? (${from + i})`,
      answer: `${from + i}`,
    }),
  ).join('\n') + '\n';

/** Deterministic pseudo-random bytes (a fixed LCG: the same file on every run). */
function randomBytes(n: number): Buffer {
  const b = Buffer.alloc(n);
  let x = 0x2545f491;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

tortureCase(FAMILY, '20 KB of random bytes as .txt: refused as binary naming the file, rc 1, no frames', async (t) => {
  const { root, inputs } = workspace(t, { 'noise.txt': randomBytes(20_000) });
  const r = await synth(root, inputs);
  assert.equal(r.code, 1, `nothing usable → rc 1; stderr: ${r.stderr}`);
  assert.match(r.stderr, /in\/noise\.txt: binary content, not UTF-8 text \(a NUL byte at byte offset \d+\); the file is skipped/);
  assert.match(r.stderr, /1 input file skipped/);
  assert.deepEqual(rendered(root), [], 'no frame of mojibake');
  assert.ok(!fs.existsSync(path.join(root, 'out', 'frames', 'noise')), 'no frame folder for the binary');
  assertNoRawControls(r.stderr, 'stderr');
  clean(root);
});

tortureCase(FAMILY, 'an ELF binary as .txt beside a good text: the binary refused up front, the text rendered, rc 0', async (t) => {
  const { root, inputs } = workspace(t, { 'prog.txt': fs.readFileSync(process.execPath).subarray(0, 256 * 1024), 'story.txt': GOOD_TEXT });
  const r = await synth(root, inputs, '--json');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /in\/prog\.txt: binary content, not UTF-8 text \(a NUL byte at byte offset \d+\); the file is skipped/);
  assert.deepEqual(rendered(root), ['story'], 'the good input is rendered, nothing for the binary');
  const s = summaryOf(r);
  assert.equal(s.completed, 1);
  assert.equal(s.input.filesSkipped, 1);
  assert.equal(s.input.linesSkipped, 0);
  clean(root);
});

tortureCase(
  FAMILY,
  'UTF-16 JSONL (BOM FF FE) is refused as a file with a hint to convert; the UTF-8 JSONL beside it is read',
  async (t) => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(GOOD_JSONL(2), 'utf16le')]);
    const { root, inputs } = workspace(t, { 'wide.jsonl': utf16, 'narrow.jsonl': GOOD_JSONL(2, 10) });
    const r = await synth(root, inputs, '--dry-run', '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /in\/wide\.jsonl: UTF-16 text \(byte-order mark at the start\): convert the file to UTF-8; the file is skipped/);
    const s = summaryOf(r);
    assert.equal(s.samples, 2, 'both records of the UTF-8 file');
    assert.equal(s.input.filesSkipped, 1);
    assert.doesNotMatch(r.stderr, /invalid JSON/, 'one message for the file, not one per line');
    clean(root);
  },
);

tortureCase(FAMILY, 'a JSONL line whose context holds NUL characters is skipped at its line; the others are rendered', async (t) => {
  const lines = GOOD_JSONL(3).trimEnd().split('\n');
  lines.splice(1, 0, JSON.stringify({ context: 'PK\u0003\u0004\u0000\u0000binary\u0000blob', question: 'q?', answer: 'a' }));
  const { root, inputs } = workspace(t, { 'mixed.jsonl': lines.join('\n') + '\n' });
  const r = await synth(root, inputs, '--json');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /skipped \S*in\/mixed\.jsonl:2: the context is binary content \(a NUL character at character 4\)/);
  assert.deepEqual(rendered(root), ['mixed-000001', 'mixed-000003', 'mixed-000004']);
  const s = summaryOf(r);
  assert.equal(s.entries, 3, 'every good record is in the dataset');
  assert.equal(s.input.linesSkipped, 1);
  clean(root);
});

tortureCase(
  FAMILY,
  'invalid UTF-8 in a text: warned with file, line and byte offset, replaced, rendered, counted (text summary)',
  async (t) => {
    const bytes = Buffer.concat([
      Buffer.from('First line is fine.\nSecond line has a bad byte here: '),
      Buffer.from([0xff]),
      Buffer.from(' and a cut one: '),
      Buffer.from([0xe2, 0x82]),
      Buffer.from('.\nThird line.\n'),
    ]);
    const { root, inputs } = workspace(t, { 'latin.txt': bytes });
    const r = await synth(root, inputs);
    assert.equal(r.code, 0, r.stderr);
    const offset = bytes.indexOf(0xff);
    assert.match(
      r.stderr,
      new RegExp(
        `warning \\S*in/latin\\.txt:2: invalid UTF-8 at byte offset ${offset} \\(2 sequences on this line\\) replaced with U\\+FFFD`,
      ),
    );
    assert.match(r.stderr, /2 invalid UTF-8 sequences replaced with U\+FFFD/, 'the summary counts the replacements');
    assert.match(r.stderr, /1 warning\b/);
    assert.doesNotMatch(r.stderr, /input lines? skipped/, 'the document is kept, not skipped');
    assert.deepEqual(rendered(root), ['latin']);
    clean(root);
  },
);

tortureCase(FAMILY, 'invalid UTF-8 in a JSONL record: warned at its line, the record kept; --json counts replacements', async (t) => {
  const bad = Buffer.concat([
    Buffer.from('{"context":"Caf'),
    Buffer.from([0xe9]),
    Buffer.from(' au lait, written in Latin-1.","question":"What drink?","answer":"coffee"}\n'),
  ]);
  const good = Buffer.from(GOOD_JSONL(2));
  const { root, inputs } = workspace(t, { 'cafe.jsonl': Buffer.concat([good, bad]) });
  const r = await synth(root, inputs, '--json');
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stderr,
    new RegExp(`warning \\S*in/cafe\\.jsonl:3: invalid UTF-8 at byte offset ${good.length + 15} replaced with U\\+FFFD`),
  );
  const s = summaryOf(r);
  assert.equal(s.input.invalidUtf8, 1);
  assert.equal(s.input.warnings, 1);
  assert.equal(s.input.linesSkipped, 0);
  assert.equal(s.entries, 3, 'the record with the replaced byte is in the dataset too');
  clean(root);
});

tortureCase(FAMILY, 'escape sequences and NUL bytes in a malformed line are escaped in the echoed parse error', async (t) => {
  const hostile = Buffer.from('\u001b]0;PWNED\u0007\u001b[2J\u0000{"context": "x"\n');
  const { root, inputs } = workspace(t, {
    'evil.jsonl': Buffer.concat([Buffer.from(GOOD_JSONL(1)), hostile, Buffer.from(GOOD_JSONL(1, 5))]),
  });
  const r = await synth(root, inputs, '--dry-run');
  assert.equal(r.code, 0, r.stderr);
  assertNoRawControls(r.stderr, 'stderr');
  assertNoRawControls(r.stdout, 'stdout');
  assert.match(
    r.stderr,
    /skipped \S*in\/evil\.jsonl:2: invalid JSON: .*\\e\]0;PWNED/,
    `the line is reported, escaped: ${JSON.stringify(r.stderr)}`,
  );
  assert.match(r.stderr, /dry run: 2 samples/);
  assert.match(r.stderr, /1 input line skipped/);
  clean(root);
});

tortureCase(FAMILY, 'bidi overrides and C1 controls from keys and a file name are escaped on stderr and in --json', async (t) => {
  const name = 'report\u202egnp.jsonl';
  const record = JSON.stringify({ ['ti\u202etle\u009b31m']: 'no context here' });
  const { root, inputs } = workspace(t, { [name]: `${record}\n${GOOD_JSONL(1)}` });
  const r = await synth(root, inputs, '--dry-run', '--json');
  assert.equal(r.code, 0, r.stderr);
  assertNoRawControls(r.stderr, 'stderr');
  assertNoRawControls(r.stdout, 'stdout (--json)');
  assert.match(r.stderr, /report\\u202egnp\.jsonl:1: no context field.*keys here: ti\\u202etle\\x9b31m/);
  assert.equal(JSON.parse(r.stdout).samples, 1, '--json is still valid JSON');
  clean(root);
});

tortureCase(FAMILY, 'BOM and CRLF (text and JSONL) are read as if absent: every record out, no warning', async (t) => {
  const bom = '\ufeff';
  const jsonl = bom + GOOD_JSONL(3).replace(/\n/g, '\r\n');
  const { root, inputs } = workspace(t, { 'crlf.jsonl': jsonl, 'crlf.txt': bom + GOOD_TEXT.replace(/\n/g, '\r\n') + 'Second line.\r\n' });
  const r = await synth(root, inputs, '--json');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr.trim(), '', `no issue at all: ${r.stderr}`);
  const s = summaryOf(r);
  assert.equal(s.entries, 3);
  assert.deepEqual(s.input, { linesSkipped: 0, filesSkipped: 0, rowGroupsSkipped: 0, warnings: 0, invalidUtf8: 0 });
  assert.deepEqual(rendered(root), ['crlf', 'crlf-000001', 'crlf-000002', 'crlf-000003']);
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'out', 'frames', 'crlf', 'manifest.json'), 'utf8'));
  assert.equal(manifest.contextChars, GOOD_TEXT.length + 1 + 'Second line.\r\n'.length, 'the BOM is dropped, the CRLFs kept as stored');
  clean(root);
});

tortureCase(FAMILY, 'a 50 MB invalid line is reported at its line and skipped; the records around it are rendered', async (t) => {
  const huge = '{"context": "' + 'x'.repeat(50 * 1024 * 1024) + '\n';
  const { root, inputs } = workspace(t, { 'big.jsonl': GOOD_JSONL(1) + huge + GOOD_JSONL(1, 7) });
  const r = await synth(root, inputs, '--json');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /skipped \S*in\/big\.jsonl:2: invalid JSON/);
  assert.ok(r.stderr.length < 2000, 'the line is not echoed whole');
  assert.deepEqual(rendered(root), ['big-000001', 'big-000003']);
  assert.equal(summaryOf(r).input.linesSkipped, 1);
  clean(root);
});

/** A one-line document of `words` words (a sentence end every 97 words). */
function oneLine(words: number): string {
  const w = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta'];
  const parts: string[] = new Array(words);
  for (let i = 0; i < words; i++) {
    parts[i] = w[i % 8] + (i % 97 === 96 ? '.' : '');
  }
  return parts.join(' ');
}

/** Polls /proc/PID/status while the child runs: the highest VmHWM seen (kB) and whether SIGTERM is caught yet. */
function watch(pid: number): { hwmKB: () => number; catchesTerm: () => boolean; stop: () => void } {
  let hwm = 0;
  let term = false;
  const read = (): void => {
    try {
      const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
      hwm = Math.max(hwm, Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0));
      const caught = BigInt('0x' + (/SigCgt:\s+([0-9a-f]+)/.exec(status)?.[1] ?? '0'));
      term = (caught & (1n << 14n)) !== 0n; // SIGTERM = 15
    } catch {
      // exited
    }
  };
  const timer = setInterval(read, 50);
  read();
  return { hwmKB: () => hwm, catchesTerm: () => term, stop: () => clearInterval(timer) };
}

tortureCase(FAMILY, 'a 2M-word one-line document: --dry-run is cancelled by SIGTERM within seconds, "cancelled", rc 130', async (t) => {
  const { root, inputs } = workspace(t, { 'tome.txt': oneLine(2_000_000) });
  let watcher: ReturnType<typeof watch> | undefined;
  let sentAt = 0;
  // --locale de: segmented by Intl.Segmenter (English Latin text takes the faster word-break rules and is through in
  // under a second), so the run is still deep in the document when SIGTERM comes.
  const r = await runCli(['synth', ...inputs, '--dry-run', '--quiet', '--locale', 'de'], {
    cwd: root,
    timeoutMs: 100_000,
    onSpawn: (pid) => {
      watcher = watch(pid);
      // Once the CLI has installed its SIGTERM handler, give it a moment to be deep in the document, then stop it.
      const poll = setInterval(() => {
        if (watcher!.catchesTerm()) {
          clearInterval(poll);
          setTimeout(() => {
            sentAt = performance.now();
            process.kill(pid, 'SIGTERM');
          }, 500);
        }
      }, 20);
    },
  });
  const waited = performance.now() - sentAt;
  watcher?.stop();
  assert.ok(sentAt > 0, 'SIGTERM was sent');
  assert.equal(r.signal, null, `the CLI handled SIGTERM itself; stderr: ${r.stderr}`);
  assert.equal(r.code, 130, r.stderr);
  assert.match(r.stderr, /cancelled dry run/);
  assert.doesNotMatch(r.stderr, /^dry run: 1 samples/m, 'no full summary after a cancel');
  assert.ok(waited < 5000, `exited ${Math.round(waited)} ms after SIGTERM (limit 5 s)`);
  assert.ok(!fs.existsSync(path.join(root, 'out')), 'a dry run writes nothing');
  clean(root);
});

tortureCase(
  FAMILY,
  'a 2M-word one-line document: --dry-run counts every word, VmHWM < 400 MB',
  async (t) => {
    const { root, inputs } = workspace(t, { 'tome.txt': oneLine(2_000_000) });
    let watcher: ReturnType<typeof watch> | undefined;
    const r = await runCli(['synth', ...inputs, '--dry-run', '--mode', 'sentences', '--json'], {
      cwd: root,
      timeoutMs: 110_000,
      onSpawn: (pid) => (watcher = watch(pid)),
    });
    watcher?.stop();
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout) as { words: number; segments: number; peakRssMB: number };
    assert.equal(s.words, 2_000_000);
    // 97-word sentences and 115 words a frame: two sentences never fit, so one sentence a frame.
    assert.equal(s.segments, Math.ceil(2_000_000 / 97));
    const hwmMB = Math.max(watcher?.hwmKB() ?? 0, 0) / 1024;
    assert.ok(hwmMB > 0, 'VmHWM was read');
    assert.ok(hwmMB < 400, `VmHWM ${hwmMB.toFixed(0)} MB (bound 400 MB)`);
    assert.ok(s.peakRssMB < 400, `peakRssMB ${s.peakRssMB}`);
    clean(root);
  },
  { timeout: 150_000 },
);

tortureCase(
  FAMILY,
  'segmenting a one-line text is linear: cut points found in bounded windows, each character segmented once, time ratio',
  () => {
    // Count of work: every character goes through Intl.Segmenter exactly once, in bounded chunks. Counted with a German
    // locale: English Latin text takes the word-break rules of wordBreak.ts instead, over the same chunks.
    // And the search for a cut point scans a bounded window: the characters String.prototype.lastIndexOf walks over are
    // counted (before the fix each chunk of a one-line text searched back to its very start: quadratic).
    const original = Intl.Segmenter.prototype.segment;
    const originalLastIndexOf = String.prototype.lastIndexOf;
    let chars = 0;
    let calls = 0;
    let longest = 0;
    let scanned = 0;
    Intl.Segmenter.prototype.segment = function (this: Intl.Segmenter, input: string) {
      chars += input.length;
      calls++;
      longest = Math.max(longest, input.length);
      return original.call(this, input);
    };
    String.prototype.lastIndexOf = function (this: string, search: string, position?: number) {
      const found = originalLastIndexOf.call(this, search, position);
      const from = Math.min(this.length - 1, position === undefined ? this.length - 1 : position);
      scanned += from - Math.max(found, -1);
      return found;
    };
    const small = oneLine(100_000);
    const large = oneLine(400_000);
    try {
      assert.equal(wordUnits(large, 'de').length, 400_000);
    } finally {
      Intl.Segmenter.prototype.segment = original;
      String.prototype.lastIndexOf = originalLastIndexOf;
    }
    assert.ok(scanned <= 2 * large.length, `searching for cut points walked ${scanned} characters for a text of ${large.length}`);
    assert.equal(chars, large.length, 'each character segmented exactly once');
    assert.ok(longest <= 4096, `chunks stay bounded (longest ${longest} characters)`);
    assert.ok(calls >= large.length / 4096, `${calls} chunks`);
    // And time, as a ratio with generous slack (best of two runs each): linear is ~4, quadratic 16.
    const best = (text: string): number =>
      Math.min(
        ...[0, 1].map(() => {
          const started = performance.now();
          wordUnits(text, 'en');
          return performance.now() - started;
        }),
      );
    const a = best(small);
    const b = best(large);
    assert.ok(
      b / Math.max(1, a) < 9,
      `time ratio ${(b / Math.max(1, a)).toFixed(1)} for 4× the words (${a.toFixed(0)} ms → ${b.toFixed(0)} ms)`,
    );
  },
);

familyReport(FAMILY);
