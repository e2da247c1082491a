import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import pg from 'pg';
import { afterAll, describe, expect, test } from 'vitest';

import { freePort } from '../../src/lib/free-port.js';
import { runCli, waitForHttp } from '../helpers/cli.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

function postgresProcessesFor(dir: string): string[] {
  try {
    return execFileSync('pgrep', ['-f', `postgres -D ${dir}`], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter(Boolean);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

describe('inlet CLI', () => {
  test('bad configuration exits 1 naming every bad variable', async () => {
    const p = runCli(['serve'], { DATABASE_URL: 'nonsense', PORT: 'abc' });
    const { code } = await p.exited;
    expect(code).toBe(1);
    expect(p.output()).toMatch(/DATABASE_URL: expected a URL/);
    expect(p.output()).toMatch(/PORT: expected an integer/);
  });

  test('embedded default: starts, answers, keeps data across restarts, stops cleanly on SIGTERM', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'inlet-e2e-'));
    dirs.push(dataDir);
    const port = String(await freePort());
    const env = { INLET_DATA_DIR: dataDir, PORT: port };

    const first = runCli(['start'], env);
    await waitForHttp(`http://127.0.0.1:${port}/healthz`);
    await waitForHttp(`http://127.0.0.1:${port}/readyz`);
    const { port: pgPort, password } = JSON.parse(
      await readFile(path.join(dataDir, 'embedded-postgres.json'), 'utf8'),
    );
    const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${pgPort}/inlet`;
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    // serve and worker use the login role the embedded default creates, never the superuser.
    const sessions = await c.query<{ u: string }>(
      `SELECT DISTINCT usename::text AS u FROM pg_stat_activity WHERE datname = 'inlet' AND application_name = 'inlet' AND pid <> pg_backend_pid()`,
    );
    expect(sessions.rows.map((r) => r.u)).toEqual(['inlet_login']);
    await c.query('CREATE TABLE e2e_probe (v text)');
    await c.query(`INSERT INTO e2e_probe VALUES ('kept')`);
    await c.end();

    const t0 = Date.now();
    first.child.kill('SIGTERM');
    const exit = await first.exited;
    expect(exit.code, first.output()).toBe(0);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(postgresProcessesFor(path.join(dataDir, 'pg'))).toEqual([]);

    const second = runCli(['start'], env);
    await waitForHttp(`http://127.0.0.1:${port}/readyz`);
    const c2 = new pg.Client({ connectionString: url });
    await c2.connect();
    expect((await c2.query('SELECT v FROM e2e_probe')).rows).toEqual([{ v: 'kept' }]);
    await c2.end();
    second.child.kill('SIGINT');
    expect((await second.exited).code).toBe(0);
    expect(postgresProcessesFor(path.join(dataDir, 'pg'))).toEqual([]);
  });
});
