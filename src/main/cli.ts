#!/usr/bin/env node
// `inlet <command>`: one binary, several roles. serve + worker together is `start`, the default for
// a single machine; Kubernetes runs them apart.
import './node-version.js';

import { type Container, makeContainer } from '../container.js';
import { formatSummary, importMail, progressLine } from '../import/import-mail.js';
import { reparseNow } from '../ingest/reparse-run.js';
import { makeLogger } from '../lib/logger.js';
import { describeThrown, StartupError } from '../lib/startup-error.js';
import { purgeNow } from '../mailboxes/purge-now.js';
import { makePool } from '../store/db.js';
import { listEpochs } from '../store/kek-epoch-store.js';
import { migrate } from '../store/migrate.js';
import { listTenantIds } from '../store/tenant-store.js';
import { systemActor } from '../tenancy/actor.js';
import { audit } from '../tenancy/audit.js';
import { formatEpochs, runKeyEpoch } from '../tenancy/key-epochs.js';
import { addDevKey, loadKeyProvider } from '../tenancy/keyring-loader.js';
import { startHealthListener } from './health-listener.js';
import {
  checkLoginRole,
  loadConfigOrExit,
  type Runtime,
  startRuntime,
  stopOnSignals,
} from './runtime.js';
import { startServer } from './serve.js';
import { startWorker } from './worker.js';

const usage = `usage: inlet <command>

commands:
  start              API and background worker in one process (single machine)
  serve              REST API only
  worker             background jobs only
  migrate            apply database migrations and exit
  tenants create NAME
                     create a tenant; prints its first API key (shown once)
  import PATH --mailbox ID
                     ingest .eml files, folders and mbox files into a mailbox
  mailboxes purge MAILBOX_ID
                     delete a disconnected mailbox's rows now instead of after
                     MAILBOX_PURGE_DELAY_HOURS (audited as mailbox.purge_now)
  keys rotate        re-wrap every data key under the active key-encryption key
                     (development: first adds a new key to the dev keyring;
                     KEY_PROVIDER=vault: first rotates the transit key)
  keys status        each KEK: active since, retired, destroy after, destroyed
  keys epoch         run the key-epoch job now (rotate if due, re-wrap, retire, destroy)
  reparse [--tenant ID] [--mailbox ID] [--all]
                     rebuild stored messages' text, sanitised HTML, reply and
                     warnings from their originals now (workers do it in the
                     background after an upgrade); --all: every message, not
                     only those an older derivation made (audited as message.reparse)
`;

/**
 * One-shot commands (tenants, import, keys) print their result on stdout; at the default level
 * their logs show only warnings and errors, so the terminal holds the answer, not the start-up story.
 */
async function boot(
  opts: { oneShot?: boolean; asOwner?: boolean } = {},
): Promise<{ runtime: Runtime; container: Container }> {
  const loaded = loadConfigOrExit();
  const quiet =
    opts.oneShot && loaded.logLevel === 'info' ? { ...loaded, logLevel: 'warn' } : loaded;
  const runtime = await startRuntime(quiet);
  stopOnSignals(runtime);
  // `inlet migrate` changes the schema, so it logs in as the owner (DATABASE_OWNER_URL, the chart's
  // migrate Job; the embedded superuser); everything else uses DATABASE_URL, the login role.
  const url = opts.asOwner ? (runtime.ownerUrl ?? runtime.databaseUrl) : runtime.databaseUrl;
  const container = await makeContainer(quiet, runtime.logger, url);
  runtime.onStop(() => container.close());
  return { runtime, container };
}

/**
 * Applies pending migrations as the owner. serve and worker hold only the login role's pool, so
 * outside `inlet migrate` a short-lived owner pool does it; without an owner URL (production
 * `start` with no DATABASE_OWNER_URL) the check falls to readiness, which waits for `inlet migrate`.
 */
