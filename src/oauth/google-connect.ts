// Connecting a Gmail mailbox through Google's consent screen (providers.md A2, A10).
// start: a state row (single use, 10 minutes, PKCE verifier sealed under the tenant key) and the
//        consent URL (offline access, prompt=consent, S256 challenge, gmail.readonly + gmail.send).
// callback: state checked (signature under the tenant's key, then consumed once) → code exchanged →
//        refresh token and both scopes required → address from getProfile → ONE transaction creates
//        the mailbox (or re-authorises the existing one, keeping its cursor so sync resumes where it
//        stopped), seals the grant under the mailbox key and queues the sync → watch started.
// Every failure has a stable code; the route redirects to the return URL with it when the state
// proved which return URL to trust, and shows a plain page otherwise.
import { insertEvent } from '../store/event-store.js';
import { randomUUID } from 'node:crypto';
import { emailBlindIndex, generateDataKey, open, seal } from '../crypto/index.js';
import type { Logger } from '../lib/logger.js';
import { defaultBackfill } from '../mailboxes/connect-imap.js';
import { cacheAccessToken, makeOAuthClient } from '../providers/gmail/gmail-client.js';
import { GMAIL_SCOPES, type GmailCredentials } from '../providers/gmail/gmail-settings.js';
import type { Db } from '../store/db.js';
import { insertMailbox } from '../store/mailbox-store.js';
import type { Actor } from '../tenancy/actor.js';
import { audit } from '../tenancy/audit.js';
import type { KeyService } from '../tenancy/key-service.js';
import { credentialsAad } from '../sync/provider-factory.js';
import { enqueueSync } from '../sync/sync-jobs.js';
import { setBackfillLimits, setProgress } from '../sync/sync-store.js';
import type { GmailProcessRuntime } from './gmail-runtime.js';
import { exchangeAndIdentify, startGmailWatch, type ConnectFailure } from './google-grant.js';
import { consumeOAuthState, findLiveMailboxByAddress, insertOAuthState, reauthorizeMailbox } from './oauth-store.js';
import { peekState, signState, verifyStateMac } from './oauth-state.js';

export const stateTtlMs = 10 * 60_000;

export interface CallbackQuery {
  state?: string | undefined;
  code?: string | undefined;
  error?: string | undefined;
}

export type CallbackResult =
  | { ok: true; returnUrl: string; mailboxId: string; outcome: 'created' | 'reauthorized' }
  | { ok: false; code: ConnectFailure; returnUrl: string | null };

export interface GoogleConnectService {
  readonly configured: boolean;
  start(actor: Actor, input: { returnUrl: string; loginHint?: string | undefined }): Promise<{ authorizationUrl: string; expiresAt: string }>;
  callback(query: CallbackQuery): Promise<CallbackResult>;
}

const verifierAad = (tenantId: string, stateId: string) => ({ tenantId, scope: 'oauth', field: 'oauth_states.verifier', rowId: stateId });

