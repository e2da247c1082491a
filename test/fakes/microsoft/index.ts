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

import { HttpError, readBody, sendJson } from '../google/http-util.js';
import { admit, bearer, mailboxFor, type Need } from './graph-auth.js';
import * as mail from './graph-mail.js';
import { authorize, instanceDiscovery, openidConfiguration, token } from './identity.js';
import {
  type AppRegistration,
  type CallLogEntry,
  type ConsentOutcome,
  type FakeState,
  type FakeUser,
  graphError,
  guid,
  type SentRecord,
  type Subscription,
} from './state.js';
import {
  createSubscription,
  deleteSubscription,
  type DeliveryAttempt,
  type DeliveryConfig,
  makeNotifier,
  patchSubscription,
  reauthorize,
} from './subscriptions.js';
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

  async function graph(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    raw: Buffer,
    ctx: { mailbox?: string },
  ): Promise<void> {
    const caller = bearer(s, req);
    const path = url.pathname
      .slice('/v1.0/'.length)
      .replace(/mailFolders\('([^']+)'\)/gi, 'mailFolders/$1');
    const method = req.method ?? 'GET';
    if (path === 'subscriptions' && method === 'POST')
      return createSubscription(s, notifier, caller, req, raw, res);
    const sub = /^subscriptions\/([^/]+)(\/reauthorize)?$/.exec(path);
    if (sub) {
      if (sub[2] && method === 'POST') return reauthorize(s, caller, sub[1]!, res);
      if (method === 'PATCH') return patchSubscription(s, caller, sub[1]!, req, raw, res);
      if (method === 'DELETE') return deleteSubscription(s, caller, sub[1]!, res);
    }
    const m = /^(me|users\/([^/]+))(?:\/(.*))?$/.exec(path);
    if (!m)
      throw graphError(
        400,
        'BadRequest',
        `Resource not found for the segment '${path.split('/')[0]}'.`,
      );
    const who = m[1] === 'me' ? 'me' : m[2]!;
    const rest = m[3] ?? '';
    if (rest === '' && method === 'GET') {
      if (!caller.token.scopes.includes('User.Read'))
        throw graphError(
          403,
          'Authorization_RequestDenied',
          'Insufficient privileges to complete the operation.',
        );
      if (
        who !== 'me' &&
        s.byOid.get(who)?.oid !== caller.user.oid &&
        s.users.get(decodeURIComponent(who).toLowerCase())?.oid !== caller.user.oid
      ) {
        throw graphError(
          403,
          'Authorization_RequestDenied',
          'Insufficient privileges to complete the operation.',
        );
      }
      ctx.mailbox = caller.user.email;
      return sendJson(res, 200, {
        '@odata.context': `${s.origin}/v1.0/$metadata#users/$entity`,
        id: caller.user.oid,
        displayName: caller.user.displayName,
        mail: caller.user.email,
        userPrincipalName: caller.user.email,
      });
    }
    const need: Need = /^(sendMail|messages\/[^/]+\/send)$/.test(rest)
      ? 'send'
      : method === 'GET'
        ? 'read'
        : 'write';
    // Drafts and their attachments need Mail.ReadWrite (docs/providers.md, Microsoft fake); sending
    // them needs Mail.Send.
    const mailbox = mailboxFor(s, caller, who, need);
    ctx.mailbox = mailbox.email;
    const release = admit(s, caller.token.clientId, mailbox);
    const key = mailbox.email;
    peaks.set(
      key,
      Math.max(peaks.get(key) ?? 0, s.inFlight.get(`${caller.token.clientId}|${mailbox.oid}`) ?? 0),
    );
    try {
      if (opts.latencyMs) await new Promise((r) => setTimeout(r, opts.latencyMs));
      const c: mail.MailCall = { s, req, url, body: raw, res, mailbox, rest };
      let r: RegExpExecArray | null;
      if (method === 'GET' && /^mailFolders\/inbox\/messages\/delta$/i.test(rest))
        return mail.delta(c);
      if (method === 'GET' && (r = /^mailFolders\/([^/]+)$/i.exec(rest)))
        return sendJson(res, 200, { id: r[1]!.toLowerCase(), displayName: r[1] });
      if (method === 'GET' && (r = /^mailFolders\/([^/]+)\/messages$/i.exec(rest)))
        return mail.listFolder(c, r[1]!);
      if (method === 'GET' && (r = /^messages\/([^/]+)\/\$value$/.exec(rest)))
        return mail.getValue(c, r[1]!);
      if (method === 'GET' && (r = /^messages\/([^/]+)$/.exec(rest)))
        return mail.getMessage(c, r[1]!);
      if (method === 'POST' && rest === 'sendMail') return mail.sendMail(c);
      if (method === 'POST' && rest === 'messages') return mail.createDraft(c);
      if (method === 'POST' && (r = /^messages\/([^/]+)\/attachments$/.exec(rest)))
        return mail.addAttachment(c, r[1]!);
      if (
        method === 'POST' &&
        (r = /^messages\/([^/]+)\/attachments\/createUploadSession$/.exec(rest))
      )
        return mail.createUploadSession(c, r[1]!);
      if (method === 'POST' && (r = /^messages\/([^/]+)\/send$/.exec(rest)))
        return mail.sendDraft(c, r[1]!);
      throw graphError(
        400,
        'BadRequest',
        `Resource not found for the segment '${rest.split('/')[0]}'.`,
      );
    } finally {
      release();
    }
  }

  async function route(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    ctx: { mailbox?: string },
  ): Promise<void> {
    const raw = await readBody(req);
    const p = url.pathname;
    let m: RegExpExecArray | null;
    if (p.startsWith('/v1.0/')) return graph(req, res, url, raw, ctx);
    if ((m = /^\/upload\/([^/]+)$/.exec(p)) && req.method === 'PUT')
      return mail.uploadChunk(s, req, m[1]!, raw, res);
    if (p === '/common/discovery/instance' && req.method === 'GET')
      return instanceDiscovery(s, url, res);
    if (
      (m = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(p)) &&
      req.method === 'GET'
    )
      return openidConfiguration(s, m[1]!, res);
    if ((m = /^\/([^/]+)\/oauth2\/v2\.0\/authorize$/.exec(p)) && req.method === 'GET')
      return authorize(s, m[1]!, url, res);
    if ((m = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(p)) && req.method === 'POST')
      return token(s, m[1]!, req, raw, res, ctx);
    throw graphError(404, 'UnknownError', '');
  }

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
