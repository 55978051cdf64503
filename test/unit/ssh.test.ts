/**
 * The ssh target against a real OpenSSH server on loopback (test/support/sshd.ts: its own config, keys and port): a
 * 2-rank torch.distributed payload trained on the host from a real export (the dataset and the frames it references
 * rsynced, the log streamed back, results pulled), a relaunch that syncs nothing and resumes from the remote checkpoint,
 * a connection dropped mid-job (sshd stopped and restarted), cancel with nothing left on the host, reattach after the
 * following process died, hostile paths and arguments through ssh and rsync unchanged, and clear errors for an
 * unreachable host or an unknown host key.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { dryRun, planTask, reattachRun, startRun, validateTaskSpec } from '../../src/core/tasks/engine';
import { LLAMAFACTORY_CONFIG } from '../../src/core/tasks/plan';
import { shellJoin, shellQuote } from '../../src/core/tasks/quote';
import { remoteLayout } from '../../src/core/tasks/remote';
import { RUN_FILE, SSH_FOLLOW_LOCK, SSH_SYNC_DIR, type RunRecord, type TaskSpec } from '../../src/shared/tasks';
import { CLI, makeSwiftExport, PAYLOAD, processesOf, PYTHON, t2vid } from '../support/taskPayload';
import { startSshd, type Sshd } from '../support/sshd';

let dir: string;
let dataset: string;
let workdir: string;
let sshd: Sshd;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 't2vid-ssh-'));
  sshd = await startSshd(path.join(dir, 'sshd'));
  workdir = path.join(dir, 'host work');
  // The default export: absolute paths to frames referenced in place (outside the export's folder).
  dataset = makeSwiftExport(dir);
});
after(async () => {
  await sshd?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

function sshOptions(extra: Partial<NonNullable<TaskSpec['ssh']>> = {}): NonNullable<TaskSpec['ssh']> {
  return { host: sshd.host, configFile: sshd.configFile, workdir, sync: 'rsync', ...extra };
}

/** The payload as a custom ssh task (its --data and --output are local paths: the plan maps them to the host's). */
function payload(output: string, extra: Partial<TaskSpec> = {}, args: string[] = []): TaskSpec {
  return validateTaskSpec(
    {
      kind: 'finetune',
      framework: 'custom',
      target: 'ssh',
      output,
      dataset,
      command: [PYTHON, PAYLOAD, '--data', dataset, '--output', output, ...args],
      ssh: sshOptions(),
      ...extra,
    },
    'test',
  );
}

function hostOutput(spec: TaskSpec): string {
  return remoteLayout(spec).output;
}

test('the ssh plan: host paths, rsync of the dataset, the detached start; --dry-run runs nothing', async () => {
  const out = path.join(dir, 'dry');
  const spec = payload(out, { processes: 2 });
  const { plan, text } = await dryRun(spec);
  const sp = plan.ssh!;
  assert.ok(path.isAbsolute(sp.remoteOutput) && sp.remoteOutput.startsWith(path.join(workdir, 'runs', 'dry-')), sp.remoteOutput);
  assert.ok(sp.remoteDataset!.startsWith(path.join(workdir, 'data', 'swift-')) && sp.remoteDataset!.endsWith('/ms-swift.jsonl'));
  assert.ok(sp.job.includes(`--data ${shellQuote(sp.remoteDataset!)}`), sp.job);
  assert.ok(!sp.job.includes(dataset), 'the program gets the host copy of the dataset, not the local path');
  assert.equal(plan.commands.length, 5, text);
  assert.deepEqual(
    plan.commands.slice(1, 4).map((c) => c.argv[0]),
    ['rsync', 'rsync', 'rsync'],
  );
  assert.ok(plan.commands[1]!.argv.includes(`${path.dirname(dataset)}/`));
  assert.ok(plan.commands[1]!.argv.includes('--exclude=/ms-swift.jsonl'));
  assert.ok(plan.commands[2]!.argv.includes(path.join(out, SSH_SYNC_DIR, 'ms-swift.jsonl')));
  assert.match(text, /setsid nohup sh -c/);
  assert.match(text, /-F /);
  assert.ok(!fs.existsSync(path.join(out, RUN_FILE)));
  assert.ok(!fs.existsSync(workdir), 'a dry run touches nothing on the host');

  // Frameworks with their own flags get the host's paths; a checkpoint listed on the host is resumed.
  const swift = validateTaskSpec(
    { kind: 'finetune', framework: 'ms-swift', target: 'ssh', output: out, dataset, model: 'm', ssh: sshOptions() },
    'test',
  );
  const resumed = planTask(swift, dataset, { outputEntries: ['checkpoint-2/', 'checkpoint-10/', 'checkpoint-7', 'logs/'] });
  assert.equal(resumed.resumeFrom, path.join(resumed.ssh!.remoteOutput, 'checkpoint-10'));
  assert.ok(
    resumed.ssh!.job.includes(
      shellJoin(['--dataset', resumed.ssh!.remoteDataset!, '--output_dir', resumed.ssh!.remoteOutput]) + ' --ddp_timeout',
    ),
    resumed.ssh!.job,
  );
  assert.ok(resumed.ssh!.job.includes(`--resume_from_checkpoint ${shellQuote(resumed.resumeFrom!)}`), resumed.ssh!.job);
  const lf = planTask({ ...swift, framework: 'llamafactory' });
  const yaml = lf.files.find((f) => f.path === LLAMAFACTORY_CONFIG)!.content.split('\n');
  assert.ok(yaml.includes(`dataset_dir: ${JSON.stringify(lf.ssh!.dataset!.remoteDir)}`), yaml.join('\n'));
  assert.ok(yaml.includes(`output_dir: ${JSON.stringify(lf.ssh!.remoteOutput)}`));
  const push = lf.ssh!.sync[lf.ssh!.sync.length - 1]!.argv;
  assert.ok(push.includes('--relative') && push.includes(`${out}/./${LLAMAFACTORY_CONFIG}`), push.join(' '));
});

