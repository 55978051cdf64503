/**
 * What a task runs, per framework and target, as argument arrays (FORMATS.md gives each framework's command line and
 * its source): T2Vid's finetune_ds.sh flags under torchrun, `swift sft`, `llamafactory-cli train` with a generated
 * YAML, `accelerate launch -m lmms_eval`, T2Vid's run_bench.sh, or a custom command. Resume is the framework's own:
 * the latest `checkpoint-N` in the output is passed where the framework takes it, LLaMA-Factory resumes by itself,
 * lmms-eval continues from its response cache. For Slurm the same program goes into an sbatch script (every value
 * quoted by shellQuote) launched by `srun torchrun` with c10d rendezvous on the allocation's first host, or one
 * process per Slurm task (`launcher: srun`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { benchExperimentName, CUSTOM_ENV, SSH_FILES_LIST, SSH_SYNC_DIR, type TaskSpec } from '../../shared/tasks';
import { writeFileAtomic } from '../util/fsutil';
import { EXIT_FILE, supervisorScript } from './local';
import { shellEnv, shellJoin, shellQuote } from './quote';
import { remoteLayout, remotePathOf, remoteSpec, rsyncArgv, sshArgv as sshScriptArgv, sshOptions, sshStartArgv } from './remote';
import type { GeneratedFile, LaunchPlan, PlannedCommand, SshPlan } from './types';

/** The rendezvous / master port of multi-process launches (torchrun, srun-native). */
export const MASTER_PORT = '29500';
/** HF Trainer's distributed timeout in seconds (LLaMA-Factory's examples): long preprocessing must not hit NCCL's 30 minutes. */
export const DDP_TIMEOUT = '180000000';
/** The log and the generated files of a run, inside its output folder. */
export const RUN_LOG = 'run.log';
export const SBATCH_FILE = 't2vid-job.sbatch';
export const LLAMAFACTORY_CONFIG = 't2vid-llamafactory.yaml';

/** The highest-numbered `checkpoint-N` folder in `output`, if any. */
export function latestCheckpoint(output: string): string | undefined {
  let best: { n: number; dir: string } | undefined;
  let entries: fs.Dirent[] = [];
  try {
    entries = fs.readdirSync(output, { withFileTypes: true });
  } catch {
    return undefined;
  }
  for (const e of entries) {
    const m = /^checkpoint-(\d+)$/.exec(e.name);
    if (e.isDirectory() && m && (!best || Number(m[1]) > best.n)) {
      best = { n: Number(m[1]), dir: path.join(output, e.name) };
    }
  }
  return best?.dir;
}

/** The highest-numbered `checkpoint-N` folder among a listing of `output` (folders end with `/`), if any. */
export function latestCheckpointIn(output: string, entries: readonly string[]): string | undefined {
  let best: { n: number; name: string } | undefined;
  for (const e of entries) {
    const m = /^checkpoint-(\d+)\/$/.exec(e);
    if (m && (!best || Number(m[1]) > best.n)) {
      best = { n: Number(m[1]), name: e.slice(0, -1) };
    }
  }
  return best && path.posix.join(output, best.name);
}

/**
 * What the output folder holds where the job runs: this machine's file system, or a listing read on the host before
 * planning (`TargetRunner.listOutput`). Resume is decided from it.
 */
interface OutputState {
  checkpoint(output: string): string | undefined;
  has(output: string, name: string): boolean;
}

function outputState(entries?: readonly string[]): OutputState {
  return entries
    ? { checkpoint: (o) => latestCheckpointIn(o, entries), has: (_, name) => entries.includes(`${name}/`) || entries.includes(name) }
    : { checkpoint: latestCheckpoint, has: (o, name) => fs.existsSync(path.join(o, name)) };
}

/** Hyper-parameters as the framework's own `--name value` flags, in the order given. */
function flags(hyper: TaskSpec['hyper'] = {}): string[] {
  return Object.entries(hyper).flatMap(([k, v]) => [`--${k}`, String(v)]);
}

