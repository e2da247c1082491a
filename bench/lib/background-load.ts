// A fixed CPU load outside Inlet for the push benches: `n` processes that spin, so latency can be
// measured at a stated load (issue #19: "push→ticket p99 < 1 s at load 4") rather than at whatever
// the shared machine happens to run. And what the machine's run queue held meanwhile, sampled from
// /proc/loadavg (its 4th field counts the tasks runnable at that moment), because the 1-minute load
// average lags a 10-second run by most of a minute.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface BackgroundLoad {
  stop(): void;
}

export function startBackgroundLoad(n: number): BackgroundLoad {
  const children: ChildProcess[] = [];
  for (let i = 0; i < n; i++)
    children.push(spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
  return {
    stop: () => {
      for (const c of children) c.kill('SIGKILL');
    },
  };
}

export interface RunQueue {
  /** Mean and max runnable tasks over the samples (not counting the sampler itself), and the 1-minute load average at the end. */
  stop(): { mean: number; max: number; loadavg1: number };
}

export function sampleRunQueue(everyMs = 100): RunQueue {
  const samples: number[] = [];
  const read = () => {
    try {
      const running = readFileSync('/proc/loadavg', 'utf8').split(' ')[3]!.split('/')[0]!;
      samples.push(Math.max(0, Number(running) - 1));
    } catch {
      // Not Linux: no samples.
    }
  };
  const timer = setInterval(read, everyMs);
  return {
    stop: () => {
      clearInterval(timer);
      return {
        mean: samples.length ? samples.reduce((a, b) => a + b, 0) / samples.length : NaN,
        max: samples.length ? Math.max(...samples) : NaN,
        loadavg1: os.loadavg()[0]!,
      };
    },
  };
}
