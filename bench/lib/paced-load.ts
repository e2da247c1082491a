// Requests at a fixed rate, open loop, in a child process (paced-load-main.ts): each request is
// sent at its scheduled time whether or not earlier ones have been answered, and its latency counts
// from that scheduled time. autocannon's `-R` is not this: each connection sends its whole
// per-second budget back to back and then waits for the next second, so the requests arrive in
// bursts and queue behind each other, and a late answer delays the next request instead of
// counting against the server (coordinated omission).
import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PacedFigures {
  p50: number;
  p99: number;
  max: number;
  /** Requests answered per second over the run. */
  rps: number;
  sent: number;
  /** Answers with a status other than `expectStatus`, and transport errors. */
  failed: number;
}

export interface PacedRun {
  url: string;
  headers: Record<string, string>;
  /** Requests per second. */
  rate: number;
  seconds: number;
  expectStatus: number;
}

export function pacedLoad(run: PacedRun): Promise<PacedFigures> {
  const child = fork(
    path.join(path.dirname(fileURLToPath(import.meta.url)), 'paced-load-main.ts'),
    {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve(m as PacedFigures));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`paced load exited with ${code}`)));
    child.send(run);
  });
}
