/**
 * The Slurm target against a real Slurm started by the test (test/support/slurm.ts: munged, slurmctld and two slurmd
 * in network namespaces of their own, or one node where namespaces are unavailable), running the real
 * torch.distributed payload (Debian's torch, gloo on CPU, one process per Slurm task) on a real ms-swift export:
 * submit and follow (queued → running → done, job id recorded), two ranks on two hosts, cancel (scancel, nothing left
 * running), resume from the checkpoint on a second submission, reattach by job id from the record, a failing job,
 * the Slurm state mapping, sweeps fine-tune → eval (afterok on Slurm, one after another locally), and `t2vid task
 * --target slurm`.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as net from 'node:net';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { reattachRun, startRun, startSweep, validateTaskSpec } from '../../src/core/tasks/engine';
import { SBATCH_FILE } from '../../src/core/tasks/plan';
import { parseScontrolJob, runStateOf } from '../../src/core/tasks/slurm';
import { RUN_FILE, type RunRecord, type TaskSpec } from '../../src/shared/tasks';
import { assertResumed, makeSwiftExport, PAYLOAD, processesOf, PYTHON, t2vid } from '../support/taskPayload';
import { startSlurm, type SlurmCluster } from '../support/slurm';

let cluster: SlurmCluster;
let dir: string;
let dataset: string;
let port = 29700;

function scontrol(jobId: string): Record<string, string> {
  const r = spawnSync('scontrol', ['show', 'job', '-o', jobId], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return parseScontrolJob(r.stdout);
}

before(
  async () => {
    // T2VID_TEST_SLURM_ONE_NODE=1 checks the one-node fallback (what runs where network namespaces are unavailable).
    cluster = await startSlurm({ twoNodes: process.env.T2VID_TEST_SLURM_ONE_NODE !== '1' });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 't2vid-slurm-test-'));
    dataset = makeSwiftExport(dir);
  },
  { timeout: 120_000 },
);
after(async () => {
  await cluster?.stop();
  if (dir) {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

const twoNodes = (): boolean => cluster.nodes.length === 2;

/** The payload as a custom Slurm task: 2 ranks, one per Slurm task (on two nodes when the cluster has two). */
function payload(output: string, args: string[] = [], extra: Partial<TaskSpec> = {}): TaskSpec {
  return validateTaskSpec(
    {
      kind: 'finetune',
      framework: 'custom',
      target: 'slurm',
      output,
      dataset,
      command: [PYTHON, PAYLOAD, '--data', dataset, '--output', output, ...args],
      env: { MASTER_PORT: String(port++) },
      slurm: twoNodes()
        ? { nodes: 2, gpusPerNode: 0, via: 'local', launcher: 'srun', time: '10:00' }
        : { nodes: 1, gpusPerNode: 0, via: 'local', launcher: 'srun', time: '10:00', extraSbatch: ['--ntasks-per-node=2'] },
      ...extra,
    },
    'test',
  );
}

test('Slurm states map to run states (squeue, sacct and scontrol spellings)', () => {
  const cases: Array<[string, string | undefined]> = [
    ['PENDING', 'queued'],
    ['CONFIGURING', 'queued'],
    ['RUNNING', 'running'],
    ['COMPLETING', 'running'],
    ['COMPLETED', 'done'],
    ['CANCELLED', 'cancelled'],
    ['CANCELLED by 0', 'cancelled'],
    ['FAILED', 'failed'],
    ['TIMEOUT', 'failed'],
    ['NODE_FAIL', 'failed'],
    ['OUT_OF_MEMORY', 'failed'],
    ['PREEMPTED', 'failed'],
    ['RUNNING+', 'running'],
    ['BOGUS', undefined],
  ];
  for (const [word, want] of cases) {
    assert.equal(runStateOf(word), want, word);
  }
  const f = parseScontrolJob(
    'JobId=7 JobName=t2vid-eval UserId=root(0) JobState=PENDING Reason=Dependency Dependency=afterok:6(unfulfilled) ExitCode=0:0 TRES=cpu=2,node=1 AllocNode:Sid=vm:12 Command=/a b/c.sbatch WorkDir=/tmp',
  );
  assert.equal(f.JobState, 'PENDING');
  assert.equal(f.Dependency, 'afterok:6(unfulfilled)');
  assert.equal(f.TRES, 'cpu=2,node=1');
  assert.equal(f['AllocNode:Sid'], 'vm:12');
  assert.equal(f.Command, '/a b/c.sbatch');
});

