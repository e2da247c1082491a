// Composition root: one small make-function per module, wired from config. Entry points call
// makeContainer once; tests build their own containers against their own databases.
import type { Config } from './config.js';
import type { Logger } from './lib/logger.js';
import { makeDb, makePool, isConnectionError, type Db } from './store/db.js';
import { appliedMigrationId, latestMigrationId } from './store/migrate.js';
import type { ApiDeps, Readiness } from './http/api.js';

export interface Container extends ApiDeps {
  config: Config;
  logger: Logger;
  db: Db;
  close(): Promise<void>;
}

export async function makeContainer(config: Config, logger: Logger, databaseUrl: string): Promise<Container> {
  const pool = makePool(databaseUrl, config.databasePoolMax);
  const db = makeDb(pool);
  const latest = await latestMigrationId();

  async function readiness(): Promise<Readiness> {
    try {
      const applied = await appliedMigrationId(pool);
      const migrations = applied !== null && applied >= latest ? 'ok' : 'pending';
      return { ready: migrations === 'ok', database: 'ok', migrations };
    } catch (err) {
      if (!isConnectionError(err)) logger.warn({ err }, 'readiness check failed');
      return { ready: false, database: 'unreachable', migrations: 'unknown' };
    }
  }

  return {
    config,
    logger,
    db,
    readiness,
    close: () => db.close(),
  };
}
