// Tenant offboarding (GDPR Art. 28(3)(g): delete all personal data at the end of the service).
// DELETE /v1/tenants/{id} (operator key), in two parts:
//   1. at once: the tenant is marked deleted, every API key revoked, every mailbox disconnected the
//      way DELETE /v1/mailboxes does it (push stopped, grant revoked, data key destroyed, receipt),
//      the tenant's own keys (blind index, signing, tenant-wide) destroyed — nothing is readable now;
//   2. the `tenant.offboard` job: each mailbox purged, then every remaining row of the tenant in every
//      table with a tenant_id column (read from the catalog), in bounded batches, plus its queued jobs.
// Kept: the tenant row as a tombstone (name '(offboarded)', deleted_at), its audit log, its mailbox
// deletion receipts and its privacy receipts, the final one holding the counts.
import { randomUUID } from 'node:crypto';

import { AppError, notFound } from '../errors.js';
import { addJob } from '../jobs/registry.js';
import { beginDisconnect, type DisconnectDeps, finishDisconnect } from '../mailboxes/disconnect.js';
import { purgeMailbox } from '../mailboxes/purge.js';
import type { Executor } from '../store/db.js';
import { lockMailbox } from '../store/mailbox-store.js';
import { insertPrivacyReceipt, type PrivacyReceiptRow } from '../store/subject-request-store.js';
import { audit } from '../tenancy/audit.js';
import { deletionWindows, type EpochSettings } from '../tenancy/key-epochs.js';

export type OffboardDeps = DisconnectDeps & { epochs: EpochSettings };

/** Rows that outlive the tenant: the record of what happened to it. */
export const keptTables = ['tenants', 'audit_log', 'deletion_receipts', 'privacy_receipts'];
// Children before parents, so every count is exact; the catalog adds whatever else has a tenant_id.
const order = [
  'message_raw_chunks',
  'attachments',
  'message_deliveries',
  'outbox',
  'messages',
  'ticket_participants',
  'tickets',
  'ingest_failures',
  'data_keys',
];

const openReceipt = async (ex: Executor, tenantId: string) =>
  (
    await ex.query<PrivacyReceiptRow>(
      `SELECT * FROM privacy_receipts WHERE tenant_id = $1 AND kind = 'tenant_offboarding' ORDER BY started_at LIMIT 1`,
      [tenantId],
    )
  ).rows[0] ?? null;

export async function beginOffboarding(
  deps: OffboardDeps,
  tenantId: string,
  by: { requestId: string | null; clientIp: string | null },
): Promise<PrivacyReceiptRow> {
  const { db } = deps;
  const actor = {
    tenantId,
    name: 'operator',
    scopes: new Set<never>(),
    requestId: by.requestId,
    clientIp: by.clientIp,
  };
  const receipt = await db.tx(async (ex) => {
    const { rows } = await ex.query<{ deleted_at: Date | null }>(
      'SELECT deleted_at FROM tenants WHERE id = $1 FOR UPDATE',
      [tenantId],
    );
    if (!rows[0]) throw notFound('tenant');
    if (rows[0].deleted_at) return (await openReceipt(ex, tenantId))!;
    await ex.query('UPDATE tenants SET deleted_at = now() WHERE id = $1', [tenantId]);
    const keys = await ex.query(
      'UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE tenant_id = $1',
      [tenantId],
    );
    const r = await insertPrivacyReceipt(ex, {
      id: randomUUID(),
      tenantId,
      kind: 'tenant_offboarding',
      requestedBy: 'operator',
      counts: {},
      detail: { api_keys_revoked: keys.rowCount ?? 0, ...deletionWindows(deps.epochs) },
      completed: false,
    });
    await audit(ex, actor, 'tenant.offboard', 'tenant', tenantId, { receipt: r.id });
    await addJob(
      ex,
      'tenant.offboard',
      { tenantId },
      { key: `offboard:${tenantId}`, maxAttempts: 25, runAt: new Date(Date.now() + 60_000) },
    );
    return r;
  });
  // Every mailbox disconnected now, its purge due at once (the job below does it).
  const purgeNow = { ...deps, purgeDelayMs: 0 };
  const mailboxes = await db.tx(
    async (ex) =>
      (
        await ex.query<{ id: string }>(
          `SELECT id FROM mailboxes WHERE tenant_id = $1 AND status <> 'disconnected'`,
          [tenantId],
        )
      ).rows,
  );
  for (const { id } of mailboxes) {
    const began = await db.tenantTx(tenantId, async (ex) => {
      const row = await lockMailbox(ex, tenantId, id);
      if (row) await beginDisconnect(purgeNow, ex, actor, row);
      return row !== null;
    });
    if (began) await finishDisconnect(purgeNow, tenantId, id);
  }
  await db.tx(async (ex) => {
    await ex.query(
      `UPDATE data_keys SET wrapped = NULL, kek_id = NULL, destroyed_at = now() WHERE tenant_id = $1 AND wrapped IS NOT NULL`,
      [tenantId],
    );
    await ex.query(
      `UPDATE deletion_receipts SET purge_after = least(purge_after, now()) WHERE tenant_id = $1`,
      [tenantId],
    );
  });
  deps.keys.clearCache();
  return receipt;
}

