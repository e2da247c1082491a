// One authorised Gmail client per provider instance, and the wrapper every Gmail call goes through:
//   * access tokens come from an in-memory cache shared by the process (keyed by a hash of the
//     refresh token, so a re-consent starts clean) and are refreshed by google-auth-library;
//   * a 401 from Gmail drops the cached token and retries once with a fresh one; a refused refresh
//     (invalid_grant) or a grant without the needed scope is auth_revoked and reported once;
//   * every call first takes its quota units from the mailbox's pacer (src/providers/quota-pacer.ts),
//     so a backfill runs just under Gmail's per-user quota instead of past it until 429s come;
//   * 429 and 403 rate reasons wait for Retry-After (or exponential backoff with jitter) and the
//     mailbox's "not before" is shared with every other call of the process, so a storm is not
//     amplified; 5xx and network errors are retried the same way for idempotent calls.
// googleapis' own retry is off (it ignores Retry-After and retries GETs 3× on top of ours).
import { createHash } from 'node:crypto';

import type { ProviderLogger } from '../mail-provider.js';
import { isProviderError, ProviderError, toProviderError } from '../provider-errors.js';
import type { QuotaPacer } from '../quota-pacer.js';
import { type gmail_v1, google, type OAuth2Client } from './gmail-api.js';
import { gmailReadFetch } from './gmail-read-fetch.js';
import {
  defaultBackoff,
  GMAIL_SEND,
  type GmailBackoff,
  gmailCallUnits,
  type GmailCredentials,
  gmailDefaultUnits,
  type GoogleClientConfig,
} from './gmail-settings.js';

export interface GmailRuntime {
  client: GoogleClientConfig;
  backoff?: GmailBackoff;
  /** Access tokens in memory only, never stored. */
  tokens: Map<string, { accessToken: string; expiryDate: number }>;
  /** Per mailbox: no Gmail call before this time (ms epoch), after a rate limit. */
  notBefore: Map<string, number>;
  /** Per mailbox: paces calls under the per-user quota (shared by the process's sessions). */
  pacers: { for(mailboxId: string): QuotaPacer };
  /** The grant is dead (invalid_grant, revoked, scope removed): park the mailbox, emit the event. */
  onAuthRevoked(tenantId: string, mailboxId: string): Promise<void>;
  /** Every refresh says which scopes the grant still holds (a user can remove gmail.send). */
  onSendGrant(tenantId: string, mailboxId: string, granted: boolean): Promise<void>;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Sync-path reads fail after this long without an answer (default 60 s); tests shorten it. */
  requestTimeoutMs?: number;
  /** INGEST_MAX_MESSAGE_BYTES: a raw download past it is not read to the end (gmail-sync.ts). */
  maxMessageBytes?: number;
}

export interface CallOptions {
  /** Retry rate limits / 5xx inside the call (false for messages.send: the send job decides). */
  retry: boolean;
  /** users.watch answers 403 `forbidden` when the topic lacks Gmail's publish grant: an operator
   *  configuration problem, not a dead user grant. */
  forbiddenIsPermanent?: boolean;
}

export interface GmailSession {
  gmail: gmail_v1.Gmail;
  auth: OAuth2Client;
  /** Per-call options for the sync's reads: Inlet's read transport (gmail-read-fetch.ts), whose
   *  timeout ends a read that a Gmail API accepted and then left silent, which would otherwise hold
   *  the mailbox's sync (and its job queue) forever. Sends carry none: a send cut off after its
   *  bytes left would be ambiguous. */
  reads: { fetchImplementation: ReturnType<typeof gmailReadFetch> };
  /** INGEST_MAX_MESSAGE_BYTES when configured: bounds what a raw download may hold in memory. */
  maxMessageBytes: number | null;
  call<T>(what: string, fn: () => Promise<T>, opts?: CallOptions): Promise<T>;
}

export const defaultGmailReadTimeoutMs = 60_000;

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function makeOAuthClient(c: GoogleClientConfig): OAuth2Client {
  return new google.auth.OAuth2({
    clientId: c.clientId,
    clientSecret: c.clientSecret,
    redirectUri: c.redirectUri,
    endpoints: {
      oauth2AuthBaseUrl: c.endpoints.authUrl,
      oauth2TokenUrl: c.endpoints.tokenUrl,
      oauth2RevokeUrl: c.endpoints.revokeUrl,
    },
  });
}

const tokenCacheKey = (refreshToken: string) =>
  createHash('sha256').update(refreshToken).digest('base64url');

/** Seeds the cache with the access token a code exchange returned, so the first sync needs no refresh. */
export function cacheAccessToken(
  rt: GmailRuntime,
  refreshToken: string,
  accessToken: string,
  expiryDate: number,
): void {
  rt.tokens.set(tokenCacheKey(refreshToken), { accessToken, expiryDate });
}

const statusOf = (err: unknown): number | undefined =>
  (err as { response?: { status?: number } } | null)?.response?.status;

