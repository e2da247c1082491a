// The page lookup of ingest: everything threading, dedupe and classification need for a whole page
// of messages in one round trip (see inbound-store.ts for the rest of the ingest transaction's
// statements). Blind indexes only: PostgreSQL never sees a Message-ID or an address in clear.
import type { Executor } from './db.js';

const hex = (b: Buffer) => b.toString('hex');

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
  /** The page's provider message ids: which were delivered to this mailbox before. */
  providerMessageIds: string[];
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
  /** Provider message ids of the page this mailbox has a delivery record of (stored, duplicate or parked). */
  delivered: Set<string>;
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
    delivered: string[];
  }>({
    name: 'inlet-lookup-page-3',
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
           GROUP BY ticket_id, from_bidx) c) AS loops,
       ARRAY(SELECT provider_message_id FROM message_deliveries WHERE tenant_id = $1 AND mailbox_id = $2 AND provider_message_id = ANY($10::text[])) AS delivered`,
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
      q.providerMessageIds,
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
    delivered: new Set(r.delivered),
  };
}
