// A full app on its own fresh database, with logs captured so tests can check what was written.
import { Writable } from 'node:stream';

import { buildApp } from '../../src/app.js';
import { type Config, loadConfig } from '../../src/config.js';
import { type Container, makeContainer } from '../../src/container.js';
import type { Api } from '../../src/http/api.js';
import { makeLogger } from '../../src/lib/logger.js';
import { createTestDatabase, type TestDatabase } from './db.js';

export interface TestApp {
  app: Api;
  container: Container;
  database: TestDatabase;
  config: Config;
  logs: string[];
  close(): Promise<void>;
}

export async function makeTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const database = await createTestDatabase();
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  const logger = makeLogger({ level: 'debug', destination });
  const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: database.url, ...env });
  const container = await makeContainer(config, logger, database.url);
  const app = await buildApp(container, { logger });
  await app.ready();
  return {
    app,
    container,
    database,
    config,
    logs,
    close: async () => {
      await app.close();
      await container.close();
      await database.drop();
    },
  };
}
