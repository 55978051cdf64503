/**
 * A task definition checked once, wherever it comes from (tasks.json, `t2vid task` flags): a valibot schema gives
 * both the type and the check, and an error names where the definition is and the JSON path of the bad field.
 */
import * as path from 'node:path';
import * as v from 'valibot';
import { issuePath } from '../../shared/protocol/schema';
import {
  DATA_SYNC_MODES,
  SWEEP_EVAL_DIR,
  SLURM_LAUNCHERS,
  SLURM_SUBMIT_VIA,
  TASK_FRAMEWORKS,
  TASK_KINDS,
  TASK_TARGETS,
  TASK_TYPE,
  type TaskSpec,
} from '../../shared/tasks';

const text = v.pipe(v.string(), v.minLength(1), v.maxLength(4096));
const whole = (min: number, max: number) => v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max));
/** A Slurm time limit: minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS. */
const SLURM_TIME = /^(\d+-)?\d+(:\d{2}){0,2}$/;
/** One `#SBATCH` option: a single `--name` or `--name=value` token, no spaces or shell characters. */
const SBATCH_LINE = /^--[a-z][a-z0-9-]*(=[A-Za-z0-9_.,:@%/+=-]+)?$/;

const benchmarks = v.pipe(v.array(v.pipe(v.string(), v.regex(/^[A-Za-z0-9_.-]+$/, 'a benchmark is a task name'))), v.minLength(1));
const hyper = v.record(
  v.pipe(v.string(), v.regex(/^[A-Za-z][A-Za-z0-9_.-]*$/, 'a hyper-parameter name is a flag name')),
  v.union([v.string(), v.number(), v.boolean()]),
);
const env = v.record(v.pipe(v.string(), v.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name')), v.string());
const command = v.pipe(v.array(v.string()), v.minLength(1));

/** What a task runs, the same in a task and in a sweep's evaluation step. */
const program = {
  model: v.exactOptional(text),
  benchmarks: v.exactOptional(benchmarks),
  hyper: v.exactOptional(hyper),
  env: v.exactOptional(env),
  python: v.exactOptional(text),
  command: v.exactOptional(command),
  repo: v.exactOptional(text),
  processes: v.exactOptional(whole(1, 1024)),
};

const TaskSpecSchema = v.strictObject({
  type: v.exactOptional(v.literal(TASK_TYPE)),
  label: v.exactOptional(v.string()),
  kind: v.picklist(TASK_KINDS),
  framework: v.picklist(TASK_FRAMEWORKS),
  target: v.picklist(TASK_TARGETS),
  ...program,
  dataset: v.exactOptional(text),
  datasets: v.exactOptional(v.pipe(v.array(text), v.minLength(1), v.maxLength(100))),
  output: text,
  ssh: v.exactOptional(
    v.strictObject({
      host: v.pipe(text, v.regex(/^[A-Za-z0-9_.@-]+$/, 'a host alias or user@host')),
      port: v.exactOptional(whole(1, 65535)),
      identityFile: v.exactOptional(text),
      configFile: v.exactOptional(text),
      workdir: text,
      sync: v.picklist(DATA_SYNC_MODES),
    }),
  ),
  slurm: v.exactOptional(
    v.strictObject({
      nodes: whole(1, 4096),
      gpusPerNode: whole(0, 64),
      cpusPerTask: v.exactOptional(whole(1, 1024)),
      partition: v.exactOptional(v.pipe(text, v.regex(/^[A-Za-z0-9_.,-]+$/, 'a partition name'))),
      time: v.exactOptional(v.pipe(v.string(), v.regex(SLURM_TIME, 'a Slurm time such as 24:00:00 or 2-00:00:00'))),
      account: v.exactOptional(v.pipe(text, v.regex(/^[A-Za-z0-9_.-]+$/, 'an account name'))),
      extraSbatch: v.exactOptional(v.array(v.pipe(v.string(), v.regex(SBATCH_LINE, 'one --option or --option=value, e.g. --qos=high')))),
      via: v.picklist(SLURM_SUBMIT_VIA),
      launcher: v.exactOptional(v.picklist(SLURM_LAUNCHERS)),
    }),
  ),
  evaluate: v.exactOptional(
    v.strictObject({
      framework: v.picklist(TASK_FRAMEWORKS),
      ...program,
    }),
  ),
});

/**
 * The evaluation a fine-tune sweep runs after the fine-tune whose output is `finetuneOutput`: on the same target,
 * its model the fine-tune's output unless given, its output `<finetuneOutput>/eval`.
 */
export function evaluationSpec(spec: TaskSpec, finetuneOutput: string): TaskSpec {
  const e = spec.evaluate!;
  const python = e.python ?? spec.python;
  const repo = e.repo ?? spec.repo;
  const processes = e.processes ?? spec.processes;
  const env = e.env ?? spec.env;
  return {
    kind: 'eval',
    framework: e.framework,
    target: spec.target,
    model: e.model ?? finetuneOutput,
    output: path.join(finetuneOutput, SWEEP_EVAL_DIR),
    ...(e.benchmarks ? { benchmarks: e.benchmarks } : {}),
    ...(e.hyper ? { hyper: e.hyper } : {}),
    ...(env ? { env } : {}),
    ...(python ? { python } : {}),
    ...(e.command ? { command: e.command } : {}),
    ...(repo ? { repo } : {}),
    ...(processes ? { processes } : {}),
    ...(spec.ssh ? { ssh: spec.ssh } : {}),
    ...(spec.slurm ? { slurm: spec.slurm } : {}),
  };
}

/** The task in `value`, or an Error `${where}: $.path: reason`. */
export function validateTaskSpec(value: unknown, where: string): TaskSpec {
  const result = v.safeParse(TaskSpecSchema, value);
  if (!result.success) {
    const issue = result.issues[0];
    throw new Error(`${where}: ${issuePath(issue)}: ${issue.message}`);
  }
  const spec = result.output as TaskSpec & { type?: string; label?: string };
  delete spec.type;
  delete spec.label;
  const fail = (path: string, why: string): never => {
    throw new Error(`${where}: ${path}: ${why}`);
  };
  if (spec.framework === 'custom' && !spec.command) {
    fail('$.command', 'a custom task needs its command as an argument array');
  }
  if (spec.framework !== 'custom' && spec.command) {
    fail('$.command', `only a custom task takes a command (${spec.framework} builds its own)`);
  }
  if (spec.dataset && spec.datasets) {
    fail('$.datasets', 'give dataset or datasets (a sweep), not both');
  }
  if (spec.kind === 'finetune' && spec.framework !== 'custom' && !spec.dataset && !spec.datasets) {
    fail('$.dataset', 'a fine-tune needs the exported dataset');
  }
  if (spec.kind === 'finetune' && ['lmms-eval', 't2vid-eval'].includes(spec.framework)) {
    fail('$.framework', `${spec.framework} evaluates: use kind "eval"`);
  }
  if (spec.kind === 'eval' && ['t2vid-minicpmv', 't2vid-idefics3', 'ms-swift', 'llamafactory'].includes(spec.framework)) {
    fail('$.framework', `${spec.framework} fine-tunes: evaluate with lmms-eval or t2vid-eval`);
  }
  if (spec.framework !== 'custom' && !spec.model) {
    fail('$.model', `${spec.framework} needs the model (a path or hub id)`);
  }
  if (spec.framework === 'lmms-eval' && !spec.benchmarks) {
    fail('$.benchmarks', 'lmms-eval needs the benchmarks (task names, e.g. ["videomme", "mvbench"])');
  }
  if (spec.framework.startsWith('t2vid-') && !spec.repo) {
    fail('$.repo', `${spec.framework} runs T2Vid's own scripts: give the path of its checkout`);
  }
  if (spec.target === 'ssh' && !spec.ssh) {
    fail('$.ssh', 'an ssh task needs ssh.host and ssh.workdir');
  }
  if (spec.target === 'slurm' && !spec.slurm) {
    fail('$.slurm', 'a Slurm task needs slurm.nodes and slurm.gpusPerNode');
  }
  if (spec.evaluate) {
    if (spec.kind !== 'finetune') {
      fail('$.evaluate', 'only a fine-tune is followed by an evaluation step');
    }
    // The evaluation is a task of its own: checked as one, its mistakes named under $.evaluate.
    try {
      validateTaskSpec(evaluationSpec(spec, spec.output), where);
    } catch (e) {
      throw new Error((e as Error).message.replace(`${where}: $.`, `${where}: $.evaluate.`));
    }
  }
  return spec;
}
