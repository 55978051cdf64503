/**
 * The Slurm target: the plan's sbatch script is written into the run's output (a shared path the nodes see), submitted
 * with `sbatch --parsable` — on this machine, or on a login node through `ssh host -- <quoted argv>` — and the job is
 * followed by its id: its state from `squeue` while it is queued or running, then from `sacct` (when the cluster keeps
 * accounting) or `scontrol show job` (finished jobs stay there for MinJobAge); its log (`#SBATCH --output`, the run's
 * run.log on the shared output) streams into the run. Terminating the run `scancel`s the job and waits until Slurm
 * reports it ended. A run is reattached by its job id after a restart.
 *
 * Slurm's job states map to run states so:
 *   PENDING, CONFIGURING, REQUEUED, REQUEUE_HOLD, REQUEUE_FED, RESV_DEL_HOLD, SUSPENDED, STOPPED → queued
 *   RUNNING, COMPLETING, STAGE_OUT, SIGNALING, RESIZING                                  → running
 *   COMPLETED                                                                            → done
 *   CANCELLED (also "CANCELLED by UID", and a dependent job Slurm cancelled because the job it waited for
 *     did not complete: --kill-on-invalid-dep)                                            → cancelled
 *   FAILED, TIMEOUT, NODE_FAIL, OUT_OF_MEMORY, BOOT_FAIL, DEADLINE, PREEMPTED, REVOKED,
 *     SPECIAL_EXIT                                                                          → failed
 * A failed run's lastLine names the Slurm state and reason, and exitCode is the job's exit code.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { RunRecord, RunState, TaskSpec } from '../../shared/tasks';
import { SBATCH_FILE, sbatchArgv, sshCommandArgv } from './plan';
import { shellJoin, shellQuote } from './quote';
import { lastLine } from './runs';
import type { LaunchPlan, RunIO, TargetRunner } from './types';
import { sleep } from '../util/async';

/** How often the job state and its log are polled. */
export const SLURM_POLL_MS = 1000;

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout as bytes (a log read through ssh is counted in bytes). */
  bytes: Buffer;
}

/** Where the Slurm commands run: this machine, or a login node through SSH (same argv, quoted for the remote shell). */
export interface SlurmHost {
  exec(argv: string[], input?: string): Promise<ExecResult>;
  /** The bytes of `file` from `offset` on ('' when it does not exist yet). */
  readFrom(file: string, offset: number): Promise<Buffer>;
  /** Writes a generated file where the job sees it (locally the plan's files are already written). */
  put(file: string, content: string, mode?: number): Promise<void>;
}

function execFile(argv: string[], input?: string): Promise<ExecResult> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => resolve({ code: 127, stdout: '', stderr: `${argv[0]}: ${e.message}`, bytes: Buffer.alloc(0) }));
    child.on('close', (code, sig) => {
      const bytes = Buffer.concat(out);
      resolve({ code: code ?? (sig ? 128 : 1), stdout: bytes.toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), bytes });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
  });
}

export const localSlurmHost: SlurmHost = {
  exec: execFile,
  async readFrom(file, offset) {
    const handle = await fs.promises.open(file, 'r').catch(() => undefined);
    if (!handle) {
      return Buffer.alloc(0);
    }
    try {
      const { size } = await handle.stat();
      if (size <= offset) {
        return Buffer.alloc(0);
      }
      const buf = Buffer.alloc(size - offset);
      await handle.read(buf, 0, buf.length, offset);
      return buf;
    } finally {
      await handle.close();
    }
  },
  async put() {
    // writePlanFiles wrote them into the (shared) output already.
  },
};

