// CPU time of an embedded PostgreSQL's processes, read from /proc (Linux only; NaN elsewhere).
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** CPU seconds used so far by every backend of this embedded PostgreSQL (from /proc; Linux only). */
export function postgresCpuSeconds(postmasterPid: number | null): number {
  if (postmasterPid === null) return NaN;
  let ticks = 0;
  try {
    const children = readFileSync(
      `/proc/${postmasterPid}/task/${postmasterPid}/children`,
      'utf8',
    ).trim();
    for (const pid of [String(postmasterPid), ...children.split(/\s+/).filter(Boolean)]) {
      try {
        const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
        ticks += Number(f[11]) + Number(f[12]); // utime, stime
      } catch {
        // A backend that exited meanwhile.
      }
    }
  } catch {
    return NaN;
  }
  return ticks / 100;
}

/** The postmaster's pid from its data folder, or null while it is not running. */
export function postmasterPid(dataDir: string): number | null {
  try {
    return Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return null;
  }
}