/** The `tenant.offboard` job: bounded, resumable; counts added to the receipt as batches commit. */
export async function finishOffboarding(
  deps: OffboardDeps,
  tenantId: string,
  opts: { batchSize?: number } = {},
): Promise<PrivacyReceiptRow> {
  const { db } = deps;
  const receipt = await db.tx((ex) => openReceipt(ex, tenantId));
  if (!receipt) throw new AppError('not_found', 'This tenant is not being offboarded.');
  if (receipt.completed_at) return receipt;
  const mailboxes = await db.tx(
    async (ex) =>
      (
        await ex.query<{ mailbox_id: string }>(
          'SELECT mailbox_id FROM deletion_receipts WHERE tenant_id = $1 AND completed_at IS NULL',
          [tenantId],
        )
      ).rows,
  );
  for (const m of mailboxes) await purgeMailbox(deps, { tenantId, mailboxId: m.mailbox_id });

  const { rows: cat } = await db.tx((ex) =>
    ex.query<{ table: string }>(
      `SELECT c.relname AS table FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND a.attname = 'tenant_id' AND NOT a.attisdropped`,
    ),
  );
  const tables = [
    ...order,
    ...cat
      .map((c) => c.table)
      .filter((t) => !order.includes(t) && t !== 'mailboxes' && !keptTables.includes(t))
      .sort(),
    'mailboxes',
  ].filter((t) => cat.some((c) => c.table === t));
  const limit = opts.batchSize ?? 1000;
  for (const table of tables) {
    if (!/^[a-z_][a-z0-9_]*$/.test(table)) throw new Error(`unexpected table name ${table}`);
    for (;;) {
      const n = await db.tx(async (ex) => {
        const { rowCount } = await ex.query(
          `DELETE FROM "${table}" WHERE ctid = ANY(ARRAY(SELECT ctid FROM "${table}" WHERE tenant_id = $1 LIMIT $2))`,
          [tenantId, limit],
        );
        if (rowCount) await addCounts(ex, tenantId, receipt.id, { [table]: rowCount });
        return rowCount ?? 0;
      });
      if (n === 0) break;
    }
  }
  return db.tx(async (ex) => {
    const jobs = await ex.query(
      `DELETE FROM graphile_worker._private_jobs WHERE locked_at IS NULL AND payload ->> 'tenantId' = $1`,
      [tenantId],
    );
    await addCounts(ex, tenantId, receipt.id, { 'graphile_worker.jobs': jobs.rowCount ?? 0 });
    await ex.query(`UPDATE tenants SET name = '(offboarded)' WHERE id = $1`, [tenantId]);
    const { rows } = await ex.query<PrivacyReceiptRow>(
      'UPDATE privacy_receipts SET completed_at = now() WHERE tenant_id = $1 AND id = $2 RETURNING *',
      [tenantId, receipt.id],
    );
    return rows[0]!;
  });
}

async function addCounts(
  ex: Executor,
  tenantId: string,
  id: string,
  counts: Record<string, number>,
): Promise<void> {
  await ex.query(
    `UPDATE privacy_receipts SET counts = (SELECT coalesce(jsonb_object_agg(k, v), '{}'::jsonb) FROM (
        SELECT k, sum(v::bigint) AS v FROM (SELECT key AS k, value::text AS v FROM jsonb_each(counts) UNION ALL SELECT key, value::text FROM jsonb_each($3::jsonb)) x GROUP BY k) y)
      WHERE tenant_id = $1 AND id = $2`,
    [tenantId, id, JSON.stringify(counts)],
  );
}
