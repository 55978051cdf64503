/**
 * Torture family "signals and resume": Ctrl-C and SIGTERM mid-run (one process and render processes), kill -9 then
 * resume (identical output but for createdAt), and a long run's AbortSignal that must not collect listeners.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fakeOpenAI } from '../support/openaiPeer';
import { familyReport, leftoverTempFiles, listFiles, runCli, tortureCase } from '../support/torture';

const FAMILY = 'signals and resume';
const LEVAL = '/work/shared/data/long-text/leval-news_summ.jsonl';
const LEVAL_SAMPLES = 12;

function tmp(t: { after: (fn: () => void) => void }, name: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `t2vid-signals-${name}-`));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function manifests(out: string): string[] {
  const frames = path.join(out, 'frames');
  return fs.existsSync(frames) ? fs.readdirSync(frames).filter((id) => fs.existsSync(path.join(frames, id, 'manifest.json'))) : [];
}

/** Sends `signal` to the run once `ready()` holds (polled), and returns the run's result. */
async function interruptWhen(args: string[], ready: () => boolean, signal: NodeJS.Signals): Promise<Awaited<ReturnType<typeof runCli>>> {
  let pid = 0;
  let sent = false;
  const poll = setInterval(() => {
    if (!sent && pid && ready()) {
      sent = true;
      process.kill(pid, signal);
    }
  }, 20);
  try {
    const r = await runCli(args, { onSpawn: (p) => (pid = p) });
    assert.ok(sent, 'the run was interrupted before it finished');
    return r;
  } finally {
    clearInterval(poll);
  }
}

function assertClean(out: string): void {
  assert.deepEqual(leftoverTempFiles(out), [], 'no temp file');
  assert.deepEqual(
    listFiles(out).filter((f) => f.endsWith('.partial')),
    [],
    'no partial dataset',
  );
  const frames = path.join(out, 'frames');
  const orphans = fs.existsSync(frames)
    ? fs.readdirSync(frames).filter((id) => !fs.existsSync(path.join(frames, id, 'manifest.json')))
    : [];
  assert.deepEqual(orphans, [], 'no frame folder without a manifest');
}

async function interruptAndResume(t: import('node:test').TestContext, signal: NodeJS.Signals, jobs: string): Promise<void> {
  const out = path.join(tmp(t, 'int'), 'out');
  const args = ['synth', LEVAL, '--out', out, '--jobs', jobs, '--quiet'];
  const r = await interruptWhen(args, () => manifests(out).length >= 1, signal);
  assert.equal(r.code, 130, r.stderr);
  assert.match(r.stderr, /^cancelled: /m);
  assert.match(r.stderr, /run the same command again to resume/);
  assert.doesNotMatch(r.stderr, /^\s+at /m);
  assert.ok(!fs.existsSync(path.join(out, 'minicpm-v.json')), 'no dataset claimed by a cancelled run');
  assertClean(out);
  const kept = manifests(out).length;
  assert.ok(kept >= 1 && kept < LEVAL_SAMPLES, `finished samples kept: ${kept}`);
  const again = await runCli([...args, '--json']);
  assert.equal(again.code, 0, again.stderr);
  const summary = JSON.parse(again.stdout) as { resumed: number; completed: number };
  assert.ok(summary.resumed >= kept, 'the finished samples are resumed');
  assert.equal(summary.resumed + summary.completed, LEVAL_SAMPLES);
  assert.equal(JSON.parse(fs.readFileSync(path.join(out, 'minicpm-v.json'), 'utf8')).length, LEVAL_SAMPLES);
  assertClean(out);
}

tortureCase(FAMILY, 'SIGINT mid-run (--jobs 1): "cancelled", rc 130, nothing half-written, the re-run resumes', (t) =>
  interruptAndResume(t, 'SIGINT', '1'),
);

tortureCase(
  FAMILY,
  'SIGTERM mid-run with render processes (--jobs 2): "cancelled", rc 130, nothing half-written, the re-run resumes',
  (t) => interruptAndResume(t, 'SIGTERM', '2'),
);

tortureCase(FAMILY, 'kill -9 mid-run, then resume: output identical to an uninterrupted run but for createdAt', async (t) => {
  const root = tmp(t, 'kill');
  const clean = path.join(root, 'clean');
  const killed = path.join(root, 'killed');
  assert.equal((await runCli(['synth', LEVAL, '--out', clean, '--jobs', '1', '--quiet'])).code, 0);
  const args = ['synth', LEVAL, '--out', killed, '--jobs', '1', '--quiet'];
  const r = await interruptWhen(args, () => manifests(killed).length >= 2, 'SIGKILL');
  assert.equal(r.signal, 'SIGKILL');
  const resumed = await runCli(args);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.equal(
    fs.readFileSync(path.join(killed, 'minicpm-v.json'), 'utf8'),
    fs.readFileSync(path.join(clean, 'minicpm-v.json'), 'utf8'),
    'the dataset is byte-identical',
  );
  const files = listFiles(clean);
  assert.deepEqual(listFiles(killed), files, 'the same files');
  for (const f of files) {
    const a = fs.readFileSync(path.join(clean, f));
    const b = fs.readFileSync(path.join(killed, f));
    if (f.endsWith('manifest.json')) {
      const strip = (buf: Buffer): unknown => ({ ...(JSON.parse(buf.toString('utf8')) as object), createdAt: undefined });
      assert.deepEqual(strip(b), strip(a), f);
    } else {
      assert.ok(a.equals(b), `${f} is byte-identical`);
    }
  }
  assertClean(killed);
});

tortureCase(
  FAMILY,
  'a many-sample LLM qa run: no MaxListenersExceededWarning (the run signal keeps no abort listener per request)',
  async (t) => {
    const root = tmp(t, 'llm');
    const input = path.join(root, 'many.jsonl');
    fs.writeFileSync(
      input,
      Array.from(
        { length: 24 },
        (_, i) =>
          JSON.stringify({
            context: `Document ${i}: the keeper climbed ${i} stairs and lit the lamp at dusk.`,
            question: 'Q?',
            answer: 'A.',
          }) + '\n',
      ).join(''),
    );
    const peer = await fakeOpenAI(t);
    const out = path.join(root, 'many.t2vid.jsonl');
    const r = await runCli(
      [
        'qa',
        input,
        '--out',
        out,
        '--generator',
        'llm',
        '--base-url',
        peer.baseURL,
        '--model',
        'local',
        '--per-doc',
        '2',
        '--concurrency',
        '4',
        '--quiet',
        '--cache-dir',
        path.join(root, 'cache'),
      ],
      {
        env: { OPENAI_API_KEY: 'sk-test' },
      },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.ok(peer.requests.length >= 24, `requests: ${peer.requests.length}`);
    assert.doesNotMatch(r.stderr, /MaxListenersExceededWarning/);
    assert.equal(fs.readFileSync(out, 'utf8').trim().split('\n').length, 24, 'every record comes out');
  },
);

familyReport(FAMILY);
