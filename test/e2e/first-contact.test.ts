// A newcomer's first minutes, as the README tells them: `npm start` (here `node scripts/inlet.mjs
// start`, what npm start runs) without clamd, create a tenant, add a local mailbox, import samples/,
// list tickets. The terminal stays quiet and honest: fewer than 20 log lines, none at ERROR, logs on
// stderr and only human output on stdout; a taken embedded PostgreSQL port is one sentence.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import pg from 'pg';
import { afterAll, describe, expect, test } from 'vitest';

import { freePort } from '../../src/lib/free-port.js';
import { repoRoot, waitForHttp } from '../helpers/cli.js';

interface Run {
  stdout: string;
  stderr: string;
  code: number | null;
}
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

function inlet(args: string[], env: Record<string, string>) {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !/^(DATABASE_URL|PORT|NODE_ENV|INLET_|LOG_LEVEL|CLAMD_)/.test(k),
    ),
  );
  const child = spawn(process.execPath, [path.join(repoRoot, 'scripts/inlet.mjs'), ...args], {
    cwd: repoRoot,
    env: { ...clean, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const run: Run = { stdout: '', stderr: '', code: null };
  child.stdout.on('data', (d) => (run.stdout += d));
  child.stderr.on('data', (d) => (run.stderr += d));
  const done = new Promise<Run>((resolve) =>
    child.on('exit', (code) => {
      run.code = code;
      resolve(run);
    }),
  );
  return { child, run, done };
}

// The test's own polling of /readyz until the server is up is not what a newcomer does; leave it out.
const logLines = (text: string) =>
  text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map(
      (l) =>
        JSON.parse(l) as {
          level: number;
          msg: string;
          req?: { url?: string };
          request_id?: string;
        },
    )
    .filter(
      (l, _i, all) =>
        l.req?.url !== '/readyz' &&
        !(
          l.msg === 'request completed' &&
          all.some((o) => o.request_id === l.request_id && o.req?.url === '/readyz')
        ),
    );

describe('first contact', () => {
  test('npm start without clamd, one import of samples/: under 20 log lines, none at ERROR, stdout only for people', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'inlet-first-'));
    dirs.push(dataDir);
    const port = await freePort();
    const env = {
      INLET_DATA_DIR: dataDir,
      PORT: String(port),
      CLAMD_PORT: String(await freePort()),
    };
    const start = inlet(['start'], env);
    try {
      await waitForHttp(`http://127.0.0.1:${port}/readyz`, 120_000);
      const tenant = await inlet(['tenants', 'create', 'Acme Support'], env).done;
      expect(tenant.code, tenant.stderr).toBe(0);
      expect(tenant.stdout).not.toMatch(/^\{/m);
      const key = /api key \(shown once, every scope\): (inl_\S+)/.exec(tenant.stdout)![1]!;
      const auth = { authorization: `Bearer ${key}` };
      const mbx = await fetch(`http://127.0.0.1:${port}/v1/mailboxes`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ provider: 'local', address: 'support@acme.example' }),
      });
      expect(mbx.status).toBe(201);
      const { id } = (await mbx.json()) as { id: string };
      const imported = await inlet(['import', './samples', '--mailbox', id], env).done;
      expect(imported.code, imported.stderr).toBe(0);
      expect(imported.stdout).toMatch(
        /^imported 4 messages\n {2}tickets opened: {4}3\n {2}threaded replies: {2}1\n {2}classified: {8}human 3, auto_reply 1\n {2}attachments: {7}pending 1\n/,
      );
      expect(imported.stdout).not.toMatch(/^\{/m);
      const tickets = (await (
        await fetch(`http://127.0.0.1:${port}/v1/tickets`, { headers: auth })
      ).json()) as { items: unknown[] };
      expect(tickets.items.length).toBe(3);
      // The attachment waits for a scanner: its re-check job first runs 30 s after the import, then
      // retries with backoff (about 3 s, then 7 s). Wait until it has failed at least twice.
      const { port: pgPort, password } = JSON.parse(
        await readFile(path.join(dataDir, 'embedded-postgres.json'), 'utf8'),
      ) as { port: number; password: string };
      const db = new pg.Client({
        connectionString: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${pgPort}/inlet`,
      });
      await db.connect();
      try {
        for (let i = 0; ; i++) {
          const { rows } = await db.query<{ attempts: number }>(
            `SELECT attempts FROM graphile_worker.jobs WHERE task_identifier = 'attachments.rescan'`,
          );
          if ((rows[0]?.attempts ?? 0) >= 2) break;
          if (i > 120) throw new Error(`rescan job did not retry: ${JSON.stringify(rows)}`);
          await new Promise((r) => setTimeout(r, 1000));
        }
      } finally {
        await db.end();
      }
      const lines = [
        ...logLines(start.run.stderr),
        ...logLines(tenant.stderr),
        ...logLines(imported.stderr),
      ];
      expect(start.run.stdout).toBe('');
      console.info(
        `first contact: ${lines.length} log lines (${lines.filter((l) => l.level >= 40).length} warnings)`,
      );
      expect(lines.length, lines.map((l) => l.msg).join('\n')).toBeLessThan(20);
      expect(lines.filter((l) => l.level >= 50).map((l) => l.msg)).toEqual([]);
      // One warning per process that met the missing scanner (the import, then the worker), not one per retry.
      expect(lines.filter((l) => /clamd is not answering/.test(l.msg)).length).toBeLessThanOrEqual(
        2,
      );
    } finally {
      start.child.kill('SIGTERM');
      await start.done;
    }
  }, 240_000);

  test('embedded PostgreSQL port taken: one sentence saying so and how to change it', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'inlet-port-'));
    dirs.push(dataDir);
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const taken = (blocker.address() as net.AddressInfo).port;
    try {
      const run = await inlet(['start'], {
        INLET_DATA_DIR: dataDir,
        PORT: String(await freePort()),
        INLET_EMBEDDED_PG_PORT: String(taken),
      }).done;
      expect(run.code).toBe(1);
      const last = run.stderr.trim().split('\n').at(-1)!;
      expect(last).toMatch(
        new RegExp(
          `^inlet: the embedded PostgreSQL cannot start: port ${taken} on 127\\.0\\.0\\.1 is already taken by another program\\. Set INLET_EMBEDDED_PG_PORT to a free port`,
        ),
      );
      expect(run.stderr).not.toMatch(/\n\s+at /);
    } finally {
      blocker.close();
    }
  }, 120_000);
});
