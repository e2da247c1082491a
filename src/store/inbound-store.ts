// The ingest transaction's statements, shaped for a page of messages at a time. Ingest is bound by
// round trips (each statement costs a socket write and a wake-up on both sides, and PostgreSQL's
// per-statement work), so one page — a provider's sync page or an import chunk — shares each
// statement: one start, one lookup (page-lookup-store.ts), one insert of its tickets, its messages
// and its attachments (inbound-attachment-store.ts).
// The fixed statements are named (prepared once per connection). Blind indexes only: PostgreSQL
// never sees a Message-ID or an address in clear.
import { AppError } from '../errors.js';
import type { ProviderKind } from '../providers/provider-kind.js';
import type { TicketStatus } from '../tickets/ticket-status.js';
import { dataKeyColumns, type DataKeyRow } from './data-key-store.js';
import { type Executor, sqlUuid } from './db.js';
import type { MailboxStatus } from './mailbox-store.js';
import { messageInsertColumns, messageInsertValues, type NewMessage } from './message-store.js';
import { type RawChunkRow, rawChunkValues } from './raw-store.js';

/**
 * Step 1: the wrapped keys ingest needs (mailbox, index, signing) and the mailbox's status and kind, as SQL
 * sent with BEGIN (db.tenantTxOpening: one round trip for both; which deliveries were seen before
 * is asked by the page lookup). The mailbox row is share-locked until the page commits: a
 * disconnect destroys the key under an update lock on that row, so it waits for a page already
 * past this point, and a page arriving later sees 'disconnecting' (the locked row is re-read at
 * its newest version) and stores nothing. Either way no row lands after the key is gone.
 */
export function ingestOpening(tenantId: string, mailboxId: string): string {
  const [t, m] = [sqlUuid(tenantId), sqlUuid(mailboxId)];
  return `WITH mb AS (SELECT status, provider FROM mailboxes WHERE tenant_id = ${t} AND id = ${m} FOR SHARE)
     SELECT ${dataKeyColumns}, (SELECT status FROM mb) AS mailbox_status, (SELECT provider FROM mb) AS provider
       FROM data_keys WHERE tenant_id = ${t} AND (mailbox_id = ${m} OR purpose IN ('index', 'signing'))`;
}

export type IngestOpeningRow = DataKeyRow & {
  mailbox_status: MailboxStatus | null;
  provider: ProviderKind | null;
};

/** Refuses ingest writes for a mailbox being (or already) disconnected: its key is, or is about to be, gone. */
export function assertTakesMail(status: MailboxStatus | null): void {
  if (status === 'disconnecting' || status === 'disconnected') {
    throw new AppError(
      'mailbox_data_destroyed',
      'The mailbox is being disconnected; its mail is no longer taken in.',
    );
  }
}

/** The mailbox's status, share-locked like ingestOpening does, for writes outside a page (parking). */
export async function lockMailboxForIngest(
  ex: Executor,
  tenantId: string,
  mailboxId: string,
): Promise<MailboxStatus | null> {
  const { rows } = await ex.query<{ status: MailboxStatus }>({
    name: 'inlet-lock-mailbox-for-ingest',
    text: 'SELECT status FROM mailboxes WHERE tenant_id = $1 AND id = $2 FOR SHARE',
    values: [tenantId, mailboxId],
  });
  return rows[0]?.status ?? null;
}

export interface NewTicket {
  id: string;
  mailboxId: string;
  subjectCt: Buffer;
  requesterCt: Buffer | null;
  requesterBidx: Buffer | null;
}

/**
 * The tickets' insert as CTEs `v` and `t` (t RETURNING id, number, mailbox_id), parameters after
 * those already in `params` ($1 is the tenant).
 */
function ticketCtes(list: NewTicket[], params: unknown[]): string {
  const values = list.map((t, i) => {
    const at = params.push(t.id, t.mailboxId, t.subjectCt, t.requesterCt, t.requesterBidx) - 4;
    return `(${i}, $${at}::uuid, $${at + 1}::uuid, $${at + 2}::bytea, $${at + 3}::bytea, $${at + 4}::bytea)`;
  });
  return `v(ord, id, mailbox_id, subject_ct, requester_ct, requester_bidx) AS (VALUES ${values.join(', ')})
     , t AS (
       INSERT INTO tickets (id, tenant_id, number, mailbox_id, subject_ct, requester_ct, requester_bidx)
       SELECT id, $1, inlet_next_ticket_number($1), mailbox_id, subject_ct, requester_ct, requester_bidx FROM v ORDER BY ord
       RETURNING id, number, mailbox_id)`;
}

