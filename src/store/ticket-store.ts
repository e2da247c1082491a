// SQL for tickets and their participants. Callers own the transaction and have set the tenant.
import type { TicketStatus } from '../tickets/ticket-status.js';
import type { DataKeyRow } from './data-key-store.js';
import type { Executor } from './db.js';
import {
  fromPrefixed,
  type HeadersRow,
  type PagedMessage,
  prefixedHeaderColumns,
  prefixedPageColumns,
} from './message-store.js';

export interface TicketRow {
  id: string;
  tenant_id: string;
  number: string;
  mailbox_id: string;
  status: TicketStatus;
  subject_ct: Buffer;
  requester_ct: Buffer | null;
  created_at: Date;
  updated_at: Date;
  last_activity_at: Date;
}

const columns =
  'id, tenant_id, number, mailbox_id, status, subject_ct, requester_ct, created_at, updated_at, last_activity_at';

export async function findTicket(
  ex: Executor,
  tenantId: string,
  id: string,
  opts: { lock?: boolean } = {},
): Promise<TicketRow | null> {
  const { rows } = await ex.query<TicketRow>(
    `SELECT ${columns} FROM tickets WHERE tenant_id = $1 AND id = $2${opts.lock ? ' FOR UPDATE' : ''}`,
    [tenantId, id],
  );
  return rows[0] ?? null;
}

/** The columns of the ticket's mailbox key, read with the ticket so a read needs no lookup of its own. */
export interface JoinedKey {
  key_id: string | null;
  key_kek_id: string | null;
  key_wrapped: Buffer | null;
}
const keyColumns = 'k.id AS key_id, k.kek_id AS key_kek_id, k.wrapped AS key_wrapped';
const keyJoin =
  "data_keys k ON k.tenant_id = t.tenant_id AND k.mailbox_id = t.mailbox_id AND k.purpose = 'mailbox'";
const tColumns = columns
  .split(', ')
  .map((c) => `t.${c}`)
  .join(', ');

/** The mailbox key row of a ticket read with `findTicketWithKey` or `listTickets` (null: none). */
export function joinedKeyRow(r: TicketRow & JoinedKey): DataKeyRow | null {
  if (!r.key_id) return null;
  return {
    id: r.key_id,
    tenant_id: r.tenant_id,
    purpose: 'mailbox',
    mailbox_id: r.mailbox_id,
    kek_id: r.key_kek_id,
    wrapped: r.key_wrapped,
    destroyed_at: null,
  };
}

export type TicketForRead = TicketRow &
  JoinedKey & { message_count: number; etag: string; not_modified: boolean };

/**
 * The stored state a ticket's detail is made of, as one string: every row's id and xmin (the
 * transaction that wrote that version of the row; PostgreSQL gives each UPDATE's new row version
 * the updating transaction's id) for the ticket, its messages (in order), their attachments (scan
 * status), its outbox rows (reply states, bounces) and the mailbox keys that open them. Any insert,
 * update or delete of one of those rows changes it, without reading a sealed column. The caller's
 * `$8` (the representation: page, HTML or not, the view's format) is part of it.
 */
const versionOf = `format('%s|%s|%s|%s|%s|%s', $8::text, t.xmin,
    mm.s,
    (SELECT string_agg(a.id::text || ':' || a.xmin::text, ',' ORDER BY a.id)
       FROM unnest(mm.ids) AS mid JOIN attachments a ON a.tenant_id = t.tenant_id AND a.message_id = mid),
    (SELECT string_agg(o.id::text || ':' || o.xmin::text, ',' ORDER BY o.id)
       FROM outbox o WHERE o.tenant_id = t.tenant_id AND o.ticket_id = t.id),
    (SELECT string_agg(dk.id::text || ':' || dk.xmin::text, ',' ORDER BY dk.id)
       FROM data_keys dk WHERE dk.tenant_id = t.tenant_id AND dk.purpose = 'mailbox'
        AND (dk.mailbox_id = t.mailbox_id OR dk.mailbox_id = ANY(mm.mailboxes))))`;

/**
 * A ticket with its message count, its mailbox's key row and its entity tag (a digest of
 * `versionOf`), the audit record of reading it, and its page of messages, in one statement (two
 * round trips fewer per read). `notModified` holds the tags of the client's If-None-Match (`*` for
 * any): when one is this ticket's, `not_modified` is true, no messages are read and the record says
 * so; otherwise it counts the messages the page will hold (`limit` before `beforeSeq`), and the page
 * is the newest `limit + 1` messages before `beforeSeq`, newest first (the one more tells whether
 * older ones exist), and `others` the rest of the ticket's messages with only their sealed headers
 * (who took part; empty when the page holds the whole ticket). The record lives in the caller's
 * transaction, so a read that fails after this (not found, key destroyed) rolls it back with
 * everything else.
 */