/** Defaults of T2Vid's finetune_ds.sh (MiniCPM-V; Idefics3 differs where noted), overridden by the spec's hyper. */
function t2vidFinetuneArgs(spec: TaskSpec, dataset: string, resume?: string): string[] {
  const minicpm = spec.framework === 't2vid-minicpmv';
  const defaults: Record<string, string> = {
    model_name_or_path: spec.model!,
    ...(minicpm ? { llm_type: 'llama3', max_slice_nums: '1' } : {}),
    data_path: dataset,
    model_max_length: minicpm ? '8666' : '131072',
    tune_vision: 'true',
    tune_llm: 'true',
    bf16: 'true',
    num_train_epochs: '1',
    per_device_train_batch_size: '2',
    gradient_accumulation_steps: '4',
    learning_rate: '5e-6',
    weight_decay: minicpm ? '0.05' : '0.01',
    warmup_ratio: '0.03',
    lr_scheduler_type: 'cosine',
    deepspeed: path.join(spec.repo!, minicpm ? 'MiniCPM-V' : 'Idefics3', 'finetune', 'ds_config_zero3.json'),
    output_dir: spec.output,
    // finetune_ds.sh saves model weights once (save_only_model, save_steps 9999): resumable checkpoints instead.
    save_strategy: 'steps',
    save_steps: '500',
    save_total_limit: '2',
    save_only_model: 'false',
    ddp_timeout: DDP_TIMEOUT,
    ...(resume ? { resume_from_checkpoint: resume } : {}),
  };
  for (const [k, v] of Object.entries(spec.hyper ?? {})) {
    defaults[k] = String(v);
  }
  return Object.entries(defaults).flatMap(([k, v]) => [`--${k}`, v]);
}

/** The program of one node or process, before the launcher: `[program, args]` plus environment and generated files. */
interface Program {
  /** torchrun-launched script (`torchrun … SCRIPT ARGS`), or a command that starts its own processes. */
  torchrunScript?: string[];
  argv?: string[];
  env: Record<string, string>;
  files: GeneratedFile[];
  cwd?: string;
  notes: string[];
  resumeFrom?: string;
  /** How many processes one node starts (GPUs): torchrun's --nproc_per_node, NPROC_PER_NODE, accelerate's --num_processes. */
  perNode: number;
}

function yaml(entries: Record<string, string | number | boolean>): string {
  return (
    Object.entries(entries)
      .map(([k, v]) => `${k}: ${typeof v === 'string' && !/^[A-Za-z0-9_./:-]+$/.test(v) ? JSON.stringify(v) : String(v)}`)
      .join('\n') + '\n'
  );
}

