// The rebuild's SQL (reparse.ts), next to the code that runs it. Callers own the transaction and
// have set the tenant (row-level security applies), except listStaleMailboxes, which runs as the
// owner role across tenants like the other sweeps.
import type { Executor } from '../store/db.js';

export interface StaleRow {
  id: string;
  /** Bytes of the stored original (sealed, for one stored before 0009); null when none is kept. */
  raw_bytes: string | null;
  warnings: string[];
  sent_at: Date | null;
}

/**
 * Up to `limit` inbound messages of the mailbox whose views an older derivation made, row-locked:
 * a second rebuild of the same mailbox skips them rather than waiting, and nothing else updates an
 * inbound message's views. NO KEY: rows that only reference a message (a duplicate delivery, an
 * attachment, a bounce link) take a key-share lock on it, which this lock lets through, so ingest
 * never waits for a batch. Unordered: rows leave this set as they are done, so no sort is needed
 * (the index hands them out in its own order).
 */
export async function lockStaleMessages(
  ex: Executor,
  tenantId: string,
  mailboxId: string,
  version: number,
  limit: number,
): Promise<StaleRow[]> {
  const { rows } = await ex.query<StaleRow>(
    `SELECT id, coalesce(raw_size, octet_length(raw_ct)) AS raw_bytes, warnings, sent_at FROM messages
      WHERE tenant_id = $1 AND mailbox_id = $2 AND direction = 'inbound' AND derive_version < $3
      LIMIT $4 FOR NO KEY UPDATE SKIP LOCKED`,
    [tenantId, mailboxId, version, limit],
  );
  return rows;
}

export interface SealedViews {
  headers_ct: Buffer;
  text_ct: Buffer | null;
  html_ct: Buffer | null;
  reply_ct: Buffer | null;
}

/** One message's sealed views, read when its turn comes (a batch never holds them all). */
export async function readSealedViews(
  ex: Executor,
  tenantId: string,
  messageId: string,
): Promise<SealedViews> {
  const { rows } = await ex.query<SealedViews>(
    'SELECT headers_ct, text_ct, html_ct, reply_ct FROM messages WHERE tenant_id = $1 AND id = $2',
    [tenantId, messageId],
  );
  return rows[0]!;
}

export interface AttachmentIdentity {
  id: string;
  position: number;
  size: number;
  content_id_ct: Buffer | null;
  content_digest: Buffer | null;
}

export async function attachmentIdentities(
  ex: Executor,
  tenantId: string,
  messageId: string,
): Promise<AttachmentIdentity[]> {
  const { rows } = await ex.query<AttachmentIdentity>(
    `SELECT id, position, size, content_id_ct, content_digest FROM attachments
      WHERE tenant_id = $1 AND message_id = $2 ORDER BY position`,
    [tenantId, messageId],
  );
  return rows;
}

export type ViewColumn = 'headers_ct' | 'text_ct' | 'html_ct' | 'reply_ct' | 'warnings' | 'sent_at';

/** Writes the changed views and the version; only a row still below the version is touched. */
export async function writeViews(
  ex: Executor,
  tenantId: string,
  messageId: string,
  version: number,
  set: Partial<Record<ViewColumn, Buffer | string[] | Date | null>>,
): Promise<number> {
  const params: unknown[] = [tenantId, messageId, version];
  const assignments = Object.entries(set).map(([column, value]) => {
    const type = column === 'warnings' ? 'text[]' : column === 'sent_at' ? 'timestamptz' : 'bytea';
    return `${column} = $${params.push(value)}::${type}`;
  });
  const { rowCount } = await ex.query(
    `UPDATE messages SET ${['derive_version = $3', ...assignments].join(', ')}
      WHERE tenant_id = $1 AND id = $2 AND derive_version < $3`,
    params,
  );
  return rowCount ?? 0;
}

/** Rows the current derivation looked at and left as they were (unchanged, or skipped with a reason). */
export async function markLooked(
  ex: Executor,
  tenantId: string,
  messageIds: string[],
  version: number,
): Promise<void> {
  if (messageIds.length === 0) return;
  await ex.query(
    'UPDATE messages SET derive_version = $3 WHERE tenant_id = $1 AND id = ANY($2::uuid[]) AND derive_version < $3',
    [tenantId, messageIds, version],
  );
}

/**
 * Sets a mailbox's inbound rows back to "derived by no version", so the next rebuild derives every
 * one of them again (`inlet reparse --all`: mail stored before a fix made before versions existed).
 */
export async function markAllStale(
  ex: Executor,
  tenantId: string,
  mailboxId: string,
): Promise<number> {
  const { rowCount } = await ex.query(
    `UPDATE messages SET derive_version = 0
      WHERE tenant_id = $1 AND mailbox_id = $2 AND direction = 'inbound' AND derive_version <> 0`,
    [tenantId, mailboxId],
  );
  return rowCount ?? 0;
}

/**
 * Mailboxes still holding their key (owner role, every tenant): those with inbound rows below
 * `version`, or every one when `version` is null.
 */
export async function listStaleMailboxes(
  ex: Executor,
  version: number | null,
  only: { tenantId?: string; mailboxId?: string } = {},
): Promise<{ tenant_id: string; id: string }[]> {
  const { rows } = await ex.query<{ tenant_id: string; id: string }>(
    `SELECT m.tenant_id, m.id FROM mailboxes m
      WHERE m.status NOT IN ('disconnecting', 'disconnected')
        AND ($2::uuid IS NULL OR m.tenant_id = $2) AND ($3::uuid IS NULL OR m.id = $3)
        AND ($1::int IS NULL OR EXISTS (SELECT 1 FROM messages x WHERE x.tenant_id = m.tenant_id AND x.mailbox_id = m.id
                      AND x.direction = 'inbound' AND x.derive_version < $1))
      ORDER BY m.tenant_id, m.id`,
    [version, only.tenantId ?? null, only.mailboxId ?? null],
  );
  return rows;
}
