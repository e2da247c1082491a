import pg from 'pg';
import { afterAll, beforeAll, expect, test } from 'vitest';

import { loadMigrations, migrate } from '../../src/store/migrate.js';
import { createEmptyDatabase } from '../helpers/db.js';

let database: { url: string; drop(): Promise<void> };
beforeAll(async () => {
  database = await createEmptyDatabase();
});
afterAll(async () => {
  await database?.drop();
});

test('two migrators at once: one applies each migration, both succeed, the record is complete', async () => {
  const a = new pg.Pool({ connectionString: database.url, max: 2 });
  const b = new pg.Pool({ connectionString: database.url, max: 2 });
  for (const p of [a, b]) p.on('error', () => undefined);
  try {
    const [ra, rb] = await Promise.all([migrate(a), migrate(b)]);
    const all = await loadMigrations();
    // Each migration applied by exactly one of them (the lock is taken per migration, so the two may
    // share the work, but never both apply one), and each in order.
    expect([...ra, ...rb].sort()).toEqual(all.map((m) => m.name).sort());
    for (const r of [ra, rb]) expect(r).toEqual([...r].sort());
    const { rows } = await a.query('SELECT id FROM inlet_migrations ORDER BY id');
    expect(rows.map((r) => r.id)).toEqual(all.map((m) => m.id));
    // Running again is a no-op.
    expect(await migrate(a)).toEqual([]);
  } finally {
    await a.end();
    await b.end();
  }
});

test('an applied migration that was edited afterwards is refused', async () => {
  const pool = new pg.Pool({ connectionString: database.url, max: 1 });
  pool.on('error', () => undefined);
  try {
    await pool.query(`UPDATE inlet_migrations SET checksum = 'tampered' WHERE id = 1`);
    await expect(migrate(pool)).rejects.toThrow(/changed after it was applied/);
  } finally {
    await pool.end();
  }
});
