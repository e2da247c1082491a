// The soak bench's printed lines: the header of the rows sampled during the load, and at the end what
// the processes logged beyond the usual (leases that moved, IDLE reconnects, warnings) and each
// process's memory curve after warm-up.
import type { CliProcess } from '../../test/helpers/cli.js';
import { logLines } from '../../test/helpers/fault.js';

export async function printSoakTail(r: {
  q: <T>(sql: string, params?: unknown[]) => Promise<T[]>;
  t0Load: number;
  procs: { name: string; p: CliProcess }[];
  /** Where each process's output stood when the load began. */
  logStart: number[];
  roots: { name: string }[];
  /** RSS in MB of each root, one row per sample. */
  rssCurve: number[][];
}): Promise<void> {
  const { q, t0Load, procs, logStart, roots, rssCurve } = r;
  // Events during the load that can cost a login: leases that moved, IDLE reconnects, warnings.
  const [moved] = await q<{ n: number }>(
    'SELECT count(*)::int AS n FROM mailbox_leases WHERE acquired_at > $1',
    [new Date(t0Load)],
  );
  const events = new Map<string, number>();
  for (const [i, { name, p }] of procs.entries())
    for (const l of logLines(p.output().slice(logStart[i])))
      if (!['mailbox synced', 'reply sent'].includes(String(l.msg))) {
        const detail = (l as { imap?: unknown }).imap ?? (l as { errCode?: unknown }).errCode;
        const key = `${name}: ${l.msg}${detail ? ` ${JSON.stringify(detail)}` : ''}`;
        events.set(key, (events.get(key) ?? 0) + 1);
      }
  console.log(
    `  leases that moved during the load: ${moved!.n}; other log lines: ${JSON.stringify(Object.fromEntries(events))}`,
  );
  // Memory growth: the last third of the run against the middle third (after warm-up).
  const third = Math.max(1, Math.floor(rssCurve.length / 3));
  const avg = (rowsOf: number[][], i: number) =>
    Math.round(rowsOf.reduce((s, r) => s + r[i]!, 0) / Math.max(1, rowsOf.length));
  for (const [i, r] of roots.entries()) {
    const mid = avg(rssCurve.slice(third, 2 * third), i);
    const end = avg(rssCurve.slice(2 * third), i);
    console.log(
      `  ${r.name.padEnd(9)} RSS first ${rssCurve[0]?.[i]} MB, middle third ${mid} MB, last third ${end} MB (${end - mid >= 0 ? '+' : ''}${end - mid} MB)`,
    );
  }
}

/** The header of the rows printed every sample interval, one memory/CPU column per process. */
export function printSoakHeader(roots: { name: string }[]): void {
  console.log(
    [
      't_s'.padStart(5),
      'stored',
      'msg/s'.padStart(6),
      'p50ms'.padStart(6),
      'p99ms'.padStart(6),
      'sent'.padStart(5),
      ...roots.map((r) => `${r.name}:MB/cpu%`.padStart(18)),
      'pgconn'.padStart(6),
      'ready'.padStart(5),
      'running'.padStart(7),
    ].join(' '),
  );
}
