// SQL for the OAuth consent state and for Gmail mailboxes' grant and push channel. Callers own the
// transaction: tenant transactions for one tenant's rows, owner transactions for the cross-tenant
// jobs (watch renewal, catch-up poll) and for routing pushes to mailboxes.
import type { Executor } from '../store/db.js';

export interface OAuthStateRow {
  verifier_ct: Buffer;
  return_url: string;
  actor: string;
  provider: string;
}

export async function insertOAuthState(ex: Executor, s: { id: string; tenantId: string; provider: 'gmail'; verifierCt: Buffer; returnUrl: string; actor: string; expiresAt: Date }): Promise<void> {
  await ex.query(
    'INSERT INTO oauth_states (id, tenant_id, provider, verifier_ct, return_url, actor, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)',
    [s.id, s.tenantId, s.provider, s.verifierCt, s.returnUrl, s.actor, s.expiresAt],
  );
}

/**
 * Marks the state used and returns it — at most once, and only before it expires. `reason` tells a
 * second use from an expired or unknown state.
 */
export async function consumeOAuthState(ex: Executor, tenantId: string, id: string): Promise<{ row: OAuthStateRow } | { reason: 'state_used' | 'state_expired' | 'state_invalid'; row: OAuthStateRow | null }> {
  const { rows } = await ex.query<OAuthStateRow>(
    `UPDATE oauth_states SET used_at = now() WHERE tenant_id = $1 AND id = $2 AND used_at IS NULL AND expires_at > now()
     RETURNING verifier_ct, return_url, actor, provider`,
    [tenantId, id],
  );
  if (rows[0]) return { row: rows[0] };
  const seen = await ex.query<OAuthStateRow & { used: boolean }>(
    'SELECT verifier_ct, return_url, actor, provider, used_at IS NOT NULL AS used FROM oauth_states WHERE tenant_id = $1 AND id = $2',
    [tenantId, id],
  );
  const row = seen.rows[0];
  if (!row) return { reason: 'state_invalid', row: null };
  return { reason: row.used ? 'state_used' : 'state_expired', row };
}

export async function deleteExpiredOAuthStates(ex: Executor): Promise<number> {
  const { rowCount } = await ex.query(`DELETE FROM oauth_states WHERE expires_at < now() - interval '1 day'`);
  return rowCount ?? 0;
}

export interface AddressMatch {
  id: string;
  provider: string;
  status: string;
}

/** The tenant's live (not disconnected) mailbox with this address blind index, if any. */
export async function findLiveMailboxByAddress(ex: Executor, tenantId: string, addressBidx: Buffer): Promise<AddressMatch | null> {
  const { rows } = await ex.query<AddressMatch>(
    `SELECT id, provider, status FROM mailboxes WHERE tenant_id = $1 AND address_bidx = $2 AND status <> 'disconnected' FOR UPDATE`,
    [tenantId, addressBidx],
  );
  return rows[0] ?? null;
}

/** New grant for an existing mailbox: sync resumes from the stored cursor. */
export async function reauthorizeMailbox(ex: Executor, tenantId: string, id: string, credentialsCt: Buffer): Promise<void> {
  await ex.query(
    `UPDATE mailboxes SET credentials_ct = $3, status = 'active', last_error_class = NULL, last_error_at = NULL, updated_at = now()
      WHERE tenant_id = $1 AND id = $2`,
    [tenantId, id, credentialsCt],
  );
}

export async function setPushChannel(ex: Executor, tenantId: string, id: string, channel: unknown, expiresAt: Date | null): Promise<void> {
  await ex.query('UPDATE mailboxes SET push_channel = $3, push_expires_at = $4 WHERE tenant_id = $1 AND id = $2', [tenantId, id, channel === null ? null : JSON.stringify(channel), expiresAt]);
}

/** active → reauth_required, once; true when this call made the change (so the event is emitted once). */
export async function markReauthRequired(ex: Executor, tenantId: string, id: string): Promise<boolean> {
  const { rows } = await ex.query<{ id: string }>(
    `UPDATE mailboxes SET status = 'reauth_required', last_error_class = 'auth_revoked', last_error_at = now(), updated_at = now()
      WHERE tenant_id = $1 AND id = $2 AND status = 'active' RETURNING id`,
    [tenantId, id],
  );
  if (!rows[0]) return false;
  await ex.query(`INSERT INTO events (tenant_id, type, resource_id, data) VALUES ($1, 'mailbox.reauth_required', $2, $3)`, [tenantId, id, JSON.stringify({ provider: 'gmail' })]);
  return true;
}

// ---- owner-role queries ----

export interface GmailTarget {
  tenant_id: string;
  mailbox_id: string;
  status: string;
  cursor: { historyId?: unknown; backfill?: unknown } | null;
}

/** Tenants with at least one live Gmail mailbox (push routing computes one blind index per tenant). */
export async function tenantsWithGmail(ex: Executor): Promise<string[]> {
  const { rows } = await ex.query<{ tenant_id: string }>(`SELECT DISTINCT tenant_id FROM mailboxes WHERE provider = 'gmail' AND status <> 'disconnected'`);
  return rows.map((r) => r.tenant_id);
}

export async function gmailMailboxesByBidx(ex: Executor, pairs: { tenantId: string; bidx: Buffer }[]): Promise<GmailTarget[]> {
  if (pairs.length === 0) return [];
  const { rows } = await ex.query<GmailTarget>(
    `SELECT m.tenant_id, m.id AS mailbox_id, m.status, m.cursor
       FROM mailboxes m JOIN unnest($1::uuid[], $2::bytea[]) AS p(tenant_id, bidx) ON m.tenant_id = p.tenant_id AND m.address_bidx = p.bidx
      WHERE m.provider = 'gmail' AND m.status <> 'disconnected'`,
    [pairs.map((p) => p.tenantId), pairs.map((p) => p.bidx)],
  );
  return rows;
}

export async function activeGmailMailboxes(ex: Executor): Promise<{ tenant_id: string; mailbox_id: string; push_channel: unknown; push_expires_at: Date | null }[]> {
  const { rows } = await ex.query<{ tenant_id: string; mailbox_id: string; push_channel: unknown; push_expires_at: Date | null }>(
    `SELECT tenant_id, id AS mailbox_id, push_channel, push_expires_at FROM mailboxes WHERE provider = 'gmail' AND status = 'active' ORDER BY created_at, id`,
  );
  return rows;
}
