#!/usr/bin/env node
// `inlet <command>`: one binary, several roles. serve + worker together is `start`, the default for
// a single machine; Kubernetes runs them apart.
import { makeContainer, type Container } from '../container.js';
import { migrate } from '../store/migrate.js';
import { loadConfigOrExit, startRuntime, stopOnSignals, type Runtime } from './runtime.js';
import { startServer } from './serve.js';
import { startWorker } from './worker.js';

const usage = `usage: inlet <command>

commands:
  start              API and background worker in one process (single machine)
  serve              REST API only
  worker             background jobs only
  migrate            apply database migrations and exit
`;

async function boot(): Promise<{ runtime: Runtime; container: Container }> {
  const config = loadConfigOrExit();
  const runtime = await startRuntime(config);
  stopOnSignals(runtime);
  const container = await makeContainer(config, runtime.logger, runtime.databaseUrl);
  runtime.onStop(() => container.close());
  return { runtime, container };
}

async function runMigrations(c: Container): Promise<void> {
  const applied = await migrate(c.db.pool, { log: (m) => c.logger.info(m) });
  c.logger.info({ applied: applied.length }, 'migrations up to date');
}

async function main(argv: string[]): Promise<void> {
  const [command] = argv;
  switch (command) {
    case 'start':
    case 'serve':
    case 'worker': {
      const { runtime, container } = await boot();
      if (!runtime.config.production || command === 'start') await runMigrations(container);
      if (command !== 'serve') runtime.onStop(await startWorker(container));
      if (command !== 'worker') {
        runtime.onStop(await startServer(container));
        runtime.logger.info({ url: runtime.config.publicUrl }, 'inlet is listening');
      }
      return;
    }
    case 'migrate': {
      const { runtime, container } = await boot();
      await runMigrations(container);
      await runtime.stop();
      return;
    }
    case undefined:
    case 'help':
    case '--help':
      process.stdout.write(usage);
      return;
    default:
      process.stderr.write(`inlet: unknown command '${command}'\n${usage}`);
      process.exit(2);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`inlet: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
