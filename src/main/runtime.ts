// Process lifecycle shared by every command: config → logger → database (external or embedded) →
// container, and an orderly stop on SIGTERM/SIGINT: stop accepting, finish in-flight work within the
// grace period, close the pool, stop the embedded PostgreSQL, exit 0.
import { type Config, ConfigError, loadConfig } from '../config.js';
import { consoleDestination, type Logger, makeLogger } from '../lib/logger.js';
import { type EmbeddedDatabase, startEmbeddedPostgres } from '../store/embedded-postgres.js';

export interface Runtime {
  config: Config;
  logger: Logger;
  databaseUrl: string;
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
  if (!databaseUrl) {
    // config.ts already refused this combination in production.
    embedded = await startEmbeddedPostgres(config.dataDir, logger, 'inlet', {
      port: config.embeddedPgPort,
    });
    databaseUrl = embedded.url;
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