/** The Slurm commands on a login node: `ssh … host -- shellJoin(argv)`. */
export function sshSlurmHost(spec: TaskSpec): SlurmHost {
  const exec = (argv: string[], input?: string): Promise<ExecResult> => execFile(sshCommandArgv(spec, shellJoin(argv)), input);
  return {
    exec,
    async readFrom(file, offset) {
      const r = await exec(['sh', '-c', `[ -f ${shellQuote(file)} ] && tail -c +${offset + 1} ${shellQuote(file)} || true`]);
      return r.bytes;
    },
    async put(file, content, mode) {
      const dir = path.posix.dirname(file);
      const script = `mkdir -p ${shellQuote(dir)} && cat > ${shellQuote(file)}${mode ? ` && chmod ${mode.toString(8)} ${shellQuote(file)}` : ''}`;
      const r = await exec(['sh', '-c', script], content);
      if (r.code !== 0) {
        throw new Error(`writing ${file} on ${spec.ssh?.host}: ${r.stderr.trim() || `exit ${r.code}`}`);
      }
    },
  };
}

export function slurmHostOf(spec: TaskSpec): SlurmHost {
  return spec.slurm?.via === 'ssh' ? sshSlurmHost(spec) : localSlurmHost;
}

/** What Slurm says of a job. */
export interface SlurmJobState {
  /** The Slurm state word, e.g. RUNNING, CANCELLED. */
  slurm: string;
  state: RunState;
  reason?: string;
  exitCode?: number;
  /** Jobs this one waits for, as Slurm shows them (e.g. afterok:12(unfulfilled)). */
  dependency?: string;
}

const QUEUED = ['PENDING', 'CONFIGURING', 'REQUEUED', 'REQUEUE_HOLD', 'REQUEUE_FED', 'RESV_DEL_HOLD', 'SUSPENDED', 'STOPPED'];
const RUNNING = ['RUNNING', 'COMPLETING', 'STAGE_OUT', 'SIGNALING', 'RESIZING'];
const FAILED = ['FAILED', 'TIMEOUT', 'NODE_FAIL', 'OUT_OF_MEMORY', 'BOOT_FAIL', 'DEADLINE', 'PREEMPTED', 'REVOKED', 'SPECIAL_EXIT'];

/** The run state of a Slurm state word ("CANCELLED by 0" counts as CANCELLED); undefined for a word Slurm does not use. */
export function runStateOf(slurmState: string): RunState | undefined {
  const word = slurmState.trim().split(/\s+/)[0]!.replace(/\+$/, '').toUpperCase();
  if (QUEUED.includes(word)) {
    return 'queued';
  }
  if (RUNNING.includes(word)) {
    return 'running';
  }
  if (word === 'COMPLETED') {
    return 'done';
  }
  if (word === 'CANCELLED') {
    return 'cancelled';
  }
  if (FAILED.includes(word)) {
    return 'failed';
  }
  return undefined;
}

/** `ExitCode=2:0` / sacct's `2:0`: the exit code, or 128+signal when a signal ended it. */
function exitCodeOf(text: string | undefined): number | undefined {
  const m = /^(\d+):(\d+)$/.exec(text ?? '');
  if (!m) {
    return undefined;
  }
  const [code, sig] = [Number(m[1]), Number(m[2])];
  return code === 0 && sig > 0 ? 128 + sig : code;
}

/** The fields of `scontrol show job -o ID` (one line of Key=Value words). */
export function parseScontrolJob(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  // Values hold no spaces except a few free-text fields, which come last in their group; split before each Key=.
  for (const m of text.trim().matchAll(/(?:^|\s)([A-Za-z_][\w/:]*)=(.*?)(?=\s+[A-Za-z_][\w/:]*=|$)/g)) {
    fields[m[1]!] = m[2]!;
  }
  return fields;
}