test(
  'a Slurm run of the payload: sbatch, queued → running → done with the job id; two ranks on two hosts',
  { timeout: 120_000 },
  async () => {
    const out = path.join(dir, 'ddp');
    const states: string[] = [];
    const logs: string[] = [];
    const run = await startRun(payload(out, ['--max-steps', '4']), {
      onUpdate: (r) => states.push(r.state),
      onLog: (t) => logs.push(t),
    });
    const log = fs.readFileSync(run.log, 'utf8');
    assert.equal(run.state, 'done', `${log}\n${cluster.notes.join('\n')}`);
    assert.match(run.jobId ?? '', /^\d+$/);
    assert.equal(run.exitCode, 0);
    assert.deepEqual([...new Set(states)], ['queued', 'running', 'done']);
    const saved = JSON.parse(fs.readFileSync(path.join(out, RUN_FILE), 'utf8')) as RunRecord;
    assert.equal(saved.jobId, run.jobId);
    assert.equal(saved.state, 'done');
    assert.equal(saved.lastLine, 'done');
    assert.ok(fs.existsSync(path.join(out, SBATCH_FILE)));
    // The log streamed into the run is the job's own output file.
    assert.match(logs.join(''), /step 4\/4 loss [\d.]+ world 2/);
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(out, 'train_done.json'), 'utf8')), {
      steps: 4,
      world_size: 2,
      resumed_from: null,
    });
    const job = scontrol(run.jobId!);
    assert.equal(job.JobState, 'COMPLETED');
    assert.equal(job.NumTasks, '2');
    const hosts = [...log.matchAll(/^rank (\d)\/2 on host (\S+)$/gm)].map((m) => [m[1], m[2]]).sort();
    assert.equal(hosts.length, 2, log);
    if (twoNodes()) {
      assert.equal(job.NodeList, 'n[1-2]');
      assert.deepEqual(hosts, [
        ['0', 'n1'],
        ['1', 'n2'],
      ]);
    } else {
      console.log(`# one Slurm node only: ${cluster.singleNodeReason}`);
    }
  },
);

test(
  'cancel: scancel, the job CANCELLED, nothing left running; a second submission resumes from the checkpoint',
  { timeout: 180_000 },
  async () => {
    const out = path.join(dir, 'cancel');
    const controller = new AbortController();
    const run = await startRun(payload(out, ['--max-steps', '8', '--save-steps', '2', '--step-seconds', '1.5']), {
      signal: controller.signal,
      onLog: (t) => {
        if (/step 3\/8/.test(t)) {
          controller.abort();
        }
      },
    });
    assert.equal(run.state, 'cancelled', fs.readFileSync(run.log, 'utf8'));
    assert.equal(scontrol(run.jobId!).JobState, 'CANCELLED');
    assert.match(run.lastLine ?? '', new RegExp(`Slurm job ${run.jobId} CANCELLED`));
    assert.deepEqual(processesOf(out), [], 'nothing of the job is left running');
    assert.ok(fs.existsSync(path.join(out, 'checkpoint-2')));
    assert.ok(!fs.existsSync(path.join(out, 'train_done.json')));

    const again = await startRun(payload(out, ['--max-steps', '8', '--save-steps', '2']));
    assertResumed(again, out);
    assert.notEqual(again.jobId, run.jobId);
  },
);

test('a run is reattached by its job id from the record on disk, and followed to its end', { timeout: 120_000 }, async () => {
  const out = path.join(dir, 'reattach');
  let submitted: RunRecord | undefined;
  const first = startRun(payload(out, ['--max-steps', '6', '--step-seconds', '1']), {
    onUpdate: (r) => {
      if (r.jobId && !submitted) {
        submitted = r;
      }
    },
  });
  while (!submitted) {
    await new Promise((r) => setTimeout(r, 200));
  }
  // A fresh record, as a restarted window reads it: only the file, no state of the first follower.
  const record = JSON.parse(fs.readFileSync(path.join(out, RUN_FILE), 'utf8')) as RunRecord;
  assert.equal(record.jobId, submitted.jobId);
  const logs: string[] = [];
  const reattached = await reattachRun(record, { onLog: (t) => logs.push(t) });
  const followed = await first;
  assert.equal(reattached.state, 'done', fs.readFileSync(out + '/run.log', 'utf8'));
  assert.equal(followed.state, 'done');
  assert.equal(reattached.exitCode, 0);
  assert.match(logs.join(''), /step 6\/6/, 'the reattached follower streams the log from where it was');
});

