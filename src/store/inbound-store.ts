// The ingest transaction's statements, shaped for a page of messages at a time. Ingest is bound by
// round trips (each statement costs a socket write and a wake-up on both sides, and PostgreSQL's
// per-statement work), so one page — a provider's sync page or an import chunk — shares each
// statement: one start, one lookup, one insert of its tickets, its messages and its attachments.
// The fixed statements are named (prepared once per connection). Blind indexes only: PostgreSQL
// never sees a Message-ID or an address in clear.
import { AppError } from '../errors.js';
import type { TicketStatus } from '../tickets/ticket-status.js';
import type { ScanStatus } from './attachment-store.js';
import { dataKeyColumns, type DataKeyRow } from './data-key-store.js';
import type { Executor } from './db.js';
import type { MailboxStatus } from './mailbox-store.js';
import { messageInsertColumns, messageInsertValues, type NewMessage } from './message-store.js';

const hex = (b: Buffer) => b.toString('hex');

/**
 * Step 1: the wrapped keys ingest needs (mailbox, index, signing), which deliveries were seen
 * before, and the mailbox's status. The mailbox row is share-locked until the page commits: a
 * disconnect destroys the key under an update lock on that row, so it waits for a page already
 * past this point, and a page arriving later sees 'disconnecting' (the locked row is re-read at
 * its newest version) and stores nothing. Either way no row lands after the key is gone.
 */
export async function startIngest(
  ex: Executor,
  tenantId: string,
  mailboxId: string,
  providerMessageIds: string[],
): Promise<{ delivered: Set<string>; keyRows: DataKeyRow[]; mailboxStatus: MailboxStatus | null }> {
  const { rows } = await ex.query<
    DataKeyRow & { delivered: string[]; mailbox_status: MailboxStatus | null }
  >({
    name: 'inlet-start-ingest',
    text: `WITH mb AS (SELECT status FROM mailboxes WHERE tenant_id = $1 AND id = $2 FOR SHARE)
     SELECT ${dataKeyColumns},
            ARRAY(SELECT provider_message_id FROM message_deliveries WHERE tenant_id = $1 AND mailbox_id = $2 AND provider_message_id = ANY($3::text[])) AS delivered,
            (SELECT status FROM mb) AS mailbox_status
       FROM data_keys WHERE tenant_id = $1 AND (mailbox_id = $2 OR purpose IN ('index', 'signing'))`,
    values: [tenantId, mailboxId, providerMessageIds],
  });
  return {
    delivered: new Set(rows[0]?.delivered ?? []),
    keyRows: rows,
    mailboxStatus: rows[0]?.mailbox_status ?? null,
  };
}

/** Refuses ingest writes for a mailbox being (or already) disconnected: its key is, or is about to be, gone. */
export function assertTakesMail(status: MailboxStatus | null): void {
  if (status === 'disconnecting' || status === 'disconnected') {
    throw new AppError(
      'mailbox_data_destroyed',
      'The mailbox is being disconnected; its mail is no longer taken in.',
    );
  }
}

/** The mailbox's status, share-locked like startIngest does, for writes outside a page (parking). */
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

export interface PageLookupInput {
  tenantId: string;
  mailboxId: string;
  /** The page's own Message-IDs and every Message-ID they name (In-Reply-To, References, bounced). */
  messageIdBidxs: Buffer[];
  /** From, Sender, Reply-To of the page: which of them are our own mailboxes. */
  addressBidxs: Buffer[];
  providerThreadIds: string[];
  tokenNumbers: number[];
  /** Senders of the page, for subject-token participation and loop counts. */
  senderBidxs: Buffer[];
  /** Loop window start: messages from one sender to one ticket since then. */
  loopSince: Date;
  /** The page's dedupe keys (Message-ID + content, see ingest/dedupe-key.ts). */
  dedupeBidxs: Buffer[];
}

