/**
 * The task engine: quoting through a real /bin/sh, task definitions checked with their JSON paths, each framework's
 * plan against FORMATS.md, the sbatch script, and real local runs of a torch.distributed payload (Debian's torch,
 * gloo on CPU) on a real ms-swift export: world 1 and 2, cancel with nothing left running, resume from the checkpoint,
 * and `t2vid task` (dry run, run, exit codes).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { startRun, startSweep, reattachRun, cancelRun, validateTaskSpec, findRuns } from '../../src/core/tasks/engine';
import { describePlan, planTask, LLAMAFACTORY_CONFIG, SBATCH_FILE } from '../../src/core/tasks/plan';
import { shellJoin, shellQuote } from '../../src/core/tasks/quote';
import { RUN_FILE, type RunRecord, type TaskSpec } from '../../src/shared/tasks';
import { assertResumed, makeSwiftExport, PAYLOAD, processesOf, PYTHON, t2vid } from '../support/taskPayload';

let dir: string;
let dataset: string;

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 't2vid-tasks-'));
  dataset = makeSwiftExport(dir);
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The payload as a custom local task. */
function payload(output: string, extra: Partial<TaskSpec> = {}, args: string[] = []): TaskSpec {
  return validateTaskSpec(
    {
      kind: 'finetune',
      framework: 'custom',
      target: 'local',
      output,
      dataset,
      command: [PYTHON, PAYLOAD, '--data', dataset, '--output', output, ...args],
      ...extra,
    },
    'test',
  );
}

test('shellQuote: hostile strings come back unchanged through a real /bin/sh', () => {
  const hostile = [
    "it's",
    '$(touch /tmp/pwned)',
    '`id`',
    'a b\tc',
    'line\nbreak',
    '',
    '-rf',
    '"quoted"',
    'naïve 中文',
    "'; rm -rf / #",
    '\\',
    '$HOME',
    '!',
    '*',
  ];
  const r = spawnSync('/bin/sh', ['-c', `printf '%s\\0' ${shellJoin(hostile)}`], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.stdout.split('\0').slice(0, -1), hostile);
  assert.equal(shellQuote('plain/path-1.json'), 'plain/path-1.json');
  assert.throws(() => shellQuote('a\0b'), /NUL/);
});

test('task definitions: each mistake is named with its JSON path', () => {
  const base = { kind: 'finetune', framework: 'ms-swift', target: 'local', output: '/o', dataset: '/d.jsonl', model: 'm' };
  assert.ok(validateTaskSpec(base, 'tasks.json: tasks[0]'));
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ ...base, framework: 'torchtune' }, /tasks\.json: tasks\[0\]: \$\.framework: /],
    [{ ...base, target: 'cloud' }, /\$\.target: /],
    [{ ...base, model: undefined }, /\$\.model: ms-swift needs the model/],
    [{ ...base, dataset: undefined }, /\$\.dataset: a fine-tune needs the exported dataset/],
    [{ ...base, kind: 'eval' }, /\$\.framework: ms-swift fine-tunes/],
    [{ ...base, framework: 'lmms-eval', kind: 'eval' }, /\$\.benchmarks: /],
    [{ ...base, framework: 'custom' }, /\$\.command: a custom task needs its command/],
    [{ ...base, target: 'slurm' }, /\$\.slurm: /],
    [{ ...base, target: 'slurm', slurm: { nodes: 2, gpusPerNode: 8, via: 'local', partition: 'gpu; rm -rf /' } }, /\$\.slurm\.partition: /],
    [
      { ...base, target: 'slurm', slurm: { nodes: 2, gpusPerNode: 8, via: 'local', extraSbatch: ['--qos=high', '--x y'] } },
      /\$\.slurm\.extraSbatch\[1\]: /,
    ],
    [{ ...base, target: 'slurm', slurm: { nodes: 2, gpusPerNode: 8, via: 'local', time: 'tomorrow' } }, /\$\.slurm\.time: /],
    [{ ...base, hyper: { 'bad flag': 1 } }, /\$\.hyper/],
    [{ ...base, unknown: 1 }, /\$\.unknown: /],
  ];
  for (const [value, want] of cases) {
    assert.throws(
      () => validateTaskSpec(Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)), 'tasks.json: tasks[0]'),
      want,
    );
  }
});

