/**
 * Fine-tuning and evaluation tasks, their runs and results: the vocabulary the core, the CLI (`t2vid task`), the VS Code
 * task provider, the Runs view and the results webview share. Browser-safe. A task definition (`tasks.json` entry of
 * type `t2vid`, or the CLI's flags) is one `TaskSpec`; every launch of it is one `RunRecord`, kept as JSON beside the
 * run's output so runs survive a VS Code restart and can be reattached.
 */

/** The task type declared in package.json `taskDefinitions`. */
export const TASK_TYPE = 't2vid';

export const TASK_KINDS = ['finetune', 'eval'] as const;
export type TaskKind = (typeof TASK_KINDS)[number];

/**
 * What runs: T2Vid's own MiniCPM-V / Idefics3 fine-tuning scripts (torchrun + DeepSpeed), ms-swift (`swift sft`),
 * LLaMA-Factory (`llamafactory-cli train`), lmms-eval (`accelerate launch -m lmms_eval`), T2Vid's own evaluation
 * scripts (bench_results/), or a custom command given as an argument array.
 */
export const TASK_FRAMEWORKS = [
  't2vid-minicpmv',
  't2vid-idefics3',
  'ms-swift',
  'llamafactory',
  'lmms-eval',
  't2vid-eval',
  'custom',
] as const;
export type TaskFramework = (typeof TASK_FRAMEWORKS)[number];

/** Where it runs: a process on this machine, a detached job on an SSH host, or a Slurm job (sbatch locally or through SSH). */
export const TASK_TARGETS = ['local', 'ssh', 'slurm'] as const;
export type TaskTarget = (typeof TASK_TARGETS)[number];

/** How the exported dataset reaches an SSH host: copied with rsync (only what changed), or already on a shared path. */
export const DATA_SYNC_MODES = ['rsync', 'shared'] as const;
export type DataSyncMode = (typeof DATA_SYNC_MODES)[number];

/** Where sbatch/squeue/sacct/scancel run: on this machine, or on a login node through SSH. */
export const SLURM_SUBMIT_VIA = ['local', 'ssh'] as const;
export type SlurmSubmitVia = (typeof SLURM_SUBMIT_VIA)[number];

export const RUN_STATES = ['queued', 'running', 'done', 'failed', 'cancelled'] as const;
export type RunState = (typeof RUN_STATES)[number];

/** States a run does not leave by itself. */
export const FINAL_RUN_STATES: readonly RunState[] = ['done', 'failed', 'cancelled'];

export interface SshTargetOptions {
  /** A host alias of ~/.ssh/config (or of `configFile`), or user@host. */
  host: string;
  port?: number;
  identityFile?: string;
  /** An ssh client config to use instead of ~/.ssh/config (`ssh -F`). */
  configFile?: string;
  /**
   * The remote work folder (absolute, or relative to the remote home): a synced dataset goes to
   * `<workdir>/data/<folder>-<hash>/`, the files it references from outside its folder to `<workdir>/data/files/<their
   * local absolute path>`, and the run's output and log live in `<workdir>/runs/<output name>-<hash>/`.
   */
  workdir: string;
  sync: DataSyncMode;
}

/** Folders under an SSH host's `workdir`: synced datasets (and the files they reference), and the runs' outputs. */
export const SSH_DATA_DIR = 'data';
export const SSH_FILES_DIR = 'files';
export const SSH_RUNS_DIR = 'runs';
/** In a run's local output: the dataset file as the host reads it (paths rewritten) and the list of files it references. */
export const SSH_SYNC_DIR = '.t2vid-sync';
export const SSH_FILES_LIST = 'files.txt';
/**
 * In a run's local output while an ssh run is followed: `<pid> <hostname>` of the one process that streams the remote log
 * into the local copy; another follower (a second window, the Runs view beside a CLI run) reads the copy instead.
 */
export const SSH_FOLLOW_LOCK = '.t2vid-follow';

export interface SlurmTargetOptions {
  nodes: number;
  gpusPerNode: number;
  cpusPerTask?: number;
  partition?: string;
  /** Slurm time limit, e.g. 24:00:00. */
  time?: string;
  account?: string;
  /** Extra `#SBATCH` lines, each without the prefix, e.g. `--qos=high`. */
  extraSbatch?: string[];
  via: SlurmSubmitVia;
  /** How the processes start: torchrun per node (default, with c10d rendezvous), or one per Slurm task (`srun`). */
  launcher?: SlurmLauncher;
}

export const SLURM_LAUNCHERS = ['torchrun', 'srun'] as const;
export type SlurmLauncher = (typeof SLURM_LAUNCHERS)[number];

/**
 * The evaluation step of a fine-tune sweep: after each dataset's fine-tune, this evaluation runs on the fine-tune's
 * output (its model, unless `model` is given) into `<fine-tune output>/eval`, on the same target. Locally it runs when
 * the fine-tune is done; on Slurm it is submitted at once with `--dependency=afterok:<fine-tune job>`.
 */
