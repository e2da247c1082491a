// Agents' replies under faults (dropped connection, crash after sending, refusal, disconnect, other
// tenants): a reply is never sent twice and never sent where it must not be.
import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { sendReply } from '../../src/outbound/send-reply.js';
import type { MailProvider } from '../../src/providers/mail-provider.js';
import { providerForMailbox } from '../../src/providers/open-mailbox.js';
import { mail } from '../helpers/mail.js';
import { startRepliesBed } from '../helpers/replies-bed.js';
import { createTenant } from '../helpers/tenants.js';

const bed = await startRepliesBed();
const { dovecot, mailboxWithTicket, post, owner, outboxOf, runJob, delivered } = bed;
const d = dovecot ? describe : describe.skip;

const eventsOf = (type: string, messageId: string) =>
  owner('SELECT 1 FROM events WHERE type = $1 AND resource_id = $2', [type, messageId]);

/** One run of a reply's send job with the provider's send wrapped, to disconnect at a chosen moment. */
const runJobWithSend = async (
  replyId: string,
  wrap: (send: MailProvider['send']) => MailProvider['send'],
) =>
  sendReply(
    {
      ...bed.f.t.container,
      providerFor: async (ex, keys, tenantId, mailboxId, purpose) => {
        const provider = await providerForMailbox(ex, keys, tenantId, mailboxId, purpose);
        return { ...provider, send: wrap((mime, meta) => provider.send(mime, meta)) };
      },
    },
    { tenantId: bed.f.tenant.id, outboxId: (await outboxOf(replyId)).id },
    { attempt: 1, maxAttempts: 10 },
  );
const disconnect = async (mailboxId: string) =>
  expect((await bed.f.api('DELETE', `/v1/mailboxes/${mailboxId}`)).status).toBe(200);

beforeAll(() => bed.start());
afterAll(() => bed.close());

