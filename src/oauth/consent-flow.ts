// Connecting a mailbox through a provider's OAuth consent screen, the same for every provider that
// has one (its module's `consent` adapter supplies the consent URL and the code exchange).
// start: a state row (single use, 10 minutes, PKCE verifier sealed under the tenant key) and the
//        provider's consent URL with the signed state and the S256 challenge.
// callback: state checked (signature under the tenant's key, then consumed once, provider must
//        match) → code exchanged by the adapter → ONE transaction creates the mailbox (or
//        re-authorises the existing one of the same kind, keeping its cursor so sync resumes where it
//        stopped), seals the grant under the mailbox key and queues the sync → adapter's follow-up.
// Every failure has a stable code; the route redirects to the return URL with it when the state
// proved which return URL to trust, and shows a plain page otherwise.
import { createHash, randomBytes, randomUUID } from 'node:crypto';

import {
  emailBlindIndex,
  fieldAad,
  generateDataKey,
  mailboxAad,
  open,
  seal,
} from '../crypto/index.js';
import { AppError } from '../errors.js';
import type { Logger } from '../lib/logger.js';
import { reactivate } from '../mailboxes/status.js';
import { sealCredentials } from '../providers/open-mailbox.js';
import type { ProviderKind } from '../providers/provider-kind.js';
import type { ConsentAdapter, ConsentOptions } from '../providers/provider-module.js';
import { consentAdapter, defaultBackfill, type ProviderRuntimes } from '../providers/registry.js';
import type { Db } from '../store/db.js';
import { insertEvent } from '../store/event-store.js';
import { findLiveMailboxByAddress, insertMailbox } from '../store/mailbox-store.js';
import { enqueueSync } from '../sync/sync-jobs.js';
import { setBackfillLimits, setProgress } from '../sync/sync-store.js';
import type { Actor } from '../tenancy/actor.js';
import { audit } from '../tenancy/audit.js';
import type { KeyService } from '../tenancy/key-service.js';
import { ADDRESS_ELSEWHERE, addressHeldElsewhere } from './consent-binding.js';
import { peekState, signState, verifyStateMac } from './oauth-state.js';
import { consumeOAuthState, insertOAuthState } from './oauth-store.js';
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
  | typeof ADDRESS_ELSEWHERE;

export interface CallbackQuery {
  state?: string | undefined;
  code?: string | undefined;
  error?: string | undefined;
}

