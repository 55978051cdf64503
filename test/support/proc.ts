/** The processes of this machine, read from /proc (Linux): for tests that find, wait for or kill child processes. */
import * as fs from 'node:fs';

export interface ProcStat {
  pid: number;
  state: string;
  ppid: number;
  pgrp: number;
}

/** Every process in /proc (state, parent, process group); zombies are reported with state Z. */
export function processes(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
      const [state, ppid, pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.push({ pid: Number(entry), state, ppid: Number(ppid), pgrp: Number(pgrp) });
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** Pids whose parent is `pid`; with `needle`, only those whose command line contains it. */
export function childrenOf(pid: number, needle?: string): number[] {
  return processes()
    .filter((p) => p.ppid === pid)
    .map((p) => p.pid)
    .filter((child) => {
      if (needle === undefined) {
        return true;
      }
      try {
        return fs.readFileSync(`/proc/${child}/cmdline`, 'utf8').includes(needle);
      } catch {
        return false; // gone meanwhile
      }
    });
}