test('a failing job ends failed with its exit code and the Slurm state in the last line', { timeout: 120_000 }, async () => {
  const out = path.join(dir, 'fail');
  const run = await startRun(
    validateTaskSpec(
      {
        kind: 'finetune',
        framework: 'custom',
        target: 'slurm',
        output: out,
        command: [PYTHON, PAYLOAD, '--data', path.join(dir, 'missing.jsonl'), '--output', out],
        slurm: { nodes: 1, gpusPerNode: 0, via: 'local', launcher: 'srun' },
      },
      't',
    ),
  );
  assert.equal(run.state, 'failed');
  assert.equal(run.exitCode, 1);
  assert.match(run.lastLine ?? '', new RegExp(`^Slurm job ${run.jobId} FAILED.*exit code 1`));
  assert.match(fs.readFileSync(run.log, 'utf8'), /missing\.jsonl/);
  assert.equal(scontrol(run.jobId!).ExitCode, '1:0');
});

/** A second and a broken export beside the first: a sweep's datasets. */
function sweepDatasets(): { good2: string; bad: string } {
  const good2 = path.join(dir, 'swift2', 'ms-swift.jsonl');
  if (!fs.existsSync(good2)) {
    fs.mkdirSync(path.dirname(good2));
    fs.copyFileSync(dataset, good2);
  }
  const bad = path.join(dir, 'broken', 'ms-swift.jsonl');
  if (!fs.existsSync(bad)) {
    fs.mkdirSync(path.dirname(bad));
    // One image placeholder too many: the loader refuses it, so the fine-tune fails.
    const first = JSON.parse(fs.readFileSync(dataset, 'utf8').split('\n')[0]!) as { messages: Array<{ content: string }> };
    first.messages[0]!.content = `<image>${first.messages[0]!.content}`;
    fs.writeFileSync(bad, JSON.stringify(first) + '\n');
  }
  return { good2, bad };
}

/** A fine-tune sweep of the payload with its evaluation step (the payload's --evaluate on T2VID_MODEL). */
function sweep(target: 'local' | 'slurm', output: string, datasets: string[]): TaskSpec {
  return validateTaskSpec(
    {
      kind: 'finetune',
      framework: 'custom',
      target,
      output,
      datasets,
      // T2VID_DATASET and T2VID_OUTPUT give each run its own dataset and output.
      command: [PYTHON, PAYLOAD, '--max-steps', '2'],
      evaluate: { framework: 'custom', command: [PYTHON, PAYLOAD, '--evaluate', '--data', dataset] },
      ...(target === 'slurm' ? { slurm: { nodes: 1, gpusPerNode: 0, via: 'local', launcher: 'srun' } } : {}),
    },
    't',
  );
}

function checkSweep(runs: RunRecord[], names: string[]): void {
  assert.deepEqual(
    runs.map((r) => [r.spec.kind, r.sweepValue]),
    names.flatMap((n) => [
      ['finetune', n],
      ['eval', n],
    ]),
  );
  assert.equal(new Set(runs.map((r) => r.sweepId)).size, 1);
  for (let i = 0; i < runs.length; i += 2) {
    const [ft, ev] = [runs[i]!, runs[i + 1]!];
    assert.equal(ev.after, ft.id);
    assert.equal(ev.spec.model, ft.spec.output);
    assert.equal(ev.spec.output, path.join(ft.spec.output, 'eval'));
    if (ft.state === 'done') {
      assert.equal(ev.state, 'done', fs.readFileSync(ev.log, 'utf8'));
      const result = JSON.parse(fs.readFileSync(path.join(ev.spec.output, 'eval_results.json'), 'utf8')) as { model: string };
      assert.equal(result.model, path.join(ft.spec.output, 'checkpoint-2'), 'the evaluation read the fine-tune’s checkpoint');
    }
  }
}

