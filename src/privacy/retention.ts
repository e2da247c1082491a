// Retention policies (DESIGN promise 7): per tenant, "delete tickets N days after their last
// activity" and/or "delete solved/closed tickets N days after they were last updated"; a policy for a
// mailbox replaces the tenant's for that mailbox's tickets. The dry run counts what the real run
// deletes at the same instant (one selection for both). The nightly `retention.sweep` job deletes in
// bounded batches (each its own transaction) and writes one receipt per tenant (counts, no content).
import { randomUUID } from 'node:crypto';

import { parseCronItems, type ParsedCronItem } from 'graphile-worker';

import type { Db, Executor } from '../store/db.js';
import { deleteTicketsCounted, type PurgeCounts } from '../store/purge-store.js';
import {
  expireExports,
  insertPrivacyReceipt,
  type PrivacyReceiptRow,
} from '../store/subject-request-store.js';
import type { Actor } from '../tenancy/actor.js';
import { audit } from '../tenancy/audit.js';
import { deletionWindows, type EpochSettings } from '../tenancy/key-epochs.js';

export interface RetentionPolicy {
  mailbox_id: string | null;
  inactive_days: number | null;
  closed_days: number | null;
  updated_at: string;
}

// Tickets due at $2 under the effective policy (the mailbox's own row if any, else the tenant's).
const dueTickets = `
  SELECT t.id FROM tickets t
    LEFT JOIN retention_policies pm ON pm.tenant_id = t.tenant_id AND pm.mailbox_id = t.mailbox_id
    LEFT JOIN retention_policies pt ON pt.tenant_id = t.tenant_id AND pt.mailbox_id IS NULL
   WHERE t.tenant_id = $1 AND (pm.id IS NOT NULL OR pt.id IS NOT NULL) AND (
         t.last_activity_at < $2::timestamptz - make_interval(days => CASE WHEN pm.id IS NOT NULL THEN pm.inactive_days ELSE pt.inactive_days END)
      OR (t.status IN ('solved', 'closed') AND t.updated_at < $2::timestamptz - make_interval(days => CASE WHEN pm.id IS NOT NULL THEN pm.closed_days ELSE pt.closed_days END)))`;

export const retentionTables = [
  'tickets',
  'messages',
  'attachments',
  'message_raw_chunks',
  'message_deliveries',
  'outbox',
  'ticket_participants',
] as const;

export async function listPolicies(ex: Executor, tenantId: string): Promise<RetentionPolicy[]> {
  const { rows } = await ex.query<{
    mailbox_id: string | null;
    inactive_days: number | null;
    closed_days: number | null;
    updated_at: Date;
  }>(
    'SELECT mailbox_id, inactive_days, closed_days, updated_at FROM retention_policies WHERE tenant_id = $1 ORDER BY mailbox_id NULLS FIRST',
    [tenantId],
  );
  return rows.map((r) => ({ ...r, updated_at: r.updated_at.toISOString() }));
}

/** Sets (or with both rules null, removes) the tenant's policy or a mailbox's override. */
export async function setPolicy(
  ex: Executor,
  actor: Actor,
  p: { mailboxId: string | null; inactiveDays: number | null; closedDays: number | null },
): Promise<RetentionPolicy[]> {
  await ex.query(
    `DELETE FROM retention_policies WHERE tenant_id = $1 AND mailbox_id IS NOT DISTINCT FROM $2::uuid`,
    [actor.tenantId, p.mailboxId],
  );
  if (p.inactiveDays !== null || p.closedDays !== null) {
    await ex.query(
      'INSERT INTO retention_policies (id, tenant_id, mailbox_id, inactive_days, closed_days) VALUES ($1, $2, $3, $4, $5)',
      [randomUUID(), actor.tenantId, p.mailboxId, p.inactiveDays, p.closedDays],
    );
  }
  await audit(ex, actor, 'retention.update', 'retention_policy', p.mailboxId, {
    inactive_days: p.inactiveDays,
    closed_days: p.closedDays,
  });
  return listPolicies(ex, actor.tenantId);
}