async function migrateAsOwner(c: Container, runtime: Runtime): Promise<void> {
  if (!runtime.ownerUrl) {
    c.logger.warn('DATABASE_OWNER_URL is not set: migrations are left to `inlet migrate`');
    return;
  }
  const log = (m: string) => c.logger.debug(m);
  const same = runtime.ownerUrl === runtime.databaseUrl;
  const pool = same ? c.db.pool : makePool(runtime.ownerUrl, 2);
  try {
    const applied = await migrate(pool, { log });
    c.logger.info({ applied: applied.length }, 'migrations up to date');
  } finally {
    if (!same) await pool.end();
  }
}

async function runMigrations(c: Container, runtime: Runtime): Promise<void> {
  await migrateAsOwner(c, runtime);
  await c.checkKeyring();
}

/** One-shot operator commands: boot, migrate outside production, run, stop. */
async function oneShot(
  fn: (c: Container, runtime: Runtime) => Promise<void>,
  opts: { keys?: 'dev-rotate' } = {},
): Promise<void> {
  if (opts.keys === 'dev-rotate') {
    const config = loadConfigOrExit();
    if (!config.masterKeys) {
      await loadKeyProvider(config, makeLogger({ level: 'silent' })); // creates the file on a fresh folder
      process.stdout.write(`added key ${await addDevKey(config)} to the development keyring\n`);
    }
  }
  const { runtime, container } = await boot({ oneShot: true });
  try {
    if (!runtime.config.production) await migrateAsOwner(container, runtime);
    await fn(container, runtime);
  } finally {
    await runtime.stop();
  }
}

async function main(argv: string[]): Promise<void> {
  const [command] = argv;
  switch (command) {
    case 'start':
    case 'serve':
    case 'worker': {
      const { runtime, container } = await boot();
      // Checked before migrating (this also opens the login role's first connection, which the
      // steps after the migrations reuse) and, in production, again after: the tables whose owner
      // the login role must not be exist only then on a first start.
      await checkLoginRole(runtime, container.db.pool);
      if (!runtime.config.production || command === 'start') {
        await runMigrations(container, runtime);
        if (runtime.config.production) await checkLoginRole(runtime, container.db.pool);
      }
      const worker = command !== 'serve' ? await startWorker(container) : null;
      if (worker) runtime.onStop(worker);
      const health = await startHealthListener(container, worker);
      if (health) runtime.onStop(health);
      if (command !== 'worker') {
        runtime.onStop(await startServer(container));
      }
      return;
    }
    case 'migrate': {
      const { runtime, container } = await boot({ asOwner: true });
      try {
        const applied = await migrate(container.db.pool, { log: (m) => container.logger.debug(m) });
        container.logger.info({ applied: applied.length }, 'migrations up to date');
        await container.checkKeyring();
      } finally {
        await runtime.stop();
      }
      return;
    }
    case 'tenants': {
      const [, sub, ...rest] = argv;
      const name = rest.join(' ').trim();
      if (sub !== 'create' || !name) return usageError('usage: inlet tenants create NAME');
      await oneShot(async (c) => {
        await c.checkKeyring();
        const { tenant, apiKey } = await c.tenants.createTenant(name, {
          actor: 'operator',
          requestId: null,
          clientIp: null,
        });
        process.stdout.write(
          `tenant ${tenant.id} (${tenant.name})\napi key (shown once, every scope): ${apiKey.token}\n`,
        );
      });
      return;
    }
    case 'import': {
      const target = argv[1];
      const at = argv.indexOf('--mailbox');
      const mailboxId = at > 0 ? argv[at + 1] : undefined;
      if (!target || !mailboxId) return usageError('usage: inlet import PATH --mailbox ID');
      await oneShot(async (c) => {
        await c.checkKeyring();
        const tty = process.stderr.isTTY;
        const summary = await importMail(c, target, mailboxId, (done, total, s) => {
          if (tty) process.stderr.write(`\r${progressLine(done, total, s)}`);
          else if (done % 100 === 0 || done === total)
            process.stderr.write(`${progressLine(done, total, s)}\n`);
        });
        if (tty) process.stderr.write('\n');
        process.stdout.write(`${formatSummary(summary)}\n`);
      });
      return;
    }
    case 'mailboxes': {
      const [, sub, mailboxId] = argv;
      if (sub !== 'purge' || !mailboxId || !/^[0-9a-f-]{36}$/i.test(mailboxId))
        return usageError('usage: inlet mailboxes purge MAILBOX_ID');
      await oneShot(async (c) => {
        await c.checkKeyring();
        const outcome = await purgeNow(c.disconnectDeps, mailboxId);
        process.stdout.write(`mailbox ${mailboxId}: purge ${outcome}\n`);
      });
      return;
    }
    case 'keys': {
      if (argv[1] === 'status' || argv[1] === 'epoch') {
        const sub = argv[1];
        await oneShot(async (c) => {
          if (sub === 'epoch')
            process.stdout.write(`${JSON.stringify(await runKeyEpoch(c.epochDeps))}\n`);
          process.stdout.write(
            formatEpochs(await c.db.tx((ex) => listEpochs(ex)), c.keys.provider.activeKeyId),
          );
        });
        return;
      }
      if (argv[1] !== 'rotate') return usageError('usage: inlet keys rotate|status|epoch');
      await oneShot(
        async (c) => {
          if (c.keys.provider.rotate) await c.keys.provider.rotate();
          const { rewrapped, failed } = await c.keys.rewrapAll(c.db);
          await recordRotation(c, rewrapped);
          process.stdout.write(
            `re-wrapped ${rewrapped} data keys under key ${c.keys.provider.activeKeyId}\n`,
          );
          c.logger.info(
            { rewrapped, failed: failed.length, active: c.keys.provider.activeKeyId },
            'key rotation done',
          );
          if (failed.length > 0) {
            process.stderr.write(
              `${failed.length} data keys could not be unwrapped and were left as they are (ids: ${failed.join(', ')}); keep their old key in the keyring and investigate\n`,
            );
            process.exitCode = 1;
          }
        },
        { keys: 'dev-rotate' },
      );
      return;
    }
    case 'reparse': {
      const opts = reparseArgs(argv.slice(1));
      if (!opts) return usageError('usage: inlet reparse [--tenant ID] [--mailbox ID] [--all]');
      await oneShot(async (c) => {
        await c.checkKeyring();
        const runs = await reparseNow(c.reparseDeps, 'operator', opts, (r) =>
          process.stdout.write(`mailbox ${r.mailboxId}: ${JSON.stringify(r.counts)}\n`),
        );
        process.stdout.write(`${runs.length} mailboxes reparsed\n`);
      });
      return;
    }
    case undefined:
    case 'help':
    case '--help':
      process.stdout.write(usage);
      return;
    default:
      return usageError(`inlet: unknown command '${command}'`);
  }
}