function programOf(spec: TaskSpec, dataset: string | undefined, perNode: number, state = outputState()): Program {
  const output = spec.output;
  const env = { ...(spec.env ?? {}) };
  const notes: string[] = [];
  switch (spec.framework) {
    case 't2vid-minicpmv':
    case 't2vid-idefics3': {
      const resume = state.checkpoint(output);
      const script = path.join(spec.repo!, spec.framework === 't2vid-minicpmv' ? 'MiniCPM-V' : 'Idefics3', 'finetune', 'finetune.py');
      notes.push('T2Vid finetune.py (HF Trainer, DeepSpeed ZeRO-3); run it in the environment its docs/TRAIN.md pins.');
      if (resume) {
        notes.push(`resumes from ${resume} (--resume_from_checkpoint; the script must pass it to trainer.train)`);
      }
      return { torchrunScript: [script, ...t2vidFinetuneArgs(spec, dataset!, resume)], env, files: [], notes, resumeFrom: resume, perNode };
    }
    case 'ms-swift': {
      const resume = state.checkpoint(output);
      const argv = ['swift', 'sft', '--model', spec.model!, '--dataset', dataset!, '--output_dir', output, '--ddp_timeout', DDP_TIMEOUT];
      argv.push(...flags(spec.hyper));
      if (resume) {
        argv.push('--resume_from_checkpoint', resume);
      }
      env.NPROC_PER_NODE = String(perNode);
      return { argv, env, files: [], notes, resumeFrom: resume, perNode };
    }
    case 'llamafactory': {
      const config: Record<string, string | number | boolean> = {
        model_name_or_path: spec.model!,
        stage: 'sft',
        do_train: true,
        finetuning_type: 'full',
        template: 'qwen2_vl',
        dataset: 't2vid_synth',
        dataset_dir: path.dirname(dataset!),
        output_dir: output,
        overwrite_output_dir: false,
        ddp_timeout: Number(DDP_TIMEOUT),
        bf16: true,
        ...(spec.hyper ?? {}),
      };
      const resume = state.checkpoint(output);
      if (resume) {
        notes.push(`LLaMA-Factory resumes from ${resume} by itself (output_dir holds a checkpoint, overwrite_output_dir false)`);
      }
      env.FORCE_TORCHRUN = '1';
      env.NPROC_PER_NODE = String(perNode);
      return {
        argv: ['llamafactory-cli', 'train', path.join(output, LLAMAFACTORY_CONFIG)],
        env,
        files: [{ path: LLAMAFACTORY_CONFIG, content: yaml(config) }],
        notes,
        resumeFrom: resume,
        perNode,
      };
    }
    case 'lmms-eval': {
      const modelType = String(spec.hyper?.model ?? 'qwen2_vl');
      const framesArg = ['llava_vid', 'idefics2'].includes(modelType) ? 'max_frames_num' : 'max_num_frames';
      const frames = String(spec.hyper?.frames ?? 24);
      const cache = path.join(output, 'cache', 'responses');
      const resumed = state.has(output, 'cache');
      if (resumed) {
        notes.push(`continues from the response cache ${cache} (--use_cache)`);
      }
      const extra = Object.entries(spec.hyper ?? {}).filter(([k]) => k !== 'model' && k !== 'frames');
      return {
        argv: [
          'accelerate',
          'launch',
          '--num_processes',
          String(perNode),
          '-m',
          'lmms_eval',
          '--model',
          modelType,
          '--model_args',
          `pretrained=${spec.model},${framesArg}=${frames}`,
          '--tasks',
          spec.benchmarks!.join(','),
          '--batch_size',
          '1',
          '--log_samples',
          '--output_path',
          output,
          '--use_cache',
          cache,
          ...extra.flatMap(([k, v]) => [`--${k}`, String(v)]),
        ],
        env,
        files: [],
        notes,
        resumeFrom: resumed ? cache : undefined,
        perNode,
      };
    }
    case 't2vid-eval': {
      const backbone = String(spec.hyper?.backbone ?? 'MiniCPM-V');
      const frames = String(spec.hyper?.frames ?? 24);
      const exp = benchExperimentName(output);
      notes.push(`T2Vid run_bench.sh writes bench_results/${exp} under ${path.join(spec.repo!, backbone, 'eval')}`);
      return {
        argv: ['bash', 'run_bench.sh', exp, spec.model!, frames],
        cwd: path.join(spec.repo!, backbone, 'eval'),
        env,
        files: [],
        notes,
        perNode,
      };
    }
    case 'custom': {
      const given = {
        ...(dataset ? { [CUSTOM_ENV.dataset]: dataset } : {}),
        [CUSTOM_ENV.output]: output,
        ...(spec.model ? { [CUSTOM_ENV.model]: spec.model } : {}),
      };
      return { argv: [...spec.command!], env: { ...given, ...env }, files: [], notes, perNode, resumeFrom: state.checkpoint(output) };
    }
  }
}

function localCommands(spec: TaskSpec, p: Program): PlannedCommand[] {
  const python = spec.python ?? 'python3';
  if (p.torchrunScript) {
    return [
      {
        argv: [
          python,
          '-m',
          'torch.distributed.run',
          '--nproc_per_node',
          String(p.perNode),
          '--nnodes',
          '1',
          '--node_rank',
          '0',
          '--master_addr',
          'localhost',
          '--master_port',
          MASTER_PORT,
          ...p.torchrunScript,
        ],
        cwd: p.cwd ?? spec.output,
        env: p.env,
      },
    ];
  }
  if (spec.framework === 'custom' && p.perNode > 1) {
    // One process per rank, joined through MASTER_ADDR/PORT (how srun-native jobs start; torchrun is not needed).
    return Array.from({ length: p.perNode }, (_, rank) => ({
      argv: p.argv!,
      cwd: p.cwd ?? spec.output,
      env: { MASTER_ADDR: '127.0.0.1', MASTER_PORT, ...p.env, RANK: String(rank), LOCAL_RANK: String(rank), WORLD_SIZE: String(p.perNode) },
    }));
  }
  return [{ argv: p.argv!, cwd: p.cwd ?? spec.output, env: p.env }];
}