export interface PageLookup {
  /**
   * hex(message_id_bidx) → a stored message and its ticket, for threading. Only messages of live
   * mailboxes in tickets of live mailboxes: mail must not join a ticket its purge will delete.
   */
  known: Map<string, { id: string; ticketId: string }>;
  /**
   * hex(dedupe_bidx) → the stored message it duplicates; and hex(message_id_bidx) → one stored
   * before dedupe keys existed (same Message-ID = same message). Live mailboxes only: a duplicate
   * must point at a message that stays readable.
   */
  dedupe: Map<string, string>;
  legacy: Map<string, string>;
  /** hex(address_bidx) of our own mailboxes. */
  own: Set<string>;
  /** provider thread id → the ticket of its most recent message in this mailbox. */
  threads: Map<string, string>;
  /** ticket number → the ticket and which of the page's senders already take part in it. */
  tokens: Map<number, { ticketId: string; participants: Set<string> }>;
  /** `${ticketId}:${hex(from_bidx)}` → messages since loopSince, for candidate tickets only. */
  loopCounts: Map<string, number>;
}

/** Step 2: everything threading and classification need for the whole page, in one round trip. */
export async function lookupPage(ex: Executor, q: PageLookupInput): Promise<PageLookup> {
  const { rows } = await ex.query<{
    known: { b: string; id: string; t: string }[] | null;
    dups: { d: string | null; b: string; id: string }[] | null;
    own: Buffer[];
    threads: { p: string; t: string }[] | null;
    tokens: { n: string; t: string; p: string[] }[] | null;
    loops: { t: string; f: string; n: number }[] | null;
  }>({
    name: 'inlet-lookup-page-2',
    text: `WITH live AS (
       SELECT id FROM mailboxes WHERE tenant_id = $1 AND status NOT IN ('disconnecting', 'disconnected'))
     , known AS (
       SELECT DISTINCT ON (m.message_id_bidx) m.id, m.message_id_bidx, m.ticket_id FROM messages m JOIN tickets t ON t.tenant_id = m.tenant_id AND t.id = m.ticket_id
        WHERE m.tenant_id = $1 AND m.message_id_bidx = ANY($3::bytea[]) AND m.mailbox_id IN (SELECT id FROM live) AND t.mailbox_id IN (SELECT id FROM live)
        ORDER BY m.message_id_bidx, m.received_at)
     , dups AS (
       SELECT id, message_id_bidx, dedupe_bidx FROM messages
        WHERE tenant_id = $1 AND (dedupe_bidx = ANY($9::bytea[]) OR (dedupe_bidx IS NULL AND message_id_bidx = ANY($3::bytea[])))
          AND mailbox_id IN (SELECT id FROM live))
     , threads AS (
       SELECT DISTINCT ON (provider_thread_id) provider_thread_id, ticket_id FROM messages
        WHERE tenant_id = $1 AND mailbox_id = $2 AND provider_thread_id = ANY($5::text[]) ORDER BY provider_thread_id, received_at DESC)
     , tokens AS (
       SELECT id, number FROM tickets WHERE tenant_id = $1 AND number = ANY($6::bigint[]))
     , candidates AS (
       SELECT ticket_id FROM known UNION SELECT ticket_id FROM threads UNION SELECT id FROM tokens)
     SELECT
       (SELECT json_agg(json_build_object('b', encode(message_id_bidx, 'hex'), 'id', id, 't', ticket_id)) FROM known) AS known,
       (SELECT json_agg(json_build_object('d', encode(dedupe_bidx, 'hex'), 'b', encode(message_id_bidx, 'hex'), 'id', id)) FROM dups) AS dups,
       ARRAY(SELECT address_bidx FROM mailboxes WHERE tenant_id = $1 AND status <> 'disconnected' AND address_bidx = ANY($4::bytea[])) AS own,
       (SELECT json_agg(json_build_object('p', provider_thread_id, 't', ticket_id)) FROM threads) AS threads,
       (SELECT json_agg(json_build_object('n', k.number, 't', k.id, 'p', ARRAY(
          SELECT encode(p.address_bidx, 'hex') FROM ticket_participants p WHERE p.tenant_id = $1 AND p.ticket_id = k.id AND p.address_bidx = ANY($7::bytea[]))))
          FROM tokens k) AS tokens,
       (SELECT json_agg(json_build_object('t', ticket_id, 'f', encode(from_bidx, 'hex'), 'n', n)) FROM (
          SELECT ticket_id, from_bidx, count(*)::int AS n FROM messages
           WHERE tenant_id = $1 AND ticket_id IN (SELECT ticket_id FROM candidates) AND from_bidx = ANY($7::bytea[]) AND received_at >= $8
           GROUP BY ticket_id, from_bidx) c) AS loops`,
    values: [
      q.tenantId,
      q.mailboxId,
      q.messageIdBidxs,
      q.addressBidxs,
      q.providerThreadIds,
      q.tokenNumbers,
      q.senderBidxs,
      q.loopSince,
      q.dedupeBidxs,
    ],
  });
  const r = rows[0]!;
  return {
    known: new Map((r.known ?? []).map((k) => [k.b, { id: k.id, ticketId: k.t }])),
    dedupe: new Map((r.dups ?? []).filter((d) => d.d !== null).map((d) => [d.d!, d.id])),
    legacy: new Map((r.dups ?? []).filter((d) => d.d === null).map((d) => [d.b, d.id])),
    own: new Set(r.own.map(hex)),
    threads: new Map((r.threads ?? []).map((t) => [t.p, t.t])),
    tokens: new Map(
      (r.tokens ?? []).map((t) => [Number(t.n), { ticketId: t.t, participants: new Set(t.p) }]),
    ),
    loopCounts: new Map((r.loops ?? []).map((l) => [`${l.t}:${l.f}`, l.n])),
  };
}

