// IMAP sync against a real Dovecot and PostgreSQL: time-to-ticket (APPEND issued → message row
// stored, through IDLE → keyed sync job → pipeline) for many mailboxes, and the throughput of one
// large initial backfill. `npx tsx bench/imap-bench.ts` prints the figures; runImapBench() returns them.
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';

import { Logger as WorkerLogger, run } from 'graphile-worker';
import pg from 'pg';

import { loadConfig } from '../src/config.js';
import { type Container, makeContainer } from '../src/container.js';
import { messageIdBlindIndex } from '../src/crypto/index.js';
import { toTaskList } from '../src/jobs/registry.js';
import { makeLogger } from '../src/lib/logger.js';
import { makeHandlers } from '../src/main/worker.js';
import { migrate } from '../src/store/migrate.js';
import { startIdleSupervisor } from '../src/sync/idle-supervisor.js';
import { enqueueSync } from '../src/sync/sync-jobs.js';
import { syncMailbox } from '../src/sync/sync-mailbox.js';
import { systemActor } from '../src/tenancy/actor.js';
import { type DovecotHandle, startDovecot } from '../test/helpers/dovecot.js';
import { appendMany, customerMessage, newImapUser, waitFor } from '../test/helpers/imap-mailbox.js';
import { localMailEnv } from '../test/helpers/local-mail.js';
import { startPostgresServer, withDatabase } from '../test/helpers/postgres-server.js';
import { type SmtpSink, startSmtpSink } from '../test/helpers/smtp-sink.js';