/** The job's state: squeue while Slurm lists it, then sacct (with accounting) or scontrol show job. */
export async function jobState(host: SlurmHost, jobId: string): Promise<SlurmJobState | undefined> {
  const q = await host.exec(['squeue', '-h', '-j', jobId, '-o', '%T|%r']);
  const line = q.code === 0 ? q.stdout.trim().split('\n')[0] : undefined;
  if (line) {
    const [word, reason] = line.split('|');
    const state = runStateOf(word!);
    if (state === 'queued' || state === 'running') {
      return { slurm: word!, state, ...(reason && reason !== 'None' ? { reason } : {}) };
    }
  }
  const acct = await host.exec(['sacct', '-n', '-P', '-X', '-j', jobId, '-o', 'State,ExitCode,Reason']);
  const row = acct.code === 0 ? acct.stdout.trim().split('\n')[0] : undefined;
  if (row) {
    const [word, exit, reason] = row.split('|');
    const state = runStateOf(word!);
    if (state) {
      const exitCode = exitCodeOf(exit);
      return {
        slurm: word!.split(/\s+/)[0]!,
        state,
        ...(exitCode !== undefined ? { exitCode } : {}),
        ...(reason && reason !== 'None' ? { reason } : {}),
      };
    }
  }
  const sc = await host.exec(['scontrol', 'show', 'job', '-o', jobId]);
  if (sc.code !== 0 || !sc.stdout.trim()) {
    return undefined;
  }
  const f = parseScontrolJob(sc.stdout);
  const state = f.JobState ? runStateOf(f.JobState) : undefined;
  if (!state) {
    return undefined;
  }
  const exitCode = exitCodeOf(f.ExitCode);
  return {
    slurm: f.JobState!,
    state,
    ...(f.Reason && f.Reason !== 'None' ? { reason: f.Reason } : {}),
    ...(exitCode !== undefined && state !== 'queued' && state !== 'running' ? { exitCode } : {}),
    ...(f.Dependency && f.Dependency !== '(null)' ? { dependency: f.Dependency } : {}),
  };
}

function describeEnd(job: SlurmJobState, jobId: string): string {
  const reason = job.reason ? ` (${job.reason})` : '';
  if (job.state === 'cancelled' && job.reason === 'DependencyNeverSatisfied') {
    return `Slurm job ${jobId} never ran: a job it depends on (afterok) did not complete, so Slurm cancelled it`;
  }
  return `Slurm job ${jobId} ${job.slurm}${reason}${job.exitCode !== undefined ? `, exit code ${job.exitCode}` : ''}`;
}

/** scancel, then wait until Slurm reports the job ended (nothing of it left running). */
async function cancelJob(host: SlurmHost, jobId: string): Promise<void> {
  const r = await host.exec(['scancel', jobId]);
  if (r.code !== 0 && !/Invalid job id|already completing or completed/i.test(r.stderr)) {
    throw new Error(`scancel ${jobId}: ${r.stderr.trim() || `exit ${r.code}`}`);
  }
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const job = await jobState(host, jobId);
    if (!job || (job.state !== 'queued' && job.state !== 'running')) {
      return;
    }
    await sleep(300);
  }
  throw new Error(`Slurm job ${jobId} is still listed 2 minutes after scancel`);
}

/** Follows job `jobId` to its end: state changes and log lines into `io`, scancel when `io.signal` aborts. */
async function follow(run: RunRecord, host: SlurmHost, jobId: string, io: RunIO, offset: number): Promise<void> {
  let cancelling: Promise<void> | undefined;
  const onAbort = (): void => {
    cancelling ??= cancelJob(host, jobId).catch((e: Error) => {
      io.log(`t2vid: ${e.message}\n`);
    });
  };
  io.signal.addEventListener('abort', onAbort, { once: true });
  if (io.signal.aborted) {
    onAbort();
  }
  let tail = '';
  const log = run.remoteLog ?? run.log;
  // A read can end inside a UTF-8 sequence: the decoder keeps the partial bytes for the next one.
  const decoder = new StringDecoder('utf8');
  const drain = async (): Promise<void> => {
    const buf = await host.readFrom(log, offset);
    if (buf.length) {
      offset += buf.length;
      const text = decoder.write(buf);
      tail = (tail + text).slice(-4096);
      io.log(text);
    }
  };
  try {
    let last: RunState | undefined = run.state;
    let misses = 0;
    for (;;) {
      const job = await jobState(host, jobId);
      await drain();
      if (!job) {
        // Slurm forgot the job (past MinJobAge, no accounting) or the controller is unreachable for a moment.
        if (++misses >= 10) {
          await io.update({
            state: 'failed',
            endedAt: new Date().toISOString(),
            lastLine: `Slurm no longer knows job ${jobId} (no accounting, past MinJobAge?): its end state is unknown`,
          });
          return;
        }
      } else {
        misses = 0;
        if (job.state === 'queued' || job.state === 'running') {
          if (job.state !== last) {
            last = job.state;
            await io.update({
              state: job.state,
              ...(job.state === 'running' && !run.startedAt ? { startedAt: new Date().toISOString() } : {}),
            });
          }
        } else {
          await cancelling;
          await drain();
          const ended = job.state === 'cancelled' || job.state === 'failed';
          await io.update({
            state: job.state,
            endedAt: new Date().toISOString(),
            ...(job.exitCode !== undefined ? { exitCode: job.exitCode } : {}),
            lastLine: ended ? describeEnd(job, jobId) : (lastLine(tail) ?? run.lastLine),
          });
          return;
        }
      }
      await sleep(SLURM_POLL_MS);
    }
  } finally {
    io.signal.removeEventListener('abort', onAbort);
  }
}

