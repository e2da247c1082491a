// Process lifecycle shared by every command: config → logger → database (external or embedded) →
// container, and an orderly stop on SIGTERM/SIGINT: stop accepting, finish in-flight work within the
// grace period, close the pool, stop the embedded PostgreSQL, exit 0.
import { type Config, ConfigError, loadConfig } from '../config.js';
import { consoleDestination, type Logger, makeLogger } from '../lib/logger.js';
import { StartupError } from '../lib/startup-error.js';
import type { Executor } from '../store/db.js';
import { type EmbeddedDatabase, startEmbeddedPostgres } from '../store/embedded-postgres.js';
import { inspectLoginRole } from '../store/role-check.js';

export interface Runtime {
  config: Config;
  logger: Logger;
  /** serve and worker: the application login role. */
  databaseUrl: string;
  /** Migrations: DATABASE_OWNER_URL, the embedded superuser, or (outside production) DATABASE_URL. */
  ownerUrl: string | null;
  embedded: EmbeddedDatabase | null;
  /** Registers a step of the shutdown sequence; steps run in reverse order of registration. */
  onStop(step: () => Promise<void>): void;
  stop(): Promise<void>;
}

export function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(
        `inlet: invalid configuration\n${err.problems.map((p) => `  ${p}`).join('\n')}\n`,
      );
      process.exit(1);
    }
    throw err;
  }
}

export async function startRuntime(config: Config): Promise<Runtime> {
  const logger = makeLogger({
    level: config.logLevel,
    destination: await consoleDestination(config.production),
  });
  const steps: (() => Promise<void>)[] = [];
  let embedded: EmbeddedDatabase | null = null;
  let databaseUrl = config.databaseUrl;
  let ownerUrl = config.databaseOwnerUrl ?? (config.production ? null : databaseUrl);
  if (!databaseUrl) {
    // config.ts already refused this combination in production.
    embedded = await startEmbeddedPostgres(config.dataDir, logger, 'inlet', {
      port: config.embeddedPgPort,
    });
    databaseUrl = embedded.appUrl;
    ownerUrl = config.databaseOwnerUrl ?? embedded.url;
    steps.push(() => embedded!.stop());
    logger.info(
      { dir: config.dataDir },
      'using embedded PostgreSQL (set DATABASE_URL to use your own)',
    );
  }
  let stopping: Promise<void> | null = null;
  const runtime: Runtime = {
    config,
    logger,
    databaseUrl,
    ownerUrl,
    embedded,
    onStop: (step) => steps.push(step),
    stop: () => {
      stopping ??= (async () => {
        for (const step of steps.reverse()) {
          try {
            await step();
          } catch (err) {
            logger.error({ err }, 'shutdown step failed');
          }
        }
      })();
      return stopping;
    },
  };
  return runtime;
}

/**
 * serve and worker must not be able to switch row-level security off (see store/role-check.ts):
 * production refuses to start with such a DATABASE_URL, development says so once.
 */
export async function checkLoginRole(runtime: Runtime, ex: Executor): Promise<void> {
  const { role, problems } = await inspectLoginRole(ex);
  if (problems.length === 0) return;
  const advice =
    'serve and worker need a login role that is a member of inlet_app and inlet_service only; the owner goes in DATABASE_OWNER_URL for `inlet migrate` (README "Database roles")';
  if (runtime.config.production)
    throw new StartupError(
      `DATABASE_URL logs in as ${role}, which could turn tenant isolation off: ${problems.join('; ')}. Set DATABASE_URL to a non-owner login role: ${advice}.`,
    );
  runtime.logger.warn(
    { role, problems },
    `DATABASE_URL logs in as a role that could turn tenant isolation off; production refuses it (${advice})`,
  );
}

/** Stops the runtime on SIGTERM/SIGINT and exits 0 (1 if the grace period runs out). */
export function stopOnSignals(runtime: Runtime): void {
  const handler = (signal: NodeJS.Signals) => {
    runtime.logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      runtime.logger.error('shutdown grace period exceeded; exiting');
      process.exit(1);
    }, runtime.config.shutdownTimeoutMs + 2000);
    timer.unref();
    runtime.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', handler);
  process.once('SIGINT', handler);
}
