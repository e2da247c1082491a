// A bench's database and container: a PostgreSQL server (as the tests get theirs), a fresh database
// on it, the container on that database, migrated, with one tenant. `close` undoes all of it.
import { randomBytes } from 'node:crypto';

import pg from 'pg';

import { type Config, loadConfig } from '../../src/config.js';
import { type Container, makeContainer } from '../../src/container.js';
import { generateKek, makeLocalKeyProvider } from '../../src/crypto/index.js';
import { type Logger, makeLogger } from '../../src/lib/logger.js';
import { migrate } from '../../src/store/migrate.js';
import { startPostgresServer, withDatabase } from '../../test/helpers/postgres-server.js';

export interface BenchDb {
  c: Container;
  tenantId: string;
  close(): Promise<void>;
}

export async function startBenchDb(env: Record<string, string> = {}): Promise<BenchDb> {
  const server = await startPostgresServer();
  const name = `inlet_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: server.adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = withDatabase(server.adminUrl, name);
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: url,
    INLET_MASTER_KEYS: `k1:${randomBytes(32).toString('base64')}`,
    DATABASE_POOL_MAX: '20',
    CLAMD_PORT: '1',
    ...env,
  });
  const c = await makeContainer(config, makeLogger({ level: 'silent' }), url);
  const close = async () => {
    await c.close();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
    await server.stop();
  };
  try {
    await migrate(c.db.pool);
    const { tenant } = await c.tenants.createTenant('Bench', {
      actor: 'operator',
      requestId: null,
      clientIp: null,
    });
    return { c, tenantId: tenant.id, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * The container of a bench that runs its own PostgreSQL and provider fakes: one local key, the
 * schema migrated. The benches differ only in the configuration they load.
 */
export async function migratedBenchContainer(
  config: Config,
  logger: Logger,
  databaseUrl: string,
): Promise<Container> {
  const c = await makeContainer(
    config,
    logger,
    databaseUrl,
    makeLocalKeyProvider([generateKek('bench')]),
  );
  await migrate(c.db.pool);
  return c;
}
