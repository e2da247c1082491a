// SQL for the outbox (migration 0004) and the reads the reply path needs. Callers own the transaction
// and have set the tenant.
import { fieldAad } from '../crypto/index.js';
import type { Executor } from '../store/db.js';
import { type EventType, insertEvent } from '../store/event-store.js';

/** AAD of outbox.rfc_message_id_ct (sealed under the mailbox key). */
export const outboxAad = (tenantId: string, mailboxId: string, outboxId: string) =>
  fieldAad('outbox.rfc_message_id', tenantId, mailboxId, outboxId);

/** Delivery states of a reply, defined once (the Message schema lists them too). */
export const outboxStates = [
  'queued',
  'sending',
  'sent',
  'failed',
  'cancelled',
  'bounced',
] as const;
export type OutboxState = (typeof outboxStates)[number];

export interface OutboxRow {
  id: string;
  tenant_id: string;
  ticket_id: string;
  message_id: string;
  mailbox_id: string;
  request_hash: Buffer;
  state: OutboxState;
  attempts: number;
  last_error_class: string | null;
  failure_reason: string | null;
  rfc_message_id_ct: Buffer;
  created_at: Date;
  sent_at: Date | null;
  transmit_started_at: Date | null;
}

const columns =
  'id, tenant_id, ticket_id, message_id, mailbox_id, request_hash, state, attempts, last_error_class, failure_reason, rfc_message_id_ct, created_at, sent_at, transmit_started_at';

export async function insertOutbox(
  ex: Executor,
  o: {
    id: string;
    tenantId: string;
    ticketId: string;
    messageId: string;
    mailboxId: string;
    idempotencyKey: string;
    requestHash: Buffer;
    rfcMessageIdCt: Buffer;
  },
): Promise<OutboxRow> {
  const { rows } = await ex.query<OutboxRow>(
    `INSERT INTO outbox (id, tenant_id, ticket_id, message_id, mailbox_id, idempotency_key, request_hash, rfc_message_id_ct)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${columns}`,
    [
      o.id,
      o.tenantId,
      o.ticketId,
      o.messageId,
      o.mailboxId,
      o.idempotencyKey,
      o.requestHash,
      o.rfcMessageIdCt,
    ],
  );
  return rows[0]!;
}

export async function findOutboxByKey(
  ex: Executor,
  tenantId: string,
  idempotencyKey: string,
): Promise<OutboxRow | null> {
  const { rows } = await ex.query<OutboxRow>(
    `SELECT ${columns} FROM outbox WHERE tenant_id = $1 AND idempotency_key = $2`,
    [tenantId, idempotencyKey],
  );
  return rows[0] ?? null;
}

export async function findOutbox(
  ex: Executor,
  tenantId: string,
  id: string,
  opts: { lock?: boolean } = {},
): Promise<OutboxRow | null> {
  const { rows } = await ex.query<OutboxRow>(
    `SELECT ${columns} FROM outbox WHERE tenant_id = $1 AND id = $2${opts.lock ? ' FOR UPDATE' : ''}`,
    [tenantId, id],
  );
  return rows[0] ?? null;
}

/** Written (and committed) before the provider is called: from here on the outcome may be unknown. */
export async function markSending(ex: Executor, tenantId: string, id: string): Promise<void> {
  await ex.query(
    `UPDATE outbox SET state = 'sending', attempts = attempts + 1, updated_at = now() WHERE tenant_id = $1 AND id = $2`,
    [tenantId, id],
  );
}

export async function markSent(
  ex: Executor,
  tenantId: string,
  id: string,
  messageId: string,
): Promise<void> {
  await ex.query(
    `UPDATE outbox SET state = 'sent', sent_at = now(), next_attempt_at = NULL, updated_at = now() WHERE tenant_id = $1 AND id = $2`,
    [tenantId, id],
  );
  await ex.query('UPDATE messages SET sent_at = now() WHERE tenant_id = $1 AND id = $2', [
    tenantId,
    messageId,
  ]);
}

export async function markFinal(
  ex: Executor,
  tenantId: string,
  id: string,
  state: 'failed' | 'cancelled',
  reason: string,
  errorClass: string | null,
): Promise<void> {
  await ex.query(
    `UPDATE outbox SET state = $3, failure_reason = $4, last_error_class = coalesce($5, last_error_class), next_attempt_at = NULL, updated_at = now()
      WHERE tenant_id = $1 AND id = $2`,
    [tenantId, id, state, reason, errorClass],
  );
}

/** The point of no return of one attempt, committed before the bytes leave (see migration).
 *  False when the reply is no longer 'sending' (a disconnect cancelled it after the job claimed it):
 *  then nothing may leave. */
export async function markTransmitting(
  ex: Executor,
  tenantId: string,
  id: string,
): Promise<boolean> {
  const { rowCount } = await ex.query(
    `UPDATE outbox SET transmit_started_at = now(), updated_at = now()
      WHERE tenant_id = $1 AND id = $2 AND state = 'sending'`,
    [tenantId, id],
  );
  return rowCount === 1;
}

/** A retry is coming; the state stays 'sending' because the failed attempt may have delivered.
 *  `refused`: the server answered the transmission with a refusal, so nothing left. */
export async function recordRetry(
  ex: Executor,
  tenantId: string,
  id: string,
  errorClass: string,
  nextAttemptAt: Date,
  refused: boolean,
): Promise<void> {
  await ex.query(
    `UPDATE outbox SET last_error_class = $3, next_attempt_at = $4, updated_at = now(),
            transmit_started_at = CASE WHEN $5 THEN NULL ELSE transmit_started_at END
      WHERE tenant_id = $1 AND id = $2`,
    [tenantId, id, errorClass, nextAttemptAt, refused],
  );
}

