// Connecting a mailbox through a provider's OAuth consent screen, the same for every provider that
// has one (its module's `consent` adapter supplies the consent URL and the code exchange).
// start: a state row (single use, 10 minutes; PKCE verifier and the provider's URL sealed under the
//        tenant key) and Inlet's one-time consent URL carrying the signed state.
// open:  the first browser to open the consent URL is bound to the state (nonce cookie, hash on the
//        row, browser-binding.ts) and sent on to the provider.
// callback: state checked (signature under the tenant's key, then consumed once, provider and
//        browser must match) → code exchanged by the adapter → ONE transaction creates the mailbox
//        (or re-authorises the existing one of the same kind, keeping its cursor so sync resumes
//        where it stopped), seals the grant under the mailbox key and queues the sync → follow-up.
// Every failure has a stable code; the route redirects to the return URL with it when the state
// proved which return URL to trust, and shows a plain page otherwise.
import { createHash, randomBytes, randomUUID } from 'node:crypto';

import { seal } from '../crypto/index.js';
import { AppError } from '../errors.js';
import type { Logger } from '../lib/logger.js';
import type { ProviderKind } from '../providers/provider-kind.js';
import type { ConsentAdapter, ConsentOptions } from '../providers/provider-module.js';
import { consentAdapter, type ProviderRuntimes } from '../providers/registry.js';
import type { Db } from '../store/db.js';
import type { KeyService } from '../tenancy/key-service.js';
import {
  BROWSER_MISMATCH,
  browserMatches,
  clearCookieHeader,
  newBrowserNonce,
  setCookieHeader,
} from './browser-binding.js';
import { ADDRESS_ELSEWHERE, addressHeldElsewhere } from './consent-binding.js';
import type { ConsentFlow } from './consent-flow-types.js';
import { storeGrant } from './consent-grant.js';
import { makeStateReader, type SealedStart, verifierAad } from './consent-state.js';
import { peekState, signState } from './oauth-state.js';
import { consumeOAuthState, insertOAuthState, openOAuthState } from './oauth-store.js';

export const stateTtlMs = 10 * 60_000;

interface CheckedState {
  tenantId: string;
  verifier: string;
  options: ConsentOptions | undefined;
  returnUrl: string;
  actor: string;
}

/** The provider's start options, each checked by the adapter; undefined when none were given. */
function checkOptions(
  adapter: ConsentAdapter<unknown, unknown>,
  given: ConsentOptions | undefined,
): ConsentOptions | undefined {
  if (!given || Object.keys(given).length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(given)) {
    const kept = adapter.options?.[name]?.(value) ?? null;
    if (kept === null)
      throw new AppError('validation_failed', `${name} is not valid here.`, { field: name });
    out[name] = kept;
  }
  return out;
}

/** RFC 7636: a 43-character verifier from 32 random bytes, challenge = base64url(SHA-256(verifier)). */
function pkce(): { codeVerifier: string; codeChallenge: string } {
  const codeVerifier = randomBytes(32).toString('base64url');
  return {
    codeVerifier,
    codeChallenge: createHash('sha256').update(codeVerifier).digest('base64url'),
  };
}

