/**
 * The seams of the task engine, fixed before the work is split: a task spec becomes a `LaunchPlan` (commands as
 * argument arrays, generated files, environment), and a `TargetRunner` (local, ssh, slurm) carries it out for one
 * `RunRecord`, reporting through `RunIO`. Node only, no `vscode` import: the VS Code task provider and `t2vid task`
 * both drive these.
 */
import type { RunRecord, TaskSpec, TaskTarget } from '../../shared/tasks';

/** A file the task generates into the run's output folder before anything runs (sbatch script, YAML config…). */
export interface GeneratedFile {
  /** Path relative to the run's output folder. */
  path: string;
  content: string;
  /** POSIX mode, e.g. 0o755 for a script. */
  mode?: number;
}

/** One command of a plan: never a shell string; whatever must pass through a shell is quoted by `shellQuote`. */
export interface PlannedCommand {
  argv: string[];
  /** Working folder (on the machine that runs it). */
  cwd?: string;
  env?: Record<string, string>;
}

/** What a task runs, fully resolved: `--dry-run` prints `commands` and writes `files`, and nothing else happens. */
export interface LaunchPlan {
  spec: TaskSpec;
  /** Run one after another (the run fails at the first that fails), or all at once when `parallel` (one per rank). */
  commands: PlannedCommand[];
  parallel?: boolean;
  files: GeneratedFile[];
  /** Set when the output already holds a checkpoint (fine-tune) or an evaluation cache (eval) that this run resumes. */
  resumeFrom?: string;
  /** Human-readable lines for "Show command" / --dry-run beyond the commands (e.g. what gets synced where). */
  notes: string[];
  /** Slurm: job ids this job waits for (`--dependency=afterok`), e.g. a sweep's evaluation after its fine-tune. */
  afterOk?: string[];
  /** The ssh target: where things are on the host and what the runner sends (its `commands` are these, in order). */
  ssh?: SshPlan;
}

/** An SSH run: the `commands` of its plan are `prepare`, `sync`, then the start command (`sshStartArgv`). */
export interface SshPlan {
  /** The job's output folder and log on the host. */
  remoteOutput: string;
  remoteLog: string;
  /** The dataset as the program on the host gets it (synced copy, or the shared path as it is). */
  remoteDataset?: string;
  /** `sync: rsync`: the local dataset file, the host-side copy written before syncing, and the list of outside files. */
  dataset?: { file: string; hostCopy: string; filesList: string; remoteDir: string; filesRoot: string };
  /** Creates the remote folders. */
  prepare: PlannedCommand;
  /** The rsync commands (dataset folder, dataset file as the host reads it, the files it references outside its folder). */
  sync: PlannedCommand[];
  /** The supervisor script the host runs detached (the plan's commands with the host's paths). */
  job: string;
}

/** How a runner reports: log text as it arrives, and changes of the run record (persisted by the caller). */
export interface RunIO {
  log(text: string): void;
  update(patch: Partial<RunRecord>): Promise<void>;
  /** Aborted when the user cancels the run: the runner stops the job (process group, remote pid, scancel). */
  signal: AbortSignal;
}

export interface TargetRunner {
  readonly target: TaskTarget;
  /** Start the run and resolve when it has ended (done, failed or cancelled), the record updated through `io`. */
  launch(run: RunRecord, plan: LaunchPlan, io: RunIO): Promise<void>;
  /** Follow a run that was started earlier (after a restart): stream its log from where it is, resolve at its end. */
  reattach(run: RunRecord, io: RunIO): Promise<void>;
  /** Stop a run that is not followed by this process (e.g. from the Runs view after a restart). */
  cancel(run: RunRecord): Promise<void>;
  /**
   * The entries of the run's output folder where the job runs (folders end with `/`), read before planning so that a
   * relaunch resumes from the latest checkpoint there. Only targets whose output is not local have it.
   */
  listOutput?(spec: TaskSpec): Promise<string[]>;
}
