// Forward-only plain-SQL migrations from migrations/NNNN-purpose.sql. Each file runs in its own
// transaction and is recorded with its checksum; an edited, already-applied file is an error (write a
// new migration instead). A transaction-level advisory lock serialises concurrent migrators (two
// replicas starting at once): the second waits, then finds nothing left to do, and both exit 0.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { Logger as WorkerLogger, runMigrations as runWorkerMigrations } from 'graphile-worker';
import type pg from 'pg';

export const migrationsDir = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../migrations',
);
const lockKey = 0x1e7_0001; // arbitrary, constant: "inlet migrations"

export interface Migration {
  id: number;
  name: string;
  sql: string;
  checksum: string;
}

export async function loadMigrations(dir = migrationsDir): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => /^\d{4}-[a-z0-9-]+\.sql$/.test(f)).sort();
  const out: Migration[] = [];
  for (const file of files) {
    const sql = await readFile(path.join(dir, file), 'utf8');
    out.push({
      id: Number(file.slice(0, 4)),
      name: file,
      sql,
      checksum: createHash('sha256').update(sql).digest('hex'),
    });
  }
  out.forEach((m, i) => {
    if (m.id !== i + 1) throw new Error(`migration numbering has a gap or duplicate at ${m.name}`);
  });
  return out;
}

export async function latestMigrationId(dir = migrationsDir): Promise<number> {
  const all = await loadMigrations(dir);
  return all.at(-1)?.id ?? 0;
}

/**
 * Applies pending migrations; returns the names applied by this call. Each migration takes the lock
 * inside its own transaction (pg_advisory_xact_lock) and re-checks that nobody applied it meanwhile,
 * so nothing depends on session state: the same code is safe through a transaction-mode PgBouncer,
 * where a session lock could be taken on one server connection and "released" on another.
 */
export async function migrate(
  pool: pg.Pool,
  opts: { dir?: string; log?: (msg: string) => void } = {},
): Promise<string[]> {
  const migrations = await loadMigrations(opts.dir);
  const client = await pool.connect();
  const applied: string[] = [];
  const locked = async <T>(fn: () => Promise<T>): Promise<T> => {
    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock($1)', [lockKey]);
      const out = await fn();
      await client.query('COMMIT');
      return out;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  };
  try {
    await locked(() =>
      client.query(`CREATE TABLE IF NOT EXISTS inlet_migrations (
      id integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`),
    );
    const done = new Map(
      (
        await client.query<{ id: number; checksum: string }>(
          'SELECT id, checksum FROM inlet_migrations',
        )
      ).rows.map((r) => [r.id, r.checksum]),
    );
    for (const m of migrations) {
      const previous = done.get(m.id);
      if (previous !== undefined) {
        if (previous !== m.checksum)
          throw new Error(
            `migration ${m.name} was changed after it was applied; add a new migration instead`,
          );
        continue;
      }
      const ran = await locked(async () => {
        // Another replica may have applied it while this one waited for the lock.
        const now = await client.query<{ checksum: string }>(
          'SELECT checksum FROM inlet_migrations WHERE id = $1',
          [m.id],
        );
        if (now.rows[0]) return false;
        try {
          await client.query(m.sql);
        } catch (err) {
          throw new Error(`migration ${m.name} failed: ${(err as Error).message}`, { cause: err });
        }
        await client.query(
          'INSERT INTO inlet_migrations (id, name, checksum) VALUES ($1, $2, $3)',
          [m.id, m.name, m.checksum],
        );
        return true;
      });
      if (!ran) continue;
      applied.push(m.name);
      opts.log?.(`applied ${m.name}`);
    }
    // graphile-worker keeps its own schema and migration table (its migrations are transactional too).
    await runWorkerMigrations({ pgPool: pool, logger: silentWorkerLogger() });
  } finally {
    client.release();
  }
  return applied;
}

/** Applied migration id, or null when the table does not exist yet. */
export async function appliedMigrationId(ex: Pick<pg.ClientBase, 'query'>): Promise<number | null> {
  const exists = await ex.query<{ t: string | null }>(
    `SELECT to_regclass('inlet_migrations')::text AS t`,
  );
  if (!exists.rows[0]?.t) return null;
  const { rows } = await ex.query<{ id: number }>(
    'SELECT coalesce(max(id), 0)::int AS id FROM inlet_migrations',
  );
  return rows[0]?.id ?? 0;
}

function silentWorkerLogger() {
  return new WorkerLogger(() => () => undefined);
}
