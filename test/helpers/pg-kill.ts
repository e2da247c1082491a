// Ends the PostgreSQL backend of the connection that is about to send a matching statement
// (pg_terminate_backend, as a failover or a reset connection would): the statement fails, and what
// its transaction wrote before it is lost with the backend. Patches the driver like statement-log.ts.
import pg from 'pg';

import type { Db } from '../../src/store/db.js';

export interface BackendKiller {
  /** Backends terminated so far. */
  killed(): number;
  /** Puts the driver's own query method back. */
  restore(): void;
}

/** Kills the backend before each of the next `times` statements matching `statement`. */
export function killBackendAt(owner: Db, statement: RegExp, times = 1): BackendKiller {
  const realQuery = pg.Client.prototype.query;
  let left = times;
  let killed = 0;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const q = args[0] as string | { text?: string } | undefined;
    const text = typeof q === 'string' ? q : (q?.text ?? '');
    if (left > 0 && statement.test(text) && typeof args.at(-1) !== 'function') {
      left--;
      const pid = (this as unknown as { processID: number }).processID;
      return (async () => {
        // The second argument waits (up to 5 s) until the backend has exited.
        await owner.tx((c) =>
          (realQuery as (...a: unknown[]) => Promise<unknown>).call(
            c,
            'SELECT pg_terminate_backend($1, 5000)',
            [pid],
          ),
        );
        killed++;
        return (realQuery as (...a: unknown[]) => Promise<unknown>).apply(this, args);
      })();
    }
    return (realQuery as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof realQuery;
  return {
    killed: () => killed,
    restore() {
      pg.Client.prototype.query = realQuery;
    },
  };
}
