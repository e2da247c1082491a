// SQL for mailbox sync state and IDLE leases. Callers own the transaction (store/db.ts): sync state
// is written in tenant transactions; leases and the cross-tenant mailbox listing run as the owner.
import type { ProviderErrorKind } from '../providers/provider-errors.js';
import type { ProviderKind } from '../providers/provider-kind.js';
import { dataKeyColumns, type DataKeyRow } from '../store/data-key-store.js';
import { type Executor, sqlUuid } from '../store/db.js';
import { mailboxColumns, type MailboxRow, type MailboxStatus } from '../store/mailbox-store.js';

export interface SyncStateRow {
  provider: ProviderKind;
  status: MailboxStatus;
  cursor: unknown;
  backfill_days: number | null;
  backfill_max_messages: number | null;
  progress_done: number | null;
  progress_total: number | null;
}

export async function readSyncState(
  ex: Executor,
  tenantId: string,
  mailboxId: string,
): Promise<SyncStateRow | null> {
  const { rows } = await ex.query<SyncStateRow>(
    `SELECT provider, status, cursor, backfill_days, backfill_max_messages, progress_done, progress_total
       FROM mailboxes WHERE tenant_id = $1 AND id = $2`,
    [tenantId, mailboxId],
  );
  return rows[0] ?? null;
}

/** What a sync opens with: its state, the mailbox row the provider is opened from, its data key row. */
export interface SyncOpening {
  state: SyncStateRow;
  mailbox: MailboxRow;
  key: DataKeyRow | null;
}

const keyColumns = dataKeyColumns.split(', ');

/**
 * The sync's opening read as one statement (was three; a push-triggered sync stores one or two
 * messages, so its fixed round trips are most of its time on a busy machine). The ids are inlined
 * as validated UUIDs so it can ride in the same round trip as BEGIN (db.tenantTxOpening), whose
 * transaction then takes the audit record of the credentials decrypt (issue #19, control 5).
 */
export function syncOpeningSql(tenantId: string, mailboxId: string): string {
  return `SELECT ${mailboxColumns
    .split(', ')
    .map((c) => `m.${c}`)
    .join(', ')},
            m.cursor, m.backfill_days, m.backfill_max_messages, m.progress_done, m.progress_total,
            ${keyColumns.map((c) => `k.${c} AS key_${c}`).join(', ')}
       FROM mailboxes m
       LEFT JOIN data_keys k ON k.tenant_id = m.tenant_id AND k.mailbox_id = m.id AND k.purpose = 'mailbox'
      WHERE m.tenant_id = ${sqlUuid(tenantId)} AND m.id = ${sqlUuid(mailboxId)}`;
}

/** The opening read's row split into its parts; null when the mailbox is not there. */
export function syncOpeningFrom(rows: Record<string, unknown>[]): SyncOpening | null {
  const r = rows[0];
  if (!r) return null;
  const key =
    r.key_id === null
      ? null
      : (Object.fromEntries(keyColumns.map((c) => [c, r[`key_${c}`]])) as unknown as DataKeyRow);
  const row = r as unknown as MailboxRow & SyncStateRow;
  return { state: row, mailbox: row, key };
}

export async function setBackfillLimits(
  ex: Executor,
  tenantId: string,
  mailboxId: string,
  days: number | null,
  maxMessages: number | null,
): Promise<void> {
  await ex.query(
    'UPDATE mailboxes SET backfill_days = $3, backfill_max_messages = $4 WHERE tenant_id = $1 AND id = $2',
    [tenantId, mailboxId, days, maxMessages],
  );
}

export async function setProgress(
  ex: Executor,
  tenantId: string,
  mailboxId: string,
  done: number,
  total: number | null,
): Promise<void> {
  await ex.query(
    'UPDATE mailboxes SET progress_done = $3, progress_total = $4 WHERE tenant_id = $1 AND id = $2',
    [tenantId, mailboxId, done, total],
  );
}

export interface SyncStep {
  /** The provider cursor covering everything stored so far. */
  cursor: unknown;
  /** Backfill progress after this step, when the listing reports it. */
  progress?: { done: number; total: number | null } | undefined;
  /** The sync ends with this step: last-sync time, lag (when known) and a finished progress. */
  finished?: { lagMs: number | null } | undefined;
}

/**
 * One listing page's bookkeeping in one statement: the cursor, the progress and, at the end of a
 * sync, its time and lag. Runs in the transaction that stores the page's last messages when there
 * is one (ingest/pipeline.ts PageTail), so a push-triggered sync commits once, not three times.
 */
export async function advanceSync(
  ex: Executor,
  tenantId: string,
  mailboxId: string,
  step: SyncStep,
): Promise<void> {
  const params: unknown[] = [tenantId, mailboxId, JSON.stringify(step.cursor)];
  const sets = ['cursor = $3', 'updated_at = now()'];
  const p = step.progress;
  if (p) {
    // A finished sync shows its progress complete: done = total when the total is known, else done.
    const done = step.finished ? (p.total ?? p.done) : p.done;
    const total = step.finished ? (p.total ?? p.done) : p.total;
    sets.push(`progress_done = $${params.push(done)}`, `progress_total = $${params.push(total)}`);
  } else if (step.finished)
    sets.push(
      'progress_done = coalesce(progress_total, progress_done)',
      'progress_total = coalesce(progress_total, progress_done)',
    );
  if (step.finished)
    sets.push(
      'last_sync_at = now()',
      `lag_ms = coalesce($${params.push(step.finished.lagMs)}::bigint, lag_ms)`,
    );
  await ex.query(
    `UPDATE mailboxes SET ${sets.join(', ')} WHERE tenant_id = $1 AND id = $2`,
    params,
  );
}

