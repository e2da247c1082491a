/**
 * Strict local fake of Google OAuth 2.0, the Gmail v1 subset Inlet uses, and Pub/Sub push,
 * following the rules in docs/providers.md, Gmail facts. It listens on 127.0.0.1 on a random port.
 *
 * Pointing the REAL clients at it (google-auth-library 10.x option names, read from
 * build/src/auth/oauth2client.js; googleapis 178 / googleapis-common apirequest.js):
 *
 *   const fake = await startGoogleFake();
 *   const auth = new OAuth2Client({
 *     clientId: fake.defaultClient.clientId,
 *     clientSecret: fake.defaultClient.clientSecret,
 *     redirectUri: fake.defaultClient.redirectUris[0],
 *     endpoints: fake.oauthEndpoints,   // = {
 *     //   oauth2AuthBaseUrl:  `${url}/o/oauth2/v2/auth`,
 *     //   oauth2TokenUrl:     `${url}/token`,
 *     //   oauth2RevokeUrl:    `${url}/revoke`,
 *     //   tokenInfoUrl:       `${url}/tokeninfo`,
 *     //   oauth2FederatedSignonPemCertsUrl: `${url}/oauth2/v1/certs`,   // verifyIdToken (Node)
 *     //   oauth2FederatedSignonJwkCertsUrl: `${url}/oauth2/v3/certs` }  // == fake.jwksUrl
 *   });
 *   const gmail = google.gmail({ version: 'v1', auth, rootUrl: fake.gmailRootUrl }); // `${url}/`
 *
 * `rootUrl` on google.gmail() rewrites every JSON call. Media uploads (messages.send with
 * `media: {body}`) are NOT rewritten by it: pass `{ rootUrl: fake.gmailRootUrl }` as the second
 * (options) argument of that call too, or send `requestBody.raw` (what Inlet does). Userinfo is at
 * `${url}/v1/userinfo` (Google: openidconnect.googleapis.com/v1/userinfo). Pub/Sub OIDC tokens are
 * signed by the same key as ID tokens; verify with issuer `fake.issuer` and JWKS `fake.jwksUrl`.
 *
 * Library versions: googleapis 178 carries its own google-auth-library 10.5.0 (and gaxios 7.1.3)
 * under googleapis-common, beside the top-level google-auth-library 10.9.1 / gaxios 7.3.1. Both
 * accept the same `endpoints` option. A top-level `OAuth2Client` works at run time as `auth` for
 * google.gmail() but does not type-check; `new google.auth.OAuth2({ ...same options })` does.
 * Gmail calls run through the auth client's own gaxios, so `instanceof GaxiosError` depends on
 * which one built the client: classify errors by `err.response?.status` / `.data`, not instanceof.
 *
 * googleapis retries GET/PUT/DELETE 3 times on 429 and 5xx (gaxios: ~0.1 s, 0.5 s, 1.5 s apart);
 * POST (watch, stop, send) and every 403 are not retried. google-auth-library's token and revoke
 * calls retry POST too. So an injected 429 on history.list reaches the caller only on the 4th
 * consecutive failure (`injectErrors(user, [{ status: 429 }], 4)`); pass `{ retry: false }` as
 * the call's options to see the first one.
 *
 * Pushes are real HTTP POSTs from the fake to `configurePush({ endpoint })`, so Inlet must listen
 * on a port (Fastify `inject` cannot receive them); `settlePushes()` waits for them to finish.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { GmailDeps } from './gmail-handlers.js';
import { makeSigningKeys } from './keys.js';
import type { Watch } from './mailbox.js';
import {
  addMessage,
  createMailbox,
  expireHistoryBefore,
  threadFor,
  watchMatches,
} from './mailbox.js';
import { revokeGrant } from './oauth-info.js';
import type { PushAttempt, PushConfig, PushTokenOptions } from './push.js';
import { makePusher } from './push.js';
import { quotaUsed } from './quota.js';
import { makeHandler } from './router.js';
import type {
  CallLogEntry,
  ConsentOutcome,
  FakeState,
  InjectedError,
  OAuthClientRegistration,
  SentRecord,
} from './state.js';

export type {
  CallLogEntry,
  ConsentOutcome,
  InjectedError,
  OAuthClientRegistration,
  PushAttempt,
  PushConfig,
  PushTokenOptions,
  SentRecord,
};

export interface GoogleFakeOptions {
  /** Cloud project of the OAuth client; users.watch topics must live in it (docs/providers.md,
   *  Gmail fake). */
  projectId?: string;
  clients?: OAuthClientRegistration[];
  /** Base clock; `advanceTime` adds to it. */
  now?: () => number;
  accessTokenTtlSec?: number;
  quotaPerUserPerMinute?: number;
  /** Random gaps between history ids (docs/providers.md, Gmail fake). */
  historyGaps?: boolean;
  /** Put labelIds on history messagesAdded[].message (the documentation does not say; false = ids
   *  only). */
  historyMessageLabelIds?: boolean;
  dailySendLimit?: number;
}

