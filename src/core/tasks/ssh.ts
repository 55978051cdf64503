/**
 * The ssh target: the dataset synced with rsync (only what changed), the job started detached on the host (`setsid
 * nohup`, its own process group, exit code and cancel marker beside its log, as `local.ts` does here), its log
 * streamed back into the task's terminal and a local copy byte for byte (the copy's size is the offset to continue
 * from), a dropped connection survived (reconnect with backoff, continue from that offset), a restarted window
 * reattached from the run record, cancel as SIGTERM then SIGKILL to the remote process group, and the small result
 * files pulled back at the end. Every remote command line is built by `remote.ts` with shellQuote/shellJoin.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { FINAL_RUN_STATES, RUN_FILE, SSH_FOLLOW_LOCK, type RunRecord, type SshTargetOptions, type TaskSpec } from '../../shared/tasks';
import { writeFileAtomic } from '../util/fsutil';
import { KILL_GRACE_MS } from './local';
import {
  hostDataset,
  PULL_FILTERS,
  remoteLayout,
  remoteSpec,
  rsyncArgv,
  SSH_CONNECT_TIMEOUT,
  sshArgv,
  sshCancelScript,
  sshFollowScript,
  sshListScript,
  sshStartArgv,
  sshStatusScript,
} from './remote';
import { lastLine, loadRun } from './runs';
import type { LaunchPlan, RunIO, TargetRunner } from './types';
import { sleep } from '../util/async';

/** Reconnect delays grow from the first to the cap; the follower gives up after `RECONNECT_GIVE_UP_MS` without a connection. */
export const RECONNECT_FIRST_MS = 500;
export const RECONNECT_MAX_MS = 10_000;
export const RECONNECT_GIVE_UP_MS = 10 * 60_000;

interface Exec {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs an argument array (ssh or rsync), no shell; `onStdout` gets raw bytes as they come. */
function exec(argv: string[], options: { onStdout?: (chunk: Buffer) => void; signal?: AbortSignal } = {}): Promise<Exec> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.signal ? { signal: options.signal } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      if (options.onStdout) {
        options.onStdout(d);
      } else {
        stdout += d.toString('utf8');
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString('utf8')).slice(-8000)));
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') {
        stderr += `${argv[0]} is not installed (or not on PATH)`;
      } else if (e.name !== 'AbortError') {
        stderr += e.message;
      }
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function where(ssh: SshTargetOptions): string {
  return `${ssh.host}${ssh.port ? ` (port ${ssh.port})` : ''}`;
}

/** ssh and rsync both exit 255 / rsync 12 or 255 when the connection fails; a signal-killed client counts too. */
function connectionLost(r: Exec): boolean {
  return r.code === null || r.code === 255 || (r.code === 12 && /connection|ssh/i.test(r.stderr));
}

/** An error naming the host and what failed, with a hint for an unknown host key. */
function hostError(ssh: SshTargetOptions, what: string, r: Exec): Error {
  const detail =
    r.stderr
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .slice(-3)
      .join('; ') || `exit ${r.code}`;
  let hint = '';
  if (/Host key verification failed|No .* host key is known/i.test(r.stderr)) {
    hint = `: the host's key is not known here; connect once with \`ssh${ssh.configFile ? ` -F ${ssh.configFile}` : ''} ${ssh.host}\` and accept it (BatchMode never asks)`;
  } else if (/Permission denied/i.test(r.stderr)) {
    hint = ': key authentication failed (BatchMode: no password prompt; use a key, an agent or ssh.identityFile)';
  }
  return new Error(
    `${where(ssh)}: ${what} ${connectionLost(r) ? 'could not reach the host' : `failed (exit ${r.code})`}: ${detail}${hint}`,
  );
}

async function checked(ssh: SshTargetOptions, what: string, argv: string[], signal?: AbortSignal): Promise<Exec> {
  const r = await exec(argv, signal ? { signal } : {});
  if (r.code !== 0) {
    throw hostError(ssh, what, r);
  }
  return r;
}

/** Retries an ssh command while the connection fails (backoff), up to `attempts`. */
async function retried(ssh: SshTargetOptions, what: string, argv: string[], attempts = 6): Promise<Exec> {
  let delay = RECONNECT_FIRST_MS;
  for (let i = 1; ; i++) {
    const r = await exec(argv);
    if (r.code === 0) {
      return r;
    }
    if (!connectionLost(r) || i >= attempts) {
      throw hostError(ssh, what, r);
    }
    await sleep(delay);
    delay = Math.min(delay * 2, RECONNECT_MAX_MS);
  }
}

/** Writes `content` only when it differs: an unchanged file keeps its time, so rsync sees nothing to send. */
async function writeIfChanged(file: string, content: string): Promise<void> {
  const old = await fs.promises.readFile(file, 'utf8').catch(() => undefined);
  if (old !== content) {
    await fs.promises.mkdir(path.dirname(file), { recursive: true });
    await writeFileAtomic(file, content);
  }
}