export interface SyncView {
  progress: { done: number; total: number | null } | null;
  last_sync_at: string | null;
  lag_seconds: number | null;
  last_error_class: ProviderErrorKind | null;
  last_error_at: string | null;
}

interface SyncViewRow {
  id: string;
  progress_done: number | null;
  progress_total: number | null;
  last_sync_at: Date | null;
  lag_ms: string | null;
  last_error_class: ProviderErrorKind | null;
  last_error_at: Date | null;
}

/** Sync state of the given mailboxes, keyed by id (tenant transaction). */
export async function readSyncViews(
  ex: Executor,
  tenantId: string,
  ids: string[],
): Promise<Map<string, SyncView>> {
  const out = new Map<string, SyncView>();
  if (ids.length === 0) return out;
  const { rows } = await ex.query<SyncViewRow>(
    `SELECT id, progress_done, progress_total, last_sync_at, lag_ms, last_error_class, last_error_at
       FROM mailboxes WHERE tenant_id = $1 AND id = ANY($2::uuid[])`,
    [tenantId, ids],
  );
  for (const r of rows) {
    out.set(r.id, {
      progress:
        r.progress_done === null ? null : { done: r.progress_done, total: r.progress_total },
      last_sync_at: r.last_sync_at?.toISOString() ?? null,
      lag_seconds: r.lag_ms === null ? null : Math.round(Number(r.lag_ms) / 100) / 10,
      last_error_class: r.last_error_class,
      last_error_at: r.last_error_at?.toISOString() ?? null,
    });
  }
  return out;
}

// ---- owner-role queries (supervisor, poll) ----

export interface MailboxRef {
  tenant_id: string;
  mailbox_id: string;
}

export async function listActiveMailboxes(
  ex: Executor,
  provider: ProviderKind,
): Promise<MailboxRef[]> {
  const { rows } = await ex.query<MailboxRef>(
    `SELECT tenant_id, id AS mailbox_id FROM mailboxes WHERE provider = $1 AND status = 'active' ORDER BY created_at, id`,
    [provider],
  );
  return rows;
}

/** Extends every lease this holder still owns; returns them. A lease lost meanwhile is absent. */
export async function renewLeases(
  ex: Executor,
  holder: string,
  leaseMs: number,
): Promise<string[]> {
  const { rows } = await ex.query<{ mailbox_id: string }>(
    `UPDATE mailbox_leases l SET expires_at = now() + make_interval(secs => $2::double precision / 1000)
       FROM mailboxes m
      WHERE l.holder = $1 AND l.expires_at > now() AND m.tenant_id = l.tenant_id AND m.id = l.mailbox_id AND m.status = 'active'
      RETURNING l.mailbox_id`,
    [holder, leaseMs],
  );
  return rows.map((r) => r.mailbox_id);
}

/**
 * Takes up to `limit` leases of active mailboxes of these kinds that nobody holds or whose holder let
 * them expire. Atomic per row: of two workers racing for one mailbox, exactly one gets it.
 */
export async function acquireLeases(
  ex: Executor,
  holder: string,
  kinds: readonly ProviderKind[],
  leaseMs: number,
  limit: number,
): Promise<MailboxRef[]> {
  if (limit <= 0) return [];
  const { rows } = await ex.query<MailboxRef>(
    `INSERT INTO mailbox_leases AS l (tenant_id, mailbox_id, holder, expires_at)
     SELECT m.tenant_id, m.id, $1, now() + make_interval(secs => $3::double precision / 1000)
       FROM mailboxes m
       LEFT JOIN mailbox_leases x ON x.tenant_id = m.tenant_id AND x.mailbox_id = m.id
      WHERE m.provider = ANY($2::text[]) AND m.status = 'active' AND (x.mailbox_id IS NULL OR x.expires_at <= now())
      ORDER BY m.created_at, m.id
      LIMIT $4
     ON CONFLICT (tenant_id, mailbox_id) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at, acquired_at = now()
      WHERE l.expires_at <= now()
     RETURNING l.tenant_id, l.mailbox_id`,
    [holder, kinds, leaseMs, limit],
  );
  return rows;
}

/**
 * How many IDLE leases this holder should keep: the active mailboxes of `kinds` shared out over
 * the worker processes alive now (fresh heartbeats, counting this one even before its first
 * heartbeat). A worker that joins is counted at once, so the others hand it its share instead of
 * keeping every mailbox until one of them dies.
 */
export async function fairLeaseShare(
  ex: Executor,
  holder: string,
  kinds: readonly ProviderKind[],
  staleMs: number,
): Promise<number> {
  const { rows } = await ex.query<{ mailboxes: number; holders: number }>(
    `SELECT (SELECT count(*)::int FROM mailboxes WHERE provider = ANY($1::text[]) AND status = 'active') AS mailboxes,
            (SELECT count(DISTINCT holder)::int FROM (
               SELECT holder FROM worker_heartbeats WHERE seen_at > now() - make_interval(secs => $3::double precision / 1000)
               UNION SELECT $2) h) AS holders`,
    [kinds, holder, staleMs],
  );
  const r = rows[0]!;
  return Math.ceil(r.mailboxes / Math.max(1, r.holders));
}

export async function releaseLeases(
  ex: Executor,
  holder: string,
  mailboxIds?: string[],
): Promise<void> {
  if (mailboxIds)
    await ex.query(
      'DELETE FROM mailbox_leases WHERE holder = $1 AND mailbox_id = ANY($2::uuid[])',
      [holder, mailboxIds],
    );
  else await ex.query('DELETE FROM mailbox_leases WHERE holder = $1', [holder]);
}
