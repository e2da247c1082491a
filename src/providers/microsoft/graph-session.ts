// One mailbox's Graph session: access tokens from MSAL (silent, refreshed from the sealed cache), the
// Graph client pointed at the configured host, and the wrapper every call goes through:
//   * per-mailbox pacing (graph-pacing.ts) shared by the whole process;
//   * 429/503 wait for Retry-After (or a backoff) and hold the mailbox's other calls too; the graph
//     client's own RetryHandler is off for our calls so the waits are counted once, here;
//   * a 401 drops the cached access token and retries once; a refused refresh is auth_revoked,
//     reported once (mailbox → reauth_required with its event) and never retried.
import type { ConfidentialClientApplication } from '@azure/msal-node';
import { Client, RetryHandlerOptions } from '@microsoft/microsoft-graph-client';

import type { ProviderLogger } from '../mail-provider.js';
import { isProviderError, ProviderError, toProviderError } from '../provider-errors.js';
import { type MailboxPacer, makeMailboxPacer } from './graph-pacing.js';
import {
  type GraphLimits,
  mailboxPath,
  MICROSOFT_DRAFT_SCOPE,
  type MicrosoftClientConfig,
  type MicrosoftCredentials,
} from './microsoft-settings.js';
import { makeMsalApp, msalError } from './msal-app.js';

/** Process-wide Microsoft state, built once by the composition root. */
export interface MicrosoftRuntime {
  client: MicrosoftClientConfig;
  limits: GraphLimits;
  pacers: Map<string, MailboxPacer>;
  /** MSAL apps per mailbox, with the cache text they last saw (so a newer stored cache wins). */
  apps: Map<string, MsalEntry>;
  /** Re-seals the mailbox's credentials with these fields changed (row locked, latest copy). */
  saveCredentials(
    tenantId: string,
    mailboxId: string,
    patch: Partial<Pick<MicrosoftCredentials, 'tokenCache' | 'push'>>,
  ): Promise<void>;
  /** The grant is dead: park the mailbox as reauth_required and emit its event, once. */
  onAuthRevoked(tenantId: string, mailboxId: string): Promise<void>;
  /** Every token MSAL fetches says whether the grant still holds the send scope. */
  onSendGrant(tenantId: string, mailboxId: string, granted: boolean): Promise<void>;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** INGEST_MAX_MESSAGE_BYTES: a $value download past it is not read to the end (graph-fetch.ts). */
  maxMessageBytes?: number;
}

export interface MsalEntry {
  app: ConfidentialClientApplication;
  cache: { json: string };
  /** The access token MSAL last gave, used as it is until 5 minutes before it expires. */
  access?: { token: string; scopes: string; expiresAt: number };
}

export interface CallOptions {
  /** Retry 429/503/5xx inside the call (false for sends: the send job decides, after a Sent Items check). */
  retry: boolean;
}

export interface GraphSession {
  creds: MicrosoftCredentials;
  /** `/me` or `/users/{address}` */
  base: string;
  /** Origin of the configured Graph endpoint: the only one whose page links we follow. */
  origin: string;
  client: Client;
  call<T>(what: string, fn: (client: Client) => Promise<T>, opts?: CallOptions): Promise<T>;
  /** Whether the grant includes the draft scope (large replies). */
  canDraft: boolean;
  /** INGEST_MAX_MESSAGE_BYTES when configured: bounds what a $value download may hold in memory. */
  maxMessageBytes: number | null;
}

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const graphHosts = new Set([
  'graph.microsoft.com',
  'graph.microsoft.us',
  'dod-graph.microsoft.us',
  'graph.microsoft.de',
  'microsoftgraph.chinacloudapi.cn',
]);
/** Our calls opt out of the client's RetryHandler: retries and their waits are ours (docs/providers.md,
 *  Microsoft 365 facts: throttling and errors). */
export const noLibraryRetry = () => [new RetryHandlerOptions(0, 0, () => false)];

/** The Graph client for the configured host: a host that is not one of Graph's own must be named in
 *  customHosts, or the client would not attach the token (docs/providers.md, Microsoft 365 facts:
 *  throttling and errors). */
export function makeGraphClient(
  c: MicrosoftClientConfig,
  getAccessToken: () => Promise<string>,
): Client {
  const host = new URL(c.graphUrl).hostname;
  return Client.initWithMiddleware({
    authProvider: { getAccessToken },
    baseUrl: c.graphUrl.replace(/\/?$/, '/'),
    defaultVersion: 'v1.0',
    ...(graphHosts.has(host) ? {} : { customHosts: new Set([host]) }),
  });
}

function entryFor(rt: MicrosoftRuntime, creds: MicrosoftCredentials): MsalEntry {
  let entry = rt.apps.get(creds.mailboxId);
  if (!entry || entry.cache.json !== creds.tokenCache) {
    // First use in this process, or the stored cache moved on (another process refreshed, re-consent).
    const cache = { json: creds.tokenCache };
    const app = makeMsalApp(rt.client, {
      read: () => cache.json,
      write: async (json) => {
        cache.json = json;
        creds.tokenCache = json;
        await rt.saveCredentials(creds.tenantId, creds.mailboxId, { tokenCache: json });
      },
    });
    entry = { app, cache };
    rt.apps.set(creds.mailboxId, entry);
  }
  return entry;
}

const isSendScope = (s: string) =>
  /^(https:\/\/graph\.microsoft\.com\/)?mail\.send(\.shared)?$/i.test(s);
