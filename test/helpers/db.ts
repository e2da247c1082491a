// A fresh database per test file, cloned from the migrated template. Real PostgreSQL, never mocked.
import { randomBytes } from 'node:crypto';

import pg from 'pg';
import { inject } from 'vitest';

import { type Db, makeDb, makePool } from '../../src/store/db.js';
import { asTestLogin, withDatabase } from './postgres-server.js';

/** A test database reached as the login role (url, db) and as the owner (ownerUrl, owner). */
function open(name: string, poolMax: number): TestDatabase {
  const ownerUrl = withDatabase(inject('pgAdminUrl'), name);
  const url = asTestLogin(ownerUrl);
  const db = makeDb(makePool(url, poolMax));
  const owner = makeDb(makePool(ownerUrl, 2));
  return {
    url,
    ownerUrl,
    name,
    db,
    owner,
    drop: async () => {
      await db.close().catch(() => undefined);
      await owner.close().catch(() => undefined);
      await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

export interface TestDatabase {
  /** The application login role (serve and worker's DATABASE_URL). */
  url: string;
  /** The owner (a superuser here): for tests that must change what the app role cannot. */
  ownerUrl: string;
  name: string;
  /** Transactions as the application login role, like the service. */
  db: Db;
  /** Transactions as the owner; its pool connects on first use. */
  owner: Db;
  /** Drops the database (closing the pool first). */
  drop(): Promise<void>;
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: inject('pgAdminUrl') });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Creates an empty database (no migrations) — for migration tests. */
export async function createEmptyDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `inlet_test_${randomBytes(6).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  return {
    url: withDatabase(inject('pgAdminUrl'), name),
    drop: () =>
      admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `inlet_test_${randomBytes(6).toString('hex')}`;
  const template = inject('pgTemplate');
  for (let attempt = 0; ; attempt++) {
    try {
      await admin((c) => c.query(`CREATE DATABASE ${name} TEMPLATE ${template}`));
      break;
    } catch (err) {
      // Another file cloning the template at the same instant: brief retry.
      if (attempt > 20 || !/being accessed by other users/.test(String(err))) throw err;
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
    }
  }
  return open(name, 5);
}

/** A byte-for-byte copy of a test database, as a backup restored next to it (CREATE DATABASE …
 *  TEMPLATE: the source's sessions are closed first; the pools reconnect on their next query). */
export async function cloneDatabase(sourceName: string): Promise<TestDatabase> {
  const name = `inlet_test_${randomBytes(6).toString('hex')}`;
  for (let attempt = 0; ; attempt++) {
    try {
      await admin(async (c) => {
        await c.query(
          'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
          [sourceName],
        );
        await c.query(`CREATE DATABASE ${name} TEMPLATE ${sourceName}`);
      });
      break;
    } catch (err) {
      if (attempt > 20 || !/being accessed by other users/.test(String(err))) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return open(name, 3);
}
