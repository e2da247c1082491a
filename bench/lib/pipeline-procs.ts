// The processes the pipeline bench charges CPU to (its own PostgreSQL, clamd, Node itself), read
// from Linux /proc, and pinning them apart for the run that emulates separate hosts.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** utime+stime of processes, in ms (Linux /proc; clock ticks are 10 ms here). A process gone since is skipped. */
export function procCpuMs(pids: number[]): number | null {
  if (process.platform !== 'linux') return null;
  return pids.reduce((sum, pid) => {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return sum + (Number(f[11]) + Number(f[12])) * 10;
    } catch {
      return sum;
    }
  }, 0);
}

/**
 * The bench's own PostgreSQL: its postmaster (first line of postmaster.pid in the data folder) and
 * that postmaster's children. Counting every `postgres` on the host charged other clusters' CPU
 * (a developer's database, a parallel test run) to the pipeline.
 */
export function postgresPids(dataDir: string): number[] {
  let postmaster: number;
  try {
    postmaster = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return [];
  }
  if (!Number.isInteger(postmaster) || postmaster <= 0) return [];
  try {
    return readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .map(Number)
      .filter((pid) => {
        if (pid === postmaster) return true;
        try {
          // /proc/PID/stat: "pid (comm) state ppid …"; comm may hold spaces, so read after the last ')'.
          const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
          return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === postmaster;
        } catch {
          return false;
        }
      });
  } catch {
    return [];
  }
}

export const nodeCpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/**
 * Pins this process (every thread) to CPU 0 and PostgreSQL and clamd to the other CPUs: the
 * deployed shape, where the database and the scanner are services on their own hosts, emulated on
 * one machine. Parse-only then also runs on one CPU, so both sides of the ratio get the same Node.
 */
export function pinServices(clamdPid: number | undefined, pgPids: number[]): string | null {
  const cpus = os.cpus().length;
  if (process.platform !== 'linux' || cpus < 2) return 'needs Linux and at least 2 CPUs';
  const others = `1-${cpus - 1}`;
  const pin = (pid: number, list: string) =>
    spawnSync('taskset', ['-a', '-p', '-c', list, String(pid)], { stdio: 'ignore' }).status === 0;
  // The postmaster's future backends inherit its mask, so the pool's connections land there too.
  const ok =
    [...pgPids, ...(clamdPid ? [clamdPid] : [])].every((pid) => pin(pid, others)) &&
    pin(process.pid, '0');
  return ok ? null : 'taskset failed';
}
