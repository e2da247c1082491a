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

import { fieldAad, open, seal } from '../crypto/index.js';
import { AppError } from '../errors.js';
import type { Logger } from '../lib/logger.js';
import type { ProviderKind } from '../providers/provider-kind.js';
import type { ConsentAdapter, ConsentOptions } from '../providers/provider-module.js';
import { consentAdapter, type ProviderRuntimes } from '../providers/registry.js';
import type { Db, Executor } from '../store/db.js';
import type { Actor } from '../tenancy/actor.js';
import type { KeyService } from '../tenancy/key-service.js';
import {
  BROWSER_MISMATCH,
  browserMatches,
  clearCookieHeader,
  LINK_USED,
  newBrowserNonce,
  setCookieHeader,
} from './browser-binding.js';
import { ADDRESS_ELSEWHERE, addressHeldElsewhere } from './consent-binding.js';
import { storeGrant } from './consent-grant.js';
import { peekState, signState, type StateClaims, verifyStateMac } from './oauth-state.js';
import {
  consumeOAuthState,
  insertOAuthState,
  type OAuthStateRow,
  openOAuthState,
} from './oauth-store.js';
import { isRegisteredReturnUrl } from './return-origins.js';

export const stateTtlMs = 10 * 60_000;

/** Outcome codes the flow itself produces; adapters add their own (e.g. a provider being down). */
export type FlowFailure =
  | 'not_configured'
  | 'state_invalid'
  | 'state_used'
  | 'state_expired'
  | 'access_denied'
  | 'consent_failed'
  | 'address_in_use'
  | typeof ADDRESS_ELSEWHERE
  | typeof BROWSER_MISMATCH
  | typeof LINK_USED;

export interface CallbackQuery {
  state?: string | undefined;
  code?: string | undefined;
  error?: string | undefined;
}

export type CallbackResult =
  | { ok: true; returnUrl: string; mailboxId: string; outcome: 'created' | 'reauthorized' }
  | { ok: false; code: string; returnUrl: string | null };

export type OpenResult =
  | { ok: true; authorizationUrl: string; setCookie: string }
  | { ok: false; code: string; returnUrl: string | null };

export interface ConsentFlow {
  /** Whether this provider's consent can run here (its OAuth client is configured). */
  configured(kind: ProviderKind): boolean;
  /** Texts and titles of this provider's callback page. */
  texts(kind: ProviderKind): {
    failureText: Readonly<Record<string, string>>;
    title: { ok: string; failed: string };
  };
  /** `options` are the provider's own (ConsentAdapter.options); an unknown or invalid one is a 400. */
  start(
    kind: ProviderKind,
    actor: Actor,
    input: {
      returnUrl: string;
      loginHint?: string | undefined;
      options?: ConsentOptions | undefined;
    },
  ): Promise<{ consentUrl: string; expiresAt: string }>;
  /** The consent URL opened in a browser: binds that browser, answers the provider's URL. */
  open(state: string): Promise<OpenResult>;
  /** The Set-Cookie that removes a state's binding cookie (null for no valid-looking state). */
  clearCookie(state: string | undefined): string | null;
  /** `cookies` is the browser's Cookie header (the binding set by `open`). */
  callback(
    kind: ProviderKind,
    query: CallbackQuery,
    cookies: string | undefined,
  ): Promise<CallbackResult>;
}

type Failed = { fail: FlowFailure; returnUrl: string | null };

interface CheckedState {
  tenantId: string;
  verifier: string;
  options: ConsentOptions | undefined;
  returnUrl: string;
  actor: string;
}

/** What the state row seals: the PKCE verifier, the provider options, the provider's URL. */
interface SealedStart {
  verifier: string;
  options?: ConsentOptions | undefined;
  authorizationUrl?: string;
}

const verifierAad = (tenantId: string, stateId: string) =>
  fieldAad('oauth_states.verifier', tenantId, 'oauth', stateId);

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

  /**
   * The state's signature checked and its row claimed by `claim` (open or consume) in one tenant
   * transaction; the return URL is trusted only while its origin is still registered.
   */
  async function withState<T extends object>(
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
  }

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
