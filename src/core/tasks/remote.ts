/**
 * Where an SSH run's things live on the host, and how to reach it. The local output keeps the run record, the streamed
 * copy of the log and the small result files pulled back; the job's own output is `<workdir>/runs/<name>-<hash>` on the
 * host (the hash of the local output's absolute path, so two outputs of one name never share a folder and a relaunch
 * finds its checkpoints). With `sync: rsync` the dataset's folder goes to `<workdir>/data/<name>-<hash>/` and the
 * files its records reference outside that folder (frames referenced in place by an export) to
 * `<workdir>/data/files/<local absolute path>`; the dataset file itself is sent as the host reads it, its paths
 * rewritten (exports write absolute local paths by default). Every ssh and rsync call goes through `sshOptions`:
 * BatchMode (never a prompt), the user's config (or `-F`), and no override of StrictHostKeyChecking: a host whose key
 * is not known fails with a hint instead of being trusted silently.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SSH_DATA_DIR, SSH_FILES_DIR, SSH_RUNS_DIR, type SshTargetOptions, type TaskSpec } from '../../shared/tasks';
import { CANCEL_FILE, EXIT_FILE } from './local';
import { shellJoin, shellQuote } from './quote';
import type { SshPlan } from './types';

/** Seconds ssh waits for a connection, and between keep-alives (3 missed: the connection counts as dropped). */
export const SSH_CONNECT_TIMEOUT = 15;
export const SSH_ALIVE_INTERVAL = 5;

export interface RemoteLayout {
  /** The run's output folder on the host. */
  output: string;
  /** rsync mode: the dataset's folder, the dataset file and the root of outside files on the host. */
  dataDir?: string;
  dataset?: string;
  filesRoot?: string;
}

function hash8(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}

/** `~/x` is `x` (relative paths are relative to the remote home, where ssh starts), `~` is `.`. */
export function remoteWorkdir(workdir: string): string {
  if (workdir === '~') {
    return '.';
  }
  return workdir.startsWith('~/') ? workdir.slice(2) || '.' : workdir;
}

function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '_') || 'x';
}

export function remoteLayout(spec: TaskSpec, dataset = spec.dataset): RemoteLayout {
  const ssh = spec.ssh!;
  const work = remoteWorkdir(ssh.workdir);
  const out = path.resolve(spec.output);
  const layout: RemoteLayout = { output: path.posix.join(work, SSH_RUNS_DIR, `${safeName(path.basename(out))}-${hash8(out)}`) };
  if (ssh.sync === 'rsync' && dataset) {
    const file = path.resolve(dataset);
    const dir = path.dirname(file);
    layout.dataDir = path.posix.join(work, SSH_DATA_DIR, `${safeName(path.basename(dir))}-${hash8(dir)}`);
    layout.dataset = path.posix.join(layout.dataDir, path.basename(file));
    layout.filesRoot = path.posix.join(work, SSH_DATA_DIR, SSH_FILES_DIR);
  }
  return layout;
}

/** A local path as the host sees it: the dataset file and folder, and anything under the local output. */
export function remotePathOf(spec: TaskSpec, layout: RemoteLayout, value: string, dataset = spec.dataset): string {
  const out = path.resolve(spec.output);
  if (dataset && layout.dataset) {
    const file = path.resolve(dataset);
    if (value === dataset || value === file) {
      return layout.dataset;
    }
    if (value === path.dirname(file)) {
      return layout.dataDir!;
    }
  }
  if (value === spec.output || value === out) {
    return layout.output;
  }
  if (value.startsWith(out + path.sep)) {
    return path.posix.join(
      layout.output,
      value
        .slice(out.length + 1)
        .split(path.sep)
        .join('/'),
    );
  }
  return value;
}

/** ssh's options for `spec.ssh` (config, port, identity, BatchMode, timeouts), without the host. */
export function sshOptions(ssh: SshTargetOptions): string[] {
  return [
    ...(ssh.configFile ? ['-F', ssh.configFile] : []),
    ...(ssh.port ? ['-p', String(ssh.port)] : []),
    ...(ssh.identityFile ? ['-i', ssh.identityFile] : []),
    '-o',
    'BatchMode=yes',
    '-o',
    `ConnectTimeout=${SSH_CONNECT_TIMEOUT}`,
    '-o',
    `ServerAliveInterval=${SSH_ALIVE_INTERVAL}`,
    '-o',
    'ServerAliveCountMax=3',
  ];
}

/** `ssh … HOST -- sh -c SCRIPT`: the script runs under sh whatever the remote login shell is. */
export function sshArgv(ssh: SshTargetOptions, script: string): string[] {
  return ['ssh', ...sshOptions(ssh), ssh.host, '--', shellJoin(['sh', '-c', script])];
}