const ticketCreated = `SELECT 'ticket.created' AS type, t.id AS resource_id, jsonb_build_object('number', t.number, 'mailbox_id', t.mailbox_id) AS data FROM t`;

/** Opens tickets in order with the next per-tenant numbers and records `ticket.created` for each. */
export async function createTickets(
  ex: Executor,
  tenantId: string,
  list: NewTicket[],
): Promise<Map<string, number>> {
  if (list.length === 0) return new Map();
  const params: unknown[] = [tenantId];
  const { rows } = await ex.query<{ id: string; number: string }>({
    name: list.length <= 4 ? `inlet-create-tickets-${list.length}` : undefined,
    text: `WITH ${ticketCtes(list, params)}
     , e AS (
       INSERT INTO events (tenant_id, type, resource_id, data)
       SELECT $1, 'ticket.created', t.id, jsonb_build_object('number', t.number, 'mailbox_id', t.mailbox_id) FROM t ORDER BY t.number)
     SELECT id, number FROM t`,
    values: params,
  });
  return new Map(rows.map((r) => [r.id, Number(r.number)]));
}

/** Locks the existing tickets a page writes to (in id order, so two pages cannot deadlock on them). */
export async function lockTickets(
  ex: Executor,
  tenantId: string,
  ids: string[],
): Promise<Map<string, { number: number; status: TicketStatus }>> {
  if (ids.length === 0) return new Map();
  const { rows } = await ex.query<{ id: string; number: string; status: TicketStatus }>({
    name: 'inlet-lock-tickets',
    text: 'SELECT id, number, status FROM tickets WHERE tenant_id = $1 AND id = ANY($2::uuid[]) ORDER BY id FOR UPDATE',
    values: [tenantId, ids],
  });
  return new Map(rows.map((r) => [r.id, { number: Number(r.number), status: r.status }]));
}

export async function touchTickets(
  ex: Executor,
  tenantId: string,
  list: { id: string; status: TicketStatus; activity: boolean }[],
): Promise<void> {
  if (list.length === 0) return;
  await ex.query({
    name: 'inlet-touch-tickets',
    text: `UPDATE tickets t SET status = v.status, updated_at = now(), last_activity_at = CASE WHEN v.activity THEN now() ELSE t.last_activity_at END
       FROM unnest($2::uuid[], $3::text[], $4::boolean[]) AS v(id, status, activity) WHERE t.tenant_id = $1 AND t.id = v.id`,
    values: [
      tenantId,
      list.map((t) => t.id),
      list.map((t) => t.status),
      list.map((t) => t.activity),
    ],
  });
}

export interface InboundRow extends Omit<NewMessage, 'tenantId' | 'mailboxId' | 'direction'> {
  providerMessageId: string;
  dedupeBidx: Buffer;
  /** A person's addresses that join the ticket (they may later use its subject token). */
  participants: Buffer[];
}

/**
 * Everything the page's messages write, except their originals (raw-store.ts) and attachments, as one statement: the messages, the
 * tickets' new participants, the delivery records (the replay guard), the cleared failure counters
 * and the `message.received` events, in page order. With `tickets`, the tickets the page opens
 * last go in the same statement (a new mail's ticket cost a round trip of its own), their
 * `ticket.created` events before the messages' events; their numbers are returned.
 */
