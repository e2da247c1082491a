// API keys' last_used_at, kept in memory and written in batches: authentication used to write it on
// every request (a transaction of its own, three round trips). The stamp is coarse by design — the
// listing shows when a key was last seen, to the flush interval — so losing at most one interval
// when a process is killed is acceptable; a clean shutdown flushes.
import { touchApiKeys } from '../store/api-key-store.js';
import type { Db } from '../store/db.js';

export interface ApiKeyUsage {
  /** Remembers that `keyId` authenticated a request now. */
  seen(tenantId: string, keyId: string): void;
  /** Writes what is pending (one transaction per tenant). */
  flush(): Promise<void>;
  /** Stops the timer and flushes. */
  close(): Promise<void>;
}

export const defaultUsageFlushMs = 10_000;

export function makeApiKeyUsage(
  db: Db,
  opts: { flushMs?: number; now?: () => Date; onError?: (err: unknown) => void } = {},
): ApiKeyUsage {
  const now = opts.now ?? (() => new Date());
  // tenant → key → latest use
  let pending = new Map<string, Map<string, Date>>();
  let running: Promise<void> = Promise.resolve();

  async function write(batch: Map<string, Map<string, Date>>): Promise<void> {
    for (const [tenantId, keys] of batch) {
      try {
        await db.tenantTx(tenantId, (ex) =>
          touchApiKeys(ex, tenantId, [...keys.keys()], [...keys.values()]),
        );
      } catch (err) {
        // The database is away: keep the stamps for the next flush (newer uses win).
        for (const [id, at] of keys) {
          const mine = pending.get(tenantId) ?? new Map<string, Date>();
          if (!mine.has(id)) mine.set(id, at);
          pending.set(tenantId, mine);
        }
        opts.onError?.(err);
      }
    }
  }

  function flush(): Promise<void> {
    if (pending.size === 0) return running;
    const batch = pending;
    pending = new Map();
    // One flush at a time, in order, so an older batch never lands after a newer one.
    running = running.then(() => write(batch));
    return running;
  }

  const timer = setInterval(() => void flush(), opts.flushMs ?? defaultUsageFlushMs);
  timer.unref();

  return {
    seen: (tenantId, keyId) => {
      let keys = pending.get(tenantId);
      if (!keys) pending.set(tenantId, (keys = new Map()));
      keys.set(keyId, now());
    },
    flush,
    close: async () => {
      clearInterval(timer);
      await flush();
    },
  };
}