export type SweepEvaluation = Pick<
  TaskSpec,
  'framework' | 'model' | 'benchmarks' | 'hyper' | 'env' | 'python' | 'command' | 'repo' | 'processes'
>;

/** The fields of a sweep's evaluation step (`evaluate` of a task definition), for package.json and the CLI. */
export const SWEEP_EVALUATION_FIELDS = [
  'framework',
  'model',
  'benchmarks',
  'hyper',
  'env',
  'python',
  'command',
  'repo',
  'processes',
] as const;

/**
 * The environment a `custom` command gets, so one command serves every run of a sweep: the run's dataset (absolute),
 * its output folder, and the model (for an evaluation: the fine-tune's output).
 */
export const CUSTOM_ENV = { dataset: 'T2VID_DATASET', output: 'T2VID_OUTPUT', model: 'T2VID_MODEL' } as const;

/** The folder of a sweep's evaluation inside its fine-tune's output. */
export const SWEEP_EVAL_DIR = 'eval';

/**
 * The EXP name a `t2vid-eval` run gives T2Vid's run_bench.sh (its results go to `bench_results/<EXP>` in T2Vid's
 * checkout): the output folder's name, or `<fine-tune folder>-eval` for a sweep's evaluation (every one of those is
 * in a folder named `eval`, and they would overwrite each other's bench_results).
 */
export function benchExperimentName(output: string): string {
  const parts = output.split(/[\\/]+/).filter(Boolean);
  const last = parts[parts.length - 1] ?? output;
  return last === SWEEP_EVAL_DIR && parts.length > 1 ? `${parts[parts.length - 2]}-${SWEEP_EVAL_DIR}` : last;
}

/** One task definition: a tasks.json entry of type `t2vid`, or `t2vid task` flags. */
export interface TaskSpec {
  kind: TaskKind;
  framework: TaskFramework;
  target: TaskTarget;
  /** Model path or hub id (fine-tune: the base model; eval: the model or checkpoint evaluated). */
  model?: string;
  /** The exported dataset (a file of the training-set export). A sweep gives several. */
  dataset?: string;
  /** A sweep: one fine-tune (then eval) per dataset, the runs share a sweep id. */
  datasets?: string[];
  /** Evaluation benchmarks (lmms-eval task names, e.g. mvbench, videomme, tempcompass). */
  benchmarks?: string[];
  /** The run's output folder (checkpoints, results, the run's JSON and log). */
  output: string;
  /** Hyper-parameters passed to the framework as its own flags (e.g. learning_rate, num_train_epochs). */
  hyper?: Record<string, string | number | boolean>;
  /** Extra environment variables of the job. */
  env?: Record<string, string>;
  /** The Python interpreter of the training or evaluation environment (default python3). */
  python?: string;
  /** `custom`: the command as an argument array. */
  command?: string[];
  /** T2Vid's repository checkout (t2vid-minicpmv, t2vid-idefics3, t2vid-eval run its scripts). */
  repo?: string;
  /** GPUs (processes) on this machine for a local run (default 1); `custom` runs this many processes, ranks 0…N−1. */
  processes?: number;
  /**
   * The ssh target. `model`, `repo` and `python` are then the host's; the dataset and anything under `output` named in
   * `command`, `env` or `model` are mapped to their places on the host (see SshTargetOptions.workdir).
   */
  ssh?: SshTargetOptions;
  slurm?: SlurmTargetOptions;
  /** A fine-tune sweep's evaluation step: fine-tune then eval for each dataset. */
  evaluate?: SweepEvaluation;
}

/** One launch of a task, saved as `<output>/.t2vid-run.json` (atomically) and listed by the Runs view. */
export interface RunRecord {
  /** Unique id, e.g. `20261128-194500-finetune-ab12`. */
  id: string;
  spec: TaskSpec;
  state: RunState;
  /** ISO times. */
  createdAt: string;
  startedAt?: string;
  endedAt?: string;
  exitCode?: number;
  /** Local target: the process group leader; ssh target: the job's process group leader on the host. */
  pid?: number;
  /** Slurm target: the job id (several for a sweep chained with afterok are separate runs). */
  jobId?: string;
  /** The log on the machine that runs the job (remote path for ssh/slurm), and its local copy. */
  remoteLog?: string;
  log: string;
  /** The last non-empty line of the log, for the Runs view. */
  lastLine?: string;
  /** Set when this run resumed a previous one on the same output (from its latest checkpoint or eval cache). */
  resumedFrom?: string;
  /** Sweep id and the swept value (e.g. the dataset's file name or the synthetic share). */
  sweepId?: string;
  sweepValue?: string;
  /** A sweep's evaluation: the fine-tune run it evaluates (it waits for it: afterok on Slurm, in turn locally). */
  after?: string;
}

/** The run file's name inside a run's output folder. */
export const RUN_FILE = '.t2vid-run.json';