export const slurmRunner: TargetRunner = {
  target: 'slurm',
  async launch(run, plan: LaunchPlan, io) {
    const spec = run.spec;
    const host = slurmHostOf(spec);
    const script = path.join(spec.output, SBATCH_FILE);
    for (const f of plan.files) {
      await host.put(path.join(spec.output, f.path), f.content, f.mode);
    }
    const header = `\n== t2vid run ${run.id} (${spec.kind}, ${spec.framework}) ${new Date().toISOString()}\n`;
    let offset = 0;
    if (spec.slurm?.via !== 'ssh') {
      await fs.promises.mkdir(spec.output, { recursive: true });
      await fs.promises.appendFile(run.log, header);
      offset = (await fs.promises.stat(run.log)).size;
    } else {
      const r = await host.exec([
        'sh',
        '-c',
        `printf '%s' ${shellQuote(header)} >> ${shellQuote(run.log)} && wc -c < ${shellQuote(run.log)}`,
      ]);
      offset = Number(r.stdout.trim()) || 0;
    }
    const argv = sbatchArgv(script, plan.afterOk);
    const submitted = await host.exec(argv);
    // --parsable prints "jobid" or "jobid;cluster".
    const jobId = /^(\d+)(?:;\S+)?\s*$/.exec(submitted.stdout.trim())?.[1];
    if (submitted.code !== 0 || !jobId) {
      await io.update({
        state: 'failed',
        endedAt: new Date().toISOString(),
        lastLine: `sbatch failed: ${(submitted.stderr || submitted.stdout).trim().split('\n').pop() || `exit ${submitted.code}`}`,
      });
      io.log(`t2vid: ${shellJoin(argv)}: ${submitted.stderr}`);
      return;
    }
    io.log(`t2vid: submitted Slurm job ${jobId}${plan.afterOk?.length ? ` (after ${plan.afterOk.join(', ')} completes)` : ''}\n`);
    await io.update({ jobId, remoteLog: run.log, state: 'queued' });
    await follow(run, host, jobId, io, offset);
  },
  async reattach(run, io) {
    if (!run.jobId) {
      await io.update({ state: 'failed', endedAt: run.endedAt ?? new Date().toISOString(), lastLine: 'the run has no Slurm job id' });
      return;
    }
    const host = slurmHostOf(run.spec);
    const size =
      run.spec.slurm?.via === 'ssh'
        ? (await host.readFrom(run.remoteLog ?? run.log, 0)).length
        : ((await fs.promises.stat(run.log).catch(() => undefined))?.size ?? 0);
    await follow(run, host, run.jobId, io, size);
  },
  async cancel(run) {
    if (run.jobId) {
      await cancelJob(slurmHostOf(run.spec), run.jobId);
    }
  },
};
