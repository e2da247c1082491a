// One load of a URL by autocannon in its own process, with the figures the reads bench prints.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

export interface Case {
  name: string;
  url: string;
  goal: number;
  status: 200 | 304;
}

export interface Figures {
  p50: number;
  p99: number;
  rps: number;
  non2xx: number;
}

// autocannon runs in its own process: in this one it would take the event loop from the server
// and its CPU would count as Inlet's.
const autocannonBin = path.resolve('node_modules/autocannon/autocannon.js');
export async function autocannon(
  k: Case,
  headers: Record<string, string>,
  duration: number,
  conns: number,
): Promise<Figures> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [autocannonBin, '-j', '-c', String(conns), '-d', String(duration)].concat(
      Object.entries(headers).flatMap(([h, v]) => ['-H', `${h}=${v}`]),
      k.url,
    ),
    { maxBuffer: 1 << 24 },
  );
  const r = JSON.parse(stdout) as {
    latency: { p50: number; p99: number };
    requests: { average: number };
    non2xx: number;
    '3xx': number;
    errors: number;
    timeouts: number;
  };
  return {
    p50: r.latency.p50,
    p99: r.latency.p99,
    rps: r.requests.average,
    // A polled case expects 304 (autocannon counts it among the non-2xx).
    non2xx: r.non2xx - (k.status === 304 ? r['3xx'] : 0) + r.errors + r.timeouts,
  };
}