/** The sbatch script of a Slurm run (FORMATS.md's pattern): kept in the output so the job can be re-submitted. */
export function sbatchScript(spec: TaskSpec, p: Program, jobName: string): string {
  const s = spec.slurm!;
  const srunNative = s.launcher === 'srun' || !p.torchrunScript;
  const tasksPerNode = s.launcher === 'srun' ? Math.max(1, s.gpusPerNode) : 1;
  const lines = [
    '#!/bin/bash',
    `#SBATCH --job-name=${shellQuote(jobName)}`,
    `#SBATCH --nodes=${s.nodes}`,
    `#SBATCH --ntasks-per-node=${tasksPerNode}`,
    ...(s.gpusPerNode > 0 ? [`#SBATCH --gpus-per-node=${s.gpusPerNode}`] : []),
    ...(s.cpusPerTask ? [`#SBATCH --cpus-per-task=${s.cpusPerTask}`] : []),
    ...(s.partition ? [`#SBATCH --partition=${s.partition}`] : []),
    ...(s.time ? [`#SBATCH --time=${s.time}`] : []),
    ...(s.account ? [`#SBATCH --account=${s.account}`] : []),
    ...(s.extraSbatch ?? []).map((l) => `#SBATCH ${l}`),
    `#SBATCH --output=${shellQuote(path.join(spec.output, RUN_LOG))}`,
    `#SBATCH --open-mode=append`,
    'set -euo pipefail',
    `cd ${shellQuote(p.cwd ?? spec.output)}`,
    'head=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n1)',
    // A port per job (the base plus the job id modulo 10,000): two jobs that share a node do not collide.
    `export MASTER_ADDR="$head" MASTER_PORT=$((${MASTER_PORT} + SLURM_JOB_ID % 10000))`,
    // The first NCCL collective can wait behind long preprocessing on another rank.
    'export TORCH_NCCL_ASYNC_ERROR_HANDLING=1 NCCL_TIMEOUT=7200',
    ...(Object.keys(p.env).length ? [`export ${shellEnv(p.env).join(' ')}`] : []),
  ];
  const python = spec.python ?? 'python3';
  if (p.torchrunScript && !srunNative) {
    lines.push(
      `srun ${shellJoin([python, '-m', 'torch.distributed.run'])} --nnodes "$SLURM_NNODES" --nproc_per_node ${p.perNode} --rdzv_id "$SLURM_JOB_ID" --rdzv_backend c10d --rdzv_endpoint "$head:$MASTER_PORT" ${shellJoin(p.torchrunScript)}`,
    );
  } else if (s.launcher === 'srun') {
    // One process per Slurm task: rank and world from Slurm's variables.
    const argv = p.torchrunScript ? [python, ...p.torchrunScript] : p.argv!;
    lines.push(
      `srun bash -c ${shellQuote(`export RANK=$SLURM_PROCID LOCAL_RANK=$SLURM_LOCALID WORLD_SIZE=$SLURM_NTASKS; exec ${shellJoin(argv)}`)}`,
    );
  } else {
    // Frameworks that start their own processes per node (swift, llamafactory-cli, accelerate): one task a node.
    lines.push(`srun bash -c ${shellQuote(`export NNODES=$SLURM_NNODES NODE_RANK=$SLURM_NODEID; exec ${shellJoin(p.argv!)}`)}`);
  }
  return lines.join('\n') + '\n';
}

/** What the planner knows beyond the spec. */
export interface PlanOptions {
  /** The run's output folder where the job runs, listed before planning (ssh: on the host); resume is decided from it. */
  outputEntries?: readonly string[];
  /** Slurm: job ids this job waits for (`--dependency=afterok`), e.g. a sweep's evaluation after its fine-tune. */
  afterOk?: string[];
}

/**
 * `sbatch --parsable [--dependency=afterok:A:B --kill-on-invalid-dep=yes] SCRIPT`: a job that waits for others to
 * complete, and is cancelled by Slurm (not left pending forever) when one of them does not.
 */
export function sbatchArgv(script: string, afterOk: readonly string[] = []): string[] {
  return [
    'sbatch',
    '--parsable',
    ...(afterOk.length ? [`--dependency=afterok:${afterOk.join(':')}`, '--kill-on-invalid-dep=yes'] : []),
    script,
  ];
}