export async function findTicketForRead(
  ex: Executor,
  tenantId: string,
  id: string,
  page: { beforeSeq: string | null; limit: number; html: boolean; representation: string },
  by: { actor: string; requestId: string | null; clientIp: string | null },
  notModified: string[] = [],
): Promise<{ ticket: TicketForRead; page: PagedMessage[]; others: HeadersRow[] } | null> {
  const { rows } = await ex.query<TicketForRead & Record<string, unknown>>({
    name: page.html ? 'inlet-ticket-for-read-html-6' : 'inlet-ticket-for-read-6',
    // r is materialised: inlined into v, its tag's expression was computed twice.
    text: `WITH r AS MATERIALIZED (
             SELECT ${tColumns}, ${keyColumns}, mm.n AS message_count, mm.before_n,
                    left(encode(sha256(convert_to(${versionOf}, 'UTF8')), 'hex'), 32) AS etag
               FROM tickets t LEFT JOIN ${keyJoin}
               -- The ticket's messages read once for the count, the versions, their mailboxes
               -- and the audit record's count.
               CROSS JOIN LATERAL (
                 SELECT count(*)::int AS n,
                        count(*) FILTER (WHERE $3::bigint IS NULL OR m.seq < $3)::int AS before_n,
                        string_agg(m.id::text || ':' || m.xmin::text, ',' ORDER BY m.seq) AS s,
                        array_agg(m.id) AS ids, array_agg(DISTINCT m.mailbox_id) AS mailboxes
                   FROM messages m WHERE m.tenant_id = t.tenant_id AND m.ticket_id = t.id) mm
              WHERE t.tenant_id = $1 AND t.id = $2
           ), v AS (
             SELECT r.*, (r.etag = ANY($9::text[]) OR '*' = ANY($9::text[])) AS not_modified FROM r
           ), audited AS (
             INSERT INTO audit_log (tenant_id, actor, action, resource_type, resource_id, request_id, client_ip, detail)
             SELECT $1::uuid, $5, 'ticket.read', 'ticket', $2::uuid::text, $6, $7::inet,
                    CASE WHEN v.not_modified THEN jsonb_build_object('not_modified', true)
                    ELSE jsonb_build_object('messages', least(v.before_n, $4::int)) END
               FROM v
           ), page AS (
             SELECT ${prefixedPageColumns(page.html)}
               FROM messages m
              WHERE NOT (SELECT not_modified FROM v)
                AND m.tenant_id = $1 AND m.ticket_id = $2 AND ($3::bigint IS NULL OR m.seq < $3)
              ORDER BY m.seq DESC LIMIT $4::int + 1
           ), shown AS (
             SELECT page.*, false AS m_headers_only FROM page
             UNION ALL
             -- A page that is not the whole ticket: the other messages' headers, for who took part
             -- (older than the page, then newer: the page is not read again for it).
             SELECT ${prefixedHeaderColumns()}, true
               FROM (SELECT m.* FROM messages m
                      WHERE NOT (SELECT not_modified FROM v)
                        -- none older than the page: not even scanned
                        AND (SELECT before_n FROM v) > $4::int + 1
                        AND m.tenant_id = $1 AND m.ticket_id = $2 AND ($3::bigint IS NULL OR m.seq < $3)
                      ORDER BY m.seq DESC OFFSET $4::int + 1) m
             UNION ALL
             SELECT ${prefixedHeaderColumns()}, true
               FROM messages m
              WHERE NOT (SELECT not_modified FROM v) AND $3::bigint IS NOT NULL
                AND m.tenant_id = $1 AND m.ticket_id = $2 AND m.seq >= $3
           )
           SELECT v.*, shown.* FROM v LEFT JOIN shown ON true
            ORDER BY shown.m_headers_only, shown.m_seq DESC`,
    values: [
      tenantId,
      id,
      page.beforeSeq,
      page.limit,
      by.actor,
      by.requestId,
      by.clientIp,
      page.representation,
      notModified,
    ],
  });
  const first = rows[0];
  if (!first) return null;
  const messages: PagedMessage[] = [];
  const others: HeadersRow[] = [];
  for (const row of rows) {
    const m = fromPrefixed(row);
    if (m && row.m_headers_only) others.push(m);
    else if (m) messages.push(m);
  }
  return { ticket: first, page: messages, others };
}

export async function touchTicket(
  ex: Executor,
  tenantId: string,
  id: string,
  status: TicketStatus,
  activity: boolean,
): Promise<void> {
  await ex.query(
    `UPDATE tickets SET status = $3, updated_at = now(), last_activity_at = CASE WHEN $4 THEN now() ELSE last_activity_at END WHERE tenant_id = $1 AND id = $2`,
    [tenantId, id, status, activity],
  );
}