export interface DeliverOptions {
  threadId?: string;
  labelIds?: string[];
}

export interface GoogleFake {
  url: string;
  gmailRootUrl: string;
  oauthEndpoints: {
    oauth2AuthBaseUrl: string;
    oauth2TokenUrl: string;
    oauth2RevokeUrl: string;
    tokenInfoUrl: string;
    oauth2FederatedSignonPemCertsUrl: string;
    oauth2FederatedSignonJwkCertsUrl: string;
  };
  userinfoUrl: string;
  jwksUrl: string;
  issuer: 'https://accounts.google.com';
  projectId: string;
  defaultClient: OAuthClientRegistration;
  close(): Promise<void>;
  registerClient(client: OAuthClientRegistration): void;
  addUser(email: string, opts?: { aliases?: string[] }): { sub: string };
  setConsentOutcome(
    outcome: ConsentOutcome,
    opts?: { email?: string; grantScopes?: string[] },
  ): void;
  /** The user removes the app in their Google account: every token of every client dies. */
  revokeUser(email: string): void;
  /**
   * The user changes which of the app's permissions stay granted (granular consent): the refresh
   * tokens live on and every later refresh answers with exactly these scopes in `scope`, as
   * Google's token endpoint does; access tokens already issued keep theirs until they expire.
   */
  setGrantedScopes(email: string, scopes: string[]): void;
  /** Refresh attempts answer invalid_grant (password change, 7-day testing expiry…); access tokens live on. */
  failRefresh(email: string, failing?: boolean): void;
  /**
   * Moves the fake's clock (token expiry, quota window, watch expiry, push rate cap). Clients keep
   * their own clock: after a jump past an access token's lifetime they still send it and get 401,
   * unless they refresh first.
   */
  advanceTime(ms: number): void;
  deliver(
    email: string,
    raw: Buffer,
    opts?: DeliverOptions,
  ): { id: string; threadId: string; historyId: string };
  sentMessages(email: string): SentRecord[];
  historyId(email: string): string;
  watchOf(email: string): Watch | undefined;
  expireHistoryBefore(email: string, historyId: string | bigint): void;
  injectErrors(email: string, errors: InjectedError[], forCalls?: number): void;
  quotaUsed(email: string): number;
  callLog(): CallLogEntry[];
  configurePush(config: PushConfig): void;
  pushNow(email: string): void;
  pushRaw(body: unknown, token?: string): Promise<{ status: number; body: string }>;
  signPushToken(opts?: PushTokenOptions): Promise<string>;
  holdPushes(): void;
  releasePushes(opts?: { reverse?: boolean }): void;
  /** Resolves once every push in flight (retries included) has finished. */
  settlePushes(): Promise<void>;
  pushAttempts(): PushAttempt[];
}