test('plans per framework follow FORMATS.md; a checkpoint in the output is resumed the framework’s way', () => {
  const out = path.join(dir, 'plans');
  const swift = planTask(
    validateTaskSpec(
      {
        kind: 'finetune',
        framework: 'ms-swift',
        target: 'local',
        output: out,
        dataset,
        model: 'OpenBMB/MiniCPM-Llama3-V-2_5',
        processes: 4,
        hyper: { model_type: 'minicpmv2_5', tuner_type: 'full' },
      },
      't',
    ),
  );
  const argv = swift.commands[0]!.argv;
  assert.deepEqual(argv.slice(0, 9), [
    'swift',
    'sft',
    '--model',
    'OpenBMB/MiniCPM-Llama3-V-2_5',
    '--dataset',
    dataset,
    '--output_dir',
    out,
    '--ddp_timeout',
  ]);
  assert.deepEqual(argv.slice(10), ['--model_type', 'minicpmv2_5', '--tuner_type', 'full']);
  assert.equal(swift.commands[0]!.env!.NPROC_PER_NODE, '4');
  assert.equal(swift.resumeFrom, undefined);
  fs.mkdirSync(path.join(out, 'checkpoint-50'), { recursive: true });
  fs.mkdirSync(path.join(out, 'checkpoint-200'), { recursive: true });
  const resumed = planTask(swift.spec);
  assert.equal(resumed.resumeFrom, path.join(out, 'checkpoint-200'));
  assert.deepEqual(resumed.commands[0]!.argv.slice(-2), ['--resume_from_checkpoint', path.join(out, 'checkpoint-200')]);

  const lf = planTask(
    validateTaskSpec(
      { kind: 'finetune', framework: 'llamafactory', target: 'local', output: out, dataset, model: 'Qwen/Qwen2-VL-7B-Instruct' },
      't',
    ),
  );
  assert.deepEqual(lf.commands[0]!.argv, ['llamafactory-cli', 'train', path.join(out, LLAMAFACTORY_CONFIG)]);
  assert.equal(lf.commands[0]!.env!.FORCE_TORCHRUN, '1');
  const yaml = lf.files[0]!.content;
  for (const line of [
    'stage: sft',
    'do_train: true',
    'template: qwen2_vl',
    'dataset: t2vid_synth',
    `dataset_dir: ${path.dirname(dataset)}`,
    `output_dir: ${out}`,
    'overwrite_output_dir: false',
    'ddp_timeout: 180000000',
  ]) {
    assert.ok(yaml.split('\n').includes(line), `${line} in the YAML`);
  }

  const ev = planTask(
    validateTaskSpec(
      {
        kind: 'eval',
        framework: 'lmms-eval',
        target: 'local',
        output: out,
        model: '/ckpt/final',
        benchmarks: ['videomme', 'mvbench'],
        processes: 8,
      },
      't',
    ),
  );
  const e = ev.commands[0]!.argv;
  assert.deepEqual(e.slice(0, 6), ['accelerate', 'launch', '--num_processes', '8', '-m', 'lmms_eval']);
  assert.equal(e[e.indexOf('--model_args') + 1], 'pretrained=/ckpt/final,max_num_frames=24');
  assert.equal(e[e.indexOf('--tasks') + 1], 'videomme,mvbench');
  assert.equal(e[e.indexOf('--use_cache') + 1], path.join(out, 'cache', 'responses'));
  assert.ok(e.includes('--log_samples'));
  const llava = planTask(
    validateTaskSpec(
      {
        kind: 'eval',
        framework: 'lmms-eval',
        target: 'local',
        output: out,
        model: 'm',
        benchmarks: ['mvbench'],
        hyper: { model: 'llava_vid', frames: 32 },
      },
      't',
    ),
  );
  assert.ok(llava.commands[0]!.argv.includes('pretrained=m,max_frames_num=32'));

  const t2 = planTask(
    validateTaskSpec(
      {
        kind: 'finetune',
        framework: 't2vid-minicpmv',
        target: 'local',
        output: path.join(dir, 'fresh'),
        dataset,
        model: 'openbmb/MiniCPM-Llama3-V-2_5',
        repo: '/src/T2Vid',
        processes: 8,
      },
      't',
    ),
  );
  const a = t2.commands[0]!.argv;
  assert.deepEqual(a.slice(0, 14), [
    'python3',
    '-m',
    'torch.distributed.run',
    '--nproc_per_node',
    '8',
    '--nnodes',
    '1',
    '--node_rank',
    '0',
    '--master_addr',
    'localhost',
    '--master_port',
    '29500',
    '/src/T2Vid/MiniCPM-V/finetune/finetune.py',
  ]);
  const value = (flag: string): string | undefined => a[a.indexOf(flag) + 1];
  assert.equal(value('--llm_type'), 'llama3');
  assert.equal(value('--model_max_length'), '8666');
  assert.equal(value('--data_path'), path.resolve(dataset));
  assert.equal(value('--deepspeed'), '/src/T2Vid/MiniCPM-V/finetune/ds_config_zero3.json');
  assert.equal(value('--save_only_model'), 'false', 'resumable checkpoints, unlike finetune_ds.sh');
});

