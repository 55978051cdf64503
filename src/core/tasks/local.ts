/**
 * The local target: the plan's commands run under one small `sh` supervisor in a process group of their own
 * (detached), writing to `<output>/run.log` and, at the end, the exit code to `<output>/.t2vid-exit`. So the job
 * survives the window that started it, is found again by its pid, and is stopped as a whole (SIGTERM to the group,
 * SIGKILL after a grace period) with nothing left running. The supervisor script is built with shellJoin only.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunRecord } from '../../shared/tasks';
import { shellEnv, shellJoin, shellQuote } from './quote';
import { lastLine } from './runs';
import type { LaunchPlan, PlannedCommand, RunIO, TargetRunner } from './types';
import { sleep } from '../util/async';

export const EXIT_FILE = '.t2vid-exit';
/** Written before a cancel stops the group, so every follower (this window or another) records "cancelled". */
export const CANCEL_FILE = '.t2vid-cancelled';
/** Seconds between SIGTERM and SIGKILL when a run is cancelled. */
export const KILL_GRACE_MS = 10_000;
const POLL_MS = 200;

function commandLine(c: PlannedCommand): string {
  const env = c.env && Object.keys(c.env).length ? `env ${shellEnv(c.env).join(' ')} ` : '';
  return `${c.cwd ? `cd ${shellQuote(c.cwd)} && ` : ''}exec ${env}${shellJoin(c.argv)}`;
}

/** The supervisor: sequential commands stop at the first failure; parallel ones (ranks) all run, the first failure wins. */
export function supervisorScript(plan: LaunchPlan, exitFile: string): string {
  const body: string[] = [];
  if (plan.parallel) {
    plan.commands.forEach((c, i) => body.push(`(${commandLine(c)}) & p${i}=$!`));
    body.push('rc=0');
    plan.commands.forEach((_, i) => body.push(`wait $p${i}; r=$?; [ $rc -eq 0 ] && rc=$r`));
  } else {
    body.push('rc=0');
    for (const c of plan.commands) {
      body.push(`[ $rc -eq 0 ] && { (${commandLine(c)}); rc=$?; }`);
    }
  }
  body.push(`echo $rc > ${shellQuote(exitFile)}`, 'exit $rc');
  return body.join('\n');
}

function alive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Streams what is appended to `file` from `offset` until `done()` says stop (then drains once more). */
async function follow(file: string, offset: number, io: Pick<RunIO, 'log'>, done: () => boolean): Promise<string> {
  let tail = '';
  const read = async (): Promise<void> => {
    const st = await fs.promises.stat(file).catch(() => undefined);
    if (!st || st.size <= offset) {
      return;
    }
    const handle = await fs.promises.open(file, 'r');
    try {
      const buf = Buffer.alloc(st.size - offset);
      await handle.read(buf, 0, buf.length, offset);
      offset = st.size;
      const text = buf.toString('utf8');
      tail = (tail + text).slice(-4096);
      io.log(text);
    } finally {
      await handle.close();
    }
  };
  while (!done()) {
    await read();
    await sleep(POLL_MS);
  }
  await read();
  return tail;
}

async function readExit(output: string): Promise<number | undefined> {
  const text = await fs.promises.readFile(path.join(output, EXIT_FILE), 'utf8').catch(() => undefined);
  const n = text === undefined ? NaN : Number(text.trim());
  return Number.isInteger(n) ? n : undefined;
}

async function stopGroup(pgid: number, output: string): Promise<void> {
  await fs.promises.writeFile(path.join(output, CANCEL_FILE), new Date().toISOString()).catch(() => undefined);
  try {
    process.kill(-pgid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + KILL_GRACE_MS;
  while (alive(pgid) && Date.now() < deadline) {
    await sleep(100);
  }
  if (alive(pgid)) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}

/** Follows a running process group to its end; the state from the exit file (or cancelled). */
async function watch(run: RunRecord, pgid: number, io: RunIO, offset: number): Promise<void> {
  let cancelled = false;
  const onAbort = (): void => {
    cancelled = true;
    void stopGroup(pgid, run.spec.output);
  };
  io.signal.addEventListener('abort', onAbort, { once: true });
  if (io.signal.aborted) {
    onAbort();
  }
  try {
    const tail = await follow(run.log, offset, io, () => !alive(pgid));
    const exitCode = await readExit(run.spec.output);
    cancelled ||= fs.existsSync(path.join(run.spec.output, CANCEL_FILE));
    await io.update({
      state: cancelled ? 'cancelled' : exitCode === 0 ? 'done' : 'failed',
      endedAt: new Date().toISOString(),
      ...(exitCode !== undefined ? { exitCode } : {}),
      lastLine: lastLine(tail) ?? run.lastLine,
    });
  } finally {
    io.signal.removeEventListener('abort', onAbort);
  }
}

export const localRunner: TargetRunner = {
  target: 'local',
  async launch(run, plan, io) {
    const output = run.spec.output;
    await fs.promises.mkdir(output, { recursive: true });
    await fs.promises.rm(path.join(output, EXIT_FILE), { force: true });
    await fs.promises.rm(path.join(output, CANCEL_FILE), { force: true });
    const offset = (await fs.promises.stat(run.log).catch(() => undefined))?.size ?? 0;
    const fd = fs.openSync(run.log, 'a');
    let child;
    try {
      fs.writeSync(fd, `\n== t2vid run ${run.id} (${run.spec.kind}, ${run.spec.framework}) ${new Date().toISOString()}\n`);
      child = spawn('/bin/sh', ['-c', supervisorScript(plan, path.join(output, EXIT_FILE))], {
        cwd: output,
        detached: true,
        stdio: ['ignore', fd, fd],
        env: process.env,
      });
    } finally {
      fs.closeSync(fd);
    }
    const pid = child.pid;
    if (pid === undefined) {
      await io.update({ state: 'failed', endedAt: new Date().toISOString(), lastLine: 'could not start /bin/sh' });
      return;
    }
    child.unref();
    // Reap the supervisor when this process is its parent (it then is no zombie that `alive` would count).
    child.on('exit', () => undefined);
    await io.update({ state: 'running', startedAt: new Date().toISOString(), pid });
    await watch(run, pid, io, offset);
  },
  async reattach(run, io) {
    if (run.pid === undefined || !alive(run.pid)) {
      const exitCode = await readExit(run.spec.output);
      const cancelled = fs.existsSync(path.join(run.spec.output, CANCEL_FILE));
      await io.update({
        state: cancelled ? 'cancelled' : exitCode === 0 ? 'done' : 'failed',
        endedAt: run.endedAt ?? new Date().toISOString(),
        ...(exitCode !== undefined ? { exitCode } : { lastLine: 'the run ended while nobody followed it, with no exit code' }),
      });
      return;
    }
    const offset = (await fs.promises.stat(run.log).catch(() => undefined))?.size ?? 0;
    await watch(run, run.pid, io, offset);
  },
  async cancel(run) {
    if (run.pid !== undefined && alive(run.pid)) {
      await stopGroup(run.pid, run.spec.output);
    }
  },
};
