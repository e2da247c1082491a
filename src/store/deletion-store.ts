// SQL for mailbox deletion (migration 0010): the deletion receipt, from the disconnect request to
// the completed purge. The batches the purge deletes with are in purge-store.ts.
import type { ProviderKind } from '../providers/provider-kind.js';
import type { Executor } from './db.js';
import type { PurgeCounts } from './purge-store.js';

export type PushStop = 'pending' | 'stopped' | 'failed' | 'not_applicable';
/** not_revocable: the provider offers the app no way to revoke the grant (Microsoft delegated consent); every token Inlet held was cleared. */
export type GrantRevoke = 'pending' | 'revoked' | 'not_revocable' | 'failed' | 'not_applicable';

export interface ReceiptRow {
  tenant_id: string;
  mailbox_id: string;
  provider: ProviderKind;
  requested_by: string;
  requested_at: Date;
  purge_after: Date;
  push_stop: PushStop;
  push_error_class: string | null;
  grant_revoke: GrantRevoke;
  grant_error_class: string | null;
  key_destroyed_at: Date | null;
  purge_started_at: Date | null;
  rows_purged: PurgeCounts;
  completed_at: Date | null;
}

const columns = `tenant_id, mailbox_id, provider, requested_by, requested_at, purge_after, push_stop, push_error_class,
  grant_revoke, grant_error_class, key_destroyed_at, purge_started_at, rows_purged, completed_at`;

/** First disconnect request wins; a repeated one keeps the original requester and deadline. */
export async function insertReceipt(
  ex: Executor,
  r: {
    tenantId: string;
    mailboxId: string;
    provider: ProviderKind;
    requestedBy: string;
    purgeAfter: Date;
  },
): Promise<ReceiptRow> {
  await ex.query(
    `INSERT INTO deletion_receipts (tenant_id, mailbox_id, provider, requested_by, purge_after) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (tenant_id, mailbox_id) DO NOTHING`,
    [r.tenantId, r.mailboxId, r.provider, r.requestedBy, r.purgeAfter],
  );
  return (await findReceipt(ex, r.tenantId, r.mailboxId))!;
}

export async function findReceipt(
  ex: Executor,
  tenantId: string,
  mailboxId: string,
  opts: { lock?: boolean } = {},
): Promise<ReceiptRow | null> {
  const { rows } = await ex.query<ReceiptRow>(
    `SELECT ${columns} FROM deletion_receipts WHERE tenant_id = $1 AND mailbox_id = $2${opts.lock ? ' FOR UPDATE' : ''}`,
    [tenantId, mailboxId],
  );
  return rows[0] ?? null;
}

export async function findReceipts(
  ex: Executor,
  tenantId: string,
  mailboxIds: string[],
): Promise<Map<string, ReceiptRow>> {
  if (mailboxIds.length === 0) return new Map();
  const { rows } = await ex.query<ReceiptRow>(
    `SELECT ${columns} FROM deletion_receipts WHERE tenant_id = $1 AND mailbox_id = ANY($2::uuid[])`,
    [tenantId, mailboxIds],
  );
  return new Map(rows.map((r) => [r.mailbox_id, r]));
}

export async function recordShredded(
  ex: Executor,
  tenantId: string,
  mailboxId: string,
  o: { push: PushStop; pushError: string | null; grant: GrantRevoke; grantError: string | null },
): Promise<void> {
  await ex.query(
    `UPDATE deletion_receipts SET push_stop = $3, push_error_class = $4, grant_revoke = $5, grant_error_class = $6, key_destroyed_at = coalesce(key_destroyed_at, now())
      WHERE tenant_id = $1 AND mailbox_id = $2`,
    [tenantId, mailboxId, o.push, o.pushError, o.grant, o.grantError],
  );
}

/** Adds one batch's counts, in the transaction that deleted those rows (so counts never double). */
export async function addPurged(
  ex: Executor,
  tenantId: string,
  mailboxId: string,
  counts: PurgeCounts,
): Promise<void> {
  const nonZero = Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0));
  await ex.query(
    `UPDATE deletion_receipts SET purge_started_at = coalesce(purge_started_at, now()),
            rows_purged = (SELECT coalesce(jsonb_object_agg(k, v), '{}'::jsonb) FROM (
              SELECT k, sum(v::bigint) AS v FROM (
                SELECT key AS k, value::text AS v FROM jsonb_each(rows_purged)
                UNION ALL SELECT key, value::text FROM jsonb_each($3::jsonb)) x GROUP BY k) y)
      WHERE tenant_id = $1 AND mailbox_id = $2`,
    [tenantId, mailboxId, JSON.stringify(nonZero)],
  );
}

/**
 * Marks the purge complete; null when another run already did. Two purge runs of one deletion can
 * overlap (a delay of 0 queues the watchdog run and the deadline run at once): the second UPDATE
 * waits for the first's row lock, then sees completed_at set and matches nothing, so exactly one run
 * writes the completion (and its audit record).
 */
export async function markCompleted(
  ex: Executor,
  tenantId: string,
  mailboxId: string,
): Promise<ReceiptRow | null> {
  const { rows } = await ex.query<ReceiptRow>(
    `UPDATE deletion_receipts SET completed_at = now(), purge_started_at = coalesce(purge_started_at, now())
      WHERE tenant_id = $1 AND mailbox_id = $2 AND completed_at IS NULL RETURNING ${columns}`,
    [tenantId, mailboxId],
  );
  return rows[0] ?? null;
}
