// New mail through IMAP IDLE, and the lease that keeps one IDLE connection per mailbox across
// workers: real Dovecot, real PostgreSQL, the real graphile-worker runner and handlers.
import { Logger as WorkerLogger, run, type Runner } from 'graphile-worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { toTaskList } from '../../src/jobs/registry.js';
import { makeHandlers } from '../../src/main/worker.js';
import type { MailProvider } from '../../src/providers/mail-provider.js';
import { providerForMailbox } from '../../src/providers/open-mailbox.js';
import { type IdleSupervisor, startIdleSupervisor } from '../../src/sync/idle-supervisor.js';
import { startWorkerLiveness, type WorkerLiveness } from '../../src/sync/worker-liveness.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { startDovecot } from '../helpers/dovecot.js';
import {
  connectBody,
  counts,
  customerMessage,
  imapLogins,
  imapSessions,
  newImapUser,
  waitFor,
} from '../helpers/imap-mailbox.js';
import { localMailEnv } from '../helpers/local-mail.js';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp-sink.js';
import { bearer, createTenant, operatorKey, testKeyring } from '../helpers/tenants.js';

const dovecot = await startDovecot();
const reason = dovecot ? '' : ' (skipped: dovecot not installed)';

let t: TestApp;
let sink: SmtpSink;
let tenant: Awaited<ReturnType<typeof createTenant>>;
const supervisors: IdleSupervisor[] = [];
const heartbeats: WorkerLiveness[] = [];
let runner: Runner | null = null;

afterAll(async () => {
  await Promise.all(supervisors.map((s) => s.stop()));
  await Promise.all(heartbeats.map((h) => h.stop()));
  await runner?.stop();
  await t?.close();
  await sink?.close();
  await dovecot?.stop();
});

const fast = { renewEveryMs: 300, leaseMs: 2000 };

async function connectMailbox(): Promise<{ id: string; user: string }> {
  const u = await newImapUser(dovecot!);
  const res = await t.app.inject({
    method: 'POST',
    url: '/v1/mailboxes',
    headers: bearer(tenant.token),
    payload: connectBody(dovecot!, sink, u),
  });
  expect(res.statusCode).toBe(201);
  return { id: res.json().id, user: u.user };
}