export function makeGmailSession(
  creds: GmailCredentials,
  rt: GmailRuntime,
  logger?: ProviderLogger,
): GmailSession {
  const now = rt.now ?? Date.now;
  const sleep = rt.sleep ?? realSleep;
  const backoff = rt.backoff ?? defaultBackoff;
  const cacheKey = tokenCacheKey(creds.refreshToken);
  const auth = makeOAuthClient(rt.client);
  const cached = rt.tokens.get(cacheKey);
  auth.setCredentials({
    refresh_token: creds.refreshToken,
    ...(cached ? { access_token: cached.accessToken, expiry_date: cached.expiryDate } : {}),
  });
  // Recording a refresh's scopes is awaited by the call that caused the refresh (the event
  // handler cannot be async), so a sync or send does not end before the mailbox row says so.
  let grantRecorded: Promise<void> = Promise.resolve();
  auth.on('tokens', (t) => {
    if (t.access_token && t.expiry_date)
      rt.tokens.set(cacheKey, { accessToken: t.access_token, expiryDate: t.expiry_date });
    if (t.scope !== undefined) {
      const granted = t.scope.split(' ').includes(GMAIL_SEND);
      grantRecorded = rt.onSendGrant(creds.tenantId, creds.mailboxId, granted).catch(() => {
        // Not fatal: the next refresh reports the grant again.
        logger?.warn({ mailbox: creds.mailboxId }, 'gmail send grant could not be recorded');
      });
    }
  });
  const gmail = google.gmail({
    version: 'v1',
    auth,
    rootUrl: rt.client.endpoints.gmailApiUrl,
    retry: false,
  });
  let reported = false;
  const pacer = rt.pacers.for(creds.mailboxId);

  const revoked = async (pe: ProviderError): Promise<never> => {
    rt.tokens.delete(cacheKey);
    if (!reported) {
      reported = true;
      await rt.onAuthRevoked(creds.tenantId, creds.mailboxId);
    }
    throw pe;
  };

  async function call<T>(
    what: string,
    fn: () => Promise<T>,
    opts: CallOptions = { retry: true },
  ): Promise<T> {
    let refreshed = false;
    for (let attempt = 1; ; attempt++) {
      const wait = (rt.notBefore.get(creds.mailboxId) ?? 0) - now();
      if (wait > 0) {
        // Another call of this mailbox hit a rate limit: wait with it, or give up without a request.
        if (wait > backoff.maxWaitMs || !opts.retry)
          throw new ProviderError('rate_limited', `${what} failed: rate_limited`, {
            retryAfterMs: wait,
          });
        await sleep(wait);
      }
      // Every attempt is a request Google meters, so each one takes its units.
      await pacer.take(gmailCallUnits[what] ?? gmailDefaultUnits);
      try {
        const out = await fn();
        await grantRecorded;
        return out;
      } catch (err) {
        await grantRecorded;
        let pe = toProviderError(err, what);
        if (opts.forbiddenIsPermanent && statusOf(err) === 403 && pe.kind === 'auth_revoked')
          pe = new ProviderError('permanent', `${what} failed: permanent (forbidden)`, {
            cause: err,
          });
        if (pe.kind === 'auth_revoked' && statusOf(err) === 401 && !refreshed) {
          // The cached access token was revoked or expired by Google's clock: refresh once.
          refreshed = true;
          rt.tokens.delete(cacheKey);
          auth.setCredentials({ refresh_token: creds.refreshToken });
          attempt--;
          continue;
        }
        if (pe.kind === 'auth_revoked') return revoked(pe);
        const retryable = pe.kind === 'rate_limited' || pe.kind === 'transient';
        if (!retryable) throw pe;
        const exp = Math.min(backoff.maxWaitMs, backoff.baseMs * 2 ** (attempt - 1));
        const delay = pe.retryAfterMs ?? Math.round(exp / 2 + Math.random() * (exp / 2));
        if (pe.kind === 'rate_limited')
          rt.notBefore.set(
            creds.mailboxId,
            Math.max(rt.notBefore.get(creds.mailboxId) ?? 0, now() + delay),
          );
        if (!opts.retry || attempt >= backoff.attempts || delay > backoff.maxWaitMs) {
          throw isProviderError(pe) && pe.retryAfterMs === undefined
            ? new ProviderError(pe.kind, pe.message, { retryAfterMs: delay, cause: pe.cause })
            : pe;
        }
        logger?.debug(
          { what, errorClass: pe.kind, delayMs: delay, attempt },
          'gmail call backing off',
        );
        await sleep(delay);
      }
    }
  }

  return {
    gmail,
    auth,
    reads: {
      fetchImplementation: gmailReadFetch(rt.requestTimeoutMs ?? defaultGmailReadTimeoutMs),
    },
    maxMessageBytes: rt.maxMessageBytes ?? null,
    call,
  };
}
