// security.md bad input 39: the PostgreSQL backend goes away in the middle of a transaction (a
// failover, a reset connection; here pg_terminate_backend on the very connection). Mid-ingest, mid-send
// and mid-request: the job fails so graphile-worker retries it, nothing half-written is visible in
// between, and the retry stores or sends exactly once.
import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { syncMailbox } from '../../src/sync/sync-mailbox.js';
import { mail } from '../helpers/mail.js';
import { type BackendKiller, killBackendAt } from '../helpers/pg-kill.js';
import { startRepliesBed } from '../helpers/replies-bed.js';

const bed = await startRepliesBed();
const { dovecot, mailboxWithTicket, post, owner, outboxOf, runJob, delivered, counts } = bed;
const d = dovecot ? describe : describe.skip;

let killer: BackendKiller | null = null;
const killAt = (statement: RegExp, times = 1) => {
  killer = killBackendAt(bed.f.t.database.owner, statement, times);
  return killer;
};

beforeAll(() => bed.start());
afterAll(async () => {
  killer?.restore();
  await bed.close();
});

const mailboxRows = async (mailboxId: string) =>
  (
    await owner<{ messages: number; tickets: number; deliveries: number; failures: number }>(
      `SELECT (SELECT count(*)::int FROM messages WHERE mailbox_id = $1) AS messages,
              (SELECT count(*)::int FROM tickets WHERE mailbox_id = $1) AS tickets,
              (SELECT count(*)::int FROM message_deliveries WHERE mailbox_id = $1) AS deliveries,
              (SELECT count(*)::int FROM ingest_failures WHERE mailbox_id = $1) AS failures`,
      [mailboxId],
    )
  )[0]!;
const eventsOf = (type: string, messageId: string) =>
  owner('SELECT 1 FROM events WHERE type = $1 AND resource_id = $2', [type, messageId]);

d('PostgreSQL connection reset mid-transaction', () => {
  test('mid-ingest: the sync job fails whole, nothing of the page is visible, the retry stores each message once', async () => {
    const m = await mailboxWithTicket();
    const sync = () => syncMailbox(bed.f.t.container, bed.f.tenant.id, m.mailboxId);
    expect(await sync()).toMatchObject({ status: 'synced' });
    const before = await mailboxRows(m.mailboxId);
    for (let i = 0; i < 3; i++)
      await dovecot!.append(m.user, 'INBOX', mail({ to: m.user, subject: `Reset ${i}` }));

    // The page's transaction has written its tickets when its messages insert loses the backend (and
    // the next one too, were the sync to try each message alone: an outage is no bad message).
    const k = killAt(/INSERT INTO messages/, 2);
    await expect(sync()).rejects.toThrow();
    k.restore();
    expect(k.killed()).toBe(1);
    // No ticket without its message, no delivery record, and no poison-message attempt counted.
    expect(await mailboxRows(m.mailboxId)).toEqual(before);

    expect(await sync()).toMatchObject({ status: 'synced', stored: 3, duplicates: 0, parked: 0 });
    expect(await sync()).toMatchObject({ stored: 0, duplicates: 0 });
    expect(await mailboxRows(m.mailboxId)).toEqual({
      messages: before.messages + 3,
      tickets: before.tickets + 3,
      deliveries: before.deliveries + 3,
      failures: 0,
    });
  });

  test('mid-send: lost before the bytes left, the retry sends; lost after, the retry finds it in Sent; once each', async () => {
    const m = await mailboxWithTicket();
    const early = (await post(m.ticketId, { text: 'Lost at the point of no return' })).json();
    const k1 = killAt(/SET transmit_started_at = now\(\)/);
    await expect(runJob(early.id, 1)).rejects.toMatchObject({ kind: 'transient' });
    k1.restore();
    expect(k1.killed()).toBe(1);
    expect(delivered(early.message_id)).toHaveLength(0);
    expect(await runJob(early.id, 2)).toBe('sent');
    expect(delivered(early.message_id)).toHaveLength(1);

    const late = (await post(m.ticketId, { text: 'Lost while recording it sent' })).json();
    const k2 = killAt(/SET state = 'sent'/);
    await expect(runJob(late.id, 1)).rejects.toThrow();
    k2.restore();
    expect(k2.killed()).toBe(1);
    expect(delivered(late.message_id)).toHaveLength(1);
    // The sent record and its event were one transaction: neither is visible.
    expect(await outboxOf(late.id)).toMatchObject({ state: 'sending' });
    expect(await eventsOf('reply.sent', late.id)).toHaveLength(0);
    expect(await runJob(late.id, 2)).toBe('found_in_sent');
    expect(delivered(late.message_id)).toHaveLength(1);
    expect(await outboxOf(late.id)).toMatchObject({ state: 'sent' });
    expect(await eventsOf('reply.sent', late.id)).toHaveLength(1);
  });

  test('mid-request: the reply API answers 503 and stores nothing; the same Idempotency-Key then makes one reply', async () => {
    const m = await mailboxWithTicket();
    const before = await counts();
    const key = randomUUID();
    const k = killAt(/INSERT INTO outbox/);
    const res = await post(m.ticketId, { text: 'Asked while the database failed over' }, key);
    k.restore();
    expect(k.killed()).toBe(1);
    expect(res.statusCode).toBe(503);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(await counts()).toEqual(before);

    const again = await post(m.ticketId, { text: 'Asked while the database failed over' }, key);
    expect(again.statusCode).toBe(202);
    expect(
      (await post(m.ticketId, { text: 'Asked while the database failed over' }, key)).json(),
    ).toMatchObject({ id: again.json().id });
    expect(await counts()).toEqual({ outbox: before.outbox + 1, outbound: before.outbound + 1 });
    expect(await runJob(again.json().id)).toBe('sent');
    expect(delivered(again.json().message_id as string)).toHaveLength(1);
  });
});