test('the sbatch script: FORMATS.md’s multi-node pattern, every user value quoted', () => {
  const hostile = path.join(dir, "it's $(whoami) `id`");
  const spec = validateTaskSpec(
    {
      kind: 'finetune',
      framework: 't2vid-idefics3',
      target: 'slurm',
      output: hostile,
      dataset,
      model: 'HuggingFaceM4/Idefics3-8B-Llama3',
      repo: '/src/T2Vid',
      slurm: { nodes: 2, gpusPerNode: 8, via: 'local', partition: 'gpu', time: '24:00:00', account: 'proj1', extraSbatch: ['--qos=high'] },
    },
    't',
  );
  const plan = planTask(spec);
  const script = plan.files.find((f) => f.path === SBATCH_FILE)!.content;
  const lines = script.split('\n');
  for (const l of [
    '#SBATCH --nodes=2',
    '#SBATCH --ntasks-per-node=1',
    '#SBATCH --gpus-per-node=8',
    '#SBATCH --partition=gpu',
    '#SBATCH --time=24:00:00',
    '#SBATCH --account=proj1',
    '#SBATCH --qos=high',
  ]) {
    assert.ok(lines.includes(l), l);
  }
  assert.ok(lines.includes('head=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n1)'));
  assert.ok(lines.includes('export MASTER_ADDR="$head" MASTER_PORT=$((29500 + SLURM_JOB_ID % 10000))'), 'a port per job');
  const srun = lines.find((l) => l.startsWith('srun '))!;
  assert.match(
    srun,
    /--nnodes "\$SLURM_NNODES" --nproc_per_node 8 --rdzv_id "\$SLURM_JOB_ID" --rdzv_backend c10d --rdzv_endpoint "\$head:\$MASTER_PORT" \/src\/T2Vid\/Idefics3\/finetune\/finetune.py/,
  );
  // The hostile output folder reaches the program as one unchanged argument: parse the srun line with a real shell.
  const r = spawnSync(
    '/bin/bash',
    ['-c', `set -- ${srun.replace(/^srun /, '').replace(/"\$[A-Z_]+"|"\$head:\$MASTER_PORT"/g, 'X')}; for a; do printf '%s\\0' "$a"; done`],
    { encoding: 'utf8' },
  );
  const args = r.stdout.split('\0');
  assert.equal(args[args.indexOf('--output_dir') + 1], hostile);
  assert.equal(spawnSync('/bin/bash', ['-n', '-c', script]).status, 0, 'the script parses');
  assert.deepEqual(plan.commands[0]!.argv, ['sbatch', '--parsable', path.join(hostile, SBATCH_FILE)]);
});

