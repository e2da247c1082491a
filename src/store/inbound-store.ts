// The ingest transaction's statements, shaped for few round trips: an ingest is latency-bound (it
// measured ~15 statements per message, each a round trip), so lookups that need the same keys share
// one query and the writes of one message go out as one statement of data-modifying CTEs. The fixed
// statements are named (prepared once per connection): planning these CTEs on every message was a
// noticeable share of PostgreSQL's CPU per message.
import { dataKeyColumns, type DataKeyRow } from './data-key-store.js';
import type { Executor } from './db.js';
import type { NewMessage } from './message-store.js';
import type { ScanStatus } from './attachment-store.js';

/** Step 1: was this delivery seen before, and the wrapped keys ingest needs (mailbox, index, signing). */
export async function startIngest(ex: Executor, tenantId: string, mailboxId: string, providerMessageId: string): Promise<{ delivered: boolean; keyRows: DataKeyRow[] }> {
  const { rows } = await ex.query<DataKeyRow & { delivered: boolean }>({
    name: 'inlet-start-ingest',
    text: `SELECT ${dataKeyColumns},
            EXISTS (SELECT 1 FROM message_deliveries WHERE tenant_id = $1 AND mailbox_id = $2 AND provider_message_id = $3) AS delivered
       FROM data_keys WHERE tenant_id = $1 AND (mailbox_id = $2 OR purpose IN ('index', 'signing'))`,
    values: [tenantId, mailboxId, providerMessageId],
  });
  return { delivered: rows.some((r) => r.delivered), keyRows: rows };
}

export interface IngestLookupInput {
  tenantId: string;
  mailboxId: string;
  messageIdBidx: Buffer;
  /** From, Sender, Reply-To: which of them are our own mailboxes (mail from ourselves). */
  addressBidxs: Buffer[];
  /** Message-IDs named by In-Reply-To, References and a bounce's original message. */
  refBidxs: Buffer[];
  providerThreadId: string | null;
  /** A `[#N]` token in the subject, and the sender who must already be on that ticket. */
  tokenNumber: number | null;
  senderBidx: Buffer | null;
}

export interface IngestLookup {
  existing: string | null;
  own: Buffer[];
  refs: { bidx: Buffer; ticket_id: string }[];
  providerTicket: string | null;
  tokenTicket: string | null;
  tokenParticipant: boolean;
}

/** Step 2, everything that needs the index key, in one round trip. */
export async function lookupIngest(ex: Executor, q: IngestLookupInput): Promise<IngestLookup> {
  const { rows } = await ex.query<{ existing: string | null; own: Buffer[]; refs: { bidx: string; ticket_id: string }[] | null; provider_ticket: string | null; token_ticket: string | null; token_participant: boolean | null }>({
    name: 'inlet-lookup-ingest',
    text: `SELECT (SELECT id FROM messages WHERE tenant_id = $1 AND message_id_bidx = $3) AS existing,
            ARRAY(SELECT address_bidx FROM mailboxes WHERE tenant_id = $1 AND status <> 'disconnected' AND address_bidx = ANY($4::bytea[])) AS own,
            (SELECT json_agg(json_build_object('bidx', encode(message_id_bidx, 'hex'), 'ticket_id', ticket_id))
               FROM messages WHERE tenant_id = $1 AND message_id_bidx = ANY($5::bytea[])) AS refs,
            (SELECT ticket_id FROM messages WHERE tenant_id = $1 AND mailbox_id = $2 AND provider_thread_id = $6 ORDER BY received_at DESC LIMIT 1) AS provider_ticket,
            t.id AS token_ticket,
            EXISTS (SELECT 1 FROM ticket_participants p WHERE p.tenant_id = $1 AND p.ticket_id = t.id AND p.address_bidx = $8) AS token_participant
       FROM (SELECT 1) AS one LEFT JOIN tickets t ON t.tenant_id = $1 AND t.number = $7`,
    values: [q.tenantId, q.mailboxId, q.messageIdBidx, q.addressBidxs, q.refBidxs, q.providerThreadId, q.tokenNumber, q.senderBidx],
  });
  const r = rows[0]!;
  return {
    existing: r.existing,
    own: r.own,
    refs: (r.refs ?? []).map((x) => ({ bidx: Buffer.from(x.bidx, 'hex'), ticket_id: x.ticket_id })),
    providerTicket: r.provider_ticket,
    tokenTicket: r.token_ticket,
    tokenParticipant: r.token_participant === true,
  };
}

/** Opens a ticket with the next per-tenant number and records `ticket.created`, in one statement. */
export async function createTicket(ex: Executor, t: { id: string; tenantId: string; mailboxId: string; subjectCt: Buffer; requesterCt: Buffer | null; requesterBidx: Buffer | null }): Promise<number> {
  const { rows } = await ex.query<{ number: string }>({
    name: 'inlet-create-ticket',
    text: `WITH t AS (
       INSERT INTO tickets (id, tenant_id, number, mailbox_id, subject_ct, requester_ct, requester_bidx)
       VALUES ($1, $2, inlet_next_ticket_number($2), $3, $4, $5, $6) RETURNING id, number)
     , e AS (
       INSERT INTO events (tenant_id, type, resource_id, data)
       SELECT $2, 'ticket.created', t.id, jsonb_build_object('number', t.number, 'mailbox_id', $3::uuid) FROM t)
     SELECT number FROM t`,
    values: [t.id, t.tenantId, t.mailboxId, t.subjectCt, t.requesterCt, t.requesterBidx],
  });
  return Number(rows[0]!.number);
}

