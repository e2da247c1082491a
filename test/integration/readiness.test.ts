import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterAll, expect, test } from 'vitest';

import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { makeContainer } from '../../src/container.js';
import { makeLogger } from '../../src/lib/logger.js';
import { startEmbeddedPostgres } from '../../src/store/embedded-postgres.js';
import { migrate } from '../../src/store/migrate.js';

const logger = makeLogger({ level: 'silent' });
let cleanup: (() => Promise<void>) | null = null;
afterAll(async () => {
  await cleanup?.();
});

test('/readyz is 503 while the database is down and 200 once it is back, without a restart', async () => {
  // Its own PostgreSQL, because this test stops it.
  const dir = await mkdtemp(path.join(os.tmpdir(), 'inlet-ready-'));
  let pg = await startEmbeddedPostgres(dir, logger);
  const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: pg.url });
  const container = await makeContainer(config, logger, pg.url);
  const app = await buildApp(container, { logger });
  cleanup = async () => {
    await app.close();
    await container.close();
    await pg.stop();
    await rm(dir, { recursive: true, force: true });
  };

  expect((await app.inject({ url: '/readyz' })).statusCode).toBe(503); // not migrated yet
  await migrate(container.db.pool);
  expect((await app.inject({ url: '/readyz' })).statusCode).toBe(200);

  await pg.stop();
  const down = await app.inject({ url: '/readyz' });
  expect(down.statusCode).toBe(503);
  expect(down.json()).toMatchObject({ status: 'not_ready', checks: { database: 'unreachable' } });
  expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);

  pg = await startEmbeddedPostgres(dir, logger); // same folder → same port and data
  expect((await app.inject({ url: '/readyz' })).statusCode).toBe(200);
});