d('replies under faults', () => {
  test('a dropped SMTP connection is retried and delivered exactly once', async () => {
    const m = await mailboxWithTicket();
    const { id, message_id } = (await post(m.ticketId, { text: 'Through a flaky link' })).json();
    bed.sink.dropNextConnections(1);
    await expect(runJob(id, 1)).rejects.toMatchObject({ kind: 'transient' });
    expect(await outboxOf(id)).toMatchObject({
      state: 'sending',
      attempts: 1,
      last_error_class: 'provider_transient',
    });
    expect(delivered(message_id)).toHaveLength(0);
    expect(await runJob(id, 2)).toBe('sent');
    expect(delivered(message_id)).toHaveLength(1);
    expect(
      (await dovecot!.list(m.user, 'Sent')).filter((s) => s.raw.includes(message_id)),
    ).toHaveLength(1);
  });

  test('a crash after sending: the retry finds the reply in Sent and does not send it again', async () => {
    const m = await mailboxWithTicket();
    const { id, message_id } = (
      await post(m.ticketId, { text: 'Sent, then the worker died' })
    ).json();
    expect(await runJob(id)).toBe('sent');
    await owner(`UPDATE outbox SET state = 'sending', sent_at = NULL WHERE message_id = $1`, [id]);
    expect(await runJob(id, 2)).toBe('found_in_sent');
    expect(delivered(message_id)).toHaveLength(1);
    expect(await outboxOf(id)).toMatchObject({ state: 'sent', attempts: 2 });
  });

  test('a crash after the point of no return: not in Sent, so the reply is never sent a second time', async () => {
    const m = await mailboxWithTicket();
    const { id, message_id } = (
      await post(m.ticketId, { text: 'Bytes left, no Sent copy' })
    ).json();
    // The worker died after the server had the message and before anything else was recorded: the
    // customer got it, the Sent folder has no copy (our APPEND never ran).
    bed.sink.dropAfterData(1);
    expect(await runJob(id)).toBe('failed');
    expect(delivered(message_id)).toHaveLength(1);
    expect(await outboxOf(id)).toMatchObject({
      state: 'failed',
      failure_reason: 'delivery_unknown',
    });
    expect(
      await owner('SELECT data FROM events WHERE type = $1 AND resource_id = $2', [
        'reply.failed',
        id,
      ]),
    ).toEqual([{ data: expect.objectContaining({ reason: 'delivery_unknown' }) as unknown }]);
    expect(await runJob(id, 2)).toBe('nothing_to_do');

    // The same after a SIGKILL: 'sending' with the transmission recorded and no outcome.
    const second = (await post(m.ticketId, { text: 'Killed mid-send' })).json();
    await owner(
      `UPDATE outbox SET state = 'sending', attempts = 1, transmit_started_at = now() WHERE message_id = $1`,
      [second.id],
    );
    expect(await runJob(second.id, 2)).toBe('failed');
    expect(delivered(second.message_id)).toHaveLength(0);
    expect(await outboxOf(second.id)).toMatchObject({ failure_reason: 'delivery_unknown' });

    // Killed before the transmission: nothing can have left, so the retry sends it, once.
    const third = (await post(m.ticketId, { text: 'Killed while connecting' })).json();
    await owner(`UPDATE outbox SET state = 'sending', attempts = 1 WHERE message_id = $1`, [
      third.id,
    ]);
    expect(await runJob(third.id, 2)).toBe('sent');
    expect(delivered(third.message_id)).toHaveLength(1);
  });

  test('refusals, exhausted retries and disconnected mailboxes end the reply without sending it', async () => {
    const m = await mailboxWithTicket();
    const refused = (await post(m.ticketId, { text: 'refused' })).json();
    bed.sink.failNext(550);
    expect(await runJob(refused.id)).toBe('failed');
    expect(await outboxOf(refused.id)).toMatchObject({
      state: 'failed',
      failure_reason: 'rejected_by_provider',
    });
    expect(await eventsOf('reply.failed', refused.id)).toHaveLength(1);

    const tired = (await post(m.ticketId, { text: 'last try' })).json();
    bed.sink.failNext(451);
    expect(await runJob(tired.id, 10, 10)).toBe('failed');
    expect(await outboxOf(tired.id)).toMatchObject({
      state: 'failed',
      failure_reason: 'attempts_exhausted',
      last_error_class: 'provider_transient',
    });

    const orphan = (await post(m.ticketId, { text: 'never' })).json();
    await disconnect(m.mailboxId);
    expect(await runJob(orphan.id)).toBe('cancelled');
    expect(await outboxOf(orphan.id)).toMatchObject({
      state: 'cancelled',
      failure_reason: 'mailbox_disconnected',
    });
    for (const r of [refused, tired, orphan]) expect(delivered(r.message_id)).toHaveLength(0);
    expect((await post(m.ticketId, { text: 'after disconnect' })).statusCode).toBe(410);
  });

  test('a disconnect after the send job claimed the reply: nothing leaves, the reply ends cancelled', async () => {
    const m = await mailboxWithTicket();
    const reply = (await post(m.ticketId, { text: 'Claimed, then disconnected' })).json();
    // The job has claimed the row ('sending') and opened the provider when the agent disconnects.
    const outcome = await runJobWithSend(reply.id, (send) => async (mime, meta) => {
      await disconnect(m.mailboxId);
      return send(mime, meta);
    });
    expect(outcome).toBe('cancelled');
    expect(delivered(reply.message_id)).toHaveLength(0);
    expect(await outboxOf(reply.id)).toMatchObject({
      state: 'cancelled',
      failure_reason: 'mailbox_disconnected',
    });
    expect(await eventsOf('reply.cancelled', reply.id)).toHaveLength(1);
    expect(await runJob(reply.id, 2)).toBe('cancelled');
    expect(delivered(reply.message_id)).toHaveLength(0);
  });

  test('a disconnect after the bytes left: the reply is recorded sent, once, and never cancelled', async () => {
    const m = await mailboxWithTicket();
    const reply = (await post(m.ticketId, { text: 'On its way when disconnected' })).json();
    // The agent disconnects between the point of no return and the server's answer.
    const outcome = await runJobWithSend(
      reply.id,
      (send) => (mime, meta) =>
        send(mime, {
          ...meta,
          onTransmit: async () => {
            await meta.onTransmit();
            await disconnect(m.mailboxId);
          },
        }),
    );
    expect(outcome).toBe('sent');
    expect(delivered(reply.message_id)).toHaveLength(1);
    expect(await outboxOf(reply.id)).toMatchObject({ state: 'sent', failure_reason: null });
    expect(await eventsOf('reply.sent', reply.id)).toHaveLength(1);
    expect(await eventsOf('reply.cancelled', reply.id)).toHaveLength(0);
    expect(await runJob(reply.id, 2)).toBe('nothing_to_do');
  });

  test('a disconnect while an attempt that may have delivered is unresolved: delivery_unknown, not cancelled', async () => {
    const m = await mailboxWithTicket();
    // Waiting for its retry after an attempt that transmitted and heard no answer.
    const waiting = (await post(m.ticketId, { text: 'Waiting to retry' })).json();
    await owner(
      `UPDATE outbox SET state = 'sending', attempts = 1, transmit_started_at = now() - interval '1 minute',
              next_attempt_at = now() + interval '1 hour', updated_at = now() WHERE message_id = $1`,
      [waiting.id],
    );
    // The worker died with the bytes in flight (markTransmitting was its last write).
    const died = (await post(m.ticketId, { text: 'Worker died in flight' })).json();
    await owner(
      `UPDATE outbox SET state = 'sending', attempts = 1, transmit_started_at = now(), updated_at = now()
        WHERE message_id = $1`,
      [died.id],
    );
    const queued = (await post(m.ticketId, { text: 'Never tried' })).json();
    await disconnect(m.mailboxId);

    expect(await outboxOf(waiting.id)).toMatchObject({
      state: 'failed',
      failure_reason: 'delivery_unknown',
    });
    expect(await eventsOf('reply.failed', waiting.id)).toHaveLength(1);
    expect(await eventsOf('reply.cancelled', waiting.id)).toHaveLength(0);
    expect(await outboxOf(queued.id)).toMatchObject({
      state: 'cancelled',
      failure_reason: 'mailbox_disconnected',
    });
    // Only its job can know; its retry cannot ask the disconnected mailbox, so it ends unknown.
    expect(await outboxOf(died.id)).toMatchObject({ state: 'sending' });
    expect(await runJob(died.id, 2)).toBe('failed');
    expect(await outboxOf(died.id)).toMatchObject({
      state: 'failed',
      failure_reason: 'delivery_unknown',
    });
    expect(await eventsOf('reply.cancelled', died.id)).toHaveLength(0);
    expect(await runJob(waiting.id, 2)).toBe('nothing_to_do');
    for (const r of [waiting, died, queued]) expect(delivered(r.message_id)).toHaveLength(0);
  });

  test('unknown tickets, other tenants’ tickets and import-only mailboxes', async () => {
    const m = await mailboxWithTicket();
    expect((await post(randomUUID(), { text: 'x' })).statusCode).toBe(404);
    const other = await createTenant(bed.f.t, `Other ${randomUUID()}`);
    expect((await post(m.ticketId, { text: 'x' }, randomUUID(), other.token)).statusCode).toBe(404);
    const local = await bed.f.ingest(mail({ subject: 'via import' }));
    if (local.status !== 'stored') throw new Error('ingest');
    const res = await post(local.ticketId, { text: 'x' });
    expect([res.statusCode, res.json().code]).toEqual([422, 'mailbox_cannot_send']);
    expect((await post(m.ticketId, {})).json().code).toBe('validation_failed');
    const big = Buffer.alloc(6 * 1024 * 1024, 1).toString('base64');
    const tooBig = await post(m.ticketId, {
      text: 'x',
      attachments: [1, 2].map((i) => ({
        filename: `${i}.bin`,
        content_type: 'application/octet-stream',
        content_base64: big,
      })),
    });
    expect([tooBig.statusCode, tooBig.json().code]).toEqual([413, 'payload_too_large']);
  });
});