/**
 * rsync's `-e`: rsync splits it on spaces and honours quotes but not backslashes, so a value holding a single quote
 * (which shellQuote writes as '\'') cannot pass: refused with its name.
 */
export function rsyncShell(ssh: SshTargetOptions): string {
  for (const [name, value] of [
    ['ssh.configFile', ssh.configFile],
    ['ssh.identityFile', ssh.identityFile],
  ] as const) {
    if (value && /['\\]/.test(value)) {
      throw new Error(`${name}: rsync cannot pass a path holding ' or \\ to ssh (${JSON.stringify(value)})`);
    }
  }
  return shellJoin(['ssh', ...sshOptions(ssh)]);
}

/** rsync to or from the host: archive, keep partial files, itemize what it transfers (one line per change). */
export function rsyncArgv(ssh: SshTargetOptions, args: string[]): string[] {
  return ['rsync', '-a', '--partial', '--itemize-changes', '-e', rsyncShell(ssh), ...args];
}

/** `host:path` for rsync (rsync ≥ 3.2.4 passes remote paths to the remote rsync unsplit, spaces and all). */
export function remoteSpec(ssh: SshTargetOptions, remotePath: string): string {
  return `${ssh.host}:${remotePath}`;
}

/** File names of frames and media a dataset record may reference by a relative path. */
const MEDIA = /\.(png|jpe?g|webp|gif|bmp|tiff?|mp4|mkv|webm|avi|mov|wav|mp3|flac|npy|npz|pt)$/i;

export interface HostDataset {
  /** The dataset file's text as the host reads it (unchanged when nothing needed rewriting). */
  content: string;
  /** Local absolute paths of referenced files outside the dataset's folder (synced to `filesRoot`). */
  outside: string[];
  /** How many references were rewritten. */
  rewritten: number;
  /** Set when the file is not JSON/JSONL: sent as it is. */
  note?: string;
}

/**
 * The dataset file as the host reads it: every string of its records that names an existing local file is mapped to
 * where that file is on the host (inside the dataset's folder: the synced folder; elsewhere: `filesRoot` + its
 * absolute path). Relative references inside the folder stay relative (the folder keeps its layout).
 */
export async function hostDataset(file: string, layout: RemoteLayout): Promise<HostDataset> {
  const text = await fs.promises.readFile(file, 'utf8');
  const dir = path.dirname(path.resolve(file));
  const outside = new Set<string>();
  const known = new Map<string, boolean>();
  let rewritten = 0;
  const isFile = (p: string): boolean => {
    let v = known.get(p);
    if (v === undefined) {
      try {
        v = fs.statSync(p).isFile();
      } catch {
        v = false;
      }
      known.set(p, v);
    }
    return v;
  };
  const mapString = (s: string): string => {
    if (s.length > 4096 || s.includes('\n') || !(path.isAbsolute(s) || MEDIA.test(s))) {
      return s;
    }
    const abs = path.resolve(dir, s);
    if (!isFile(abs)) {
      return s;
    }
    if (abs.startsWith(dir + path.sep)) {
      if (!path.isAbsolute(s)) {
        return s;
      }
      rewritten++;
      return path.posix.join(layout.dataDir!, path.relative(dir, abs).split(path.sep).join('/'));
    }
    outside.add(abs);
    rewritten++;
    return path.posix.join(layout.filesRoot!, abs.split(path.sep).join('/'));
  };
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      return mapString(v);
    }
    if (Array.isArray(v)) {
      return v.map(walk);
    }
    if (v && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, walk(x)]));
    }
    return v;
  };
  let content: string;
  try {
    if (/\.jsonl$/i.test(file)) {
      content = text
        .split('\n')
        .map((line) => (line.trim() ? JSON.stringify(walk(JSON.parse(line))) : line))
        .join('\n');
    } else {
      const value: unknown = JSON.parse(text);
      content = JSON.stringify(walk(value), null, Array.isArray(value) ? undefined : 2) + '\n';
    }
  } catch {
    return { content: text, outside: [], rewritten: 0, note: `${file} is not JSON/JSONL: sent as it is, its references unchanged` };
  }
  return rewritten ? { content, outside: [...outside].sort(), rewritten } : { content: text, outside: [], rewritten: 0 };
}

/** The markers a job writes beside its log on the host (as on local: exit code, cancel). */
function markers(plan: Pick<SshPlan, 'remoteOutput'>): { exit: string; cancel: string } {
  return { exit: path.posix.join(plan.remoteOutput, EXIT_FILE), cancel: path.posix.join(plan.remoteOutput, CANCEL_FILE) };
}

