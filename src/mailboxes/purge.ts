// The `mailbox.purge` job: deletes every row of a disconnected mailbox once its deadline
// (MAILBOX_PURGE_DELAY_HOURS after the request) has come. The content is unreadable since the
// disconnect (its key is gone); this removes the rows themselves.
//
// Bounded and resumable: each batch deletes at most `batchSize` driving rows (messages with their
// raw chunks, attachments, deliveries and replies; then tickets; then every other table with a
// mailbox_id column, found in the catalog) and adds its counts to the receipt in the same short
// transaction. A purge killed at any point continues where the data stops when it runs again; the
// job's retries (or the next run) finish it. Runs as the owner role, always filtered by tenant.
//
// Kept: the mailbox row as a tombstone (status 'disconnected'; no ciphertext, address index,
// credentials, cursor or push channel — disconnect already cleared them), so GET /v1/mailboxes/{id}
// keeps answering 410 with the receipt and ids in events and audit records still name something; and
// the deletion receipt, which also goes to the audit log (action mailbox.purge) when the purge ends.
import { insertAudit } from '../store/audit-store.js';
import type { Executor } from '../store/db.js';
import * as del from '../store/deletion-store.js';
import { insertEvent } from '../store/event-store.js';
import * as purge from '../store/purge-store.js';
import type { AuditAction } from '../tenancy/audit.js';
import { rehomeSharedTickets } from '../tickets-api/ticket-header.js';
import { type DisconnectDeps, enqueuePurge, finishDisconnect } from './disconnect.js';

export interface PurgeOptions {
  /** Driving rows per batch transaction (default 200 messages / tickets / rows). */
  batchSize?: number;
  /** Stop after this many batches (tests use it to interrupt a purge half-way). */
  maxBatches?: number;
  signal?: AbortSignal;
}

export type PurgeOutcome =
  'completed' | 'already_completed' | 'scheduled' | 'interrupted' | 'no_receipt' | 'refused_active';

type Step = (
  ex: Executor,
  tenantId: string,
  mailboxId: string,
  limit: number,
) => Promise<purge.PurgeCounts>;

const total = (c: purge.PurgeCounts) => Object.values(c).reduce((a, b) => a + b, 0);

/**
 * When a deletion's rows go: the delay configured now (MAILBOX_PURGE_DELAY_HOURS, at most 30 days)
 * counted from the request, or the receipt's purge_after if that is earlier (set at the request,
 * or brought forward by an operator's `inlet mailboxes purge`). Lowering the delay brings pending
 * purges forward; raising it never postpones one past what the request was promised.
 */
export function purgeDue(
  receipt: { requested_at: Date; purge_after: Date },
  delayMs: number,
): Date {
  return new Date(
    Math.min(receipt.purge_after.getTime(), receipt.requested_at.getTime() + delayMs),
  );
}

export async function purgeMailbox(
  deps: DisconnectDeps,
  payload: { tenantId: string; mailboxId: string },
  opts: PurgeOptions = {},
): Promise<PurgeOutcome> {
  const { db } = deps;
  const { tenantId, mailboxId } = payload;
  const limit = opts.batchSize ?? 200;
  const log = deps.logger.child({ component: 'purge', mailbox: mailboxId });

  const state = await db.tx(async (ex) => {
    const receipt = await del.findReceipt(ex, tenantId, mailboxId);
    const { rows } = await ex.query<{ status: string }>(
      'SELECT status FROM mailboxes WHERE tenant_id = $1 AND id = $2',
      [tenantId, mailboxId],
    );
    return { receipt, status: rows[0]?.status ?? null };
  });
  if (!state.receipt) return 'no_receipt';
  if (state.receipt.completed_at) return 'already_completed';
  // Never purge a mailbox that is in use (a receipt without a disconnect cannot happen; refuse anyway).
  if (
    state.status !== null &&
    state.status !== 'disconnecting' &&
    state.status !== 'disconnected'
  ) {
    log.error({ status: state.status }, 'purge refused: the mailbox is not disconnected');
    return 'refused_active';
  }
  // The request that began the disconnect died before destroying the key: finish it now.
  if (state.status === 'disconnecting') await finishDisconnect(deps, tenantId, mailboxId);
  const due = purgeDue(state.receipt, deps.purgeDelayMs);
  if (due.getTime() > Date.now()) {
    await db.tenantTx(tenantId, (ex) => enqueuePurge(ex, tenantId, mailboxId, due));
    return 'scheduled';
  }

  // Disconnects from before tickets were moved at shred time: move them now, before anything goes.
  await db.tx(async (ex) =>
    del.addPurged(
      ex,
      tenantId,
      mailboxId,
      await purge.purgeMailboxMessagesIn(
        ex,
        tenantId,
        mailboxId,
        await rehomeSharedTickets(ex, deps.keys, tenantId, mailboxId),
      ),
    ),
  );
  const tables = await db.tx((ex) => purge.tablesWithMailboxId(ex));
  const steps: Step[] = [
    purge.purgeMailboxMessages,
    purge.purgeTicketMessages,
    purge.purgeTickets,
    // Then whatever else names the mailbox (deliveries of parked mail, ingest failures, leases, the
    // destroyed key row, any table added later).
    ...tables.map(
      (t): Step =>
        (ex, ten, mb, n) =>
          purge.purgeTableRows(ex, t, ten, mb, n),
    ),
  ];
  let batches = 0;
  for (const step of steps) {
    for (;;) {
      if (opts.signal?.aborted)
        throw new Error('purge interrupted by shutdown; it resumes on retry');
      if (opts.maxBatches !== undefined && batches >= opts.maxBatches) return 'interrupted';
      const counts = await db.tx(async (ex) => {
        const c = await step(ex, tenantId, mailboxId, limit);
        if (total(c) > 0) await del.addPurged(ex, tenantId, mailboxId, c);
        return c;
      });
      batches++;
      if (total(counts) === 0) break;
    }
  }

  const receipt = await db.tx(async (ex) => {
    await del.addPurged(ex, tenantId, mailboxId, await purge.purgeQueuedJobs(ex, mailboxId));
    const done = await del.markCompleted(ex, tenantId, mailboxId);
    // Another run of this deletion completed it first (and wrote the audit record).
    if (!done) return null;
    const counts = Object.fromEntries(
      Object.entries(done.rows_purged).map(([k, v]) => [`rows_${k}`, Number(v)]),
    );
    await insertAudit(ex, {
      tenantId,
      actor: 'system:mailbox.purge',
      action: 'mailbox.purge' satisfies AuditAction,
      resourceType: 'mailbox',
      resourceId: mailboxId,
      requestId: null,
      clientIp: null,
      detail: {
        provider: done.provider,
        requested_by: done.requested_by,
        requested_at: done.requested_at.toISOString(),
        push_stop: done.push_stop,
        grant_revoke: done.grant_revoke,
        key_destroyed_at: done.key_destroyed_at?.toISOString() ?? null,
        completed_at: done.completed_at!.toISOString(),
        ...counts,
      },
    });
    await insertEvent(ex, tenantId, 'mailbox.purged', mailboxId);
    return done;
  });
  if (!receipt) return 'already_completed';
  log.info({ rows: total(receipt.rows_purged), batches }, 'mailbox purged');
  return 'completed';
}