test(
  'a local run of the torch.distributed payload: world 1, then 2 gloo processes; the record beside the output',
  { timeout: 300_000 },
  async () => {
    const one = path.join(dir, 'run-1');
    const logs: string[] = [];
    const states: string[] = [];
    const run = await startRun(payload(one, {}, ['--max-steps', '4']), {
      onLog: (t) => logs.push(t),
      onUpdate: (r) => states.push(r.state),
    });
    assert.equal(run.state, 'done', fs.readFileSync(run.log, 'utf8'));
    assert.equal(run.exitCode, 0);
    assert.deepEqual([...new Set(states)], ['queued', 'running', 'done']);
    assert.match(logs.join(''), /step 4\/4 loss [\d.]+ world 1/);
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(one, 'train_done.json'), 'utf8')), {
      steps: 4,
      world_size: 1,
      resumed_from: null,
    });
    const saved = JSON.parse(fs.readFileSync(path.join(one, RUN_FILE), 'utf8')) as RunRecord;
    assert.equal(saved.state, 'done');
    assert.equal(saved.lastLine, 'done');

    const two = path.join(dir, 'run-2');
    const ddp = await startRun(payload(two, { processes: 2, env: { MASTER_PORT: '29611' } }, ['--max-steps', '4']));
    assert.equal(ddp.state, 'done', fs.readFileSync(ddp.log, 'utf8'));
    assert.equal((JSON.parse(fs.readFileSync(path.join(two, 'train_done.json'), 'utf8')) as { world_size: number }).world_size, 2);
    assert.ok(fs.existsSync(path.join(two, 'checkpoint-4', 'state.pt')));
    const found = await findRuns([dir]);
    assert.deepEqual(new Set(found.map((r) => r.id)), new Set([run.id, ddp.id]));
  },
);

test('cancel stops the whole process group; a re-run resumes from the checkpoint', { timeout: 300_000 }, async () => {
  const out = path.join(dir, 'run-cancel');
  const spec = payload(out, { processes: 2, env: { MASTER_PORT: '29612' } }, [
    '--max-steps',
    '8',
    '--save-steps',
    '2',
    '--step-seconds',
    '1.5',
  ]);
  const controller = new AbortController();
  const running = startRun(spec, {
    signal: controller.signal,
    onLog: (t) => {
      if (/step 3\/8/.test(t)) {
        controller.abort();
      }
    },
  });
  const run = await running;
  assert.equal(run.state, 'cancelled');
  assert.deepEqual(processesOf(out), [], 'nothing of the run is left running');
  assert.ok(fs.existsSync(path.join(out, 'checkpoint-2')));
  assert.ok(!fs.existsSync(path.join(out, 'train_done.json')));

  const again = await startRun(payload(out, { processes: 2, env: { MASTER_PORT: '29613' } }, ['--max-steps', '8', '--save-steps', '2']));
  assertResumed(again, out);
});

test('a run outlives its follower: reattached by pid, then cancelled from the record', { timeout: 300_000 }, async () => {
  const out = path.join(dir, 'run-reattach');
  let started: RunRecord | undefined;
  // Follow the run until it is running, then stop following (the window closes): the job goes on.
  const following = startRun(payload(out, {}, ['--max-steps', '40', '--step-seconds', '0.5']), {
    onUpdate: (r) => {
      if (r.state === 'running' && !started) {
        started = r;
      }
    },
  });
  await new Promise((r) => setTimeout(r, 3000));
  assert.ok(started?.pid, 'the run has its pid');
  const record = JSON.parse(fs.readFileSync(path.join(out, RUN_FILE), 'utf8')) as RunRecord;
  const reattached = reattachRun(record);
  await new Promise((r) => setTimeout(r, 1500));
  await cancelRun(record);
  const [a, b] = await Promise.all([following, reattached]);
  assert.equal(b.state, 'cancelled', 'the reattached follower records the cancel');
  assert.equal(a.state, 'cancelled', 'so does the first one');
  assert.deepEqual(processesOf(out), []);
});

