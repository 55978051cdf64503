/**
 * A real OpenSSH server on loopback for the SSH target's tests: Debian's /usr/sbin/sshd with its own config, host key,
 * user key, authorized keys and pid file under a temp folder, listening on 127.0.0.1 and a free port; a client config
 * (`ssh -F`) that reaches it under a host alias with the host key already known. Nothing in /etc is read or written
 * (only /run/sshd, sshd's privilege-separation folder, is created when absent). Stopped by pid.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { childrenOf } from './proc';

export const SSHD = '/usr/sbin/sshd';

export interface Sshd {
  /** The host alias of `configFile`. */
  host: string;
  port: number;
  /** The client config (`ssh -F`): host alias, port, user, identity, known_hosts of this server. */
  configFile: string;
  identityFile: string;
  dir: string;
  /** The listener's pid (sessions are its children). */
  pid(): number | undefined;
  /** Kills the sshd processes serving the open connections (the clients see their connection drop); the listener stays. */
  dropConnections(): void;
  /** Stops the listener and every session. */
  stop(): Promise<void>;
  /** Starts the listener again on the same port. */
  start(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

function keygen(file: string, comment: string): void {
  const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file], { encoding: 'utf8' });
  if (r.status !== 0) {
    throw new Error(`ssh-keygen: ${r.stderr}`);
  }
}

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // gone meanwhile
  }
}

async function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('data', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.setTimeout(1000, () => {
      socket.destroy();
      resolve(false);
    });
  });
}

export async function startSshd(dir = fs.mkdtempSync(path.join(os.tmpdir(), 't2vid-sshd-'))): Promise<Sshd> {
  fs.mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const hostKey = path.join(dir, 'host_ed25519');
  const identityFile = path.join(dir, 'id_ed25519');
  keygen(hostKey, 't2vid-test-host');
  keygen(identityFile, 't2vid-test-user');
  fs.copyFileSync(`${identityFile}.pub`, path.join(dir, 'authorized_keys'));
  const user = os.userInfo().username;
  const sshdConfig = path.join(dir, 'sshd_config');
  fs.writeFileSync(
    sshdConfig,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `PidFile ${path.join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
      'UsePAM no',
      'StrictModes no',
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password',
      `AllowUsers ${user}`,
      'MaxStartups 100',
      'MaxSessions 100',
      'LogLevel ERROR',
      '',
    ].join('\n'),
  );
  const hostPub = fs.readFileSync(`${hostKey}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');
  fs.writeFileSync(path.join(dir, 'known_hosts'), `[127.0.0.1]:${port} ${hostPub}\n`);
  const host = 't2vid-test-host';
  const configFile = path.join(dir, 'ssh_config');
  fs.writeFileSync(
    configFile,
    [
      `Host ${host}`,
      '  HostName 127.0.0.1',
      `  Port ${port}`,
      `  User ${user}`,
      `  IdentityFile ${identityFile}`,
      '  IdentitiesOnly yes',
      `  UserKnownHostsFile ${path.join(dir, 'known_hosts')}`,
      '  GlobalKnownHostsFile /dev/null',
      '  StrictHostKeyChecking yes',
      '  LogLevel ERROR',
      '',
    ].join('\n'),
  );
  // sshd's privilege separation needs its empty folder; Debian creates it from its unit, which tests do not run.
  fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });

  let child: ChildProcess | undefined;
  let stderr = '';
  const start = async (): Promise<void> => {
    stderr = '';
    child = spawn(SSHD, ['-D', '-e', '-f', sshdConfig], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    const deadline = Date.now() + 10_000;
    while (!(await reachable(port))) {
      if (child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`sshd did not start on 127.0.0.1:${port}: ${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const dropConnections = (): void => {
    if (child?.pid) {
      for (const pid of childrenOf(child.pid)) {
        kill(pid, 'SIGKILL');
      }
    }
  };
  const stop = async (): Promise<void> => {
    const c = child;
    if (!c?.pid || c.exitCode !== null) {
      return;
    }
    const sessions = childrenOf(c.pid);
    const exited = new Promise((r) => c.once('exit', r));
    kill(c.pid, 'SIGTERM');
    for (const pid of sessions) {
      kill(pid, 'SIGKILL');
    }
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (c.exitCode === null && c.signalCode === null) {
      kill(c.pid, 'SIGKILL');
    }
  };
  await start();
  return { host, port, configFile, identityFile, dir, pid: () => child?.pid, dropConnections, stop, start };
}
