// Reading a consent state back: its signature under the tenant's signing key, its row claimed once
// (open or consume) and the sealed start opened, all in one tenant transaction.
import { fieldAad, open } from '../crypto/index.js';
import type { ConsentOptions } from '../providers/provider-module.js';
import type { Db, Executor } from '../store/db.js';
import type { KeyService } from '../tenancy/key-service.js';
import type { FlowFailure } from './consent-flow-types.js';
import { peekState, type StateClaims, verifyStateMac } from './oauth-state.js';
import type { OAuthStateRow } from './oauth-store.js';
import { isRegisteredReturnUrl } from './return-origins.js';

export type Failed = { fail: FlowFailure; returnUrl: string | null };

/** What the state row seals: the PKCE verifier, the provider options, the provider's URL. */
export interface SealedStart {
  verifier: string;
  options?: ConsentOptions | undefined;
  authorizationUrl?: string;
}

export const verifierAad = (tenantId: string, stateId: string) =>
  fieldAad('oauth_states.verifier', tenantId, 'oauth', stateId);

export function makeStateReader(deps: { db: Db; keys: KeyService }) {
  const { db, keys } = deps;
  /**
   * The state's signature checked and its row claimed by `claim` (open or consume) in one tenant
   * transaction; the return URL is trusted only while its origin is still registered.
   */
  return async function withState<T extends object>(
    state: string | undefined,
    claim: (
      ex: Executor,
      claims: StateClaims,
    ) => Promise<{ row: OAuthStateRow } | { reason: FlowFailure; row: OAuthStateRow | null }>,
    then: (
      row: OAuthStateRow,
      claims: StateClaims,
      sealed: SealedStart,
      returnUrl: string,
    ) => T | Failed,
  ): Promise<T | Failed> {
    const claims = state ? peekState(state) : null;
    if (!state || !claims) return { fail: 'state_invalid', returnUrl: null };
    return db.tenantTx(claims.tenantId, async (ex): Promise<T | Failed> => {
      const signing = await keys.tenantKey(ex, claims.tenantId, 'signing').catch(() => null);
      if (!signing || !verifyStateMac(signing.key, state))
        return { fail: 'state_invalid', returnUrl: null };
      const used = await claim(ex, claims);
      // Redirect only to an origin the tenant still has registered, failures included.
      const stored = used.row?.return_url ?? null;
      const trusted =
        stored !== null && (await isRegisteredReturnUrl(ex, claims.tenantId, stored))
          ? stored
          : null;
      if ('reason' in used) return { fail: used.reason, returnUrl: trusted };
      if (trusted === null) return { fail: 'state_invalid' as const, returnUrl: null };
      const tenantKey = await keys.tenantKey(ex, claims.tenantId, 'tenant');
      const text = open(
        tenantKey,
        used.row.verifier_ct,
        verifierAad(claims.tenantId, claims.stateId),
      ).toString('utf8');
      // A bare verifier (rows from before the consent URL), or the sealed start as JSON (a
      // base64url verifier never starts with '{').
      const sealed: SealedStart = text.startsWith('{')
        ? (JSON.parse(text) as SealedStart)
        : { verifier: text };
      return then(used.row, claims, sealed, trusted);
    });
  };
}