export interface ImapBenchFigures {
  timeToTicketMs: {
    p50: number;
    p95: number;
    p99: number;
    max: number;
    n: number;
    mailboxes: number;
  };
  /** APPEND → IDLE notification (Dovecot batches change notifications for about 0.5 s). */
  idleNotifyMs: { p50: number; p95: number; n: number };
  backfill: { messages: number; seconds: number; perSecond: number };
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

async function connect(
  c: Container,
  tenantId: string,
  dovecot: DovecotHandle,
  sink: SmtpSink,
  u: { user: string; password: string },
  maxMessages: number,
) {
  return c.imapMailboxes.connect(systemActor(tenantId, 'bench'), {
    imap: {
      host: dovecot.host,
      port: dovecot.port,
      tls: false,
      allow_plaintext: true,
      user: u.user,
      password: u.password,
    },
    smtp: {
      host: sink.host,
      port: sink.port,
      tls: false,
      allow_plaintext: true,
      user: 'sender',
      password: 'sender-pass',
    },
    backfill: { maxMessages },
  });
}

export async function runImapBench(
  opts = { mailboxes: 20, messages: 400, backfill: 5000, appendGapMs: 20 },
): Promise<ImapBenchFigures | null> {
  const dovecot = await startDovecot();
  if (!dovecot) return null;
  const server = await startPostgresServer();
  const name = `inlet_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: server.adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = withDatabase(server.adminUrl, name);
  const sink = await startSmtpSink({ users: { sender: 'sender-pass' } });
  const logger = makeLogger({ level: 'silent' });
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: url,
    INLET_MASTER_KEYS: `k1:${randomBytes(32).toString('base64')}`,
    DATABASE_POOL_MAX: '20',
    CLAMD_PORT: '1',
    ...localMailEnv,
  });
  const c = await makeContainer(config, logger, url);
  try {
    await migrate(c.db.pool);
    const { tenant } = await c.tenants.createTenant('Bench', {
      actor: 'operator',
      requestId: null,
      clientIp: null,
    });

    // 1. Time to ticket over IDLE for many mailboxes at once.
    const users = [];
    const ids: string[] = [];
    for (let i = 0; i < opts.mailboxes; i++) {
      const u = await newImapUser(dovecot, 'bench');
      users.push(u);
      ids.push((await connect(c, tenant.id, dovecot, sink, u, 0)).id);
    }
    const runner = await run({
      pgPool: c.db.pool,
      concurrency: 8,
      noHandleSignals: true,
      pollInterval: 1000,
      taskList: toTaskList(makeHandlers(c)),
      logger: new WorkerLogger(() => () => undefined),
    });
    const lastAppend = new Map<string, number>(); // mailbox → start of its latest APPEND not yet announced
    const notify: number[] = [];
    const sup = startIdleSupervisor(
      {
        db: c.db,
        keys: c.keys,
        logger,
        onChange: async (tenantId, mailboxId) => {
          const at = lastAppend.get(mailboxId);
          if (at !== undefined) {
            notify.push(Date.now() - at);
            lastAppend.delete(mailboxId);
          }
          await c.db.tenantTx(tenantId, (ex) => enqueueSync(ex, tenantId, mailboxId));
        },
      },
      { renewEveryMs: 2000, leaseMs: 10_000 },
    );
    await waitFor(
      'all mailboxes watched',
      async () => sup.watching().length === opts.mailboxes,
      30_000,
    );
    await waitFor(
      'initial syncs',
      async () =>
        (
          await c.db.tx((ex) =>
            ex.query<{ n: string }>(
              'SELECT count(*) AS n FROM mailboxes WHERE last_sync_at IS NOT NULL',
            ),
          )
        ).rows[0]!.n === String(opts.mailboxes),
      30_000,
    );

    const indexKey = await c.db.tenantTx(tenant.id, (ex) =>
      c.keys.tenantKey(ex, tenant.id, 'index'),
    );
    const sentAt = new Map<string, number>();
    for (let i = 0; i < opts.messages; i++) {
      const m = customerMessage('ttt');
      sentAt.set(messageIdBlindIndex(indexKey.key, m.messageId).toString('hex'), Date.now());
      if (!lastAppend.has(ids[i % ids.length]!)) lastAppend.set(ids[i % ids.length]!, Date.now());
      await dovecot.append(users[i % users.length]!.user, 'INBOX', m.raw);
      await new Promise((r) => setTimeout(r, opts.appendGapMs));
    }
    const stored = await waitFor(
      'all tickets',
      async () => {
        const { rows } = await c.db.tx((ex) =>
          ex.query<{ b: Buffer; at: Date }>(
            'SELECT message_id_bidx AS b, received_at AS at FROM messages',
          ),
        );
        return rows.length >= opts.messages ? rows : null;
      },
      120_000,
      100,
    );
    const lat = stored
      .map((r) => r.at.getTime() - sentAt.get(r.b.toString('hex'))!)
      .sort((a, b) => a - b);
    await sup.stop();
    await runner.stop();

    // 2. One large initial backfill, straight through the sync job's code.
    const big = await newImapUser(dovecot, 'backfill');
    await appendMany(
      dovecot,
      big,
      Array.from({ length: opts.backfill }, () => customerMessage('bf').raw),
    );
    const mailbox = await connect(c, tenant.id, dovecot, sink, big, opts.backfill);
    const t0 = performance.now();
    const res = await syncMailbox(c, tenant.id, mailbox.id);
    const seconds = (performance.now() - t0) / 1000;
    if (res.stored !== opts.backfill)
      throw new Error(`backfill stored ${res.stored} of ${opts.backfill}`);

    return {
      timeToTicketMs: {
        p50: pct(lat, 50),
        p95: pct(lat, 95),
        p99: pct(lat, 99),
        max: lat.at(-1)!,
        n: lat.length,
        mailboxes: opts.mailboxes,
      },
      idleNotifyMs: {
        p50: pct(
          notify.sort((a, b) => a - b),
          50,
        ),
        p95: pct(notify, 95),
        n: notify.length,
      },
      backfill: {
        messages: opts.backfill,
        seconds: Math.round(seconds * 10) / 10,
        perSecond: Math.round(opts.backfill / seconds),
      },
    };
  } finally {
    await c.close();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
    await sink.close();
    await dovecot.stop();
    await server.stop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const figures = await runImapBench();
  if (!figures) {
    console.log('imap-bench skipped: dovecot not installed');
  } else {
    const t = figures.timeToTicketMs;
    console.log(
      `time to ticket (APPEND → message stored via IDLE + sync job), ${t.n} messages over ${t.mailboxes} mailboxes:`,
    );
    console.log(`  p50 ${t.p50} ms   p95 ${t.p95} ms   p99 ${t.p99} ms   max ${t.max} ms`);
    console.log(
      `  of which APPEND → IDLE notification: p50 ${figures.idleNotifyMs.p50} ms, p95 ${figures.idleNotifyMs.p95} ms (n=${figures.idleNotifyMs.n})`,
    );
    console.log(
      `backfill: ${figures.backfill.messages} messages in ${figures.backfill.seconds} s = ${figures.backfill.perSecond} messages/s`,
    );
  }
}
