import { describe, expect, it } from 'vitest';

import { makeLogger } from '../lib/logger.js';
import type { Db } from '../store/db.js';
import { startWorkerLiveness } from './worker-liveness.js';

// The heartbeat round's SQL runs against a recording stand-in: what matters here is which worker
// ids each round writes, and the order of rounds, not PostgreSQL (imap-sync-idle covers that).
function recordingDb() {
  const written: string[][] = [];
  let release: (() => void) | null = null;
  const db = {
    tx: async <T>(fn: (ex: unknown) => Promise<T>): Promise<T> => {
      const ex = {
        query: (sql: string, params?: unknown[]) => {
          if (sql.startsWith('INSERT INTO worker_heartbeats'))
            written.push([...(params?.[0] as string[])]);
          return Promise.resolve({ rows: [] });
        },
      };
      const out = await fn(ex);
      // Hold the round open until the test lets it finish.
      await new Promise<void>((r) => (release = r));
      return out;
    },
  } as unknown as Db;
  return { db, written, finishRound: () => release?.() };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe('worker liveness', () => {
  it('a pool created while a round runs gets its heartbeat in a round right after', async () => {
    const { db, written, finishRound } = recordingDb();
    const ids = ['worker-a'];
    const live = startWorkerLiveness(
      { db, logger: makeLogger({ level: 'silent' }) },
      { holder: 'h', workerIds: () => ids, everyMs: 3_600_000, staleMs: 60_000 },
    );
    await flush();
    expect(written).toEqual([['worker-a']]);
    // A new graphile-worker pool appears while the first round is still open.
    ids.push('pool-1');
    const ticked = live.tick();
    finishRound();
    await flush();
    expect(written).toEqual([['worker-a'], ['worker-a', 'pool-1']]);
    finishRound();
    await ticked;
    const stopping = live.stop();
    await flush();
    finishRound();
    await stopping;
  });
});