export async function startGoogleFake(opts: GoogleFakeOptions = {}): Promise<GoogleFake> {
  const baseNow = opts.now ?? Date.now;
  let offset = 0;
  const defaultClient: OAuthClientRegistration = opts.clients?.[0] ?? {
    clientId: '123456789012-inlettest.apps.googleusercontent.com',
    clientSecret: 'GOCSPX-inlet-test-secret',
    redirectUris: ['http://127.0.0.1/oauth/google/callback'],
  };
  const state: FakeState = {
    now: () => baseNow() + offset,
    projectId: opts.projectId ?? 'inlet-test',
    clients: new Map(
      (opts.clients ?? [defaultClient]).map((c) => [
        c.clientId,
        { ...c, redirectUris: [...c.redirectUris] },
      ]),
    ),
    users: new Map(),
    codes: new Map(),
    accessTokens: new Map(),
    refreshTokens: new Map(),
    grants: new Map(),
    refreshFailures: new Set(),
    consent: { outcome: 'consent', email: undefined, grantScopes: undefined },
    keys: await makeSigningKeys(),
    calls: [],
    injected: new Map(),
    quota: new Map(),
    quotaPerUserPerMinute: opts.quotaPerUserPerMinute ?? 15_000,
    accessTokenTtlSec: opts.accessTokenTtlSec ?? 3599,
    historyGaps: opts.historyGaps ?? true,
    historyMessageLabelIds: opts.historyMessageLabelIds ?? true,
    dailySendLimit: opts.dailySendLimit ?? 2000,
    sentToday: new Map(),
    sent: new Map(),
  };
  const pusher = makePusher(state);
  const mailbox = (email: string) => {
    const mb = state.users.get(email.toLowerCase());
    if (!mb) throw new Error(`google fake: no user ${email}; addUser() first`);
    return mb;
  };
  const deps: GmailDeps = {
    state,
    pusher,
    changed(email, labelIds) {
      const mb = mailbox(email);
      if (mb.watch && mb.watch.expiration > state.now() && watchMatches(mb.watch, labelIds))
        pusher.notify(mb.email, mb.historyId);
    },
  };

  const server = createServer(makeHandler(state, deps));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    gmailRootUrl: `${url}/`,
    oauthEndpoints: {
      oauth2AuthBaseUrl: `${url}/o/oauth2/v2/auth`,
      oauth2TokenUrl: `${url}/token`,
      oauth2RevokeUrl: `${url}/revoke`,
      tokenInfoUrl: `${url}/tokeninfo`,
      oauth2FederatedSignonPemCertsUrl: `${url}/oauth2/v1/certs`,
      oauth2FederatedSignonJwkCertsUrl: `${url}/oauth2/v3/certs`,
    },
    userinfoUrl: `${url}/v1/userinfo`,
    jwksUrl: `${url}/oauth2/v3/certs`,
    issuer: 'https://accounts.google.com',
    projectId: state.projectId,
    defaultClient,
    async close() {
      pusher.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    registerClient(client) {
      state.clients.set(client.clientId, { ...client, redirectUris: [...client.redirectUris] });
    },
    addUser(email, o = {}) {
      const mb = createMailbox(email, o.aliases);
      state.users.set(mb.email, mb);
      return { sub: mb.sub };
    },
    setConsentOutcome(outcome, o = {}) {
      state.consent = { outcome, email: o.email?.toLowerCase(), grantScopes: o.grantScopes };
    },
    revokeUser: (email) => revokeGrant(state, email.toLowerCase()),
    setGrantedScopes(email, scopes) {
      const who = email.toLowerCase();
      for (const r of state.refreshTokens.values()) if (r.email === who) r.scopes = [...scopes];
      for (const key of state.grants.keys())
        if (key.startsWith(`${who} `)) state.grants.set(key, new Set(scopes));
    },
    failRefresh(email, failing = true) {
      if (failing) state.refreshFailures.add(email.toLowerCase());
      else state.refreshFailures.delete(email.toLowerCase());
    },
    advanceTime(ms) {
      offset += ms;
    },
    deliver(email, raw, o = {}) {
      const mb = mailbox(email);
      if (o.threadId !== undefined && !mb.threads.has(o.threadId))
        throw new Error(`google fake: unknown thread ${o.threadId}`);
      const msg = addMessage(mb, raw, {
        labelIds: o.labelIds ?? ['INBOX', 'UNREAD'],
        threadId: o.threadId ?? threadFor(mb, raw),
        now: state.now(),
        gaps: state.historyGaps,
      });
      deps.changed(email, msg.labelIds);
      return { id: msg.id, threadId: msg.threadId, historyId: String(msg.historyId) };
    },
    sentMessages: (email) => [...(state.sent.get(email.toLowerCase()) ?? [])],
    historyId: (email) => String(mailbox(email).historyId),
    watchOf: (email) => mailbox(email).watch,
    expireHistoryBefore: (email, id) => expireHistoryBefore(mailbox(email), BigInt(id)),
    injectErrors(email, errors, forCalls = errors.length) {
      state.injected.set(email.toLowerCase(), { errors, remaining: forCalls, next: 0 });
    },
    quotaUsed: (email) => quotaUsed(state, email.toLowerCase()),
    callLog: () => [...state.calls],
    configurePush: (config) => pusher.configure(config),
    pushNow: (email) => pusher.pushNow(mailbox(email).email, mailbox(email).historyId),
    pushRaw: (body, token) => pusher.pushRaw(body, token),
    signPushToken: (o) => pusher.signPushToken(o),
    holdPushes: () => pusher.hold(),
    releasePushes: (o) => pusher.release(o),
    settlePushes: () => pusher.settle(),
    pushAttempts: () => pusher.attempts(),
  };
}
