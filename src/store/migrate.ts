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
    // serve/worker outside production re-check migrations with DATABASE_URL when no owner URL is
    // given; the application role may not create or grant anything, so with nothing pending it stops
    // here, and with something pending it says who can apply it.
    if (!(await canMigrate(client))) {
      const applied = await appliedMigrationId(client);
      if (applied !== null && applied >= (migrations.at(-1)?.id ?? 0)) return [];
      throw new Error(
        'migrations are pending and this database role does not own the schema: run `inlet migrate` with DATABASE_OWNER_URL set to the owner role',
      );
    }
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
    // Under the migration lock: two replicas granting on the same schema at once make PostgreSQL
    // fail one of them with "tuple concurrently updated".
    await locked(() => grantWorkerSchema(client));
  } finally {
    client.release();
  }
  return applied;
}

/** True when the connected role owns the schema's tables (or may act as any role). */
async function canMigrate(client: pg.PoolClient): Promise<boolean> {
  const { rows } = await client.query<{ ok: boolean }>(
    `SELECT coalesce((SELECT rolsuper FROM pg_roles WHERE rolname = current_user), false)
         OR coalesce((SELECT pg_has_role(current_user, relowner, 'USAGE') FROM pg_class
                       WHERE oid = to_regclass('inlet_migrations')), true) AS ok`,
  );
  return rows[0]?.ok === true;
}

/**
 * The service role (serve and worker's login role is a member) runs jobs in graphile-worker's
 * schema, which graphile-worker creates after our migrations and may extend on upgrade, so the
 * grants are renewed on every migrate run (idempotent, owner only).
 */
async function grantWorkerSchema(client: pg.PoolClient): Promise<void> {
  // graphile-worker turns row-level security on for its private tables (the owner bypasses it,
  // nobody else sees a row), so the service role gets an open policy on each of them too.
  await client.query(`DO $$
DECLARE t text;
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'inlet_service') THEN
    GRANT USAGE ON SCHEMA graphile_worker TO inlet_service;
    GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA graphile_worker TO inlet_service;
    GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA graphile_worker TO inlet_service;
    GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA graphile_worker TO inlet_service;
    FOR t IN
      SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'graphile_worker' AND c.relkind IN ('r', 'p') AND c.relrowsecurity
         AND NOT EXISTS (SELECT 1 FROM pg_policies p WHERE p.schemaname = 'graphile_worker'
                           AND p.tablename = c.relname AND p.policyname = 'inlet_service')
    LOOP
      EXECUTE format('CREATE POLICY inlet_service ON graphile_worker.%I TO inlet_service USING (true) WITH CHECK (true)', t);
    END LOOP;
  END IF;
END
$$`);
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