/** `--tenant ID`, `--mailbox ID` (uuids) and `--all`, in any order; null for anything else. */
function reparseArgs(
  args: string[],
): { tenantId?: string; mailboxId?: string; all: boolean } | null {
  const out: { tenantId?: string; mailboxId?: string; all: boolean } = { all: false };
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--all') out.all = true;
    else if ((a === '--tenant' || a === '--mailbox') && uuid.test(args[i + 1] ?? ''))
      out[a === '--tenant' ? 'tenantId' : 'mailboxId'] = args[++i]!.toLowerCase();
    else return null;
  }
  return out;
}

function usageError(message: string): void {
  process.stderr.write(`${message}\n${usage}`);
  process.exit(2);
}

/** Every tenant's audit log gets a rotation record (rotation touches every tenant's keys). */
async function recordRotation(c: Container, rewrapped: number): Promise<void> {
  await c.db.tx(async (ex) => {
    for (const tenantId of await listTenantIds(ex)) {
      await audit(
        ex,
        { ...systemActor(tenantId, 'keys-rotate'), name: 'operator' },
        'keys.rotate',
        'keyring',
        c.keys.provider.activeKeyId,
        { rewrapped },
      );
    }
  });
}

main(process.argv.slice(2)).catch((err: unknown) => {
  // A failure we can explain is one sentence (what happened, what to do); anything else keeps its stack.
  const text =
    err instanceof StartupError
      ? err.message
      : err instanceof Error
        ? (err.stack ?? err.message)
        : describeThrown(err);
  process.stderr.write(`inlet: ${text}\n`);
  process.exit(1);
});
