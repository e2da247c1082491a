// SQL for the OAuth consent state (any provider with a consent flow). Callers own the transaction:
// tenant transactions for one tenant's states, an owner transaction for the daily sweep.
import type { ProviderKind } from '../providers/provider-kind.js';
import type { Executor } from '../store/db.js';

export interface OAuthStateRow {
  verifier_ct: Buffer;
  return_url: string;
  actor: string;
  provider: string;
  /** SHA-256 of the nonce cookie of the browser that opened the consent URL; null before. */
  browser_hash: Buffer | null;
}

const columns = 'verifier_ct, return_url, actor, provider, browser_hash';

export async function insertOAuthState(
  ex: Executor,
  s: {
    id: string;
    tenantId: string;
    provider: ProviderKind;
    verifierCt: Buffer;
    returnUrl: string;
    actor: string;
    expiresAt: Date;
  },
): Promise<void> {
  await ex.query(
    'INSERT INTO oauth_states (id, tenant_id, provider, verifier_ct, return_url, actor, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)',
    [s.id, s.tenantId, s.provider, s.verifierCt, s.returnUrl, s.actor, s.expiresAt],
  );
}

/**
 * Marks the state used and returns it — at most once, and only before it expires. `reason` tells a
 * second use from an expired or unknown state.
 */
export async function consumeOAuthState(
  ex: Executor,
  tenantId: string,
  id: string,
): Promise<
  | { row: OAuthStateRow }
  | { reason: 'state_used' | 'state_expired' | 'state_invalid'; row: OAuthStateRow | null }
> {
  const { rows } = await ex.query<OAuthStateRow>(
    `UPDATE oauth_states SET used_at = now() WHERE tenant_id = $1 AND id = $2 AND used_at IS NULL AND expires_at > now()
     RETURNING ${columns}`,
    [tenantId, id],
  );
  if (rows[0]) return { row: rows[0] };
  const seen = await ex.query<OAuthStateRow & { used: boolean }>(
    `SELECT ${columns}, used_at IS NOT NULL AS used FROM oauth_states WHERE tenant_id = $1 AND id = $2`,
    [tenantId, id],
  );
  const row = seen.rows[0];
  if (!row) return { reason: 'state_invalid', row: null };
  return { reason: row.used ? 'state_used' : 'state_expired', row };
}

/**
 * Binds the state to the browser opening the consent URL (stores its nonce's hash) — once, before
 * the state is used or expires. `reason` tells an already opened link from an expired or unknown one.
 */
export async function openOAuthState(
  ex: Executor,
  tenantId: string,
  id: string,
  browserHash: Buffer,
): Promise<
  | { row: OAuthStateRow }
  | { reason: 'consent_link_used' | 'state_expired' | 'state_invalid'; row: OAuthStateRow | null }
> {
  const { rows } = await ex.query<OAuthStateRow>(
    `UPDATE oauth_states SET browser_hash = $3
      WHERE tenant_id = $1 AND id = $2 AND browser_hash IS NULL AND used_at IS NULL AND expires_at > now()
     RETURNING ${columns}`,
    [tenantId, id, browserHash],
  );
  if (rows[0]) return { row: rows[0] };
  const seen = await ex.query<OAuthStateRow & { spent: boolean }>(
    `SELECT ${columns}, (used_at IS NOT NULL OR browser_hash IS NOT NULL) AS spent FROM oauth_states WHERE tenant_id = $1 AND id = $2`,
    [tenantId, id],
  );
  const row = seen.rows[0];
  if (!row) return { reason: 'state_invalid', row: null };
  return { reason: row.spent ? 'consent_link_used' : 'state_expired', row };
}

export async function deleteExpiredOAuthStates(ex: Executor): Promise<number> {
  const { rowCount } = await ex.query(
    `DELETE FROM oauth_states WHERE expires_at < now() - interval '1 day'`,
  );
  return rowCount ?? 0;
}
