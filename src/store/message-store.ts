// SQL for messages and deliveries. Callers own the transaction and have set the tenant.
import type { Executor } from './db.js';
import type { RawLayout } from './raw-store.js';

export type { StoredKind } from '../tickets/ticket-status.js';
import type { StoredKind } from '../tickets/ticket-status.js';

export interface MessageRow {
  id: string;
  tenant_id: string;
  ticket_id: string;
  mailbox_id: string;
  direction: 'inbound' | 'outbound';
  provider_thread_id: string | null;
  kind: StoredKind;
  kind_reasons: string[];
  thread_rule: string;
  headers_ct: Buffer;
  text_ct: Buffer | null;
  html_ct: Buffer | null;
  reply_ct: Buffer | null;
  warnings: string[];
  sent_at: Date | null;
  received_at: Date;
  /** Arrival order within the tenant (messages.seq, a stored sequence). */
  seq: string;
}

// The original (raw_ct, or the chunks of raw-store.ts) is not among them: it is read only when asked for.
const columns =
  'id, tenant_id, ticket_id, mailbox_id, direction, provider_thread_id, kind, kind_reasons, thread_rule, headers_ct, text_ct, html_ct, reply_ct, warnings, sent_at, received_at, seq';

export interface NewMessage {
  id: string;
  tenantId: string;
  ticketId: string;
  mailboxId: string;
  direction: 'inbound' | 'outbound';
  messageIdBidx: Buffer;
  providerThreadId: string | null;
  kind: StoredKind;
  kindReasons: string[];
  threadRule: string;
  fromBidx: Buffer | null;
  headersCt: Buffer;
  textCt: Buffer | null;
  htmlCt: Buffer | null;
  replyCt: Buffer | null;
  /** Layout of the original, whose chunks raw-store.ts `storeRaw` writes after this row; null when none is kept. */
  raw: RawLayout | null;
  warnings: string[];
  sentAt: Date | null;
  /** Message-ID and content blind index (ingest/dedupe-key.ts); inbound mail only. */
  dedupeBidx?: Buffer | null;
  /** The ticket an unverified sender (DMARC fail) claimed and was kept off; inbound mail only. */
  withheldFromTicketId?: string | null;
  /** The derivation version (ingest/derive-version.ts) that made text, html, reply and warnings; inbound mail only. */
  deriveVersion?: number | null;
}

/**
 * The columns a message row is inserted with, their types, and where each value comes from. The
 * one definition: insertMessage (an agent's reply) and the ingest page's insertInbound
 * (inbound-store.ts) both build their statements from it.
 */
const insertColumns = [
  ['id', 'uuid', (m) => m.id],
  ['tenant_id', 'uuid', (m) => m.tenantId],
  ['ticket_id', 'uuid', (m) => m.ticketId],
  ['mailbox_id', 'uuid', (m) => m.mailboxId],
  ['direction', 'text', (m) => m.direction],
  ['message_id_bidx', 'bytea', (m) => m.messageIdBidx],
  ['provider_thread_id', 'text', (m) => m.providerThreadId],
  ['kind', 'text', (m) => m.kind],
  ['kind_reasons', 'text[]', (m) => m.kindReasons],
  ['thread_rule', 'text', (m) => m.threadRule],
  ['from_bidx', 'bytea', (m) => m.fromBidx],
  ['headers_ct', 'bytea', (m) => m.headersCt],
  ['text_ct', 'bytea', (m) => m.textCt],
  ['html_ct', 'bytea', (m) => m.htmlCt],
  ['reply_ct', 'bytea', (m) => m.replyCt],
  ['raw_size', 'bigint', (m) => m.raw?.size ?? null],
  ['raw_chunks', 'int', (m) => m.raw?.chunks ?? null],
  ['warnings', 'text[]', (m) => m.warnings],
  ['sent_at', 'timestamptz', (m) => m.sentAt],
  ['dedupe_bidx', 'bytea', (m) => m.dedupeBidx ?? null],
  ['withheld_from_ticket_id', 'uuid', (m) => m.withheldFromTicketId ?? null],
  ['derive_version', 'int', (m) => m.deriveVersion ?? null],
] as const satisfies readonly (readonly [string, string, (m: NewMessage) => unknown])[];

export type MessageInsertColumn = (typeof insertColumns)[number][0];

/** `id, tenant_id, …`: the column list of a messages INSERT, in the order of messageInsertValues. */
export const messageInsertColumns = insertColumns.map(([name]) => name).join(', ');

/**
 * One message's values for a messages INSERT, in column order: each a typed parameter appended to
 * `params`, except the columns `fixed` gives as SQL (a page's tenant, mailbox and direction).
 */
export function messageInsertValues(
  m: NewMessage,
  params: unknown[],
  fixed: Partial<Record<MessageInsertColumn, string>> = {},
): string[] {
  return insertColumns.map(([name, type, value]) => {
    const sql = fixed[name];
    if (sql !== undefined) return sql;
    return `$${params.push(value(m))}::${type}`;
  });
}