test(
  'a Slurm sweep: every job submitted up front, each eval chained by afterok on its fine-tune; a failed fine-tune’s eval is cancelled by Slurm',
  { timeout: 180_000 },
  async () => {
    const { good2, bad } = sweepDatasets();
    const dependencies = new Map<string, string>();
    const runs = await startSweep(sweep('slurm', path.join(dir, 'sweep-slurm'), [dataset, good2, bad]), {
      onUpdate: (r) => {
        if (r.spec.kind === 'eval' && r.jobId && !dependencies.has(r.jobId)) {
          dependencies.set(r.jobId, scontrol(r.jobId).Dependency ?? '');
        }
      },
    });
    checkSweep(runs, ['swift', 'swift2', 'broken']);
    for (let i = 0; i < runs.length; i += 2) {
      const [ft, ev] = [runs[i]!, runs[i + 1]!];
      assert.match(dependencies.get(ev.jobId!) ?? '', new RegExp(`^afterok:${ft.jobId}\\b`), 'the eval waited for its fine-tune');
      assert.ok(Number(ev.jobId) > Number(ft.jobId));
    }
    // All submitted before any ended: the last fine-tune was submitted before the first evaluation ran.
    const firstEvalStart = Date.parse(scontrol(runs[1]!.jobId!).StartTime!);
    assert.ok(Date.parse(scontrol(runs[4]!.jobId!).SubmitTime!) <= firstEvalStart);
    const [ft3, ev3] = [runs[4]!, runs[5]!];
    assert.equal(ft3.state, 'failed');
    assert.equal(ev3.state, 'cancelled');
    assert.match(ev3.lastLine ?? '', /never ran: a job it depends on \(afterok\) did not complete/);
    assert.equal(scontrol(ev3.jobId!).JobState, 'CANCELLED');
    assert.equal(scontrol(ev3.jobId!).Reason, 'DependencyNeverSatisfied');
  },
);

test(
  'a local sweep runs fine-tune then eval per dataset in turn; a failed fine-tune’s eval is recorded as never run',
  { timeout: 180_000 },
  async () => {
    const { bad } = sweepDatasets();
    const runs = await startSweep(sweep('local', path.join(dir, 'sweep-local'), [dataset, bad]));
    checkSweep(runs, ['swift', 'broken']);
    const [ft1, ev1, ft2, ev2] = runs as [RunRecord, RunRecord, RunRecord, RunRecord];
    assert.equal(ft1.state, 'done');
    assert.ok(Date.parse(ev1.startedAt!) >= Date.parse(ft1.endedAt!), 'the eval started after its fine-tune ended');
    assert.ok(Date.parse(ft2.startedAt!) >= Date.parse(ev1.endedAt!), 'one after another');
    assert.equal(ft2.state, 'failed');
    assert.equal(ev2.state, 'cancelled');
    assert.equal(ev2.startedAt, undefined);
    assert.match(ev2.lastLine ?? '', new RegExp(`^not run: its fine-tune ${ft2.id} ended failed \\(exit 1\\)`));
    assert.equal((JSON.parse(fs.readFileSync(path.join(ev2.spec.output, RUN_FILE), 'utf8')) as RunRecord).state, 'cancelled');
  },
);

test('the evaluate step is checked with its JSON path', () => {
  const base = { kind: 'finetune', framework: 'custom', target: 'local', output: '/o', datasets: ['/d.jsonl'], command: ['x'] };
  assert.ok(validateTaskSpec({ ...base, evaluate: { framework: 'lmms-eval', benchmarks: ['mvbench'] } }, 't').evaluate);
  for (const [evaluate, want] of [
    [{ framework: 'lmms-eval' }, /t: \$\.evaluate\.benchmarks: lmms-eval needs the benchmarks/],
    [{ framework: 'ms-swift' }, /t: \$\.evaluate\.framework: ms-swift fine-tunes/],
    [{ framework: 'custom' }, /t: \$\.evaluate\.command: /],
    [{ framework: 'custom', command: ['y'], extra: 1 }, /t: \$\.evaluate\.extra: /],
  ] as Array<[Record<string, unknown>, RegExp]>) {
    assert.throws(() => validateTaskSpec({ ...base, evaluate }, 't'), want);
  }
  assert.throws(
    () => validateTaskSpec({ ...base, kind: 'eval', framework: 'custom', evaluate: { framework: 'custom', command: ['y'] } }, 't'),
    /\$\.evaluate: only a fine-tune/,
  );
});

