// Cloud Pub/Sub push delivery for Gmail watches (docs/providers.md, Gmail facts: push, push
// delivery): the envelope, the OIDC bearer token, at-least-once redelivery on a non-success answer,
// the 1-notification-per-second per-user cap, and test switches for duplicates, holding and
// reordering.
import { randomInt } from 'node:crypto';

import type { FakeState } from './state.js';

export interface PushConfig {
  /** Inlet's webhook URL. */
  endpoint: string;
  /** `aud` of the OIDC token (Pub/Sub's default is the endpoint URL). */
  audience: string;
  serviceAccountEmail: string;
  /** Topic users.watch must name; defaults to `projects/<projectId>/topics/gmail-push`. */
  topicName?: string;
  subscription?: string;
  /** Send every envelope a second time, same messageId (at-least-once delivery). */
  duplicate?: boolean;
  /** Encoding of message.data; the Gmail guide says base64url, the Pub/Sub type says base64
   *  (docs/providers.md, Gmail facts: push delivery). */
  dataEncoding?: 'base64' | 'base64url';
  /** JSON type of historyId inside data; real deliveries carry a number (docs/providers.md, Gmail
   *  facts: push delivery). */
  historyIdAs?: 'number' | 'string';
  /** Per-user notification cap; Google drops notifications above 1/s (docs/providers.md, Gmail
   *  facts: push delivery). 0 disables the cap. */
  maxPerSecond?: number;
  /** Redelivery on NACK: attempts and backoff bounds (Google does not document the real bounds). */
  maxAttempts?: number;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Request timeout = subscription ackDeadlineSeconds (default 10 s). */
  ackDeadlineSeconds?: number;
}

export interface PushTokenOptions {
  aud?: string;
  email?: string;
  emailVerified?: boolean;
  exp?: number;
  iat?: number;
  iss?: string;
  /** 'forged' signs with a key that is not in the JWKS but carries the same kid. */
  key?: 'google' | 'forged';
  kid?: string;
}

export interface PushEnvelope {
  message: {
    data: string;
    messageId: string;
    message_id: string;
    publishTime: string;
    publish_time: string;
    attributes?: Record<string, string>;
  };
  subscription: string;
}

export interface PushAttempt {
  email: string | undefined;
  messageId: string;
  historyId: string | undefined;
  attempt: number;
  /** HTTP status Inlet answered, 0 for a network error or timeout, -1 when dropped by the rate cap. */
  status: number;
  at: number;
}