/** rsync's itemized lines of files it sent or received (`<f…` / `>f…`). */
function transferred(stdout: string): string[] {
  return stdout.split('\n').filter((l) => /^[<>]f/.test(l));
}

async function localSize(file: string): Promise<number> {
  return (await fs.promises.stat(file).catch(() => undefined))?.size ?? 0;
}

function remoteOutputOf(run: RunRecord): string {
  return path.posix.dirname(run.remoteLog!);
}

async function stopOnHost(run: RunRecord, pid: number): Promise<void> {
  const ssh = run.spec.ssh!;
  const r = await retried(
    ssh,
    'cancelling the job',
    sshArgv(ssh, sshCancelScript(remoteOutputOf(run), pid, Math.round(KILL_GRACE_MS / 1000))),
  );
  if (!/stopped/.test(r.stdout)) {
    throw new Error(`${where(ssh)}: the job's process group ${pid} still runs after SIGKILL`);
  }
}

/** Pulls the small result files of the run's remote output into the local output (json/jsonl/txt/log/csv). */
async function pullResults(run: RunRecord, io: RunIO): Promise<void> {
  const ssh = run.spec.ssh!;
  const r = await exec(rsyncArgv(ssh, [...PULL_FILTERS, remoteSpec(ssh, `${remoteOutputOf(run)}/`), `${path.resolve(run.spec.output)}/`]));
  if (r.code === 0) {
    const files = transferred(r.stdout);
    io.log(`t2vid: pulled ${files.length} result file(s) from ${ssh.host}\n`);
  } else {
    io.log(`t2vid: could not pull the result files: ${hostError(ssh, 'rsync', r).message}\n`);
  }
}

interface Follow {
  pid: number;
  /** Bytes of the remote log already in the local copy. */
  offset: number;
  /** Bytes before this remote offset go to the local copy only (history), not to the terminal. */
  quietUntil: number;
}

/** Follows the job to its end (reconnecting as needed), then records its state and pulls the results. */
async function watch(run: RunRecord, io: RunIO, f: Follow): Promise<void> {
  const ssh = run.spec.ssh!;
  const remoteOutput = remoteOutputOf(run);
  let cancelling: Promise<void> | undefined;
  let cancelError: Error | undefined;
  const onAbort = (): void => {
    cancelling ??= stopOnHost(run, f.pid).catch((e: Error) => {
      cancelError = e;
    });
  };
  io.signal.addEventListener('abort', onAbort, { once: true });
  if (io.signal.aborted) {
    onAbort();
  }
  const decoder = new StringDecoder('utf8');
  let tail = '';
  let offset = f.offset;
  const onChunk = (chunk: Buffer): void => {
    fs.appendFileSync(run.log, chunk);
    const start = offset;
    offset += chunk.length;
    if (offset > f.quietUntil) {
      const text = decoder.write(start >= f.quietUntil ? chunk : chunk.subarray(f.quietUntil - start));
      tail = (tail + text).slice(-4096);
      io.log(text);
    }
  };
  try {
    let delay = RECONNECT_FIRST_MS;
    let lostSince: number | undefined;
    let followFailed = false;
    for (;;) {
      const before = offset;
      const began = Date.now();
      const r = await exec(sshArgv(ssh, sshFollowScript(remoteOutput, run.remoteLog!, offset, f.pid)), { onStdout: onChunk });
      if (!connectionLost(r)) {
        // tail ended: the job's leader is gone (or had ended). Its state from the markers, once the cancel is through.
        await cancelling;
        const status = await retried(ssh, 'reading the job state', sshArgv(ssh, sshStatusScript(remoteOutput, f.pid)), 20);
        const lines = status.stdout.split('\n').map((l) => l.trim());
        const exit = /^\d+$/.test(lines[0] ?? '') ? Number(lines[0]) : undefined;
        const cancelled = lines.includes('cancelled') || cancelling !== undefined;
        if (exit === undefined && !cancelled && lines.includes('alive')) {
          // The job runs but its log could not be followed (e.g. a tail without --pid: the host needs GNU coreutils).
          if (r.code !== 0 && !followFailed) {
            followFailed = true;
            io.log(`t2vid: following the log on ${ssh.host} failed (exit ${r.code}): ${r.stderr.trim().slice(-500)}\n`);
          }
          await sleep(followFailed ? 5000 : 500);
          continue;
        }
        await pullResults(run, io);
        if (cancelError) {
          io.log(`t2vid: ${cancelError.message}\n`);
        }
        await io.update({
          state: cancelled ? 'cancelled' : exit === 0 ? 'done' : 'failed',
          endedAt: new Date().toISOString(),
          ...(exit !== undefined ? { exitCode: exit } : {}),
          lastLine:
            exit === undefined && !cancelled
              ? `the job ended on ${ssh.host} without an exit code (killed, or the host restarted)`
              : (lastLine(tail) ?? run.lastLine),
        });
        return;
      }
      // A session that brought bytes, or outlived any connect attempt, was a working connection: count afresh.
      if (offset > before || Date.now() - began > (SSH_CONNECT_TIMEOUT + 5) * 1000) {
        lostSince = undefined;
        delay = RECONNECT_FIRST_MS;
      }
      lostSince ??= Date.now();
      if (Date.now() - lostSince > RECONNECT_GIVE_UP_MS) {
        io.log(
          `t2vid: no connection to ${where(ssh)} for ${Math.round(RECONNECT_GIVE_UP_MS / 60_000)} min; stopped following. The job may still run there: reattach the run later.\n`,
        );
        await io.update({ lastLine: `lost the connection to ${ssh.host}; reattach to follow again` });
        return;
      }
      const reason =
        r.stderr
          .split('\n')
          .filter((l) => l.trim())
          .pop() ?? 'connection closed';
      io.log(`t2vid: lost the connection to ${where(ssh)} (${reason.trim()}); reconnecting in ${delay / 1000}s\n`);
      await sleep(delay);
      delay = Math.min(delay * 2, RECONNECT_MAX_MS);
    }
  } finally {
    io.signal.removeEventListener('abort', onAbort);
  }
}