export type OutboundEventType = Extract<
  EventType,
  'reply.sent' | 'reply.failed' | 'reply.cancelled'
>;

/** Events carry ids and reasons only, never content. */
export function insertOutboundEvent(
  ex: Executor,
  tenantId: string,
  type: OutboundEventType,
  messageId: string,
  data: Record<string, string | number | null>,
): Promise<void> {
  return insertEvent(ex, tenantId, type, messageId, data);
}

export interface ParentMessageRow {
  id: string;
  mailbox_id: string;
  headers_ct: Buffer;
  provider_thread_id: string | null;
}

/** The message a reply answers: the latest inbound one written by a person, else the latest inbound one. */
export async function latestInbound(
  ex: Executor,
  tenantId: string,
  ticketId: string,
): Promise<ParentMessageRow | null> {
  const { rows } = await ex.query<ParentMessageRow>(
    `SELECT id, mailbox_id, headers_ct, provider_thread_id FROM messages
      WHERE tenant_id = $1 AND ticket_id = $2 AND direction = 'inbound'
      ORDER BY (kind = 'human') DESC, seq DESC LIMIT 1`,
    [tenantId, ticketId],
  );
  return rows[0] ?? null;
}

/** The provider thread the ticket lives in for this mailbox (Gmail threadId, Graph conversationId). */
export async function ticketThreadId(
  ex: Executor,
  tenantId: string,
  ticketId: string,
  mailboxId: string,
): Promise<string | null> {
  const { rows } = await ex.query<{ provider_thread_id: string }>(
    `SELECT provider_thread_id FROM messages WHERE tenant_id = $1 AND ticket_id = $2 AND mailbox_id = $3 AND provider_thread_id IS NOT NULL
      ORDER BY seq DESC LIMIT 1`,
    [tenantId, ticketId, mailboxId],
  );
  return rows[0]?.provider_thread_id ?? null;
}

/**
 * Disconnect: every reply of the mailbox that will not be sent now gets its one final state and event.
 *   * Nothing transmitted yet (queued, or claimed by a job that stops at markTransmitting): 'cancelled',
 *     mailbox_disconnected — the customer got nothing.
 *   * An earlier attempt transmitted and nothing is in flight (waiting to retry, or claimed again):
 *     'failed', delivery_unknown — that attempt may have arrived, so "cancelled" would be a lie.
 *   * Bytes in flight (markTransmitting was the row's last write, so updated_at equals
 *     transmit_started_at): left to the job, the only one that will learn the outcome; it records
 *     'sent' when the provider accepted it. Cancelling it here recorded both reply.cancelled and
 *     reply.sent. A job that dies in flight leaves the row to its retry, which ends it
 *     delivery_unknown (send-reply.ts).
 * The test is in the WHERE clause, so a markTransmitting committed concurrently is re-checked
 * (READ COMMITTED re-evaluates an updated row) and either wins or finds the row ended.
 */
export async function cancelPendingForMailbox(
  ex: Executor,
  tenantId: string,
  mailboxId: string,
): Promise<{ cancelled: number; deliveryUnknown: number }> {
  const { rows } = await ex.query<{
    id: string;
    message_id: string;
    ticket_id: string;
    failure_reason: 'mailbox_disconnected' | 'delivery_unknown';
  }>(
    `UPDATE outbox SET
            state = CASE WHEN transmit_started_at IS NULL THEN 'cancelled' ELSE 'failed' END,
            failure_reason = CASE WHEN transmit_started_at IS NULL THEN 'mailbox_disconnected' ELSE 'delivery_unknown' END,
            next_attempt_at = NULL, updated_at = now()
      WHERE tenant_id = $1 AND mailbox_id = $2
        AND (state = 'queued'
             OR (state = 'sending' AND (transmit_started_at IS NULL OR updated_at > transmit_started_at)))
      RETURNING id, message_id, ticket_id, failure_reason`,
    [tenantId, mailboxId],
  );
  for (const r of rows)
    await insertOutboundEvent(
      ex,
      tenantId,
      r.failure_reason === 'delivery_unknown' ? 'reply.failed' : 'reply.cancelled',
      r.message_id,
      { ticket_id: r.ticket_id, reason: r.failure_reason },
    );
  const deliveryUnknown = rows.filter((r) => r.failure_reason === 'delivery_unknown').length;
  return { cancelled: rows.length - deliveryUnknown, deliveryUnknown };
}

/** The replies of a ticket, oldest first, with their delivery state. */
export async function listTicketOutbox(
  ex: Executor,
  tenantId: string,
  ticketId: string,
): Promise<OutboxRow[]> {
  const { rows } = await ex.query<OutboxRow>(
    `SELECT ${columns} FROM outbox WHERE tenant_id = $1 AND ticket_id = $2 ORDER BY created_at, id`,
    [tenantId, ticketId],
  );
  return rows;
}

/** Delivery state of the outbound messages among `messageIds` (the ticket view shows it per reply). */
export async function listReplyStates(
  ex: Executor,
  tenantId: string,
  messageIds: string[],
): Promise<{ message_id: string; state: OutboxState; bounce_message_id: string | null }[]> {
  if (messageIds.length === 0) return [];
  const { rows } = await ex.query<{
    message_id: string;
    state: OutboxState;
    bounce_message_id: string | null;
  }>(
    'SELECT message_id, state, bounce_message_id FROM outbox WHERE tenant_id = $1 AND message_id = ANY($2::uuid[])',
    [tenantId, messageIds],
  );
  return rows;
}