export async function insertInbound(
  ex: Executor,
  tenantId: string,
  mailboxId: string,
  list: InboundRow[],
  tickets: NewTicket[] = [],
  /** The messages' originals, when small enough to go in this statement (raw-store.ts sealSmallRaws). */
  raw: RawChunkRow[] = [],
): Promise<Map<string, number>> {
  if (list.length === 0) return createTickets(ex, tenantId, tickets);
  const params: unknown[] = [tenantId, mailboxId];
  const opening = tickets.length > 0 ? `${ticketCtes(tickets, params)}\n     , ` : '';
  const fixed = { tenant_id: '$1::uuid', mailbox_id: '$2::uuid', direction: "'inbound'" };
  const values = list.map((m, i) => {
    const row = messageInsertValues(
      { ...m, tenantId, mailboxId, direction: 'inbound' },
      params,
      fixed,
    );
    const at = params.push(m.providerMessageId, m.participants) - 1;
    return `(${i}, ${row.join(', ')}, $${at}::text, $${at + 1}::bytea[])`;
  });
  const messageEvents = `SELECT m.ord AS o1, e.n AS o2, e.type, e.resource_id, e.data FROM m, LATERAL (VALUES
         (0, 'message.received', m.id, jsonb_build_object('ticket_id', m.ticket_id, 'mailbox_id', $2::uuid, 'kind', m.kind, 'thread_rule', m.thread_rule, 'withheld_from_ticket_id', m.withheld_from_ticket_id)),
         (1, CASE WHEN m.thread_rule <> 'new_ticket' THEN 'ticket.updated' END, m.ticket_id, jsonb_build_object('change', 'message', 'message_id', m.id))
       ) AS e(n, type, resource_id, data)
      WHERE e.type IS NOT NULL`;
  // One INSERT for every event, so their ids follow this order (two inserts into events in one
  // statement would run in no defined order): the new tickets by number, then the messages'.
  const events = opening
    ? `INSERT INTO events (tenant_id, type, resource_id, data)
     SELECT $1, x.type, x.resource_id, x.data FROM (
       SELECT 0 AS g, (c.data->>'number')::bigint AS o1, 0 AS o2, c.* FROM (${ticketCreated}) c
       UNION ALL SELECT 1, r.* FROM (${messageEvents}) r) x ORDER BY x.g, x.o1, x.o2`
    : `INSERT INTO events (tenant_id, type, resource_id, data)
     SELECT $1, r.type, r.resource_id, r.data FROM (${messageEvents}) r ORDER BY r.o1, r.o2`;
  const originals =
    raw.length > 0
      ? `\n     , raw AS (
       INSERT INTO message_raw_chunks (tenant_id, message_id, seq, chunk_ct) VALUES ${rawChunkValues(raw, params).join(', ')})`
      : '';
  const short = list.length <= 4 && tickets.length <= 4 && raw.length <= 4;
  const { rows } = await ex.query<{ id: string; number: string }>({
    name: short
      ? `inlet-insert-inbound-t${tickets.length}-e${list.length}-r${raw.length}`
      : undefined,
    text: `WITH ${opening}m(ord, ${messageInsertColumns}, provider_message_id, participants) AS (VALUES ${values.join(', ')})
     , msg AS (
       INSERT INTO messages (${messageInsertColumns}) SELECT ${messageInsertColumns} FROM m ORDER BY ord)
     , people AS (
       INSERT INTO ticket_participants (tenant_id, ticket_id, address_bidx)
       SELECT DISTINCT $1::uuid, m.ticket_id, b FROM m, unnest(m.participants) AS b ON CONFLICT DO NOTHING)
     , delivery AS (
       INSERT INTO message_deliveries (tenant_id, mailbox_id, provider_message_id, message_id, outcome) SELECT $1, $2, provider_message_id, id, 'stored' FROM m)
     , cleared AS (
       DELETE FROM ingest_failures WHERE tenant_id = $1 AND mailbox_id = $2 AND provider_message_id IN (SELECT provider_message_id FROM m) AND parked_at IS NULL)${originals}
     ${opening ? `, ev AS (${events})\n     SELECT id, number FROM t` : events}`,
    values: params,
  });
  return new Map(rows.map((r) => [r.id, Number(r.number)]));
}

/** Delivery records of messages already stored under another delivery (same Message-ID). */
export async function insertDuplicateDeliveries(
  ex: Executor,
  tenantId: string,
  mailboxId: string,
  list: { providerMessageId: string; messageId: string }[],
): Promise<void> {
  if (list.length === 0) return;
  await ex.query({
    name: 'inlet-insert-duplicate-deliveries',
    text: `INSERT INTO message_deliveries (tenant_id, mailbox_id, provider_message_id, message_id, outcome)
       SELECT $1, $2, p, m, 'duplicate' FROM unnest($3::text[], $4::uuid[]) AS d(p, m)`,
    values: [
      tenantId,
      mailboxId,
      list.map((d) => d.providerMessageId),
      list.map((d) => d.messageId),
    ],
  });
}

/**
 * Serialises pages that store the same message (same dedupe key) in two mailboxes at once: the
 * second waits for the first to commit, and its lookup (a later statement, a fresh snapshot)
 * then finds the stored copy. Ids sorted by the caller, so two pages cannot deadlock here.
 */
export async function lockDedupeKeys(ex: Executor, lockIds: string[]): Promise<void> {
  if (lockIds.length === 0) return;
  await ex.query({
    name: 'inlet-lock-dedupe-keys',
    text: 'SELECT pg_advisory_xact_lock(k) FROM unnest($1::bigint[]) AS k',
    values: [lockIds],
  });
}
