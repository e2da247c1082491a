// At most `max` calls of run() in flight; the rest wait in arrival order. Used where a shared
// service has a small fixed capacity (clamd runs MaxThreads scans at once and queues only MaxQueue
// more before it refuses connections).
export interface Limiter {
  run<T>(fn: () => Promise<T>): Promise<T>;
}

export function makeLimiter(max: number): Limiter {
  let active = 0;
  const waiting: (() => void)[] = [];
  return {
    async run(fn) {
      if (active >= max) await new Promise<void>((resolve) => waiting.push(resolve));
      else active++;
      try {
        return await fn();
      } finally {
        // Hand the slot straight to the next waiter (active stays the same) or free it.
        const next = waiting.shift();
        if (next) next();
        else active--;
      }
    },
  };
}
