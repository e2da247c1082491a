/**
 * Strict local fake of Entra ID and Graph mail, following the rules in docs/providers.md, Microsoft
 * 365 facts. It serves HTTPS on https://localhost:PORT with a certificate from a CA made at test
 * time (tls.ts).
 *
 * Pointing the REAL clients at it (@azure/msal-node 7.x, @microsoft/microsoft-graph-client 3.x):
 *
 *   const fake = await startMicrosoftFake();
 *   trustTestCa();                                     // Node's fetch trusts the test CA
 *   new ConfidentialClientApplication({ auth: { clientId, clientSecret,
 *     authority: `${fake.origin}/organizations`, knownAuthorities: [fake.host] } });
 *   Client.init({ baseUrl: `${fake.origin}/`, customHosts: new Set(['localhost']), authProvider });
 *
 * MSAL fetches `${authority}/v2.0/.well-known/openid-configuration` (knownAuthorities skips the
 * instance discovery call, which the fake also serves at /common/discovery/instance). Delta links
 * are absolute https URLs under /v1.0/, as Graph's are, so `.api(link)` works (docs/providers.md,
 * Microsoft fake).
 *
 * Subscriptions validate their notification URLs with a real POST; notifications are real POSTs.
 * The subscriber's public origin (INLET_PUBLIC_URL) is rewritten to where it listens:
 * `fake.configureDelivery({ publicOrigin, target })`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

import { HttpError, sendJson } from '../google/http-util.js';
import * as mail from './graph-mail.js';
import { type DeliveryAttempt, type DeliveryConfig, makeNotifier } from './notifier.js';
import { makeRouter } from './router.js';
import {
  type AppRegistration,
  type CallLogEntry,
  type ConsentOutcome,
  type FakeState,
  type FakeUser,
  guid,
  type SentRecord,
  type Subscription,
} from './state.js';
import { testTls } from './tls.js';

export type { AppRegistration, CallLogEntry, DeliveryAttempt, SentRecord, Subscription };

export interface MicrosoftFakeOptions {
  apps?: AppRegistration[];
  accessTokenTtlSec?: number;
  /** Longest subscription lifetime (10,080 minutes today, 4,230 in older docs: docs/providers.md,
   *  Microsoft fake). */
  maxSubscriptionMinutes?: number;
  /** Outlook per app+mailbox limits (docs/providers.md, Microsoft 365 facts); tests shrink the
   *  window. */
  throttle?: { windowMs?: number; maxRequests?: number; concurrency?: number };
  /** Added to every Graph answer, so concurrent requests overlap as they do against Exchange. */
  latencyMs?: number;
}

export interface MicrosoftFake {
  origin: string;
  host: string;
  tenantId: string;
  app: AppRegistration;
  close(): Promise<void>;
  addUser(email: string, opts?: { displayName?: string }): { oid: string };
  /** A shared mailbox (no sign-in) that `delegates` may read and send as. */
  addSharedMailbox(email: string, delegates: string[]): { oid: string };
  setConsentOutcome(outcome: ConsentOutcome, email?: string): void;
  /** The user's refresh tokens and sessions so far are revoked (admin "revoke sessions"); signing in again works. */
  revokeUser(email: string): void;
  /**
   * The consented Graph scopes change (the user or an admin withdraws one): refresh tokens live on,
   * and a refresh asking for a scope no longer in `scopes` gets AADSTS65001 consent_required, as
   * Entra answers; access tokens already issued keep theirs until they expire.
   */
  setGrantedScopes(email: string, scopes: string[]): void;
  deliver(email: string, raw: Buffer): { id: string; internetMessageId: string | null };
  /** Evicts the mailbox's delta sync state: every delta/skip token answers 410 syncStateNotFound. */
  expireDeltaTokens(email: string): void;
  sent(email: string): SentRecord[];
  sentItems(email: string): { id: string; internetMessageId: string | null; mime: Buffer }[];
  inboxCount(email: string): number;
  subscriptions(email?: string): Subscription[];
  /** Graph drops a subscription and tells the lifecycle URL (subscriptionRemoved). */
  removeSubscription(id: string): void;
  lifecycle(id: string, event: 'reauthorizationRequired' | 'missed'): void;
  /** The next `count` Graph calls for this mailbox answer `status` with Retry-After. */
  throttleNext(
    email: string,
    count: number,
    opts?: { status?: 429 | 503 | 500; retryAfterSec?: number | null },
  ): void;
  advanceTime(ms: number): void;
  configureDelivery(c: DeliveryConfig): void;
  postRaw(path: string, body: unknown): Promise<{ status: number; body: string }>;
  deliveries(): DeliveryAttempt[];
  settle(): Promise<void>;
  calls(): CallLogEntry[];
  /** Peak concurrent Graph requests seen per mailbox. */
  peakConcurrency(email: string): number;
}

const defaultApp: AppRegistration = {
  clientId: '0d3f6b2a-1c2e-4b7a-9f0e-6c5d4b3a2f10',
  clientSecret: 'fake~secret.value-1234567890',
  redirectUris: ['https://inlet.test/v1/oauth/microsoft/callback'],
};