export async function addParticipants(
  ex: Executor,
  tenantId: string,
  ticketId: string,
  bidxs: Buffer[],
): Promise<void> {
  if (bidxs.length === 0) return;
  await ex.query(
    `INSERT INTO ticket_participants (tenant_id, ticket_id, address_bidx) SELECT $1, $2, b FROM unnest($3::bytea[]) AS b ON CONFLICT DO NOTHING`,
    [tenantId, ticketId, bidxs],
  );
}

/** sender_unverified: tickets holding a message kept off the ticket it claimed (DMARC fail). */
export type TicketReview = 'sender_unverified';

export interface TicketListQuery {
  tenantId: string;
  status?: TicketStatus;
  mailboxId?: string;
  requesterBidx?: Buffer;
  updatedSince?: string;
  /** Exclusive; passed to PostgreSQL as given, so microseconds are kept. */
  updatedAfter?: string;
  review?: TicketReview;
  /** Keyset position: the exact stored updated_at (microseconds, as PostgreSQL text) and the id. */
  after?: { updatedAt: string; id: string };
  limit: number;
}

export type ListedTicket = TicketRow &
  JoinedKey & { message_count: number; updated_at_exact: string };

/**
 * A page of tickets, most recently updated first, and the audit record of listing them, in one
 * statement (a round trip fewer per list; the record counts the tickets shown: `limit` asks for one
 * more, to know whether a next page exists). The cursor compares with the exact stored updated_at:
 * a JavaScript Date keeps milliseconds, PostgreSQL microseconds, so a cursor rounded to
 * milliseconds skipped the tickets that shared the boundary's millisecond (issue #19).
 */
export async function listTickets(
  ex: Executor,
  q: TicketListQuery,
  by: { actor: string; requestId: string | null; clientIp: string | null },
): Promise<ListedTicket[]> {
  const { rows } = await ex.query<ListedTicket>({
    name: 'inlet-list-tickets-3',
    text: `WITH page AS (
      SELECT ${tColumns}, ${keyColumns},
            to_char(t.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS updated_at_exact,
            (SELECT count(*)::int FROM messages m WHERE m.tenant_id = t.tenant_id AND m.ticket_id = t.id) AS message_count
       FROM tickets t JOIN ${keyJoin}
      WHERE t.tenant_id = $1
        AND ($2::text IS NULL OR t.status = $2)
        AND ($3::uuid IS NULL OR t.mailbox_id = $3)
        AND ($4::bytea IS NULL OR t.requester_bidx = $4)
        AND ($5::timestamptz IS NULL OR t.updated_at >= $5)
        AND ($6::timestamptz IS NULL OR (t.updated_at, t.id) < ($6, $7::uuid))
        AND ($9::timestamptz IS NULL OR t.updated_at > $9)
        AND ($13::text IS NULL OR EXISTS (SELECT 1 FROM messages w
              WHERE w.tenant_id = t.tenant_id AND w.ticket_id = t.id AND w.withheld_from_ticket_id IS NOT NULL))
        -- Tickets of a disconnected mailbox awaiting its purge are unreadable (key destroyed): a list
        -- skips them rather than fail as a whole; only reading that mailbox's content answers 410.
        AND k.wrapped IS NOT NULL
      ORDER BY t.updated_at DESC, t.id DESC
      LIMIT $8
    ), audited AS (
      INSERT INTO audit_log (tenant_id, actor, action, resource_type, resource_id, request_id, client_ip, detail)
      SELECT $1::uuid, $10, 'ticket.list', 'ticket', NULL, $11, $12::inet,
             jsonb_build_object('count', least(count(*), $8::int - 1))
        FROM page
    )
    SELECT * FROM page ORDER BY updated_at DESC, id DESC`,
    values: [
      q.tenantId,
      q.status ?? null,
      q.mailboxId ?? null,
      q.requesterBidx ?? null,
      q.updatedSince ?? null,
      q.after?.updatedAt ?? null,
      q.after?.id ?? null,
      q.limit,
      q.updatedAfter ?? null,
      by.actor,
      by.requestId,
      by.clientIp,
      q.review ?? null,
    ],
  });
  return rows;
}

export async function setTicketStatus(
  ex: Executor,
  tenantId: string,
  id: string,
  status: TicketStatus,
): Promise<TicketRow | null> {
  const { rows } = await ex.query<TicketRow>(
    `UPDATE tickets SET status = $3, updated_at = now() WHERE tenant_id = $1 AND id = $2 RETURNING ${columns}`,
    [tenantId, id, status],
  );
  return rows[0] ?? null;
}
