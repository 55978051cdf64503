/**
 * A real Slurm cluster for tests, started under a temp folder and stopped by pid: munged (its own key, socket, pid,
 * log and seed files), slurmctld and — when this machine allows network namespaces — two slurmd, `n1` and `n2`, each
 * in a network namespace of its own joined to this one by a veth pair on a bridge the test creates, with its own
 * hostname (UTS namespace) and its own /etc/hosts (a private bind mount in its mount namespace: the real /etc is not
 * touched). So a two-node job really runs on two hosts with two addresses, and torch.distributed's rendezvous crosses
 * the network. Without namespaces (no `ip`, no CAP_NET_ADMIN) the cluster is one node, this machine's hostname on
 * 127.0.0.1. No slurmdbd: `MinJobAge` keeps finished jobs readable with `scontrol show job`. `SLURM_CONF` is set in
 * this process's environment for the client commands (sbatch, squeue, scontrol, scancel) until `stop`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export interface SlurmCluster {
  dir: string;
  conf: string;
  /** The node names: ['n1', 'n2'] with namespaces, [hostname] without. */
  nodes: string[];
  /** Why the cluster is one node, when it is. */
  singleNodeReason?: string;
  /** Everything that happened while starting (commands that failed, fallbacks), for failure messages. */
  notes: string[];
  /** Cancels every job, stops the daemons by pid, removes the namespaces, links and the folder. */
  stop(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '0.0.0.0', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

function run(argv: string[]): { ok: boolean; out: string } {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`.trim() };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function stopPid(pid: number | undefined): Promise<void> {
  if (pid === undefined || !alive(pid)) {
    return;
  }
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + 10_000;
  while (alive(pid) && Date.now() < deadline) {
    await sleep(100);
  }
  if (alive(pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}

interface Network {
  bridge: string;
  namespaces: string[];
  hostLinks: string[];
  subnet: string;
}

/** A bridge with address SUBNET.1 and, per node, a namespace whose veth end is SUBNET.(i+2). */
function makeNetwork(tag: string, count: number, notes: string[]): Network | string {
  const subnet = `10.${200 + (process.pid % 50)}.${Number.parseInt(tag.slice(0, 2), 16) % 250}`;
  const netw: Network = { bridge: `t2v${tag}br`, namespaces: [], hostLinks: [], subnet };
  const steps: string[][] = [
    ['ip', 'link', 'add', netw.bridge, 'type', 'bridge'],
    ['ip', 'addr', 'add', `${subnet}.1/24`, 'dev', netw.bridge],
    ['ip', 'link', 'set', netw.bridge, 'up'],
  ];
  for (let i = 1; i <= count; i++) {
    const ns = `t2v${tag}n${i}`;
    const host = `t2v${tag}h${i}`;
    const inner = `t2v${tag}i${i}`;
    netw.namespaces.push(ns);
    netw.hostLinks.push(host);
    steps.push(
      ['ip', 'netns', 'add', ns],
      ['ip', 'link', 'add', host, 'type', 'veth', 'peer', 'name', inner],
      ['ip', 'link', 'set', inner, 'netns', ns],
      ['ip', 'link', 'set', host, 'master', netw.bridge],
      ['ip', 'link', 'set', host, 'up'],
      ['ip', '-n', ns, 'addr', 'add', `${subnet}.${i + 1}/24`, 'dev', inner],
      ['ip', '-n', ns, 'link', 'set', inner, 'up'],
      ['ip', '-n', ns, 'link', 'set', 'lo', 'up'],
    );
  }
  for (const step of steps) {
    const r = run(step);
    if (!r.ok) {
      removeNetwork(netw);
      const why = `${step.join(' ')}: ${r.out || 'failed'}`;
      notes.push(why);
      return why;
    }
  }
  return netw;
}

function removeNetwork(netw: Network): void {
  for (const ns of netw.namespaces) {
    run(['ip', 'netns', 'del', ns]);
  }
  for (const link of [...netw.hostLinks, netw.bridge]) {
    run(['ip', 'link', 'del', link]);
  }
}

/**
 * Starts the cluster and waits until every node is idle (or throws, having stopped what it started). When the two
 * namespaced nodes cannot be made or do not come up, it says why in `singleNodeReason` and starts one node instead.
 */
export async function startSlurm(opts: { twoNodes?: boolean } = {}): Promise<SlurmCluster> {
  if (opts.twoNodes === false) {
    return startCluster(false);
  }
  try {
    return await startCluster(true);
  } catch (e) {
    const one = await startCluster(false);
    one.singleNodeReason = `two nodes did not start: ${(e as Error).message}`;
    return one;
  }
}

async function startCluster(twoNodes: boolean): Promise<SlurmCluster> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 't2vid-slurm-'));
  fs.chmodSync(dir, 0o755);
  const notes: string[] = [];
  const children: ChildProcess[] = [];
  const pids: number[] = [];
  let netw: Network | undefined;
  const previousConf = process.env.SLURM_CONF;
  const conf = path.join(dir, 'slurm.conf');

  const stop = async (): Promise<void> => {
    if (fs.existsSync(conf)) {
      const env = { ...process.env, SLURM_CONF: conf };
      const ids = spawnSync('squeue', ['-h', '-o', '%i'], { encoding: 'utf8', env }).stdout?.split(/\s+/).filter(Boolean) ?? [];
      if (ids.length) {
        spawnSync('scancel', ids, { env });
        const deadline = Date.now() + 15_000;
        while (
          Date.now() < deadline &&
          spawnSync('squeue', ['-h', '-t', 'R,CG,PD', '-o', '%i'], { encoding: 'utf8', env }).stdout?.trim()
        ) {
          await sleep(300);
        }
      }
    }
    // slurmd first (they run the jobs), then slurmctld, then munged.
    for (const pid of [...pids].reverse()) {
      await stopPid(pid);
    }
    if (netw) {
      removeNetwork(netw);
    }
    if (previousConf === undefined) {
      delete process.env.SLURM_CONF;
    } else {
      process.env.SLURM_CONF = previousConf;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };

  try {
    const key = path.join(dir, 'munge.key');
    fs.writeFileSync(key, randomBytes(1024), { mode: 0o400 });
    const socket = path.join(dir, 'munge.socket');
    const munged = spawn(
      'munged',
      [
        '--foreground',
        '--force',
        `--key-file=${key}`,
        `--socket=${socket}`,
        `--pid-file=${path.join(dir, 'munged.pid')}`,
        `--log-file=${path.join(dir, 'munged.log')}`,
        `--seed-file=${path.join(dir, 'munged.seed')}`,
      ],
      { stdio: 'ignore' },
    );
    children.push(munged);
    pids.push(munged.pid!);
    for (let i = 0; i < 50 && !fs.existsSync(socket); i++) {
      await sleep(100);
    }
    if (!fs.existsSync(socket)) {
      throw new Error(`munged did not create ${socket}: ${fs.readFileSync(path.join(dir, 'munged.log'), 'utf8')}`);
    }

    const tag = randomBytes(2).toString('hex');
    let nodes: string[];
    let ctldAddr: string;
    let singleNodeReason: string | undefined;
    const nodeLines: string[] = [];
    const cpus = os.cpus().length;
    const made = twoNodes ? makeNetwork(tag, 2, notes) : 'one node asked for';
    if (typeof made === 'string') {
      singleNodeReason = made;
      nodes = [os.hostname()];
      ctldAddr = '127.0.0.1';
      nodeLines.push(`NodeName=${os.hostname()} NodeAddr=127.0.0.1 CPUs=${cpus} State=UNKNOWN`);
    } else {
      netw = made;
      nodes = ['n1', 'n2'];
      ctldAddr = `${made.subnet}.1`;
      nodes.forEach((n, i) => nodeLines.push(`NodeName=${n} NodeAddr=${made.subnet}.${i + 2} CPUs=${cpus} State=UNKNOWN`));
      fs.writeFileSync(
        path.join(dir, 'hosts'),
        [`127.0.0.1 localhost`, `${ctldAddr} ${os.hostname()}`, ...nodes.map((n, i) => `${made.subnet}.${i + 2} ${n}`)].join('\n') + '\n',
      );
    }
    const [ctldPort, slurmdPort] = [await freePort(), await freePort()];
    fs.mkdirSync(path.join(dir, 'state'));
    fs.writeFileSync(
      conf,
      [
        'ClusterName=t2vid-test',
        `SlurmctldHost=${os.hostname()}(${ctldAddr})`,
        `SlurmctldPort=${ctldPort}`,
        `SlurmdPort=${slurmdPort}`,
        'SlurmUser=root',
        'SlurmdUser=root',
        'AuthType=auth/munge',
        `AuthInfo=socket=${socket}`,
        'CredType=cred/munge',
        `StateSaveLocation=${path.join(dir, 'state')}`,
        `SlurmdSpoolDir=${path.join(dir, 'spool-%n')}`,
        `SlurmctldPidFile=${path.join(dir, 'slurmctld.pid')}`,
        `SlurmdPidFile=${path.join(dir, 'slurmd-%n.pid')}`,
        `SlurmctldLogFile=${path.join(dir, 'slurmctld.log')}`,
        `SlurmdLogFile=${path.join(dir, 'slurmd-%n.log')}`,
        'ProctrackType=proctrack/linuxproc',
        'TaskPlugin=task/none',
        'SelectType=select/cons_tres',
        'SelectTypeParameters=CR_CPU',
        'MpiDefault=none',
        'ReturnToService=2',
        // No slurmdbd: finished jobs stay readable with `scontrol show job` for an hour.
        'MinJobAge=3600',
        'KillWait=5',
        'JobAcctGatherType=jobacct_gather/none',
        'AccountingStorageType=accounting_storage/none',
        ...nodeLines,
        `PartitionName=t2vid Nodes=${nodes.join(',')} Default=YES MaxTime=INFINITE State=UP`,
      ].join('\n') + '\n',
    );
    process.env.SLURM_CONF = conf;

    const ctld = spawn('slurmctld', ['-D', '-i', '-f', conf], { stdio: 'ignore', env: { ...process.env, SLURM_CONF: conf } });
    children.push(ctld);
    pids.push(ctld.pid!);
    for (const [i, node] of nodes.entries()) {
      const argv = netw
        ? [
            'nsenter',
            `--net=/run/netns/${netw.namespaces[i]}`,
            'unshare',
            '--mount',
            '--uts',
            '--propagation',
            'private',
            'sh',
            '-c',
            'hostname "$1" && mount --bind "$2" /etc/hosts && exec slurmd -D -f "$3" -N "$1"',
            'sh',
            node,
            path.join(dir, 'hosts'),
            conf,
          ]
        : ['slurmd', '-D', '-f', conf, '-N', node];
      const d = spawn(argv[0]!, argv.slice(1), { stdio: 'ignore', env: { ...process.env, SLURM_CONF: conf } });
      children.push(d);
      pids.push(d.pid!);
    }
    const deadline = Date.now() + 60_000;
    let states = '';
    while (Date.now() < deadline) {
      for (const c of children) {
        if (c.exitCode !== null) {
          throw new Error(`${c.spawnargs.join(' ')} exited ${c.exitCode}`);
        }
      }
      states = spawnSync('sinfo', ['-h', '-N', '-o', '%N %T'], { encoding: 'utf8' }).stdout ?? '';
      const idle = states.split('\n').filter((l) => / idle$/.test(l.trim())).length;
      if (idle === nodes.length) {
        return { dir, conf, nodes, notes, stop, ...(singleNodeReason ? { singleNodeReason } : {}) };
      }
      await sleep(500);
    }
    throw new Error(`the Slurm nodes did not become idle: ${states}`);
  } catch (e) {
    const logs = ['slurmctld.log', ...fs.readdirSync(dir).filter((f) => /^slurmd-.*\.log$/.test(f))]
      .map((f) => path.join(dir, f))
      .filter((f) => fs.existsSync(f))
      .map((f) => `--- ${path.basename(f)}\n${fs.readFileSync(f, 'utf8').split('\n').slice(-15).join('\n')}`)
      .join('\n');
    await stop();
    throw new Error(`${(e as Error).message}\n${notes.join('\n')}\n${logs}`);
  }
}
