// The time-to-ticket half of the IMAP bench: APPEND issued → message row stored, through IDLE →
// keyed sync job → pipeline, for many mailboxes served by one graphile-worker runner.

import { Logger as WorkerLogger, run } from 'graphile-worker';

import type { Container } from '../../src/container.js';
import { messageIdBlindIndex } from '../../src/crypto/index.js';
import { toTaskList } from '../../src/jobs/registry.js';
import { makeLogger } from '../../src/lib/logger.js';
import { makeHandlers } from '../../src/main/worker.js';
import { startIdleSupervisor } from '../../src/sync/idle-supervisor.js';
import { enqueueSync } from '../../src/sync/sync-jobs.js';
import { systemActor } from '../../src/tenancy/actor.js';
import { type DovecotHandle } from '../../test/helpers/dovecot.js';
import {
  connectInput,
  customerMessage,
  imapLogins,
  newImapUser,
  waitFor,
} from '../../test/helpers/imap-mailbox.js';
import { type SmtpSink } from '../../test/helpers/smtp-sink.js';
import type { ImapBenchFigures, ImapBenchOptions } from '../imap-bench.js';
import { pctSorted as pct } from './stats.js';

export async function timeToTicket(
  c: Container,
  tenantId: string,
  dovecot: DovecotHandle,
  sink: SmtpSink,
  opts: ImapBenchOptions,
): Promise<Pick<ImapBenchFigures, 'timeToTicketMs' | 'idleNotifyMs' | 'loginsPerMail'>> {
  const logger = makeLogger({ level: 'silent' });
  const users: { user: string; password: string }[] = [];
  const ids: string[] = [];
  for (let i = 0; i < opts.mailboxes; i++) {
    const u = await newImapUser(dovecot, 'bench');
    users.push(u);
    ids.push(
      (
        await c.imapMailboxes.connect(
          systemActor(tenantId, 'bench'),
          connectInput(dovecot, sink, u, { maxMessages: 0 }),
        )
      ).id,
    );
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
      onChange: async (tid, mailboxId) => {
        const at = lastAppend.get(mailboxId);
        if (at !== undefined) {
          notify.push(Date.now() - at);
          lastAppend.delete(mailboxId);
        }
        await c.db.tenantTx(tid, (ex) => enqueueSync(ex, tid, mailboxId));
      },
    },
    { renewEveryMs: 2000, leaseMs: 10_000 },
  );
  try {
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
    const indexKey = await c.db.tenantTx(tenantId, (ex) => c.keys.tenantKey(ex, tenantId, 'index'));
    const logins = async () =>
      (await Promise.all(users.map((u) => imapLogins(dovecot, u.user)))).reduce((a, b) => a + b, 0);
    const loginsBefore = await logins();
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
    notify.sort((a, b) => a - b);
    // The bench's own APPENDs log in once each; the rest are Inlet's.
    const inletLogins = (await logins()) - loginsBefore - opts.messages;
    return {
      loginsPerMail: Math.round((inletLogins / opts.messages) * 100) / 100,
      timeToTicketMs: {
        p50: pct(lat, 50),
        p95: pct(lat, 95),
        p99: pct(lat, 99),
        max: lat.at(-1)!,
        n: lat.length,
        mailboxes: opts.mailboxes,
      },
      idleNotifyMs: { p50: pct(notify, 50), p95: pct(notify, 95), n: notify.length },
    };
  } finally {
    await sup.stop();
    await runner.stop();
  }
}