test(
  'a 2-rank payload trains on the host from a real export: dataset and frames synced, log streamed, results pulled; a relaunch syncs nothing and resumes',
  { timeout: 240_000 },
  async () => {
    const out = path.join(dir, 'train');
    const logs: string[] = [];
    const states: string[] = [];
    const spec = payload(out, { processes: 2, env: { MASTER_PORT: '29711' } }, ['--max-steps', '4', '--save-steps', '2']);
    const run = await startRun(spec, { onLog: (t) => logs.push(t), onUpdate: (r) => states.push(r.state) });
    const text = logs.join('');
    assert.equal(run.state, 'done', text);
    assert.equal(run.exitCode, 0);
    assert.deepEqual([...new Set(states)], ['queued', 'running', 'done']);
    const synced = /synced (\d+) file\(s\)/.exec(text);
    assert.ok(synced && Number(synced[1]) > 2, text);
    assert.match(text, /step 4\/4 loss [\d.]+ world 2/);
    const host = hostOutput(spec);
    assert.equal(run.remoteLog, path.join(host, 'run.log'));
    assert.ok(run.pid && run.pid > 1);
    // The local copy of the log is the remote log, byte for byte.
    assert.equal(fs.readFileSync(run.log, 'utf8'), fs.readFileSync(run.remoteLog!, 'utf8'));
    // The job's output is on the host; the small results came back, the checkpoints did not.
    assert.ok(fs.existsSync(path.join(host, 'checkpoint-4', 'state.pt')));
    assert.ok(!fs.existsSync(path.join(out, 'checkpoint-4')));
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(out, 'train_done.json'), 'utf8')), {
      steps: 4,
      world_size: 2,
      resumed_from: null,
    });
    // The host read its own copy of the dataset, whose frame references point at the synced frames.
    const layout = remoteLayout(spec);
    const hostLines = fs.readFileSync(layout.dataset!, 'utf8').trim().split('\n');
    const images = hostLines.flatMap((l) => (JSON.parse(l) as { images: string[] }).images);
    assert.ok(images.length > 0);
    for (const image of images) {
      assert.ok(image.startsWith(layout.filesRoot! + '/'), image);
      assert.ok(fs.statSync(image).isFile(), image);
    }
    const saved = JSON.parse(fs.readFileSync(path.join(out, RUN_FILE), 'utf8')) as RunRecord;
    assert.equal(saved.state, 'done');

    const again: string[] = [];
    const second = await startRun(
      payload(out, { processes: 2, env: { MASTER_PORT: '29712' } }, ['--max-steps', '6', '--save-steps', '2']),
      {
        onLog: (t) => again.push(t),
      },
    );
    const text2 = again.join('');
    assert.equal(second.state, 'done', text2);
    assert.match(text2, /synced 0 file\(s\)/, 'nothing changed: nothing is sent again');
    assert.equal(second.resumedFrom, path.join(host, 'checkpoint-4'));
    assert.match(text2, /resuming from .*checkpoint-4/);
    assert.match(text2, /resumed from checkpoint-4/);
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(out, 'train_done.json'), 'utf8')), {
      steps: 6,
      world_size: 2,
      resumed_from: 'checkpoint-4',
    });
    assert.equal(fs.readFileSync(run.log, 'utf8'), fs.readFileSync(run.remoteLog!, 'utf8'));
  },
);