export interface InboundAttachment {
  id: string;
  position: number;
  filenameCt: Buffer;
  contentIdCt: Buffer | null;
  contentCt: Buffer;
  declaredType: string;
  sniffedType: string;
  size: number;
  sha256: string;
  inline: boolean;
  flags: string[];
  scanStatus: ScanStatus;
  scanDetail: string | null;
}

/**
 * Everything one inbound message writes, except its attachments, as one statement: the message,
 * the ticket's new participants, the delivery record (the replay guard), the cleared failure
 * counter and the `message.received` event.
 */
export async function insertInbound(ex: Executor, m: NewMessage, extra: { providerMessageId: string; participants: Buffer[] }): Promise<void> {
  await ex.query({
    name: 'inlet-insert-inbound',
    text: `WITH msg AS (
       INSERT INTO messages (id, tenant_id, ticket_id, mailbox_id, direction, message_id_bidx, provider_thread_id, kind, kind_reasons,
         thread_rule, from_bidx, headers_ct, text_ct, html_ct, reply_ct, raw_ct, warnings, sent_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) RETURNING id)
     , people AS (
       INSERT INTO ticket_participants (tenant_id, ticket_id, address_bidx) SELECT $2, $3, b FROM unnest($19::bytea[]) AS b ON CONFLICT DO NOTHING)
     , delivery AS (
       INSERT INTO message_deliveries (tenant_id, mailbox_id, provider_message_id, message_id, outcome) VALUES ($2, $4, $20, $1, 'stored'))
     , cleared AS (
       DELETE FROM ingest_failures WHERE tenant_id = $2 AND mailbox_id = $4 AND provider_message_id = $20 AND parked_at IS NULL)
     INSERT INTO events (tenant_id, type, resource_id, data)
     SELECT $2, 'message.received', msg.id, jsonb_build_object('ticket_id', $3::uuid, 'kind', $8::text, 'thread_rule', $10::text) FROM msg`,
    values: [m.id, m.tenantId, m.ticketId, m.mailboxId, m.direction, m.messageIdBidx, m.providerThreadId, m.kind, m.kindReasons,
      m.threadRule, m.fromBidx, m.headersCt, m.textCt, m.htmlCt, m.replyCt, m.rawCt, m.warnings, m.sentAt, extra.participants, extra.providerMessageId],
  });
}

/**
 * A message's attachments in one statement, with `attachment.infected` events. Kept apart from
 * insertInbound so the raw message and the attachment bytes are never in one protocol buffer
 * (a 25 MB message would otherwise hold both at once). One VALUES row per attachment with its own
 * parameters: a Buffer parameter travels as binary, a bytea[] array would be hex text.
 */
export async function insertAttachments(ex: Executor, ids: { tenantId: string; messageId: string; mailboxId: string; ticketId: string }, list: InboundAttachment[]): Promise<void> {
  if (list.length === 0) return;
  const params: unknown[] = [ids.tenantId, ids.messageId, ids.mailboxId, ids.ticketId];
  const rows = list.map((a) => {
    const at = params.push(a.filenameCt, a.contentIdCt, a.contentCt, JSON.stringify({
      id: a.id, position: a.position, declared_type: a.declaredType, sniffed_type: a.sniffedType, size: a.size, sha256: a.sha256,
      inline: a.inline, flags: a.flags, scan_status: a.scanStatus, scan_detail: a.scanDetail,
    })) - 3;
    return `($${at}::bytea, $${at + 1}::bytea, $${at + 2}::bytea, $${at + 3}::jsonb)`;
  });
  // Named per attachment count for the common small counts, so each shape is planned once per connection.
  await ex.query({
    name: list.length <= 8 ? `inlet-insert-attachments-${list.length}` : undefined,
    text: `WITH att AS (
       INSERT INTO attachments (id, tenant_id, message_id, mailbox_id, position, filename_ct, content_id_ct, declared_type, sniffed_type,
         size, sha256, inline, flags, scan_status, scan_detail, scan_attempts, scanned_at, content_ct)
       SELECT (a.m->>'id')::uuid, $1, $2, $3, (a.m->>'position')::int, a.fname, a.cid, a.m->>'declared_type', a.m->>'sniffed_type',
         (a.m->>'size')::int, a.m->>'sha256', (a.m->>'inline')::boolean, ARRAY(SELECT jsonb_array_elements_text(a.m->'flags')),
         a.m->>'scan_status', a.m->>'scan_detail', CASE WHEN a.m->>'scan_status' = 'pending' THEN 0 ELSE 1 END,
         CASE WHEN a.m->>'scan_status' = 'pending' THEN NULL ELSE now() END, a.content
       FROM (VALUES ${rows.join(', ')}) AS a(fname, cid, content, m)
       RETURNING id, scan_status)
     INSERT INTO events (tenant_id, type, resource_id, data)
     SELECT $1, 'attachment.infected', att.id, jsonb_build_object('message_id', $2::uuid, 'ticket_id', $4::uuid) FROM att WHERE att.scan_status = 'infected'`,
    values: params,
  });
}