test(
  't2vid task --target slurm: submits, follows and exits 0 with the job id; a sweep dry run shows the afterok chain; a failed sweep exits 1',
  { timeout: 120_000 },
  () => {
    const out = path.join(dir, 'cli');
    const r = t2vid([
      'task',
      'finetune',
      '--framework',
      'custom',
      '--target',
      'slurm',
      '--nodes',
      '1',
      '--gpus-per-node',
      '0',
      '--launcher',
      'srun',
      '--time',
      '5:00',
      '--via',
      'local',
      '--output',
      out,
      '--dataset',
      dataset,
      '--json',
      '--',
      PYTHON,
      PAYLOAD,
      '--max-steps',
      '2',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const run = JSON.parse(r.stdout) as RunRecord;
    assert.equal(run.state, 'done');
    assert.equal(scontrol(run.jobId!).JobState, 'COMPLETED');
    assert.match(fs.readFileSync(path.join(out, SBATCH_FILE), 'utf8'), /^#SBATCH --time=5:00$/m);

    const { good2 } = sweepDatasets();
    const dry = t2vid([
      'task',
      'finetune',
      '--framework',
      'ms-swift',
      '--model',
      'm',
      '--target',
      'slurm',
      '--nodes',
      '2',
      '--gpus-per-node',
      '8',
      '--output',
      path.join(dir, 'cli-sweep'),
      '--dataset',
      dataset,
      '--dataset',
      good2,
      '--eval-framework',
      'lmms-eval',
      '--eval-benchmarks',
      'mvbench,videomme',
      '--dry-run',
    ]);
    assert.equal(dry.code, 0, dry.stderr);
    const lines = dry.stdout.split('\n');
    assert.equal(lines.filter((l) => l.startsWith('sbatch --parsable ')).length, 4);
    assert.equal(lines.filter((l) => l.startsWith('# a sweep submits it with --dependency=afterok:')).length, 2);
    const evalScript = fs.readFileSync(path.join(dir, 'cli-sweep', 'swift2', 'eval', SBATCH_FILE), 'utf8');
    assert.match(evalScript, new RegExp(`pretrained=${path.join(dir, 'cli-sweep', 'swift2')},max_num_frames=24`));
    // A local CLI sweep with its custom evaluation: a failed fine-tune (and its never-run eval) is exit 1, not 130.
    const { bad } = sweepDatasets();
    const local = t2vid([
      'task',
      'finetune',
      '--framework',
      'custom',
      '--output',
      path.join(dir, 'cli-local-sweep'),
      '--dataset',
      dataset,
      '--dataset',
      bad,
      '--eval-framework',
      'custom',
      '--eval-command',
      PYTHON,
      '--eval-command',
      PAYLOAD,
      '--eval-command=--evaluate',
      '--eval-command=--data',
      '--eval-command',
      dataset,
      '--json',
      '--',
      PYTHON,
      PAYLOAD,
      '--max-steps',
      '1',
      '--save-steps',
      '1',
    ]);
    assert.equal(local.code, 1, local.stderr);
    assert.deepEqual(
      (JSON.parse(local.stdout) as RunRecord[]).map((r) => `${r.spec.kind} ${r.sweepValue} ${r.state}`),
      ['finetune swift done', 'eval swift done', 'finetune broken failed', 'eval broken cancelled'],
    );
    const usage = t2vid(['task', 'finetune', '--framework', 'custom', '--output', out, '--eval-benchmarks', 'x', '--', 'true']);
    assert.equal(usage.code, 2);
    const badEval = t2vid(['task', 'finetune', '--framework', 'custom', '--output', out, '--eval-framework', 'lmms-eval', '--', 'true']);
    assert.equal(badEval.code, 2);
    assert.match(badEval.stderr, /--eval-benchmarks: lmms-eval needs the benchmarks/);
  },
);

/**
 * A login node reached through SSH: a real sshd on 127.0.0.1 (host and user keys generated here, its own config,
 * port and pid) whose sessions get this cluster's SLURM_CONF (sshd `SetEnv`, as a login node's /etc/slurm would), and
 * an `ssh` first on PATH that adds `-F` with the host alias, key and known_hosts (what ~/.ssh/config does for a user).
 */
async function startLoginNode(base: string): Promise<{ host: string; stop: () => Promise<void> }> {
  const d = path.join(base, 'login');
  fs.mkdirSync(d, { recursive: true });
  fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  for (const k of ['host', 'user']) {
    const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(d, k)], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  }
  fs.copyFileSync(path.join(d, 'user.pub'), path.join(d, 'authorized_keys'));
  const port = await new Promise<number>((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(p));
    });
  });
  fs.writeFileSync(
    path.join(d, 'sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${path.join(d, 'host')}`,
      `AuthorizedKeysFile ${path.join(d, 'authorized_keys')}`,
      `PidFile ${path.join(d, 'sshd.pid')}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'LogLevel VERBOSE',
      `SetEnv SLURM_CONF=${cluster.conf}`,
    ].join('\n') + '\n',
  );
  const sshd = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', path.join(d, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let sshdLog = '';
  sshd.stderr.on('data', (b: Buffer) => (sshdLog += b.toString()));
  const hostKey = fs.readFileSync(path.join(d, 'host.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ');
  fs.writeFileSync(path.join(d, 'known_hosts'), `[127.0.0.1]:${port} ${hostKey}\n`);
  fs.writeFileSync(
    path.join(d, 'ssh_config'),
    [
      'Host slurm-login',
      '  HostName 127.0.0.1',
      `  Port ${port}`,
      '  User root',
      `  IdentityFile ${path.join(d, 'user')}`,
      '  IdentitiesOnly yes',
      `  UserKnownHostsFile ${path.join(d, 'known_hosts')}`,
      '  StrictHostKeyChecking yes',
    ].join('\n') + '\n',
  );
  const bin = path.join(d, 'bin');
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(bin, 'ssh'), `#!/bin/sh\nexec /usr/bin/ssh -F ${path.join(d, 'ssh_config')} "$@"\n`, { mode: 0o755 });
  const oldPath = process.env.PATH;
  process.env.PATH = `${bin}:${oldPath}`;
  for (let i = 0; i < 50; i++) {
    if (spawnSync('ssh', ['-o', 'BatchMode=yes', 'slurm-login', '--', 'true']).status === 0) {
      return {
        host: 'slurm-login',
        stop: async () => {
          process.env.PATH = oldPath;
          sshd.kill('SIGTERM');
          await new Promise((r) => (sshd.exitCode === null ? sshd.once('exit', r) : r(undefined)));
        },
      };
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  process.env.PATH = oldPath;
  sshd.kill('SIGTERM');
  throw new Error(`sshd on ${port} did not accept the test key: ${sshdLog}`);
}

test('via ssh: sbatch, squeue/scontrol, the log and scancel go through ssh to the login node', { timeout: 120_000 }, async () => {
  const login = await startLoginNode(dir);
  // Without SLURM_CONF here, only the login node can reach the cluster: a local sbatch would fail.
  const conf = process.env.SLURM_CONF;
  delete process.env.SLURM_CONF;
  try {
    assert.notEqual(spawnSync('squeue', [], { encoding: 'utf8' }).status, 0, 'this side knows no cluster');
    const spec = (output: string, args: string[]): TaskSpec =>
      validateTaskSpec(
        {
          kind: 'finetune',
          framework: 'custom',
          target: 'slurm',
          output,
          dataset,
          command: [PYTHON, PAYLOAD, '--data', dataset, '--output', output, ...args],
          ssh: { host: login.host, workdir: dir, sync: 'shared' },
          slurm: { nodes: 1, gpusPerNode: 0, via: 'ssh', launcher: 'srun' },
        },
        't',
      );
    const out = path.join(dir, 'via-ssh');
    const logs: string[] = [];
    const run = await startRun(spec(out, ['--max-steps', '3']), { onLog: (t) => logs.push(t) });
    assert.equal(run.state, 'done', fs.readFileSync(path.join(out, 'run.log'), 'utf8'));
    assert.match(run.jobId ?? '', /^\d+$/);
    assert.match(logs.join(''), /step 3\/3 loss/, 'the log came back through ssh');

    const cancelOut = path.join(dir, 'via-ssh-cancel');
    const controller = new AbortController();
    const cancelled = await startRun(spec(cancelOut, ['--max-steps', '30', '--step-seconds', '1']), {
      signal: controller.signal,
      onLog: (t) => {
        if (/step 2\/30/.test(t)) {
          controller.abort();
        }
      },
    });
    assert.equal(cancelled.state, 'cancelled');
    assert.deepEqual(processesOf(cancelOut), []);
  } finally {
    process.env.SLURM_CONF = conf;
    await login.stop();
  }
  const record = JSON.parse(fs.readFileSync(path.join(dir, 'via-ssh-cancel', RUN_FILE), 'utf8')) as RunRecord;
  assert.equal(scontrol(record.jobId!).JobState, 'CANCELLED', 'scancel reached the cluster through ssh');
});
