// The lease that keeps one IMAP IDLE connection per mailbox across workers: takeover after a lease
// expires, and a joining worker getting its share. Real Dovecot, real PostgreSQL.
import { describe, expect, it } from 'vitest';

import type { MailProvider } from '../../src/providers/mail-provider.js';
import { providerForMailbox } from '../../src/providers/open-mailbox.js';
import { startIdleSupervisor } from '../../src/sync/idle-supervisor.js';
import { startWorkerLiveness } from '../../src/sync/worker-liveness.js';
import { fast, imapIdleBed } from '../helpers/imap-idle-bed.js';
import { imapSessions, waitFor } from '../helpers/imap-mailbox.js';

const bed = await imapIdleBed();
const { dovecot, supervisors, heartbeats, connectMailbox } = bed;

describe.skipIf(!dovecot)(`IMAP IDLE leases${bed.skipReason}`, () => {
  it('two supervisors hold exactly one IDLE connection per mailbox; the other takes over after lease expiry', async () => {
    const { id, user } = await connectMailbox();
    const active = new Map<string, number>(); // holder → live watches of this mailbox
    const changes: string[] = [];
    const mk = (name: string) =>
      startIdleSupervisor(
        {
          db: bed.t.database.db,
          keys: bed.t.container.keys,
          logger: bed.t.container.logger,
          onChange: async (_tenantId, mailboxId) => {
            if (mailboxId === id) changes.push(name);
          },
          openProvider: async (tenantId, mailboxId) => {
            const p = await bed.t.database.db.tenantTx(tenantId, (ex) =>
              providerForMailbox(ex, bed.t.container.keys, tenantId, mailboxId, 'idle', {
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
        await bed.t.database.db.tx((ex) =>
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
          { db: bed.t.database.db, logger: bed.t.container.logger },
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
          db: bed.t.database.db,
          keys: bed.t.container.keys,
          logger: bed.t.container.logger,
          onChange: async () => undefined,
          openProvider: async (tenantId, mailboxId) => {
            const p = await bed.t.database.db.tenantTx(tenantId, (ex) =>
              providerForMailbox(ex, bed.t.container.keys, tenantId, mailboxId, 'idle', {
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
});
