// CPU time and memory of other processes (PostgreSQL, Dovecot, clamd, spawned Inlet processes) from
// Linux /proc, so a bench can charge each message its CPU in every process that worked on it.
// Elsewhere every figure is null.
import { readdirSync, readFileSync } from 'node:fs';

const TICK_MS = 10; // USER_HZ is 100 on Linux

function stat(pid: number): string[] | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid …": comm may hold spaces, so split after the last ')'.
    return s.slice(s.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** The process and all its descendants alive now. */
export function processTree(root: number): number[] {
  if (process.platform !== 'linux') return [];
  const children = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const f = stat(Number(d));
    if (!f) continue;
    const ppid = Number(f[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), Number(d)]);
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    out.push(pid);
    for (const c of children.get(pid) ?? []) walk(c);
  };
  if (stat(root)) walk(root);
  return out;
}

/** CPU ms of a process tree: each live process's own time plus what its reaped children used
 *  (Dovecot's per-login imap processes and PostgreSQL's closed backends end up there). */
export function treeCpuMs(root: number | undefined | null): number | null {
  if (process.platform !== 'linux' || !root) return null;
  return processTree(root).reduce((sum, pid) => {
    const f = stat(pid);
    if (!f) return sum;
    // fields after ')' start at "state" (field 3): utime 14, stime 15, cutime 16, cstime 17.
    return sum + (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * TICK_MS;
  }, 0);
}

/** Resident set size in MB (VmRSS). */
export function rssMb(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : null;
  } catch {
    return null;
  }
}

/** First line of a pid file (postmaster.pid, Dovecot's master.pid). */
export function pidFromFile(file: string): number | null {
  try {
    const n = Number(readFileSync(file, 'utf8').split('\n')[0]!.trim());
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}

/** The postmaster of the server a backend belongs to (its parent). */
export function parentPid(pid: number): number | null {
  const f = stat(pid);
  return f ? Number(f[1]) : null;
}