export interface NewTicket {
  id: string;
  mailboxId: string;
  subjectCt: Buffer;
  requesterCt: Buffer | null;
  requesterBidx: Buffer | null;
}

/** Opens tickets in order with the next per-tenant numbers and records `ticket.created` for each. */
export async function createTickets(
  ex: Executor,
  tenantId: string,
  list: NewTicket[],
): Promise<Map<string, number>> {
  if (list.length === 0) return new Map();
  const params: unknown[] = [tenantId];
  const values = list.map((t, i) => {
    const at = params.push(t.id, t.mailboxId, t.subjectCt, t.requesterCt, t.requesterBidx) - 4;
    return `(${i}, $${at}::uuid, $${at + 1}::uuid, $${at + 2}::bytea, $${at + 3}::bytea, $${at + 4}::bytea)`;
  });
  const { rows } = await ex.query<{ id: string; number: string }>({
    name: list.length <= 4 ? `inlet-create-tickets-${list.length}` : undefined,
    text: `WITH v(ord, id, mailbox_id, subject_ct, requester_ct, requester_bidx) AS (VALUES ${values.join(', ')})
     , t AS (
       INSERT INTO tickets (id, tenant_id, number, mailbox_id, subject_ct, requester_ct, requester_bidx)
       SELECT id, $1, inlet_next_ticket_number($1), mailbox_id, subject_ct, requester_ct, requester_bidx FROM v ORDER BY ord
       RETURNING id, number, mailbox_id)
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
 * and the `message.received` events, in page order.
 */
export async function insertInbound(
  ex: Executor,
  tenantId: string,
  mailboxId: string,
  list: InboundRow[],
): Promise<void> {
  if (list.length === 0) return;
  const params: unknown[] = [tenantId, mailboxId];
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
  await ex.query({
    name: list.length <= 4 ? `inlet-insert-inbound-e${list.length}` : undefined,
    text: `WITH m(ord, ${messageInsertColumns}, provider_message_id, participants) AS (VALUES ${values.join(', ')})
     , msg AS (
       INSERT INTO messages (${messageInsertColumns}) SELECT ${messageInsertColumns} FROM m ORDER BY ord)
     , people AS (
       INSERT INTO ticket_participants (tenant_id, ticket_id, address_bidx)
       SELECT DISTINCT $1::uuid, m.ticket_id, b FROM m, unnest(m.participants) AS b ON CONFLICT DO NOTHING)
     , delivery AS (
       INSERT INTO message_deliveries (tenant_id, mailbox_id, provider_message_id, message_id, outcome) SELECT $1, $2, provider_message_id, id, 'stored' FROM m)
     , cleared AS (
       DELETE FROM ingest_failures WHERE tenant_id = $1 AND mailbox_id = $2 AND provider_message_id IN (SELECT provider_message_id FROM m) AND parked_at IS NULL)
     INSERT INTO events (tenant_id, type, resource_id, data)
     SELECT $1, e.type, e.resource_id, e.data FROM m, LATERAL (VALUES
         (0, 'message.received', m.id, jsonb_build_object('ticket_id', m.ticket_id, 'mailbox_id', $2::uuid, 'kind', m.kind, 'thread_rule', m.thread_rule)),
         (1, CASE WHEN m.thread_rule <> 'new_ticket' THEN 'ticket.updated' END, m.ticket_id, jsonb_build_object('change', 'message', 'message_id', m.id))
       ) AS e(n, type, resource_id, data)
      WHERE e.type IS NOT NULL ORDER BY m.ord, e.n`,
    values: params,
  });
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

export interface InboundAttachment {
  id: string;
  messageId: string;
  ticketId: string;
  position: number;
  filenameCt: Buffer;
  contentIdCt: Buffer | null;
  contentCt: Buffer;
  declaredType: string;
  sniffedType: string;
  size: number;
  /** Keyed digest of the content (crypto attachmentDigest), never a plain hash. */
  digest: Buffer;
  inline: boolean;
  flags: string[];
  scanStatus: ScanStatus;
  scanDetail: string | null;
}

/**
 * Attachments in one statement, with `attachment.scanned` events for those already scanned. Callers bound the bytes of one
 * call (a large attachment goes alone): the statement's protocol buffer holds a copy of every
 * content in it. One VALUES row per attachment with its own parameters: a Buffer parameter travels
 * as binary, a bytea[] array would be hex text.
 */
export async function insertAttachments(
  ex: Executor,
  tenantId: string,
  mailboxId: string,
  list: InboundAttachment[],
): Promise<void> {
  if (list.length === 0) return;
  const params: unknown[] = [tenantId, mailboxId];
  const rows = list.map((a) => {
    // The content goes last: pg copies parameters into one buffer that grows by reallocating, so a
    // large value with nothing after it is copied once instead of twice (plus a 1.5× buffer).
    const at =
      params.push(
        a.filenameCt,
        a.contentIdCt,
        JSON.stringify({
          id: a.id,
          message_id: a.messageId,
          ticket_id: a.ticketId,
          position: a.position,
          declared_type: a.declaredType,
          sniffed_type: a.sniffedType,
          size: a.size,
          digest: a.digest.toString('hex'),
          inline: a.inline,
          flags: a.flags,
          scan_status: a.scanStatus,
          scan_detail: a.scanDetail,
        }),
        a.contentCt,
      ) - 3;
    return `($${at}::bytea, $${at + 1}::bytea, $${at + 2}::jsonb, $${at + 3}::bytea)`;
  });
  // Named per attachment count for the common small counts, so each shape is planned once per connection.
  await ex.query({
    name: list.length <= 8 ? `inlet-insert-attachments-d${list.length}` : undefined,
    text: `WITH att AS (
       INSERT INTO attachments (id, tenant_id, message_id, mailbox_id, position, filename_ct, content_id_ct, declared_type, sniffed_type,
         size, content_digest, inline, flags, scan_status, scan_detail, scan_attempts, scanned_at, content_ct)
       SELECT (a.m->>'id')::uuid, $1, (a.m->>'message_id')::uuid, $2, (a.m->>'position')::int, a.fname, a.cid, a.m->>'declared_type', a.m->>'sniffed_type',
         (a.m->>'size')::int, decode(a.m->>'digest', 'hex'), (a.m->>'inline')::boolean, ARRAY(SELECT jsonb_array_elements_text(a.m->'flags')),
         a.m->>'scan_status', a.m->>'scan_detail', CASE WHEN a.m->>'scan_status' = 'pending' THEN 0 ELSE 1 END,
         CASE WHEN a.m->>'scan_status' = 'pending' THEN NULL ELSE now() END, a.content
       FROM (VALUES ${rows.join(', ')}) AS a(fname, cid, m, content)
       RETURNING id, message_id, scan_status)
     INSERT INTO events (tenant_id, type, resource_id, data)
     SELECT $1, 'attachment.scanned', att.id, jsonb_build_object('message_id', att.message_id, 'ticket_id', (a.m->>'ticket_id')::uuid, 'status', att.scan_status)
       FROM att JOIN (VALUES ${rows.join(', ')}) AS a(fname, cid, m, content) ON (a.m->>'id')::uuid = att.id WHERE att.scan_status <> 'pending'`,
    values: params,
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