export function makeConsentFlow(deps: {
  db: Db;
  keys: KeyService;
  logger: Logger;
  runtimes: ProviderRuntimes;
  now?: () => number;
  allowSharedMailboxes?: boolean;
  /** INLET_PUBLIC_URL: the consent URL is on Inlet; https there makes the cookie Secure. */
  publicUrl: string;
}): ConsentFlow {
  const { db, keys } = deps;
  const now = deps.now ?? Date.now;
  const log = deps.logger.child({ component: 'consent' });
  const secureCookies = deps.publicUrl.startsWith('https:');

  const adapterOf = (kind: ProviderKind): ConsentAdapter<unknown, unknown> => {
    const adapter = consentAdapter(kind);
    if (!adapter) throw new Error(`provider ${kind} has no consent flow`);
    return adapter;
  };
  const runtimeOf = (kind: ProviderKind): unknown =>
    (deps.runtimes as Partial<Record<ProviderKind, unknown>>)[kind];

  const withState = makeStateReader(deps);

  function checkState(kind: ProviderKind, state: string | undefined, cookies: string | undefined) {
    return withState<CheckedState>(
      state,
      (ex, claims) => consumeOAuthState(ex, claims.tenantId, claims.stateId),
      (row, claims, sealed, returnUrl) => {
        if (row.provider !== kind) return { fail: 'state_invalid', returnUrl: null };
        // Completed in another browser than the one that opened the consent URL: nothing is created.
        if (!browserMatches(cookies, claims.stateId, row.browser_hash))
          return { fail: BROWSER_MISMATCH, returnUrl };
        return {
          tenantId: claims.tenantId,
          verifier: sealed.verifier,
          options: sealed.options,
          returnUrl,
          actor: row.actor,
        };
      },
    );
  }

  return {
    configured: (kind) => consentAdapter(kind) !== undefined && runtimeOf(kind) !== undefined,

    texts: (kind) => {
      const a = adapterOf(kind);
      return { failureText: a.failureText, title: a.title };
    },

    async start(kind, actor, input) {
      const adapter = adapterOf(kind);
      const runtime = runtimeOf(kind);
      if (runtime === undefined) throw new Error(`${kind} consent is not configured`);
      const stateId = randomUUID();
      const expiresAt = now() + stateTtlMs;
      const options = checkOptions(adapter, input.options);
      const { codeVerifier, codeChallenge } = pkce();
      const state = await db.tenantTx(actor.tenantId, async (ex) => {
        const tenantKey = await keys.tenantKey(ex, actor.tenantId, 'tenant');
        const signing = await keys.tenantKey(ex, actor.tenantId, 'signing');
        const state = signState(signing.key, { tenantId: actor.tenantId, stateId, expiresAt });
        // The provider's URL is never handed out: only the browser that opens the consent URL
        // gets it, together with the cookie the callback asks for.
        const authorizationUrl = adapter.authorizationUrl(runtime, {
          state,
          codeChallenge,
          loginHint: input.loginHint,
          ...(options ? { options } : {}),
        });
        const sealed: SealedStart = { verifier: codeVerifier, options, authorizationUrl };
        await insertOAuthState(ex, {
          id: stateId,
          tenantId: actor.tenantId,
          provider: kind,
          verifierCt: seal(tenantKey, JSON.stringify(sealed), verifierAad(actor.tenantId, stateId)),
          returnUrl: input.returnUrl,
          actor: actor.name,
          expiresAt: new Date(expiresAt),
        });
        return state;
      });
      return {
        consentUrl: `${deps.publicUrl}/v1/oauth/consent?state=${state}`,
        expiresAt: new Date(expiresAt).toISOString(),
      };
    },

    async open(state) {
      const { nonce, hash } = newBrowserNonce();
      const out = await withState<{ authorizationUrl: string; setCookie: string }>(
        state,
        (ex, claims) => openOAuthState(ex, claims.tenantId, claims.stateId, hash),
        (_row, claims, sealed) =>
          sealed.authorizationUrl
            ? {
                authorizationUrl: sealed.authorizationUrl,
                setCookie: setCookieHeader(
                  claims.stateId,
                  nonce,
                  (claims.expiresAt - now()) / 1000,
                  secureCookies,
                ),
              }
            : { fail: 'state_invalid', returnUrl: null },
      );
      if ('fail' in out) return { ok: false, code: out.fail, returnUrl: out.returnUrl };
      return { ok: true, ...out };
    },

    clearCookie(state) {
      const claims = state ? peekState(state) : null;
      return claims ? clearCookieHeader(claims.stateId, secureCookies) : null;
    },

    async callback(kind, query, cookies) {
      const adapter = adapterOf(kind);
      const runtime = runtimeOf(kind);
      if (runtime === undefined) return { ok: false, code: 'not_configured', returnUrl: null };
      const checked = await checkState(kind, query.state, cookies);
      if ('fail' in checked) return { ok: false, code: checked.fail, returnUrl: checked.returnUrl };
      const { returnUrl } = checked;
      if (query.error)
        return {
          ok: false,
          code: query.error === 'access_denied' ? 'access_denied' : 'consent_failed',
          returnUrl,
        };
      if (!query.code) return { ok: false, code: 'consent_failed', returnUrl };
      const flowLog = log.child({ provider: kind });
      const grant = await adapter.exchange(runtime, {
        code: query.code,
        codeVerifier: checked.verifier,
        logger: flowLog,
        ...(checked.options ? { options: checked.options } : {}),
      });
      if ('fail' in grant) return { ok: false, code: grant.fail, returnUrl };
      if (
        !deps.allowSharedMailboxes &&
        (await addressHeldElsewhere(deps, checked.tenantId, kind, grant.address))
      ) {
        flowLog.warn(
          { event: 'consent_refused', reason: ADDRESS_ELSEWHERE, tenant_id: checked.tenantId },
          'consent for a mailbox connected in another tenant refused',
        );
        return { ok: false, code: ADDRESS_ELSEWHERE, returnUrl };
      }
      const saved = await storeGrant(deps, kind, checked.tenantId, checked.actor, grant);
      if ('fail' in saved) return { ok: false, code: saved.fail, returnUrl };
      await grant.connected?.({ db, logger: flowLog, settings: saved.settings });
      flowLog.info(
        { mailbox: saved.id, outcome: saved.outcome },
        'mailbox connected through consent',
      );
      return { ok: true, returnUrl, mailboxId: saved.id, outcome: saved.outcome };
    },
  };
}