export async function startMicrosoftFake(opts: MicrosoftFakeOptions = {}): Promise<MicrosoftFake> {
  let offset = 0;
  const apps = opts.apps ?? [defaultApp];
  const s: FakeState = {
    now: () => Date.now() + offset,
    tenantId: guid(),
    apps: new Map(apps.map((a) => [a.clientId, a])),
    users: new Map(),
    byOid: new Map(),
    codes: new Map(),
    accessTokens: new Map(),
    refreshTokens: new Map(),
    revoked: new Map(),
    consent: { outcome: 'consent', email: undefined },
    accessTokenTtlSec: opts.accessTokenTtlSec ?? 3599,
    subscriptions: new Map(),
    maxSubscriptionMinutes: opts.maxSubscriptionMinutes ?? 10_080,
    sent: new Map(),
    injected: new Map(),
    calls: [],
    throttle: {
      windowMs: opts.throttle?.windowMs ?? 600_000,
      maxRequests: opts.throttle?.maxRequests ?? 10_000,
      concurrency: opts.throttle?.concurrency ?? 4,
    },
    inFlight: new Map(),
    requestTimes: new Map(),
    origin: '',
  };
  const notifier = makeNotifier(s);
  const peaks = new Map<string, number>();

  const user = (email: string) => {
    const u = s.users.get(email.toLowerCase());
    if (!u) throw new Error(`microsoft fake: no mailbox ${email}`);
    return u;
  };
  const add = (
    email: string,
    shared: boolean,
    delegates: string[],
    displayName?: string,
  ): FakeUser => {
    const u: FakeUser = {
      oid: guid(),
      email: email.toLowerCase(),
      displayName: displayName ?? email.split('@')[0]!,
      shared,
      delegates: new Set(delegates.map((d) => user(d).oid)),
      messages: [],
      seq: 0,
      deltaEpoch: 0,
    };
    s.users.set(u.email, u);
    s.byOid.set(u.oid, u);
    return u;
  };

  const route = makeRouter({ s, notifier, peaks, latencyMs: opts.latencyMs });

  const tls = testTls();
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', s.origin || 'https://localhost');
    const ctx: { mailbox?: string } = {};
    route(req, res, url, ctx)
      .catch((e: unknown) => {
        if (e instanceof HttpError) return sendJson(res, e.status, e.body, e.headers);
        sendJson(res, 500, {
          error: {
            code: 'InternalServerError',
            message: `fake bug: ${e instanceof Error ? e.message : String(e)}`,
          },
        });
      })
      .finally(() =>
        s.calls.push({
          method: req.method ?? '',
          path: url.pathname,
          mailbox: ctx.mailbox,
          status: res.statusCode,
          at: s.now(),
        }),
      );
  };
  // HTTPS only: the clients would not attach tokens to a plain-http host (docs/providers.md,
  // Microsoft 365 facts).
  const server = createHttpsServer({ key: tls.key, cert: tls.cert }, handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  s.origin = `https://localhost:${port}`;
  const app = apps[0]!;

  return {
    origin: s.origin,
    host: `localhost:${port}`,
    tenantId: s.tenantId,
    app,
    async close() {
      await notifier.settle();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    addUser: (email, o = {}) => ({ oid: add(email, false, [], o.displayName).oid }),
    addSharedMailbox: (email, delegates) => ({ oid: add(email, true, delegates).oid }),
    setConsentOutcome(outcome, email) {
      s.consent = { outcome, email: email?.toLowerCase() };
    },
    revokeUser(email) {
      s.revoked.set(user(email).oid, s.now());
    },
    setGrantedScopes(email, scopes) {
      const oid = user(email).oid;
      for (const r of s.refreshTokens.values()) if (r.oid === oid) r.scopes = [...scopes];
    },
    deliver(email, rawMime) {
      const u = user(email);
      const msg = mail.addMessage(u, rawMime, 'inbox', s.now());
      notifier.created(u, msg);
      return { id: msg.immutableId, internetMessageId: msg.internetMessageId };
    },
    expireDeltaTokens(email) {
      user(email).deltaEpoch++;
    },
    sent: (email) => [...(s.sent.get(email.toLowerCase()) ?? [])],
    sentItems: (email) =>
      user(email)
        .messages.filter((x) => x.folder === 'sentitems' && !x.removed)
        .map((x) => ({ id: x.immutableId, internetMessageId: x.internetMessageId, mime: x.mime })),
    inboxCount: (email) =>
      user(email).messages.filter((x) => x.folder === 'inbox' && !x.removed).length,
    subscriptions: (email) =>
      [...s.subscriptions.values()].filter(
        (x) => x.expirationDateTime > s.now() && (!email || x.mailbox === user(email).oid),
      ),
    removeSubscription(id) {
      const sub = s.subscriptions.get(id);
      if (!sub) throw new Error(`microsoft fake: no subscription ${id}`);
      s.subscriptions.delete(id);
      notifier.lifecycle(sub, 'subscriptionRemoved');
    },
    lifecycle(id, event) {
      const sub = s.subscriptions.get(id);
      if (!sub) throw new Error(`microsoft fake: no subscription ${id}`);
      notifier.lifecycle(sub, event);
    },
    throttleNext(email, count, o = {}) {
      s.injected.set(email.toLowerCase(), {
        status: o.status ?? 429,
        retryAfterSec: o.retryAfterSec === undefined ? 1 : o.retryAfterSec,
        remaining: count,
      });
    },
    advanceTime(ms) {
      offset += ms;
    },
    configureDelivery: (c) => notifier.configure(c),
    postRaw: (path, body) => notifier.raw(path, body),
    deliveries: () => notifier.attempts(),
    settle: () => notifier.settle(),
    calls: () => [...s.calls],
    peakConcurrency: (email) => peaks.get(email.toLowerCase()) ?? 0,
  };
}