/** What a run at `now` deletes, per table. */
export async function planRetention(
  ex: Executor,
  tenantId: string,
  now: Date,
): Promise<PurgeCounts> {
  const { rows } = await ex.query<Record<string, string>>(
    `WITH due AS (${dueTickets}), msg AS (SELECT m.id FROM messages m JOIN due ON due.id = m.ticket_id WHERE m.tenant_id = $1)
     SELECT (SELECT count(*) FROM due) AS tickets, (SELECT count(*) FROM msg) AS messages,
            (SELECT count(*) FROM attachments a WHERE a.tenant_id = $1 AND a.message_id IN (SELECT id FROM msg)) AS attachments,
            (SELECT count(*) FROM message_raw_chunks c WHERE c.tenant_id = $1 AND c.message_id IN (SELECT id FROM msg)) AS message_raw_chunks,
            (SELECT count(*) FROM message_deliveries d WHERE d.tenant_id = $1 AND d.message_id IN (SELECT id FROM msg)) AS message_deliveries,
            (SELECT count(*) FROM outbox o WHERE o.tenant_id = $1 AND o.ticket_id IN (SELECT id FROM due)) AS outbox,
            (SELECT count(*) FROM ticket_participants p WHERE p.tenant_id = $1 AND p.ticket_id IN (SELECT id FROM due)) AS ticket_participants`,
    [tenantId, now],
  );
  return Object.fromEntries(retentionTables.map((t) => [t, Number(rows[0]![t])]));
}

/** Deletes what is due at `now`, `batchSize` tickets per transaction, and writes the receipt. */
export async function runRetention(
  deps: { db: Db; epochs: EpochSettings },
  tenantId: string,
  opts: { now?: Date; batchSize?: number; requestedBy?: string } = {},
): Promise<PrivacyReceiptRow> {
  const now = opts.now ?? new Date();
  const counts: PurgeCounts = Object.fromEntries(retentionTables.map((t) => [t, 0]));
  let batches = 0;
  for (;;) {
    const n = await deps.db.tenantTx(tenantId, async (ex) => {
      const { rows } = await ex.query<{ id: string }>(`${dueTickets} ORDER BY t.id LIMIT $3`, [
        tenantId,
        now,
        opts.batchSize ?? 200,
      ]);
      if (rows.length === 0) return 0;
      for (const [k, v] of Object.entries(
        await deleteTicketsCounted(
          ex,
          tenantId,
          rows.map((r) => r.id),
        ),
      ))
        counts[k] = (counts[k] ?? 0) + v;
      return rows.length;
    });
    if (n === 0) break;
    batches++;
  }
  return deps.db.tenantTx(tenantId, async (ex) => {
    const receipt = await insertPrivacyReceipt(ex, {
      id: randomUUID(),
      tenantId,
      kind: 'retention',
      requestedBy: opts.requestedBy ?? 'system:retention',
      counts,
      detail: {
        as_of: now.toISOString(),
        batches,
        policies: await listPolicies(ex, tenantId),
        ...deletionWindows(deps.epochs),
      },
      completed: true,
    });
    await audit(
      ex,
      {
        tenantId,
        name: opts.requestedBy ?? 'system:retention',
        scopes: new Set(),
        requestId: null,
        clientIp: null,
      },
      'retention.run',
      'privacy_receipt',
      receipt.id,
      { tickets: counts.tickets ?? 0, messages: counts.messages ?? 0 },
    );
    return receipt;
  });
}

/** The nightly job: every tenant with a policy, then exports nobody downloaded in time. */
export async function sweepRetention(deps: { db: Db; epochs: EpochSettings }): Promise<number> {
  const tenants = await deps.db.tx(
    async (ex) =>
      (
        await ex.query<{ tenant_id: string }>(
          'SELECT DISTINCT p.tenant_id FROM retention_policies p JOIN tenants t ON t.id = p.tenant_id WHERE t.deleted_at IS NULL',
        )
      ).rows,
  );
  for (const t of tenants) await runRetention(deps, t.tenant_id);
  await deps.db.tx((ex) => expireExports(ex));
  return tenants.length;
}

export function retentionCronItems(): ParsedCronItem[] {
  return parseCronItems([
    {
      task: 'retention.sweep',
      match: '37 2 * * *',
      identifier: 'retention-sweep',
      options: {
        backfillPeriod: 0,
        maxAttempts: 3,
        jobKey: 'retention-sweep',
        jobKeyMode: 'replace',
      },
    },
  ]);
}