const bareGraphScope = (s: string) =>
  s.replace(/^https:\/\/graph\.microsoft\.com\//i, '').toLowerCase();
/** Entra's answer when a requested scope is no longer consented (AADSTS65001, consent_required). */
const consentWithdrawn = (err: unknown) => {
  const e = err as { subError?: string; errorNo?: string } | null;
  return e?.subError === 'consent_required' || e?.errorNo === '65001';
};

/** MSAL's silent flow costs about a millisecond of CPU a call; the Graph client asks before every request. */
const accessMarginMs = 5 * 60_000;

export function makeGraphSession(
  creds: MicrosoftCredentials,
  rt: MicrosoftRuntime,
  logger?: ProviderLogger,
): GraphSession {
  const now = rt.now ?? Date.now;
  const sleep = rt.sleep ?? realSleep;
  const limits = rt.limits;
  let pacer = rt.pacers.get(creds.mailboxId);
  if (!pacer) {
    pacer = makeMailboxPacer(limits, { now, sleep });
    rt.pacers.set(creds.mailboxId, pacer);
  }
  const scopes = creds.scopes.filter(
    (s) => !['openid', 'profile', 'offline_access', 'email'].includes(s),
  );
  let reported = false;
  let forceRefresh = false;
  // The Graph client wraps what the auth provider throws into its own error (statusCode -1); the
  // classified token error is kept here so call() can report it as it is.
  let tokenError: ProviderError | null = null;

  const scopeKey = scopes.join(' ');
  // Without the send scope (Mail.Send or Mail.Send.Shared): what a grant the user narrowed still
  // allows. Entra refuses a refresh that asks for a scope no longer consented (AADSTS65001), so
  // ingest keeps working with a token for the rest while sending is recorded as not granted.
  const readScopes = scopes.filter((s) => !isSendScope(s));
  const readKey = readScopes.join(' ');

  async function acquire(entry: MsalEntry): Promise<string> {
    const app = entry.app;
    const account = await app.getTokenCache().getAccountByHomeId(creds.homeAccountId);
    if (!account)
      throw new ProviderError('auth_revoked', 'no Microsoft account in the stored token cache');
    let result;
    let key = scopeKey;
    try {
      result = await app.acquireTokenSilent({ account, scopes, forceRefresh });
    } catch (err) {
      if (!consentWithdrawn(err) || readScopes.length === scopes.length) throw err;
      // A fresh token, not a cached one: its scopes must be what Entra grants now.
      result = await app.acquireTokenSilent({ account, scopes: readScopes, forceRefresh: true });
      key = readKey;
    }
    forceRefresh = false;
    entry.access = {
      token: result.accessToken,
      scopes: key,
      expiresAt: result.expiresOn?.getTime() ?? 0,
    };
    // A token from MSAL's cache was granted earlier; only Entra's fresh answer says what holds now.
    if (readScopes.length < scopes.length && !result.fromCache) {
      const granted = result.scopes.map(bareGraphScope);
      const send = scopes.filter(isSendScope).map(bareGraphScope);
      await rt.onSendGrant(
        creds.tenantId,
        creds.mailboxId,
        send.every((x) => granted.includes(x)),
      );
    }
    return result.accessToken;
  }

  async function token(): Promise<string> {
    const entry = entryFor(rt, creds);
    const held = entry.access;
    // MSAL's clock, not the scheduling clock: the token's expiry is real time.
    if (
      !forceRefresh &&
      (held?.scopes === scopeKey || held?.scopes === readKey) &&
      held.expiresAt - Date.now() > accessMarginMs
    )
      return held.token;
    try {
      return await acquire(entry);
    } catch (err) {
      entry.access = undefined;
      tokenError = isProviderError(err) ? err : msalError(err, 'microsoft token');
      throw tokenError;
    }
  }

  const client = makeGraphClient(rt.client, token);

  async function call<T>(
    what: string,
    fn: (c: Client) => Promise<T>,
    opts: CallOptions = { retry: true },
  ): Promise<T> {
    let refreshed = false;
    for (let attempt = 1; ; attempt++) {
      const done = await pacer!.admit();
      try {
        return await fn(client);
      } catch (err) {
        const pe = tokenError ?? toProviderError(err, what);
        tokenError = null;
        const status = (err as { statusCode?: number } | null)?.statusCode;
        if (pe.kind === 'auth_revoked' && status === 401 && !refreshed) {
          // An access token MSAL still holds may have been revoked: one retry with a fresh one.
          refreshed = true;
          forceRefresh = true;
          continue;
        }
        if (pe.kind === 'auth_revoked') {
          if (!reported) {
            reported = true;
            await rt.onAuthRevoked(creds.tenantId, creds.mailboxId);
          }
          throw pe;
        }
        const retriable =
          pe.kind === 'rate_limited' ||
          (pe.kind === 'transient' && status !== undefined && status >= 500);
        if (!retriable) throw pe;
        const delay =
          pe.retryAfterMs ??
          Math.round(limits.baseMs * 2 ** (attempt - 1) * (0.5 + Math.random() / 2));
        pacer!.holdUntil(now() + delay);
        if (!opts.retry || attempt >= limits.attempts || delay > limits.maxWaitMs) {
          throw pe.retryAfterMs === undefined
            ? new ProviderError(pe.kind, pe.message, { retryAfterMs: delay, cause: pe.cause })
            : pe;
        }
        logger?.debug(
          { what, errorClass: pe.kind, delayMs: delay, attempt },
          'graph call backing off',
        );
      } finally {
        done();
      }
    }
  }

  return {
    creds,
    base: mailboxPath(creds),
    origin: new URL(rt.client.graphUrl).origin,
    client,
    call,
    canDraft: creds.scopes.includes(MICROSOFT_DRAFT_SCOPE),
    maxMessageBytes: rt.maxMessageBytes ?? null,
  };
}