test(
  'a connection dropped mid-job is survived: the job goes on, the follower reconnects, the log is whole',
  { timeout: 180_000 },
  async () => {
    const out = path.join(dir, 'drop');
    const logs: string[] = [];
    let dropped: Promise<void> | undefined;
    const run = await startRun(payload(out, {}, ['--max-steps', '14', '--step-seconds', '0.4']), {
      onLog: (t) => {
        logs.push(t);
        if (!dropped && /step 3\/14/.test(logs.join(''))) {
          // sshd goes away with every session (the follower's tail too), then comes back on the same port.
          dropped = (async () => {
            await sshd.stop();
            await new Promise((r) => setTimeout(r, 2000));
            await sshd.start();
          })();
        }
      },
    });
    await dropped;
    const text = logs.join('');
    assert.equal(run.state, 'done', text);
    assert.match(text, /lost the connection to/);
    const local = fs.readFileSync(run.log, 'utf8');
    assert.equal(local, fs.readFileSync(run.remoteLog!, 'utf8'), 'the local copy continued from the byte it had');
    for (let s = 1; s <= 14; s++) {
      assert.equal(local.split(`step ${s}/14 `).length - 1, 1, `step ${s} once in the log`);
    }
    assert.equal((JSON.parse(fs.readFileSync(path.join(out, 'train_done.json'), 'utf8')) as { steps: number }).steps, 14);
  },
);

test('cancel stops the whole process group on the host', { timeout: 180_000 }, async () => {
  const out = path.join(dir, 'cancel');
  const spec = payload(out, { processes: 2, env: { MASTER_PORT: '29713' } }, ['--max-steps', '40', '--step-seconds', '0.5']);
  const controller = new AbortController();
  let seen = '';
  const run = await startRun(spec, {
    signal: controller.signal,
    onLog: (t) => {
      seen += t;
      if (/step 2\/40/.test(seen)) {
        controller.abort();
      }
    },
  });
  assert.equal(run.state, 'cancelled', seen);
  const host = hostOutput(spec);
  assert.ok(fs.existsSync(path.join(host, '.t2vid-cancelled')));
  assert.deepEqual(processesOf(host), [], 'nothing of the run is left running on the host');
  assert.ok(!fs.existsSync(path.join(out, 'train_done.json')));
});

test(
  'a run outlives the process that followed it: a reattach from its record reads the copy, then takes the streaming over',
  { timeout: 180_000 },
  async () => {
    const out = path.join(dir, 'reattach');
    const cli = spawn(
      process.execPath,
      [
        CLI,
        'task',
        'finetune',
        '--framework',
        'custom',
        '--target',
        'ssh',
        '--host',
        sshd.host,
        '--ssh-config',
        sshd.configFile,
        '--workdir',
        workdir,
        '--output',
        out,
        '--dataset',
        dataset,
        '--',
        PYTHON,
        PAYLOAD,
        '--data',
        dataset,
        '--output',
        out,
        '--max-steps',
        '16',
        '--step-seconds',
        '0.4',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    const exited = new Promise((r) => cli.once('exit', r));
    await new Promise<void>((resolve, reject) => {
      cli.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (/step 3\/16/.test(stderr)) {
          resolve();
        }
      });
      cli.once('exit', () => reject(new Error(`the CLI ended early: ${stderr}`)));
    });
    // Another follower of the same run (the Runs view beside a CLI run) reads the local copy: it does not stream too.
    const record = JSON.parse(fs.readFileSync(path.join(out, RUN_FILE), 'utf8')) as RunRecord;
    assert.equal(record.state, 'running');
    const logs: string[] = [];
    const reattached = reattachRun(record, { onLog: (t) => logs.push(t) });
    await new Promise((r) => setTimeout(r, 1500));
    // Then the CLI dies hard: the job on the host goes on, and the reattached follower takes over the streaming.
    cli.kill('SIGKILL');
    await exited;
    const run = await reattached;
    assert.equal(run.state, 'done', logs.join(''));
    assert.match(logs.join(''), /step 16\/16/);
    assert.doesNotMatch(logs.join(''), /step 1\/16/, 'the reattached follower starts where the local copy ends');
    assert.equal(fs.readFileSync(run.log, 'utf8'), fs.readFileSync(run.remoteLog!, 'utf8'));
    assert.equal((JSON.parse(fs.readFileSync(path.join(out, RUN_FILE), 'utf8')) as RunRecord).state, 'done');
    assert.ok(!fs.existsSync(path.join(out, SSH_FOLLOW_LOCK)), 'the follow lock is released');
  },
);