/**
 * Takes the follow lock of the run's output: only its holder streams the remote log into the local copy (two writers
 * would append every byte twice). A lock whose process is gone is taken over. Returns its release, or undefined when
 * another live process (or another follower in this one) holds it.
 */
function takeFollowLock(run: RunRecord): (() => void) | undefined {
  const file = path.join(run.spec.output, SSH_FOLLOW_LOCK);
  const mine = `${process.pid} ${os.hostname()}\n`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      fs.writeFileSync(file, mine, { flag: 'wx' });
      return () => {
        if (fs.readFileSync(file, { encoding: 'utf8', flag: 'r' }) === mine) {
          fs.rmSync(file, { force: true });
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw e;
      }
    }
    const [pid, host] = (fs.readFileSync(file, 'utf8').trim() || '0 ?').split(' ');
    if (host !== os.hostname() || processAlive(Number(pid))) {
      // Held elsewhere (another machine sharing the folder: trusted as live), or by a live process (this one included).
      return undefined;
    }
    fs.rmSync(file, { force: true });
  }
  return undefined;
}

function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) {
    return false;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Follows a run another process streams: what its local copy gains goes to the terminal, the state comes from the
 * record it writes. Resolves `ended` when that record is final, `orphaned` when the other follower went away first.
 */
async function followCopy(run: RunRecord, io: RunIO): Promise<'ended' | 'orphaned'> {
  const decoder = new StringDecoder('utf8');
  const lock = path.join(run.spec.output, SSH_FOLLOW_LOCK);
  let offset = await localSize(run.log);
  let cancelled = false;
  for (;;) {
    const size = await localSize(run.log);
    if (size > offset) {
      const handle = await fs.promises.open(run.log, 'r');
      try {
        const buf = Buffer.alloc(size - offset);
        await handle.read(buf, 0, buf.length, offset);
        offset = size;
        io.log(decoder.write(buf));
      } finally {
        await handle.close();
      }
    }
    const record = await loadRun(path.join(run.spec.output, RUN_FILE)).catch(() => undefined);
    if (record && record.id === run.id && FINAL_RUN_STATES.includes(record.state)) {
      const { state, endedAt, exitCode, lastLine: last } = record;
      await io.update({
        state,
        ...(endedAt ? { endedAt } : {}),
        ...(exitCode !== undefined ? { exitCode } : {}),
        ...(last ? { lastLine: last } : {}),
      });
      return 'ended';
    }
    if (record && record.id !== run.id) {
      await io.update({ state: 'failed', endedAt: new Date().toISOString(), lastLine: `a newer run (${record.id}) uses this output` });
      return 'ended';
    }
    if (!fs.existsSync(lock) || takeFollowLockProbe(lock)) {
      return 'orphaned';
    }
    if (io.signal.aborted && !cancelled && run.pid !== undefined) {
      cancelled = true;
      await stopOnHost(run, run.pid).catch((e: Error) => io.log(`t2vid: ${e.message}\n`));
    }
    await sleep(500);
  }
}

/** True when the lock's process is gone (its holder died without releasing it). */
function takeFollowLockProbe(lock: string): boolean {
  const text = fs.existsSync(lock) ? fs.readFileSync(lock, 'utf8').trim() : '';
  const [pid, host] = text.split(' ');
  return host === os.hostname() && !processAlive(Number(pid));
}

/** Follows the run: streaming it when this process holds the follow lock, else reading the copy another one streams. */
async function follow(run: RunRecord, io: RunIO, f: Follow): Promise<void> {
  for (;;) {
    const release = takeFollowLock(run);
    if (release) {
      try {
        await watch(run, io, f);
      } finally {
        release();
      }
      return;
    }
    if ((await followCopy(run, io)) === 'ended') {
      return;
    }
    // The other follower is gone: continue from what the local copy holds.
    const offset = await localSize(run.log);
    f = { ...f, offset, quietUntil: offset };
  }
}

/** Sends the dataset: its host copy (paths rewritten) and the list of files it references are written, then rsync. */
async function sync(run: RunRecord, plan: LaunchPlan, io: RunIO): Promise<void> {
  const ssh = run.spec.ssh!;
  const sp = plan.ssh!;
  if (sp.dataset) {
    const layout = { output: sp.remoteOutput, dataDir: sp.dataset.remoteDir, dataset: sp.remoteDataset, filesRoot: sp.dataset.filesRoot };
    const host = await hostDataset(sp.dataset.file, layout);
    if (host.note) {
      io.log(`t2vid: ${host.note}\n`);
    }
    await writeIfChanged(sp.dataset.hostCopy, host.content);
    await writeIfChanged(sp.dataset.filesList, host.outside.map((p) => p.slice(1) + '\n').join(''));
  }
  await checked(ssh, 'making the remote folders', sp.prepare.argv, io.signal);
  const sent: string[] = [];
  for (const c of sp.sync) {
    const r = await checked(ssh, 'rsync', c.argv, io.signal);
    sent.push(...transferred(r.stdout));
  }
  io.log(`t2vid: synced ${sent.length} file(s) to ${ssh.host}\n`);
}

export const sshRunner: TargetRunner = {
  target: 'ssh',
  async listOutput(spec: TaskSpec) {
    const ssh = spec.ssh!;
    const r = await checked(ssh, 'listing the run folder', sshArgv(ssh, sshListScript(remoteLayout(spec).output)));
    return r.stdout.split('\n').filter(Boolean);
  },
  async launch(run, plan, io) {
    const ssh = run.spec.ssh!;
    const sp = plan.ssh!;
    await fs.promises.mkdir(run.spec.output, { recursive: true });
    let start: Exec;
    try {
      await sync(run, plan, io);
      if (io.signal.aborted) {
        await io.update({ state: 'cancelled', endedAt: new Date().toISOString(), lastLine: 'cancelled before the job started' });
        return;
      }
      const header = `== t2vid run ${run.id} (${run.spec.kind}, ${run.spec.framework}) ${new Date().toISOString()}`;
      start = await checked(ssh, 'starting the job', sshStartArgv(ssh, sp, header));
    } catch (e) {
      // A cancel during the sync stops rsync: that is no connection problem to report.
      const message = io.signal.aborted ? 'cancelled before the job started' : (e as Error).message;
      io.log(`t2vid: ${message}\n`);
      await io.update({
        state: io.signal.aborted ? 'cancelled' : 'failed',
        endedAt: new Date().toISOString(),
        lastLine: message.slice(0, 500),
      });
      return;
    }
    const m = /t2vid-start (\d+) (\d+)/.exec(start.stdout);
    if (!m) {
      const message = `${where(ssh)}: the job did not report its pid (${JSON.stringify(start.stdout.slice(0, 200))})`;
      io.log(`t2vid: ${message}\n`);
      await io.update({ state: 'failed', endedAt: new Date().toISOString(), lastLine: message });
      return;
    }
    const remoteSize = Number(m[1]);
    const pid = Number(m[2]);
    await io.update({ state: 'running', startedAt: new Date().toISOString(), pid, remoteLog: sp.remoteLog });
    // The local copy mirrors the remote log byte for byte; when they differ (a copy deleted, a host folder wiped),
    // the old copy is kept aside and the copy is rebuilt from the start, quietly up to this run's first byte.
    let offset = await localSize(run.log);
    if (offset !== remoteSize) {
      if (offset > 0) {
        await fs.promises.rename(run.log, `${run.log}.${Date.now()}.old`);
      }
      offset = 0;
    }
    await follow(run, io, { pid, offset, quietUntil: remoteSize });
  },
  async reattach(run, io) {
    if (run.pid === undefined || !run.remoteLog) {
      await io.update({
        state: 'failed',
        endedAt: run.endedAt ?? new Date().toISOString(),
        lastLine: `the job never started on ${run.spec.ssh?.host ?? 'the host'}`,
      });
      return;
    }
    const offset = await localSize(run.log);
    await follow(run, io, { pid: run.pid, offset, quietUntil: offset });
  },
  async cancel(run) {
    if (run.pid !== undefined && run.remoteLog) {
      await stopOnHost(run, run.pid);
    }
  },
};
