/** `t2vid task finetune|eval …`: fine-tuning and evaluation runs from a login node or a script, as the VS Code tasks. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { dryRun, startRun, startSweep, validateTaskSpec } from '../core/tasks/engine';
import { evaluationSpec } from '../core/tasks/spec';
import { escapeControlKeepLines } from '../core/util/terminal';
import {
  DATA_SYNC_MODES,
  SLURM_LAUNCHERS,
  SLURM_SUBMIT_VIA,
  TASK_FRAMEWORKS,
  TASK_KINDS,
  TASK_TARGETS,
  type RunRecord,
  type TaskSpec,
} from '../shared/tasks';
import { interruptible, UsageError, wholeNumber } from './common';

export const TASK_HELP = `t2vid task finetune|eval --framework F --target T --output DIR [options] [-- CMD ARGS...]

Runs a fine-tune or an evaluation (T2Vid's scripts, ms-swift, LLaMA-Factory, lmms-eval, or a custom command) and
keeps the run beside its output (DIR/.t2vid-run.json, DIR/run.log). Commands are argument arrays; whatever goes
through a shell (sbatch scripts, remote command lines) is quoted.

  --framework ${TASK_FRAMEWORKS.join('|')}
  --target ${TASK_TARGETS.join('|')}   (local, ssh and slurm runs are carried out; --dry-run only plans and writes)
  --output DIR             the run's output: checkpoints, results, run.log, generated files
  --dataset FILE           the exported training set (repeat it for a sweep: one run per dataset, DIR/<name>)
  --model M                base model (fine-tune) or checkpoint (eval): a path or hub id
  --benchmarks a,b         lmms-eval tasks, e.g. videomme,mvbench,tempcompass
  --set KEY=VALUE          a hyper-parameter, passed as the framework's own --KEY VALUE (repeatable)
  --env NAME=VALUE         an environment variable of the job (repeatable)
  --python PY              the interpreter of the training environment (default python3)
  --repo DIR               T2Vid's checkout (t2vid-minicpmv, t2vid-idefics3, t2vid-eval)
  --processes N            processes on this machine or the SSH host (GPUs; a custom command runs N ranks)
  --nodes N --gpus-per-node G --partition P --time T --account A --sbatch LINE... --launcher ${SLURM_LAUNCHERS.join('|')}
  --via ${SLURM_SUBMIT_VIA.join('|')}
                           Slurm options (--sbatch: one extra #SBATCH option, e.g. --sbatch=--qos=high; --via ssh:
                           sbatch/squeue/scancel run on the login node --host through SSH). The job is submitted,
                           followed (squeue, then sacct or scontrol) with its log, and scancelled on Ctrl-C.
  --eval-framework F --eval-benchmarks a,b --eval-set KEY=VALUE --eval-model M --eval-command ARG...
                           a fine-tune sweep's evaluation step: after each dataset's fine-tune, evaluate its output
                           (DIR/<name>/eval); on Slurm submitted at once with --dependency=afterok on the fine-tune
                           (--eval-command: one argument of a custom evaluation, repeated, e.g. --eval-command=--x)
  --host H [--port P] [--identity FILE] [--ssh-config FILE] --workdir W [--sync ${DATA_SYNC_MODES.join('|')}]
                           SSH options: a host alias of ~/.ssh/config (or of --ssh-config) or user@host; the job
                           runs detached in W/runs/, an rsync'ed dataset goes to W/data/ (default rsync; shared:
                           the dataset path is read on the host as it is); BatchMode: the host key must be known
  --from FILE --label NAME a task of type "t2vid" from a tasks.json instead of the flags
  --dry-run                print the exact commands and write the generated files; run nothing
  --json                   print the run record(s) as JSON on stdout
Exit codes: 0 done (or dry run written), 1 the run failed or an error, 2 bad usage, 130 cancelled.
`;

export const TASK_ARGS = {
  framework: { type: 'string' },
  target: { type: 'string' },
  output: { type: 'string', short: 'o' },
  dataset: { type: 'string', multiple: true },
  model: { type: 'string' },
  benchmarks: { type: 'string' },
  set: { type: 'string', multiple: true },
  env: { type: 'string', multiple: true },
  python: { type: 'string' },
  repo: { type: 'string' },
  processes: { type: 'string' },
  nodes: { type: 'string' },
  'gpus-per-node': { type: 'string' },
  partition: { type: 'string' },
  time: { type: 'string' },
  account: { type: 'string' },
  sbatch: { type: 'string', multiple: true },
  launcher: { type: 'string' },
  via: { type: 'string' },
  'eval-framework': { type: 'string' },
  'eval-benchmarks': { type: 'string' },
  'eval-set': { type: 'string', multiple: true },
  'eval-model': { type: 'string' },
  'eval-command': { type: 'string', multiple: true },
  host: { type: 'string' },
  port: { type: 'string' },
  identity: { type: 'string' },
  'ssh-config': { type: 'string' },
  workdir: { type: 'string' },
  sync: { type: 'string' },
  from: { type: 'string' },
  label: { type: 'string' },
  'dry-run': { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

function pairs(list: string[] | undefined, flag: string): Record<string, string> | undefined {
  if (!list?.length) {
    return undefined;
  }
  const out: Record<string, string> = {};
  for (const item of list) {
    const at = item.indexOf('=');
    if (at < 1) {
      throw new UsageError(`${flag} takes KEY=VALUE, got ${JSON.stringify(item)}`);
    }
    out[item.slice(0, at)] = item.slice(at + 1);
  }
  return out;
}

/** JSON with comments and trailing commas, as tasks.json is written. */
function parseJsonc(text: string, file: string): unknown {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      out += c;
      if (c === '\\') {
        out += text[++i] ?? '';
      } else if (c === '"') {
        inString = false;
      }
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') {
        i++;
      }
      out += '\n';
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      const skipped = text.slice(i, end < 0 ? text.length : end + 2);
      out += skipped.replace(/[^\n]/g, ' ');
      i = end < 0 ? text.length : end + 1;
    } else {
      out += c;
    }
  }
  try {
    return JSON.parse(out.replace(/,(\s*[}\]])/g, '$1'));
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
}