test('hostile paths and arguments reach the program on the host unchanged', { timeout: 120_000 }, async () => {
  const hostile = ["it's", '$(touch /tmp/t2vid-pwned)', '`id`', 'a b\tc', '"q"', '$HOME', '*', "'; exit 1 #", 'naïve'];
  const data = path.join(dir, "data $(x) 'q'", 'set.jsonl');
  fs.mkdirSync(path.dirname(data), { recursive: true });
  fs.writeFileSync(data, '{"a": 1}\n');
  const out = path.join(dir, "out it's $(whoami) `id`");
  const spec = validateTaskSpec(
    {
      kind: 'finetune',
      framework: 'custom',
      target: 'ssh',
      output: out,
      dataset: data,
      env: { T2VID_HOSTILE: hostile.join('|') },
      command: [
        PYTHON,
        '-c',
        'import json, os, sys; json.dump({"argv": sys.argv[1:], "env": os.environ["T2VID_HOSTILE"], "data": open(sys.argv[1]).read()}, open("argv.json", "w"))',
        data,
        ...hostile,
      ],
      ssh: sshOptions({ workdir: path.join(dir, "work 'q' $(x)") }),
    },
    'test',
  );
  const run = await startRun(spec);
  assert.equal(run.state, 'done', fs.readFileSync(run.log, 'utf8'));
  const got = JSON.parse(fs.readFileSync(path.join(out, 'argv.json'), 'utf8')) as { argv: string[]; env: string; data: string };
  assert.equal(got.argv[0], remoteLayout(spec).dataset, 'the dataset argument is the host copy');
  assert.deepEqual(got.argv.slice(1), hostile);
  assert.equal(got.env, hostile.join('|'));
  assert.equal(got.data, '{"a": 1}\n');
  assert.ok(!fs.existsSync('/tmp/t2vid-pwned'));
});

test('an unreachable host or an unknown host key: a clear error naming the host', { timeout: 60_000 }, async () => {
  const out = path.join(dir, 'unreachable');
  // A port nobody listens on (sshd's own port, on another loopback address where nothing listens).
  await assert.rejects(startRun(payload(out, { ssh: { host: '127.0.0.2', port: sshd.port, workdir, sync: 'rsync' } })), (e: Error) =>
    /^127\.0\.0\.2 \(port \d+\): listing the run folder could not reach the host: .*(refused|timed out)/.test(e.message),
  );
  assert.ok(!fs.existsSync(path.join(out, RUN_FILE)), 'no run is recorded');
  const config = path.join(dir, 'unknown_config');
  fs.writeFileSync(
    config,
    fs.readFileSync(sshd.configFile, 'utf8').replace(/UserKnownHostsFile .*/, `UserKnownHostsFile ${path.join(dir, 'empty_known_hosts')}`),
  );
  await assert.rejects(startRun(payload(out, { ssh: sshOptions({ configFile: config }) })), (e: Error) =>
    new RegExp(`^${sshd.host}: .*the host's key is not known here; connect once with \`ssh -F `).test(e.message),
  );
  const cli = t2vid([
    'task',
    'finetune',
    '--framework',
    'custom',
    '--target',
    'ssh',
    '--host',
    '127.0.0.2',
    '--port',
    String(sshd.port),
    '--workdir',
    workdir,
    '--output',
    out,
    '--',
    'true',
  ]);
  assert.equal(cli.code, 1);
  assert.match(cli.stderr, /127\.0\.0\.2 \(port \d+\): listing the run folder could not reach the host/);
});