export type CallbackResult =
  | { ok: true; returnUrl: string; mailboxId: string; outcome: 'created' | 'reauthorized' }
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
  ): Promise<{ authorizationUrl: string; expiresAt: string }>;
  callback(kind: ProviderKind, query: CallbackQuery): Promise<CallbackResult>;
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
}): ConsentFlow {
  const { db, keys } = deps;
  const now = deps.now ?? Date.now;
  const log = deps.logger.child({ component: 'consent' });

  const adapterOf = (kind: ProviderKind): ConsentAdapter<unknown, unknown> => {
    const adapter = consentAdapter(kind);
    if (!adapter) throw new Error(`provider ${kind} has no consent flow`);
    return adapter;
  };
  const runtimeOf = (kind: ProviderKind): unknown =>
    (deps.runtimes as Partial<Record<ProviderKind, unknown>>)[kind];

  async function checkState(
    kind: ProviderKind,
    state: string | undefined,
  ): Promise<
    | {
        tenantId: string;
        verifier: string;
        options: ConsentOptions | undefined;
        returnUrl: string;
        actor: string;
      }
    | { fail: FlowFailure; returnUrl: string | null }
  > {
    const claims = state ? peekState(state) : null;
    if (!state || !claims) return { fail: 'state_invalid', returnUrl: null };
    return db.tenantTx(claims.tenantId, async (ex) => {
      const signing = await keys.tenantKey(ex, claims.tenantId, 'signing').catch(() => null);
      if (!signing || !verifyStateMac(signing.key, state))
        return { fail: 'state_invalid' as const, returnUrl: null };
      const used = await consumeOAuthState(ex, claims.tenantId, claims.stateId);
      // Redirect only to an origin the tenant still has registered, failures included.
      const stored = used.row?.return_url ?? null;
      const trusted =
        stored !== null && (await isRegisteredReturnUrl(ex, claims.tenantId, stored))
          ? stored
          : null;
      if ('reason' in used) return { fail: used.reason, returnUrl: trusted };
      if (trusted === null) return { fail: 'state_invalid' as const, returnUrl: null };
      if (used.row.provider !== kind) return { fail: 'state_invalid' as const, returnUrl: null };
      const tenantKey = await keys.tenantKey(ex, claims.tenantId, 'tenant');
      const sealed = open(
        tenantKey,
        used.row.verifier_ct,
        verifierAad(claims.tenantId, claims.stateId),
      ).toString('utf8');
      // A bare verifier, or {verifier, options} when the start carried provider options (a base64url
      // verifier never starts with '{').
      const { verifier, options } = sealed.startsWith('{')
        ? (JSON.parse(sealed) as { verifier: string; options: ConsentOptions })
        : { verifier: sealed, options: undefined };
      return {
        tenantId: claims.tenantId,
        verifier,
        options,
        returnUrl: trusted,
        actor: used.row.actor,
      };
    });
  }

  async function store(
    kind: ProviderKind,
    tenantId: string,
    actorName: string,
    grant: { address: string; settings(ids: { tenantId: string; mailboxId: string }): unknown },
  ) {
    const actor: Actor = {
      tenantId,
      name: actorName,
      scopes: new Set(),
      requestId: null,
      clientIp: null,
    };
    return db.tenantTx(
      tenantId,
      async (
        ex,
      ): Promise<
        | { fail: FlowFailure }
        | { id: string; settings: unknown; outcome: 'created' | 'reauthorized' }
      > => {
        const indexKey = await keys.tenantKey(ex, tenantId, 'index');
        const bidx = emailBlindIndex(indexKey.key, grant.address);
        const existing = await findLiveMailboxByAddress(ex, tenantId, bidx);
        if (existing && existing.provider !== kind) return { fail: 'address_in_use' };
        const id = existing?.id ?? randomUUID();
        const settings = grant.settings({ tenantId, mailboxId: id });
        const dek = existing ? await keys.mailboxKey(ex, tenantId, id) : generateDataKey();
        const credentialsCt = sealCredentials(dek, tenantId, id, settings);
        if (existing) {
          await reactivate(ex, tenantId, id, credentialsCt);
        } else {
          await insertMailbox(ex, {
            id,
            tenantId,
            provider: kind,
            addressCt: seal(dek, grant.address, mailboxAad('mailboxes.address', tenantId, id)),
            addressBidx: bidx,
            displayNameCt: null,
            credentialsCt,
          });
          await keys.createMailboxKey(ex, tenantId, id, dek);
          await setBackfillLimits(
            ex,
            tenantId,
            id,
            defaultBackfill.days,
            defaultBackfill.maxMessages,
          );
          await setProgress(ex, tenantId, id, 0, null);
        }
        await enqueueSync(ex, tenantId, id);
        await audit(ex, actor, 'mailbox.connect', 'mailbox', id, {
          provider: kind,
          reauthorized: Boolean(existing),
        });
        if (!existing) await insertEvent(ex, tenantId, 'mailbox.connected', id, { provider: kind });
        return { id, settings, outcome: existing ? 'reauthorized' : 'created' };
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
        await insertOAuthState(ex, {
          id: stateId,
          tenantId: actor.tenantId,
          provider: kind,
          verifierCt: seal(
            tenantKey,
            options ? JSON.stringify({ verifier: codeVerifier, options }) : codeVerifier,
            verifierAad(actor.tenantId, stateId),
          ),
          returnUrl: input.returnUrl,
          actor: actor.name,
          expiresAt: new Date(expiresAt),
        });
        return signState(signing.key, { tenantId: actor.tenantId, stateId, expiresAt });
      });
      const authorizationUrl = adapter.authorizationUrl(runtime, {
        state,
        codeChallenge,
        loginHint: input.loginHint,
        ...(options ? { options } : {}),
      });
      return { authorizationUrl, expiresAt: new Date(expiresAt).toISOString() };
    },

    async callback(kind, query) {
      const adapter = adapterOf(kind);
      const runtime = runtimeOf(kind);
      if (runtime === undefined) return { ok: false, code: 'not_configured', returnUrl: null };
      const checked = await checkState(kind, query.state);
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
      const saved = await store(kind, checked.tenantId, checked.actor, grant);
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