const SUCCESS = new Set([102, 200, 201, 202, 204]);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function makePusher(state: FakeState) {
  let config:
    | (Required<Omit<PushConfig, 'topicName' | 'subscription'>> & {
        topicName: string;
        subscription: string;
      })
    | undefined;
  const attempts: PushAttempt[] = [];
  const inFlight = new Set<Promise<void>>();
  const lastPush = new Map<string, number>();
  let held: { email: string; envelope: PushEnvelope }[] | undefined;
  let closed = false;
  let serial = 2070443601311540n + BigInt(randomInt(1_000_000));

  async function signPushToken(opts: PushTokenOptions = {}): Promise<string> {
    const iat = opts.iat ?? Math.floor(state.now() / 1000);
    return state.keys.sign(
      {
        aud: opts.aud ?? config?.audience ?? 'https://inlet.invalid/webhooks/gmail',
        azp: '113774264463038321964',
        email:
          opts.email ??
          config?.serviceAccountEmail ??
          'gmail-push@inlet-test.iam.gserviceaccount.com',
        email_verified: opts.emailVerified ?? true,
        exp: opts.exp ?? iat + 3600,
        iat,
        iss: opts.iss ?? 'https://accounts.google.com',
        sub: '113774264463038321964',
      },
      opts.key ?? 'google',
      opts.kid,
    );
  }

  function envelope(email: string, historyId: bigint): PushEnvelope {
    if (!config) throw new Error('configurePush() first');
    const data = JSON.stringify({
      emailAddress: email,
      historyId: config.historyIdAs === 'number' ? Number(historyId) : String(historyId),
    });
    serial += BigInt(1 + randomInt(1000));
    const publishTime = new Date(state.now()).toISOString();
    const messageId = String(serial);
    return {
      message: {
        data: Buffer.from(data).toString(config.dataEncoding),
        messageId,
        message_id: messageId,
        publishTime,
        publish_time: publishTime,
      },
      subscription: config.subscription,
    };
  }

  async function post(
    body: string,
    token: string | undefined,
  ): Promise<{ status: number; body: string }> {
    if (!config) throw new Error('configurePush() first');
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'APIs-Google; (+https://developers.google.com/webmasters/APIs-Google.html)',
    };
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    const res = await fetch(config.endpoint, {
      method: 'POST',
      headers,
      body,
      signal: AbortSignal.timeout(config.ackDeadlineSeconds * 1000),
    });
    return { status: res.status, body: await res.text() };
  }

  async function deliver(email: string, env: PushEnvelope): Promise<void> {
    if (!config) return;
    const historyId = (
      JSON.parse(Buffer.from(env.message.data, 'base64').toString('utf8')) as {
        historyId: number | string;
      }
    ).historyId;
    let backoff = config.minBackoffMs;
    for (let attempt = 1; attempt <= config.maxAttempts && !closed; attempt++) {
      let status: number;
      try {
        status = (await post(JSON.stringify(env), await signPushToken())).status;
      } catch {
        status = 0;
      }
      attempts.push({
        email,
        messageId: env.message.messageId,
        historyId: String(historyId),
        attempt,
        status,
        at: state.now(),
      });
      if (SUCCESS.has(status)) return;
      await sleep(backoff);
      backoff = Math.min(backoff * 2, config.maxBackoffMs);
    }
  }

  function track(p: Promise<void>): void {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  }

  function dispatch(email: string, env: PushEnvelope): void {
    if (held) {
      held.push({ email, envelope: env });
      return;
    }
    const dup = config?.duplicate;
    track(deliver(email, env).then(() => (dup ? deliver(email, env) : undefined)));
  }

  return {
    configure(cfg: PushConfig): void {
      config = {
        endpoint: cfg.endpoint,
        audience: cfg.audience,
        serviceAccountEmail: cfg.serviceAccountEmail,
        topicName: cfg.topicName ?? `projects/${state.projectId}/topics/gmail-push`,
        subscription:
          cfg.subscription ?? `projects/${state.projectId}/subscriptions/gmail-push-sub`,
        duplicate: cfg.duplicate ?? false,
        dataEncoding: cfg.dataEncoding ?? 'base64',
        historyIdAs: cfg.historyIdAs ?? 'number',
        maxPerSecond: cfg.maxPerSecond ?? 1,
        maxAttempts: cfg.maxAttempts ?? 5,
        minBackoffMs: cfg.minBackoffMs ?? 100,
        maxBackoffMs: cfg.maxBackoffMs ?? 2000,
        ackDeadlineSeconds: cfg.ackDeadlineSeconds ?? 10,
      };
    },
    topicName: (): string | undefined => config?.topicName,
    /** A watched mailbox changed: publish unless the per-user rate cap drops it. */
    notify(email: string, historyId: bigint): void {
      if (!config || closed) return;
      const now = state.now();
      const last = lastPush.get(email);
      if (
        config.maxPerSecond > 0 &&
        last !== undefined &&
        now - last < 1000 / config.maxPerSecond
      ) {
        attempts.push({
          email,
          messageId: '',
          historyId: String(historyId),
          attempt: 0,
          status: -1,
          at: now,
        });
        return;
      }
      lastPush.set(email, now);
      dispatch(email, envelope(email, historyId));
    },
    /** Publishes the mailbox's current historyId now, ignoring watch state and rate cap. */
    pushNow(email: string, historyId: bigint): void {
      dispatch(email, envelope(email, historyId));
    },
    pushRaw: (body: unknown, token: string | undefined) =>
      post(typeof body === 'string' ? body : JSON.stringify(body), token),
    signPushToken,
    hold(): void {
      held ??= [];
    },
    /**
     * Sends held envelopes, newest first when `reverse` (Pub/Sub does not keep order). One
     * after the other, each (and its duplicate) delivered before the next starts, so the order a
     * test asked for is the order the receiver sees (concurrent POSTs could overtake each other).
     */
    release(opts: { reverse?: boolean } = {}): void {
      const queue = held ?? [];
      held = undefined;
      const dup = config?.duplicate;
      let chain = Promise.resolve();
      for (const item of opts.reverse ? queue.reverse() : queue) {
        chain = chain
          .then(() => deliver(item.email, item.envelope))
          .then(() => (dup ? deliver(item.email, item.envelope) : undefined));
      }
      track(chain);
    },
    async settle(): Promise<void> {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
    attempts: (): PushAttempt[] => [...attempts],
    close(): void {
      closed = true;
    },
  };
}

export type Pusher = ReturnType<typeof makePusher>;