export async function insertMessage(ex: Executor, m: NewMessage): Promise<void> {
  const params: unknown[] = [];
  const values = messageInsertValues(m, params);
  await ex.query(
    `INSERT INTO messages (${messageInsertColumns}) VALUES (${values.join(', ')})`,
    params,
  );
}

export async function findDelivery(
  ex: Executor,
  tenantId: string,
  mailboxId: string,
  providerMessageId: string,
): Promise<{ message_id: string | null; outcome: string } | null> {
  const { rows } = await ex.query<{ message_id: string | null; outcome: string }>(
    'SELECT message_id, outcome FROM message_deliveries WHERE tenant_id = $1 AND mailbox_id = $2 AND provider_message_id = $3',
    [tenantId, mailboxId, providerMessageId],
  );
  return rows[0] ?? null;
}

export async function insertDelivery(
  ex: Executor,
  d: {
    tenantId: string;
    mailboxId: string;
    providerMessageId: string;
    messageId: string | null;
    outcome: 'stored' | 'duplicate' | 'parked';
  },
): Promise<void> {
  await ex.query(
    'INSERT INTO message_deliveries (tenant_id, mailbox_id, provider_message_id, message_id, outcome) VALUES ($1, $2, $3, $4, $5)',
    [d.tenantId, d.mailboxId, d.providerMessageId, d.messageId, d.outcome],
  );
}

/** Messages from one sender on one ticket within a window (mail-loop detection). */
export async function recentFromSender(
  ex: Executor,
  tenantId: string,
  ticketId: string,
  fromBidx: Buffer,
  since: Date,
): Promise<number> {
  const { rows } = await ex.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM messages WHERE tenant_id = $1 AND ticket_id = $2 AND from_bidx = $3 AND received_at >= $4',
    [tenantId, ticketId, fromBidx, since],
  );
  return rows[0]!.n;
}

/** A ticket's messages in arrival order (the stored sequence: one page's messages share received_at). */
export async function listTicketMessages(
  ex: Executor,
  tenantId: string,
  ticketId: string,
): Promise<MessageRow[]> {
  const { rows } = await ex.query<MessageRow>(
    `SELECT ${columns} FROM messages WHERE tenant_id = $1 AND ticket_id = $2 ORDER BY seq`,
    [tenantId, ticketId],
  );
  return rows;
}

export type PagedMessage = MessageRow & { has_attachments: boolean };

/**
 * The select list of a page of messages `m` whose columns come back prefixed `m_` (to sit beside a
 * ticket's own columns in one statement, ticket-store.ts `findTicketForRead`); `fromPrefixed` reads
 * one back. Without the HTML column unless asked: it is the largest part of a message.
 */
export function prefixedPageColumns(html: boolean): string {
  return (
    columns
      .split(', ')
      .map((c) => (c === 'html_ct' && !html ? 'NULL::bytea AS m_html_ct' : `m.${c} AS m_${c}`))
      .join(', ') +
    ', EXISTS (SELECT 1 FROM attachments a WHERE a.tenant_id = m.tenant_id AND a.message_id = m.id) AS m_has_attachments'
  );
}

/**
 * The same select list for a message outside the page, of which only who took part is needed: its
 * id, mailbox, sequence and sealed headers, every other column null (`fromPrefixed` reads it as a
 * message whose other columns are null).
 */
export function prefixedHeaderColumns(): string {
  const kept = new Set(['id', 'tenant_id', 'mailbox_id', 'headers_ct', 'seq']);
  return (
    columns
      .split(', ')
      .map((c) => (kept.has(c) ? `m.${c} AS m_${c}` : `NULL AS m_${c}`))
      .join(', ') + ', NULL AS m_has_attachments'
  );
}

const pagedKeys = [...columns.split(', '), 'has_attachments'] as const;

/** The message of a row selected with `prefixedPageColumns`, or null when the row has none. */
export function fromPrefixed(row: Record<string, unknown>): PagedMessage | null {
  if (row.m_id === null || row.m_id === undefined) return null;
  const m: Record<string, unknown> = {};
  for (const k of pagedKeys) m[k] = row[`m_${k}`];
  return m as unknown as PagedMessage;
}

/** A message of a ticket read only for who took part (its sealed headers). */
export type HeadersRow = Pick<MessageRow, 'id' | 'tenant_id' | 'mailbox_id' | 'headers_ct' | 'seq'>;

export async function findMessage(
  ex: Executor,
  tenantId: string,
  id: string,
): Promise<MessageRow | null> {
  const { rows } = await ex.query<MessageRow>(
    `SELECT ${columns} FROM messages WHERE tenant_id = $1 AND id = $2`,
    [tenantId, id],
  );
  return rows[0] ?? null;
}