describe.skipIf(!dovecot)(`IMAP IDLE and leases${reason}`, () => {
  beforeAll(async () => {
    t = await makeTestApp({
      INLET_OPERATOR_KEY: operatorKey,
      INLET_MASTER_KEYS: testKeyring(),
      ...localMailEnv,
    });
    sink = await startSmtpSink({ users: { sender: 'sender-pass' } });
    tenant = await createTenant(t, 'Acme');
  });

  it('a message APPENDed after connect becomes a ticket through IDLE within seconds', async () => {
    const { id, user } = await connectMailbox();
    runner = await run({
      pgPool: t.database.db.pool,
      concurrency: 2,
      noHandleSignals: true,
      pollInterval: 1000,
      taskList: toTaskList(makeHandlers(t.container)),
      logger: new WorkerLogger(() => () => undefined),
    });
    const sup = startIdleSupervisor(
      { db: t.database.db, keys: t.container.keys, logger: t.container.logger },
      fast,
    );
    supervisors.push(sup);
    await waitFor('IDLE watch', async () => sup.watching().includes(id));
    await waitFor(
      'initial sync',
      async () =>
        (
          await t.app.inject({
            method: 'GET',
            url: `/v1/mailboxes/${id}`,
            headers: bearer(tenant.token),
          })
        ).json().sync.last_sync_at,
    );
    await waitFor('IDLE session', async () => (await imapSessions(dovecot!, user)) >= 1);

    const started = Date.now();
    await dovecot!.append(user, 'INBOX', customerMessage('idle').raw);
    await waitFor(
      'ticket from IDLE',
      async () => (await counts(t.database.db, id)).tickets === 1,
      10_000,
      20,
    );
    const ms = Date.now() - started;
    console.log(`APPEND → ticket through IDLE: ${ms} ms`);
    expect(ms).toBeLessThan(5000);
    await sup.stop();
    await runner.stop();
    runner = null;
  });

  it('mail after mail to a watched mailbox is synced over the IDLE session: no login per mail', async () => {
    const { id, user } = await connectMailbox();
    runner = await run({
      pgPool: t.database.db.pool,
      concurrency: 2,
      noHandleSignals: true,
      pollInterval: 1000,
      taskList: toTaskList(makeHandlers(t.container)),
      logger: new WorkerLogger(() => () => undefined),
    });
    const sup = startIdleSupervisor(
      { db: t.database.db, keys: t.container.keys, logger: t.container.logger },
      fast,
    );
    supervisors.push(sup);
    await waitFor('IDLE watch', async () => sup.watching().includes(id));
    await waitFor('IDLE session', async () => (await imapSessions(dovecot!, user)) >= 1);
    // The connect's first sync may still be running on a login of its own: let it finish.
    await waitFor('quiet', async () => (await imapSessions(dovecot!, user)) === 1, 10_000);
    const before = await imapLogins(dovecot!, user);
    for (let i = 1; i <= 5; i++) {
      await dovecot!.append(user, 'INBOX', customerMessage('reuse').raw);
      await waitFor(
        `ticket ${i}`,
        async () => (await counts(t.database.db, id)).tickets === i,
        10_000,
        20,
      );
    }
    // The only new logins are the test's own APPENDs (one each): the five syncs IDLE triggered ran on
    // the session IDLE holds, and IDLE resumed after each (every mail after the first was announced).
    expect((await imapLogins(dovecot!, user)) - before).toBe(5);
    expect(await imapSessions(dovecot!, user)).toBe(1);
    await sup.stop();
    await runner.stop();
    runner = null;
    expect(await counts(t.database.db, id)).toMatchObject({ messages: 5, deliveries: 5 });
  });

  it('two supervisors hold exactly one IDLE connection per mailbox; the other takes over after lease expiry', async () => {
    const { id, user } = await connectMailbox();
    const active = new Map<string, number>(); // holder → live watches of this mailbox
    const changes: string[] = [];
    const mk = (name: string) =>
      startIdleSupervisor(
        {
          db: t.database.db,
          keys: t.container.keys,
          logger: t.container.logger,
          onChange: async (_tenantId, mailboxId) => {
            if (mailboxId === id) changes.push(name);
          },
          openProvider: async (tenantId, mailboxId) => {
            const p = await t.database.db.tenantTx(tenantId, (ex) =>
              providerForMailbox(ex, t.container.keys, tenantId, mailboxId, {
                imap: { watch: { baseDelayMs: 100 } },
              }),
            );
            if (mailboxId !== id) return p;
            const counted: MailProvider = {
              ...p,
              watch: async (onChange, signal) => {
                active.set(name, (active.get(name) ?? 0) + 1);
                try {
                  await p.watch!(onChange, signal);
                } finally {
                  active.set(name, active.get(name)! - 1);
                }
              },
            };
            return counted;
          },
        },
        { ...fast, holder: name },
      );
    const a = mk('worker-a');
    const b = mk('worker-b');
    supervisors.push(a, b);

    await waitFor('one watcher', async () => [...active.values()].reduce((x, y) => x + y, 0) === 1);
    // Several renew rounds later there is still exactly one, on one holder, and one IMAP session.
    await new Promise((r) => setTimeout(r, 5 * fast.renewEveryMs));
    await Promise.all([a.tick(), b.tick()]);
    expect([...active.values()].reduce((x, y) => x + y, 0)).toBe(1);
    const holder = a.watching().includes(id) ? a : b;
    const other = holder === a ? b : a;
    expect(other.watching()).not.toContain(id);
    await waitFor('one IMAP session', async () => (await imapSessions(dovecot!, user)) === 1, 5000);
    expect(await imapSessions(dovecot!, user)).toBe(1);

    // The holder dies without releasing its lease: the other waits for expiry, then takes over.
    const died = Date.now();
    await holder.stop({ release: false });
    await waitFor('takeover', async () => other.watching().includes(id), 10_000, 20);
    const takeoverMs = Date.now() - died;
    console.log(`IDLE takeover after a holder died: ${takeoverMs} ms (lease ${fast.leaseMs} ms)`);
    expect(takeoverMs).toBeGreaterThanOrEqual(fast.leaseMs - 2 * fast.renewEveryMs);
    await waitFor(
      'one IMAP session after takeover',
      async () => (await imapSessions(dovecot!, user)) === 1,
      5000,
    );
    // The new holder's IDLE connect triggers a catch-up sync (it fires once its session is up).
    await waitFor(
      'catch-up sync after takeover',
      async () => changes.includes(other === a ? 'worker-a' : 'worker-b'),
      5000,
    );

    // A clean stop hands the mailbox over at once.
    const c = mk('worker-c');
    supervisors.push(c);
    const stopped = Date.now();
    await other.stop();
    await waitFor('handover', async () => c.watching().includes(id), 5000, 20);
    expect(Date.now() - stopped).toBeLessThan(fast.leaseMs);
  });

  it('a worker that joins gets its share of the mailboxes; each mailbox keeps exactly one IDLE connection', async () => {
    await Promise.all(supervisors.splice(0).map((s) => s.stop())); // the earlier tests' workers
    for (let i = 0; i < 5; i++) await connectMailbox();
    const total = Number(
      (
        await t.database.db.tx((ex) =>
          ex.query<{ n: string }>(
            `SELECT count(*) AS n FROM mailboxes WHERE provider = 'imap' AND status = 'active'`,
          ),
        )
      ).rows[0]!.n,
    );
    const live = new Map<string, number>(); // mailbox → IDLE watches running now, across both workers
    // A worker process: its supervisor plus the heartbeat `inlet worker` keeps under the same holder.
    const worker = (name: string) => {
      heartbeats.push(
        startWorkerLiveness(
          { db: t.database.db, logger: t.container.logger },
          {
            holder: name,
            workerIds: () => [`${name}-pool`],
            everyMs: fast.renewEveryMs,
            staleMs: fast.leaseMs,
          },
        ),
      );
      const sup = startIdleSupervisor(
        {
          db: t.database.db,
          keys: t.container.keys,
          logger: t.container.logger,
          onChange: async () => undefined,
          openProvider: async (tenantId, mailboxId) => {
            const p = await t.database.db.tenantTx(tenantId, (ex) =>
              providerForMailbox(ex, t.container.keys, tenantId, mailboxId, {
                imap: { watch: { baseDelayMs: 100 } },
              }),
            );
            return {
              ...p,
              watch: async (onChange, signal) => {
                live.set(mailboxId, (live.get(mailboxId) ?? 0) + 1);
                try {
                  await p.watch!(onChange, signal);
                } finally {
                  live.set(mailboxId, live.get(mailboxId)! - 1);
                }
              },
            } satisfies MailProvider;
          },
        },
        { ...fast, holder: name },
      );
      supervisors.push(sup);
      return sup;
    };
    const a = worker('rebalance-a');
    await waitFor(
      'the first worker holds every mailbox',
      async () => a.watching().length === total,
      15_000,
    );
    const b = worker('rebalance-b');
    await waitFor(
      'shared out',
      async () =>
        Math.abs(a.watching().length - b.watching().length) <= 1 &&
        a.watching().length + b.watching().length === total,
      15_000,
    );
    // Settled: a few more rounds change nothing, and no mailbox is watched twice or not at all.
    await new Promise((r) => setTimeout(r, 5 * fast.renewEveryMs));
    const [wa, wb] = [a.watching(), b.watching()];
    console.log(`after a second worker joined: ${wa.length} + ${wb.length} of ${total} mailboxes`);
    expect(wa.filter((id) => wb.includes(id))).toEqual([]);
    expect(wa.length + wb.length).toBe(total);
    expect(Math.abs(wa.length - wb.length)).toBeLessThanOrEqual(1);
    await waitFor(
      'one IDLE watch per mailbox',
      async () =>
        [...live.values()].every((n) => n <= 1) &&
        [...live.values()].filter((n) => n === 1).length === total,
      10_000,
    );
  });

  it('a new mailbox gets its IDLE connection right after its first sync, not at the next renew tick', async () => {
    await Promise.all(supervisors.splice(0).map((s) => s.stop()));
    await Promise.all(heartbeats.splice(0).map((h) => h.stop()));
    // A renew interval far longer than the test: only the hook can start the watch in time.
    const sup = startIdleSupervisor(
      { db: t.database.db, keys: t.container.keys, logger: t.container.logger },
      { renewEveryMs: 120_000, leaseMs: 360_000 },
    );
    supervisors.push(sup);
    await sup.tick();
    runner = await run({
      pgPool: t.database.db.pool,
      concurrency: 2,
      noHandleSignals: true,
      pollInterval: 1000,
      logger: new WorkerLogger(() => () => undefined),
      taskList: toTaskList(makeHandlers(t.container, { afterSync: (id) => sup.pickUp(id) })),
    });
    const connected = Date.now();
    const { id } = await connectMailbox();
    await waitFor(
      'IDLE watch on the new mailbox',
      async () => sup.watching().includes(id),
      30_000,
      50,
    );
    console.log(`connect → IDLE watching: ${Date.now() - connected} ms (renew interval 120 s)`);
    await runner.stop();
    runner = null;
  });
});