export function makeGoogleConnect(deps: { db: Db; keys: KeyService; logger: Logger; runtime: GmailProcessRuntime | undefined; now?: () => number }): GoogleConnectService {
  const { db, keys, runtime } = deps;
  const now = deps.now ?? Date.now;
  const log = deps.logger.child({ component: 'google-connect' });

  async function checkState(state: string | undefined): Promise<{ tenantId: string; verifier: string; returnUrl: string; actor: string } | { fail: ConnectFailure; returnUrl: string | null }> {
    const claims = state ? peekState(state) : null;
    if (!state || !claims) return { fail: 'state_invalid', returnUrl: null };
    return db.tenantTx(claims.tenantId, async (ex) => {
      const signing = await keys.tenantKey(ex, claims.tenantId, 'signing').catch(() => null);
      if (!signing || !verifyStateMac(signing.key, state)) return { fail: 'state_invalid' as const, returnUrl: null };
      const used = await consumeOAuthState(ex, claims.tenantId, claims.stateId);
      if ('reason' in used) return { fail: used.reason, returnUrl: used.row?.return_url ?? null };
      if (used.row.provider !== 'gmail') return { fail: 'state_invalid' as const, returnUrl: null };
      const tenantKey = await keys.tenantKey(ex, claims.tenantId, 'tenant');
      const verifier = open(tenantKey, used.row.verifier_ct, verifierAad(claims.tenantId, claims.stateId)).toString('utf8');
      return { tenantId: claims.tenantId, verifier, returnUrl: used.row.return_url, actor: used.row.actor };
    });
  }

  async function store(tenantId: string, actorName: string, address: string, grant: Omit<GmailCredentials, 'tenantId' | 'mailboxId' | 'address' | 'v'>) {
    const actor: Actor = { tenantId, name: actorName, scopes: new Set(), requestId: null, clientIp: null };
    return db.tenantTx(tenantId, async (ex): Promise<{ fail: ConnectFailure } | { id: string; creds: GmailCredentials; outcome: 'created' | 'reauthorized' }> => {
      const indexKey = await keys.tenantKey(ex, tenantId, 'index');
      const bidx = emailBlindIndex(indexKey.key, address);
      const existing = await findLiveMailboxByAddress(ex, tenantId, bidx);
      if (existing && existing.provider !== 'gmail') return { fail: 'address_in_use' };
      const id = existing?.id ?? randomUUID();
      const creds: GmailCredentials = { v: 1, tenantId, mailboxId: id, address, ...grant };
      const dek = existing ? await keys.mailboxKey(ex, tenantId, id) : generateDataKey();
      const credentialsCt = seal(dek, JSON.stringify(creds), credentialsAad(tenantId, id));
      if (existing) {
        await reauthorizeMailbox(ex, tenantId, id, credentialsCt);
      } else {
        await insertMailbox(ex, {
          id, tenantId, provider: 'gmail', addressCt: seal(dek, address, { tenantId, scope: id, field: 'mailboxes.address', rowId: id }),
          addressBidx: bidx, displayNameCt: null, credentialsCt,
        });
        await keys.createMailboxKey(ex, tenantId, id, dek);
        await setBackfillLimits(ex, tenantId, id, defaultBackfill.days, defaultBackfill.maxMessages);
        await setProgress(ex, tenantId, id, 0, null);
      }
      await enqueueSync(ex, tenantId, id);
      await audit(ex, actor, 'mailbox.connect', 'mailbox', id, { provider: 'gmail', reauthorized: Boolean(existing) });
      if (!existing) await insertEvent(ex, tenantId, 'mailbox.connected', id, { provider: 'gmail' });
      return { id, creds, outcome: existing ? 'reauthorized' : 'created' };
    });
  }

  return {
    configured: runtime !== undefined,

    async start(actor, input) {
      if (!runtime) throw new Error('google connect is not configured');
      const stateId = randomUUID();
      const expiresAt = now() + stateTtlMs;
      const auth = makeOAuthClient(runtime.client);
      const { codeVerifier, codeChallenge } = await auth.generateCodeVerifierAsync();
      const state = await db.tenantTx(actor.tenantId, async (ex) => {
        const tenantKey = await keys.tenantKey(ex, actor.tenantId, 'tenant');
        const signing = await keys.tenantKey(ex, actor.tenantId, 'signing');
        await insertOAuthState(ex, {
          id: stateId, tenantId: actor.tenantId, provider: 'gmail', verifierCt: seal(tenantKey, codeVerifier, verifierAad(actor.tenantId, stateId)),
          returnUrl: input.returnUrl, actor: actor.name, expiresAt: new Date(expiresAt),
        });
        return signState(signing.key, { tenantId: actor.tenantId, stateId, expiresAt });
      });
      const authorizationUrl = auth.generateAuthUrl({
        access_type: 'offline', prompt: 'consent', scope: [...GMAIL_SCOPES], state, code_challenge: codeChallenge,
        code_challenge_method: 'S256' as never, ...(input.loginHint ? { login_hint: input.loginHint } : {}),
      });
      return { authorizationUrl, expiresAt: new Date(expiresAt).toISOString() };
    },

    async callback(query) {
      if (!runtime) return { ok: false, code: 'not_configured', returnUrl: null };
      const checked = await checkState(query.state);
      if ('fail' in checked) return { ok: false, code: checked.fail, returnUrl: checked.returnUrl };
      const { returnUrl } = checked;
      if (query.error) return { ok: false, code: query.error === 'access_denied' ? 'access_denied' : 'consent_failed', returnUrl };
      if (!query.code) return { ok: false, code: 'consent_failed', returnUrl };
      const grant = await exchangeAndIdentify(runtime, query.code, checked.verifier, log);
      if ('fail' in grant) return { ok: false, code: grant.fail, returnUrl };
      const saved = await store(checked.tenantId, checked.actor, grant.address, { refreshToken: grant.refreshToken, scopes: grant.scopes });
      if ('fail' in saved) return { ok: false, code: saved.fail, returnUrl };
      cacheAccessToken(runtime, grant.refreshToken, grant.accessToken, grant.expiryDate);
      await startGmailWatch(db, runtime, saved.creds, log);
      log.info({ mailbox: saved.id, outcome: saved.outcome }, 'gmail mailbox connected');
      return { ok: true, returnUrl, mailboxId: saved.id, outcome: saved.outcome };
    },
  };
}