/** The plan of one run (`dataset`: the one this run trains on; a sweep plans each of its datasets). */
export function planTask(spec: TaskSpec, dataset = spec.dataset, options: PlanOptions = {}): LaunchPlan {
  const perNode = spec.target === 'slurm' ? Math.max(1, spec.slurm!.gpusPerNode) : (spec.processes ?? 1);
  if (spec.target === 'ssh') {
    return planSsh(spec, dataset, perNode, options);
  }
  const p = programOf(spec, dataset ? path.resolve(dataset) : undefined, perNode);
  const files = [...p.files];
  const notes = [...p.notes];
  let commands: PlannedCommand[];
  if (spec.target === 'local') {
    commands = localCommands(spec, p);
  } else {
    files.push({ path: SBATCH_FILE, content: sbatchScript(spec, p, `t2vid-${spec.kind}`), mode: 0o755 });
    const sbatch = sbatchArgv(path.join(spec.output, SBATCH_FILE), options.afterOk);
    commands = [{ argv: spec.slurm!.via === 'ssh' && spec.ssh ? sshCommandArgv(spec, shellJoin(sbatch)) : sbatch }];
    notes.push(
      `a run submits the script with the sbatch line above${spec.slurm!.via === 'ssh' ? ` on ${spec.ssh?.host ?? 'the login node'}` : ''}, follows the job (squeue, then sacct or scontrol show job) and its log (${RUN_LOG} on the shared output), and stops it with scancel when the task is terminated`,
    );
  }
  const parallel = spec.target === 'local' && spec.framework === 'custom' && p.perNode > 1;
  return {
    spec,
    commands,
    files,
    resumeFrom: p.resumeFrom,
    notes,
    ...(parallel ? { parallel } : {}),
    ...(options.afterOk?.length && spec.target === 'slurm' ? { afterOk: options.afterOk } : {}),
  };
}

/** An rsync filter pattern matching exactly `name` (its wildcard characters escaped). */
function rsyncLiteral(name: string): string {
  return name.replace(/[[\]*?\\]/g, (c) => `\\${c}`);
}

/**
 * The ssh target: the program planned with the host's paths (output, synced dataset, anything under the local output
 * in a custom command, env or model), run detached on the host by a supervisor script like the local one; before it,
 * the remote folders are made and the dataset, the files it references and the generated files are rsynced.
 */