test('a sweep runs each dataset in turn under one sweep id', { timeout: 300_000 }, async () => {
  const second = path.join(dir, 'swift2');
  fs.mkdirSync(second);
  fs.copyFileSync(dataset, path.join(second, 'ms-swift.jsonl'));
  const out = path.join(dir, 'sweep');
  const spec = validateTaskSpec(
    {
      kind: 'finetune',
      framework: 'custom',
      target: 'local',
      output: out,
      datasets: [dataset, path.join(second, 'ms-swift.jsonl')],
      command: [PYTHON, PAYLOAD, '--data', dataset, '--output', '.', '--max-steps', '2'],
    },
    't',
  );
  const runs = await startSweep(spec);
  assert.equal(runs.length, 2);
  assert.ok(runs.every((r) => r.state === 'done'));
  assert.equal(new Set(runs.map((r) => r.sweepId)).size, 1);
  assert.deepEqual(
    runs.map((r) => r.sweepValue),
    ['swift', 'swift2'],
  );
  assert.deepEqual(
    runs.map((r) => path.basename(r.spec.output)),
    ['swift', 'swift2'],
  );
});

test(
  't2vid task: --dry-run prints the commands and writes the sbatch script; a local run exits 0; usage errors exit 2',
  { timeout: 300_000 },
  () => {
    const out = path.join(dir, 'cli-slurm');
    const dry = t2vid([
      'task',
      'finetune',
      '--framework',
      'ms-swift',
      '--target',
      'slurm',
      '--nodes',
      '2',
      '--gpus-per-node',
      '8',
      '--partition',
      'gpu',
      '--dataset',
      dataset,
      '--model',
      'OpenBMB/MiniCPM-Llama3-V-2_5',
      '--output',
      out,
      '--set',
      'model_type=minicpmv2_5',
      '--dry-run',
    ]);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, new RegExp(`^sbatch --parsable ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/${SBATCH_FILE}$`, 'm'));
    const script = fs.readFileSync(path.join(out, SBATCH_FILE), 'utf8');
    assert.match(script, /export NNODES=\$SLURM_NNODES NODE_RANK=\$SLURM_NODEID; exec swift sft --model OpenBMB\/MiniCPM-Llama3-V-2_5/);
    assert.ok(!fs.existsSync(path.join(out, RUN_FILE)), 'a dry run runs nothing');
    assert.equal(
      describePlan(
        planTask(validateTaskSpec({ kind: 'finetune', framework: 'custom', target: 'local', output: out, command: ['echo', "a'b"] }, 't')),
      ).split('\n')[0],
      `(cd ${out} && T2VID_OUTPUT=${out} echo 'a'\\''b')`,
    );

    const local = path.join(dir, 'cli-local');
    const ok = t2vid([
      'task',
      'finetune',
      '--framework',
      'custom',
      '--output',
      local,
      '--dataset',
      dataset,
      '--json',
      '--',
      PYTHON,
      PAYLOAD,
      '--data',
      dataset,
      '--output',
      local,
      '--max-steps',
      '2',
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal((JSON.parse(ok.stdout) as RunRecord).state, 'done');
    const failed = t2vid([
      'task',
      'finetune',
      '--framework',
      'custom',
      '--output',
      path.join(dir, 'cli-fail'),
      '--',
      PYTHON,
      PAYLOAD,
      '--data',
      path.join(dir, 'missing.jsonl'),
      '--output',
      path.join(dir, 'cli-fail'),
    ]);
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /failed \(exit 1\)/);
    for (const bad of [
      ['task', 'train', '--framework', 'custom', '--output', local],
      ['task', 'finetune', '--framework', 'nope', '--output', local],
      ['task', 'finetune', '--framework', 'ms-swift', '--output', local, '--dataset', dataset],
      ['task', 'finetune', '--framework', 'custom', '--output', local],
    ]) {
      assert.equal(t2vid(bad).code, 2, bad.join(' '));
    }
    const ssh = t2vid([
      'task',
      'finetune',
      '--framework',
      'ms-swift',
      '--target',
      'ssh',
      '--host',
      'gpu1',
      '--workdir',
      '/scratch/t2vid',
      '--dataset',
      dataset,
      '--model',
      'm',
      '--output',
      '/scratch/t2vid/out',
    ]);
    assert.equal(ssh.code, 1);
    assert.match(ssh.stderr, /gpu1: listing the run folder could not reach the host: /, 'an ssh run names the host it cannot reach');
  },
);