/**
 * Starts the job detached on the host: clears the markers, prints the log's size before the run (where this run's
 * bytes start), appends `header`, and runs the supervisor under `setsid nohup` (its own session and process group,
 * stdin from /dev/null, output appended to the log), then prints its pid: `t2vid-start SIZE PID`.
 */
export function sshStartScript(plan: SshPlan, header: string): string {
  const { exit, cancel } = markers(plan);
  const log = shellQuote(plan.remoteLog);
  return [
    `mkdir -p ${shellQuote(plan.remoteOutput)} || exit 1`,
    `rm -f ${shellJoin([exit, cancel])}`,
    `if [ -f ${log} ]; then size=$(wc -c < ${log}); else size=0; fi`,
    `printf '%s\\n' ${shellQuote(header)} >> ${log} || exit 1`,
    `setsid nohup sh -c ${shellQuote(plan.job)} >> ${log} 2>&1 < /dev/null &`,
    'echo t2vid-start $size $!',
  ].join('\n');
}

export function sshStartArgv(ssh: SshTargetOptions, plan: SshPlan, header: string): string[] {
  return sshArgv(ssh, sshStartScript(plan, header));
}

/**
 * Streams the remote log from byte `offset` (0-based) until the job's process group leader `pid` has ended (GNU tail
 * `--pid`); a job that already ended (exit or cancel marker) is read to its end at once.
 */
export function sshFollowScript(remoteOutput: string, remoteLog: string, offset: number, pid: number | undefined): string {
  const { exit, cancel } = markers({ remoteOutput });
  const from = `+${offset + 1}`;
  const dump = shellJoin(['tail', '-c', from, remoteLog]);
  if (pid === undefined) {
    return `exec ${dump}`;
  }
  return [
    `if [ -e ${shellQuote(exit)} ] || [ -e ${shellQuote(cancel)} ]; then exec ${dump}; fi`,
    `exec ${shellJoin(['tail', '-c', from, `--pid=${pid}`, '-s', '0.5', '-f', remoteLog])}`,
  ].join('\n');
}

/** Prints the exit code (or nothing), then `cancelled` when the cancel marker is there, then `alive` while the group runs. */
export function sshStatusScript(remoteOutput: string, pid: number | undefined): string {
  const { exit, cancel } = markers({ remoteOutput });
  return [
    `if [ -f ${shellQuote(exit)} ]; then cat ${shellQuote(exit)}; else echo; fi`,
    `if [ -e ${shellQuote(cancel)} ]; then echo cancelled; fi`,
    ...(pid !== undefined ? [`if kill -0 -${pid} 2>/dev/null; then echo alive; fi`] : []),
    'exit 0',
  ].join('\n');
}

/**
 * Cancels on the host: the cancel marker first (every follower then records "cancelled"), SIGTERM to the job's process
 * group, SIGKILL to what is left after `graceSeconds`; prints `stopped` once nothing of the group runs.
 */
export function sshCancelScript(remoteOutput: string, pid: number, graceSeconds: number): string {
  const { cancel } = markers({ remoteOutput });
  return [
    `date -u +%Y-%m-%dT%H:%M:%SZ > ${shellQuote(cancel)}`,
    `kill -TERM -${pid} 2>/dev/null`,
    `i=0; while kill -0 -${pid} 2>/dev/null && [ $i -lt ${graceSeconds * 5} ]; do sleep 0.2; i=$((i+1)); done`,
    `kill -KILL -${pid} 2>/dev/null`,
    `i=0; while kill -0 -${pid} 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done`,
    `if kill -0 -${pid} 2>/dev/null; then echo running; else echo stopped; fi`,
  ].join('\n');
}

/** Lists the run's output folder on the host (folders with a trailing `/`); nothing when it does not exist yet. */
export function sshListScript(remoteOutput: string): string {
  return `if [ -d ${shellQuote(remoteOutput)} ]; then ls -1Ap ${shellQuote(remoteOutput)}; fi`;
}

/** The small result files pulled back at the end (not checkpoints, weights or caches; at most 50 MB each). */
export const PULL_FILTERS = [
  '--prune-empty-dirs',
  '--max-size=50m',
  '--exclude=/run.log',
  '--exclude=.t2vid-*',
  '--exclude=checkpoint-*/',
  '--exclude=cache/',
  '--include=*/',
  '--include=*.json',
  '--include=*.jsonl',
  '--include=*.txt',
  '--include=*.log',
  '--include=*.csv',
  '--exclude=*',
];