function planSsh(spec: TaskSpec, dataset: string | undefined, perNode: number, options: PlanOptions): LaunchPlan {
  const ssh = spec.ssh!;
  const layout = remoteLayout(spec, dataset);
  const hostPath = (v: string): string => remotePathOf(spec, layout, v, dataset);
  const hostSpec: TaskSpec = {
    ...spec,
    output: layout.output,
    ...(spec.command ? { command: spec.command.map(hostPath) } : {}),
    ...(spec.env ? { env: Object.fromEntries(Object.entries(spec.env).map(([k, v]) => [k, hostPath(v)])) } : {}),
    ...(spec.model ? { model: hostPath(spec.model) } : {}),
  };
  const remoteDataset = layout.dataset ?? dataset;
  const p = programOf(hostSpec, remoteDataset, perNode, options.outputEntries ? outputState(options.outputEntries) : undefined);
  const notes = [...p.notes];
  const parallel = spec.framework === 'custom' && p.perNode > 1;
  const job = supervisorScript(
    { spec: hostSpec, commands: localCommands(hostSpec, p), files: [], notes: [], ...(parallel ? { parallel } : {}) },
    path.posix.join(layout.output, EXIT_FILE),
  );
  const dirs = [layout.output, ...(layout.dataDir ? [layout.dataDir, layout.filesRoot!] : [])];
  const prepare: PlannedCommand = { argv: sshScriptArgv(ssh, `mkdir -p ${shellJoin(dirs)}`) };
  const sync: PlannedCommand[] = [];
  const output = path.resolve(spec.output);
  let datasetSync: SshPlan['dataset'];
  if (layout.dataset && dataset) {
    const file = path.resolve(dataset);
    const dir = path.dirname(file);
    const hostCopy = path.join(output, SSH_SYNC_DIR, path.basename(file));
    const filesList = path.join(output, SSH_SYNC_DIR, SSH_FILES_LIST);
    // The folder without the dataset file (sent as the host reads it) nor this run's output if it lies inside.
    const excludes = [`--exclude=/${rsyncLiteral(path.basename(file))}`];
    if (output.startsWith(dir + path.sep)) {
      excludes.push(`--exclude=/${rsyncLiteral(path.relative(dir, output).split(path.sep).join('/'))}/`);
    }
    sync.push(
      { argv: rsyncArgv(ssh, [...excludes, `${dir}/`, remoteSpec(ssh, `${layout.dataDir}/`)]) },
      { argv: rsyncArgv(ssh, [hostCopy, remoteSpec(ssh, layout.dataset)]) },
      { argv: rsyncArgv(ssh, [`--files-from=${filesList}`, '/', remoteSpec(ssh, `${layout.filesRoot}/`)]) },
    );
    datasetSync = { file, hostCopy, filesList, remoteDir: layout.dataDir!, filesRoot: layout.filesRoot! };
    notes.push(
      `rsync copies what changed of ${dir} to ${ssh.host}:${layout.dataDir}/; ${path.basename(file)} goes as the host reads it ` +
        `(${path.relative(output, hostCopy)}: paths of referenced files rewritten), the files it references outside its folder ` +
        `(listed in ${path.relative(output, filesList)}) under ${layout.filesRoot}/`,
    );
  } else if (dataset) {
    notes.push(`the dataset is read on ${ssh.host} where it is: ${dataset} (sync: shared)`);
  }
  if (p.files.length) {
    sync.push({
      argv: rsyncArgv(ssh, ['--relative', ...p.files.map((f) => `${output}/./${f.path}`), remoteSpec(ssh, `${layout.output}/`)]),
    });
  }
  const remoteLog = path.posix.join(layout.output, RUN_LOG);
  const plan: SshPlan = {
    remoteOutput: layout.output,
    remoteLog,
    ...(remoteDataset ? { remoteDataset } : {}),
    ...(datasetSync ? { dataset: datasetSync } : {}),
    prepare,
    sync,
    job,
  };
  notes.push(
    `the job runs detached on ${ssh.host} (setsid nohup, its own process group) in ${layout.output}; its log ${remoteLog} is streamed into ${path.join(output, RUN_LOG)}`,
  );
  if (!options.outputEntries) {
    notes.push(`a checkpoint in ${layout.output} on ${ssh.host} is looked up when the run starts (resume)`);
  }
  return {
    spec,
    commands: [prepare, ...sync, { argv: sshStartArgv(ssh, plan, '== t2vid run <run id>') }],
    files: p.files,
    resumeFrom: p.resumeFrom,
    notes,
    ssh: plan,
    ...(parallel ? { parallel } : {}),
  };
}

/** `ssh [options] host -- REMOTE`: REMOTE is one command line for the remote shell, built with shellJoin. */
export function sshCommandArgv(spec: TaskSpec, remote: string): string[] {
  const s = spec.ssh!;
  return ['ssh', ...sshOptions(s), s.host, '--', remote];
}

/** What `--dry-run` and "Show command" print: each command as a shell line (quoted), the files, the notes. */
export function describePlan(plan: LaunchPlan): string {
  const lines: string[] = [];
  for (const c of plan.commands) {
    const env = c.env && Object.keys(c.env).length ? `${shellEnv(c.env).join(' ')} ` : '';
    lines.push(`${c.cwd ? `(cd ${shellQuote(c.cwd)} && ` : ''}${env}${shellJoin(c.argv)}${c.cwd ? ')' : ''}`);
  }
  for (const f of plan.files) {
    lines.push(`# writes ${path.join(plan.spec.output, f.path)}`);
  }
  for (const n of plan.notes) {
    lines.push(`# ${n}`);
  }
  return lines.join('\n');
}

/** Writes the plan's generated files into the output folder (atomically) and returns their paths. */
export async function writePlanFiles(plan: LaunchPlan): Promise<string[]> {
  const out: string[] = [];
  for (const f of plan.files) {
    const file = path.join(plan.spec.output, f.path);
    await fs.promises.mkdir(path.dirname(file), { recursive: true });
    await writeFileAtomic(file, f.content);
    if (f.mode) {
      await fs.promises.chmod(file, f.mode);
    }
    out.push(file);
  }
  return out;
}
