// Once per test run: start (or find) PostgreSQL and build a migrated template database. Each test
// file then clones the template (CREATE DATABASE … TEMPLATE), which takes milliseconds.
import pg from 'pg';
import type { TestProject } from 'vitest/node';

import { makePool } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrate.js';
import { ensureTestLogin, startPostgresServer, withDatabase } from './postgres-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
    pgTemplate: string;
  }
}

export default async function setup(project: TestProject) {
  const server = await startPostgresServer();
  const template = `inlet_template_${process.pid}`;
  const admin = new pg.Client({ connectionString: server.adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${template}`);
  await admin.query(`CREATE DATABASE ${template}`);
  await admin.end();
  const pool = makePool(withDatabase(server.adminUrl, template), 2);
  await migrate(pool);
  await pool.end();
  // Every test database is a clone of the template, so the whole suite runs as the login role
  // production uses: a member of inlet_app and inlet_service, never the owner.
  await ensureTestLogin(server.adminUrl);
  project.provide('pgAdminUrl', server.adminUrl);
  project.provide('pgTemplate', template);
  console.log(`test PostgreSQL: ${server.source}`);
  return async () => {
    const c = new pg.Client({ connectionString: server.adminUrl });
    await c.connect().then(
      () => c.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`).finally(() => c.end()),
      () => undefined,
    );
    await server.stop();
  };
}
