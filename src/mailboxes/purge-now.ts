// Operator "purge now" (`inlet mailboxes purge MAILBOX_ID`): a disconnected mailbox's rows are
// deleted at once instead of at the end of MAILBOX_PURGE_DELAY_HOURS — e.g. when a customer asks
// for immediate deletion. The receipt's purge_after is brought forward (so the hourly sweep and any
// queued purge job agree), an audit record names the operator, and the purge runs in this process.
import { AppError } from '../errors.js';
import { insertAudit } from '../store/audit-store.js';
import type { AuditAction } from '../tenancy/audit.js';
import type { DisconnectDeps } from './disconnect.js';
import { purgeMailbox, type PurgeOutcome } from './purge.js';

export async function purgeNow(
  deps: DisconnectDeps,
  mailboxId: string,
  actor = 'operator',
): Promise<PurgeOutcome> {
  const tenantId = await deps.db.tx(async (ex) => {
    // Operator scope: the mailbox id alone names it; the receipt says which tenant it belongs to.
    const { rows } = await ex.query<{ tenant_id: string; completed: boolean }>(
      `UPDATE deletion_receipts SET purge_after = least(purge_after, now()) WHERE mailbox_id = $1 RETURNING tenant_id, completed_at IS NOT NULL AS completed`,
      [mailboxId],
    );
    const r = rows[0];
    if (!r)
      throw new AppError('not_found', 'No disconnected mailbox has this id (disconnect it first).');
    if (!r.completed) {
      await insertAudit(ex, {
        tenantId: r.tenant_id,
        actor,
        action: 'mailbox.purge_now' satisfies AuditAction,
        resourceType: 'mailbox',
        resourceId: mailboxId,
        requestId: null,
        clientIp: null,
        detail: {},
      });
    }
    return r.tenant_id;
  });
  return purgeMailbox(deps, { tenantId, mailboxId });
}
