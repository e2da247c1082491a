// The one owner of mailbox status. Each transition is one function that changes the status and
// records what the helpdesk must hear about it (an event) in the same statement batch, on the
// caller's transaction, so no path can do one without the other:
//
//   (insert) ─► active ─► reauth_required ─► active          requireReauth / reactivate
//                 │            │
//                 └────────────┴─► disconnecting ─► disconnected   startDisconnecting / tombstone
//
// Status is written nowhere else (the purge sweep's own tombstones come through here too).
// Alongside status, send_granted (recordSendGrant): whether the live grant may send replies.
import type { ProviderErrorKind } from '../providers/provider-errors.js';
import type { Executor } from '../store/db.js';
import { insertEvent } from '../store/event-store.js';

/**
 * active → reauth_required, once, with a `mailbox.reauth_required` event: the provider refused the
 * stored grant or password, and only the tenant can fix that. True when this call made the change
 * (a second failure of the same mailbox emits nothing).
 */
export async function requireReauth(
  ex: Executor,
  tenantId: string,
  mailboxId: string,
): Promise<boolean> {
  const { rows } = await ex.query<{ provider: string }>(
    `UPDATE mailboxes SET status = 'reauth_required', last_error_class = 'auth_revoked', last_error_at = now(), updated_at = now()
      WHERE tenant_id = $1 AND id = $2 AND status = 'active' RETURNING provider`,
    [tenantId, mailboxId],
  );
  if (!rows[0]) return false;
  await insertEvent(ex, tenantId, 'mailbox.reauth_required', mailboxId, {
    provider: rows[0].provider,
  });
  return true;
}

/**
 * New settings or a new grant for a live mailbox (re-consent, changed IMAP password): sealed
 * settings replaced, status active, the last error cleared. Sync resumes from the stored cursor.
 */
export async function reactivate(
  ex: Executor,
  tenantId: string,
  mailboxId: string,
  credentialsCt: Buffer,
): Promise<void> {
  await ex.query(
    `UPDATE mailboxes SET credentials_ct = $3, status = 'active', last_error_class = NULL, last_error_at = NULL, updated_at = now()
      WHERE tenant_id = $1 AND id = $2 AND status NOT IN ('disconnecting', 'disconnected')`,
    [tenantId, mailboxId, credentialsCt],
  );
  // Consent and IMAP settings are only accepted when they can send, so a new grant restores it.
  await recordSendGrant(ex, tenantId, mailboxId, true);
}

/**
 * What the provider's latest token response said about sending: when it differs from the row,
 * send_granted changes with a `mailbox.send_grant_changed` event. True when this call changed it
 * (every refresh reports, so an unchanged grant writes nothing).
 */
export async function recordSendGrant(
  ex: Executor,
  tenantId: string,
  mailboxId: string,
  granted: boolean,
): Promise<boolean> {
  const { rows } = await ex.query<{ provider: string }>(
    `UPDATE mailboxes SET send_granted = $3, updated_at = now()
      WHERE tenant_id = $1 AND id = $2 AND send_granted <> $3 AND status NOT IN ('disconnecting', 'disconnected')
      RETURNING provider`,
    [tenantId, mailboxId, granted],
  );
  if (!rows[0]) return false;
  await insertEvent(ex, tenantId, 'mailbox.send_grant_changed', mailboxId, {
    provider: rows[0].provider,
    send_granted: granted,
  });
  return true;
}

/** Records the class of a sync failure (never its text); auth_revoked also requires re-authentication. */
export async function recordSyncFailure(
  ex: Executor,
  tenantId: string,
  mailboxId: string,
  kind: ProviderErrorKind,
): Promise<void> {
  if (kind === 'auth_revoked' && (await requireReauth(ex, tenantId, mailboxId))) return;
  await ex.query(
    'UPDATE mailboxes SET last_error_class = $3, last_error_at = now(), updated_at = now() WHERE tenant_id = $1 AND id = $2',
    [tenantId, mailboxId, kind],
  );
}

/** Any live status → disconnecting: sync, IDLE and sends stop at once (disconnect step 1). */
export async function startDisconnecting(
  ex: Executor,
  tenantId: string,
  mailboxId: string,
): Promise<void> {
  await ex.query(
    `UPDATE mailboxes SET status = 'disconnecting', updated_at = now() WHERE tenant_id = $1 AND id = $2`,
    [tenantId, mailboxId],
  );
}

/** → disconnected, leaving a tombstone: nothing that names or opens the mailbox stays on the row. */
export async function tombstone(ex: Executor, tenantId: string, mailboxId: string): Promise<void> {
  await ex.query(
    `UPDATE mailboxes SET status = 'disconnected', disconnected_at = coalesce(disconnected_at, now()), updated_at = now(),
            address_ct = NULL, address_bidx = NULL, display_name_ct = NULL, credentials_ct = NULL, cursor = NULL,
            push_channel = NULL, push_expires_at = NULL
      WHERE tenant_id = $1 AND id = $2`,
    [tenantId, mailboxId],
  );
}