function specFromFile(file: string, label: string | undefined, kind: string): TaskSpec {
  const value = parseJsonc(fs.readFileSync(file, 'utf8'), file) as { tasks?: unknown[] };
  const tasks = (value.tasks ?? []).map((t, i) => ({ t: t as Record<string, unknown>, i })).filter(({ t }) => t?.type === 't2vid');
  const found = label ? tasks.filter(({ t }) => t.label === label) : tasks;
  if (found.length !== 1) {
    throw new UsageError(
      `${file}: ${found.length ? 'several' : 'no'} task${label ? ` labelled ${JSON.stringify(label)}` : ''} of type "t2vid"${found.length ? ': pass --label' : ''}`,
    );
  }
  const { t, i } = found[0]!;
  const spec = validateTaskSpec(t, `${file}: tasks[${i}]`);
  if (spec.kind !== kind) {
    throw new UsageError(`${file}: tasks[${i}] is a ${spec.kind} task, not ${kind}`);
  }
  return { ...spec, output: path.resolve(path.dirname(file), '..', spec.output) };
}

function specFromFlags(kind: string, values: Record<string, unknown>, command: string[]): TaskSpec {
  const v = values as Record<string, string | string[] | boolean | undefined>;
  const str = (k: string): string | undefined => v[k] as string | undefined;
  const datasets = v.dataset as string[] | undefined;
  const spec: Record<string, unknown> = {
    kind,
    framework: str('framework'),
    target: str('target') ?? 'local',
    output: str('output') && path.resolve(str('output')!),
    ...(datasets?.length === 1 ? { dataset: path.resolve(datasets[0]!) } : {}),
    ...(datasets && datasets.length > 1 ? { datasets: datasets.map((d) => path.resolve(d)) } : {}),
    ...(str('model') ? { model: str('model') } : {}),
    ...(str('benchmarks') ? { benchmarks: str('benchmarks')!.split(',').filter(Boolean) } : {}),
    ...(v.set ? { hyper: pairs(v.set as string[], '--set') } : {}),
    ...(v.env ? { env: pairs(v.env as string[], '--env') } : {}),
    ...(str('python') ? { python: str('python') } : {}),
    // On an SSH host the checkout is the host's: its path is taken as given.
    ...(str('repo') ? { repo: str('target') === 'ssh' ? str('repo') : path.resolve(str('repo')!) } : {}),
    ...(str('processes') ? { processes: wholeNumber(str('processes'), '--processes', 1) } : {}),
    ...(command.length ? { command } : {}),
  };
  if (str('host') || str('workdir')) {
    spec.ssh = {
      host: str('host'),
      workdir: str('workdir'),
      sync: str('sync') ?? 'rsync',
      ...(str('port') ? { port: wholeNumber(str('port'), '--port', 1, 65535) } : {}),
      ...(str('identity') ? { identityFile: path.resolve(str('identity')!) } : {}),
      ...(str('ssh-config') ? { configFile: path.resolve(str('ssh-config')!) } : {}),
    };
  }
  if (spec.target === 'slurm' || str('nodes') || str('partition')) {
    spec.slurm = {
      nodes: wholeNumber(str('nodes') ?? '1', '--nodes', 1),
      gpusPerNode: wholeNumber(str('gpus-per-node') ?? '0', '--gpus-per-node', 0),
      via: str('via') ?? (spec.ssh ? 'ssh' : 'local'),
      ...(str('partition') ? { partition: str('partition') } : {}),
      ...(str('time') ? { time: str('time') } : {}),
      ...(str('account') ? { account: str('account') } : {}),
      ...(v.sbatch ? { extraSbatch: v.sbatch } : {}),
      ...(str('launcher') ? { launcher: str('launcher') } : {}),
    };
  }
  if (str('eval-framework')) {
    spec.evaluate = {
      framework: str('eval-framework'),
      ...(str('eval-model') ? { model: str('eval-model') } : {}),
      ...(str('eval-benchmarks') ? { benchmarks: str('eval-benchmarks')!.split(',').filter(Boolean) } : {}),
      ...(v['eval-set'] ? { hyper: pairs(v['eval-set'] as string[], '--eval-set') } : {}),
      ...(v['eval-command'] ? { command: v['eval-command'] } : {}),
    };
  } else if (str('eval-benchmarks') || v['eval-set'] || str('eval-model') || v['eval-command']) {
    throw new UsageError('the --eval-… options describe a sweep evaluation step: give --eval-framework too');
  }
  try {
    return validateTaskSpec(spec, 't2vid task');
  } catch (e) {
    // Name the flag rather than the JSON path where they match.
    throw new UsageError(
      (e as Error).message
        .replace(/\$\.evaluate\.(\w+)/, (_, k: string) => `--eval-${k === 'hyper' ? 'set' : k}`)
        .replace(/\$\.(\w+)/, (_, k: string) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`),
    );
  }
}

export async function taskCommand(argv: string[]): Promise<number> {
  const dash = argv.indexOf('--');
  const command = dash >= 0 ? argv.slice(dash + 1) : [];
  const { values, positionals } = parseArgs({ args: dash >= 0 ? argv.slice(0, dash) : argv, allowPositionals: true, options: TASK_ARGS });
  const kind = positionals[0];
  if (!kind || !(TASK_KINDS as readonly string[]).includes(kind) || positionals.length > 1) {
    throw new UsageError(`task takes ${TASK_KINDS.join(' or ')} first, then flags (see t2vid task --help)`);
  }
  const spec = values.from ? specFromFile(values.from, values.label, kind) : specFromFlags(kind, values, command);
  if (values['dry-run']) {
    const specs: TaskSpec[] = [];
    for (const d of spec.datasets ?? (spec.evaluate && spec.dataset ? [spec.dataset] : [])) {
      const output = path.join(spec.output, path.basename(path.dirname(d)));
      specs.push({ ...spec, dataset: d, datasets: undefined, evaluate: undefined, output });
      if (spec.evaluate) {
        specs.push(evaluationSpec(spec, output));
      }
    }
    for (const s of specs.length ? specs : [spec]) {
      const { text, files } = await dryRun(s);
      process.stdout.write(`${text}\n`);
      if (s.kind === 'eval' && spec.evaluate) {
        process.stdout.write(
          spec.target === 'slurm'
            ? '# a sweep submits it with --dependency=afterok:<the fine-tune job above> --kill-on-invalid-dep=yes\n'
            : '# a sweep runs it when the fine-tune above is done\n',
        );
      }
      if (files.length && !values.json) {
        process.stderr.write(`t2vid task: wrote ${files.join(', ')}\n`);
      }
    }
    return 0;
  }
  const interrupt = interruptible(
    spec.target === 'slurm'
      ? 'cancelling the run (scancel, waiting until the job ended)'
      : 'cancelling the run (its process group is stopped)',
  );
  let runs: RunRecord[];
  try {
    const cb = {
      signal: interrupt.signal,
      onLog: (text: string) => {
        if (!values.json) {
          process.stderr.write(escapeControlKeepLines(text));
        }
      },
    };
    runs = spec.datasets || spec.evaluate ? await startSweep(spec, cb) : [await startRun(spec, cb)];
  } finally {
    interrupt.dispose();
  }
  if (values.json) {
    process.stdout.write(JSON.stringify(runs.length === 1 ? runs[0] : runs) + '\n');
  }
  for (const r of runs) {
    process.stderr.write(
      `t2vid task: run ${r.id} ${r.state}${r.exitCode !== undefined ? ` (exit ${r.exitCode})` : ''}: ${r.spec.output}\n`,
    );
  }
  // 130 when the user cancelled (a sweep's evaluation that never ran after a failed fine-tune is a failure, not that).
  if (interrupt.signal.aborted || (runs.some((r) => r.state === 'cancelled') && !runs.some((r) => r.state === 'failed'))) {
    return 130;
  }
  return runs.every((r) => r.state === 'done') ? 0 : 1;
}
