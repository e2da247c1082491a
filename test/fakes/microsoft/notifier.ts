// Deliveries of the Microsoft fake to the subscriber (docs/providers.md, Microsoft 365 facts:
// subscriptions): validation requests, notifications and lifecycle events POSTed with clientState,
// retried on failure, each attempt recorded.

import {
  type FakeMessage,
  type FakeState,
  type FakeUser,
  guid,
  type Subscription,
} from './state.js';

export interface DeliveryAttempt {
  kind: 'validation' | 'notification' | 'lifecycle';
  subscriptionId: string | null;
  status: number | 'error' | 'timeout';
  ms: number;
  at: number;
}

export interface DeliveryConfig {
  /** Rewrites the subscriber's public origin to where it really listens (a TLS-terminating ingress). */
  publicOrigin: string;
  target: string;
  /** Retries after a failed notification POST (Graph keeps retrying for up to 4 hours). */
  retries?: number;
  retryDelayMs?: number;
  validationTimeoutMs?: number;
}

export function makeNotifier(s: FakeState) {
  let config: DeliveryConfig | null = null;
  const attempts: DeliveryAttempt[] = [];
  const inFlight = new Set<Promise<unknown>>();

  const address = (url: string) => {
    if (!config) throw new Error('microsoft fake: configureDelivery() first');
    return url.startsWith(config.publicOrigin)
      ? config.target + url.slice(config.publicOrigin.length)
      : url;
  };

  async function post(
    kind: DeliveryAttempt['kind'],
    subscriptionId: string | null,
    url: string,
    body: string,
    contentType: string,
    timeoutMs: number,
  ) {
    const started = Date.now();
    try {
      const res = await fetch(address(url), {
        method: 'POST',
        headers: { 'content-type': contentType },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await res.text();
      attempts.push({
        kind,
        subscriptionId,
        status: res.status,
        ms: Date.now() - started,
        at: started,
      });
      return { status: res.status, contentType: res.headers.get('content-type') ?? '', text };
    } catch (err) {
      const timedOut = (err as Error).name === 'TimeoutError';
      attempts.push({
        kind,
        subscriptionId,
        status: timedOut ? 'timeout' : 'error',
        ms: Date.now() - started,
        at: started,
      });
      return { status: 0, contentType: '', text: '', timedOut };
    }
  }

  /** The validation handshake: POST url?validationToken=… text/plain; the answer must be 200
   *  text/plain with the decoded token. */
  async function validate(url: string): Promise<'ok' | 'failed' | 'timeout'> {
    const token = `Validation: Testing client application reachability for subscription Request-Id: ${guid()}`;
    const u = new URL(url);
    u.searchParams.set('validationToken', token);
    const r = await post(
      'validation',
      null,
      u.toString(),
      '',
      'text/plain; charset=utf-8',
      config?.validationTimeoutMs ?? 10_000,
    );
    if ('timedOut' in r && r.timedOut) return 'timeout';
    return r.status === 200 && r.contentType.startsWith('text/plain') && r.text === token
      ? 'ok'
      : 'failed';
  }

  function deliver(
    kind: 'notification' | 'lifecycle',
    sub: Subscription,
    url: string,
    item: Record<string, unknown>,
  ): void {
    const body = JSON.stringify({ value: [item] });
    const run = (async () => {
      for (let i = 0; i <= (config?.retries ?? 3); i++) {
        const r = await post(kind, sub.id, url, body, 'application/json; charset=utf-8', 3000);
        if (r.status >= 200 && r.status < 300) return;
        await new Promise((res) => setTimeout(res, config?.retryDelayMs ?? 100));
      }
    })();
    inFlight.add(run);
    void run.finally(() => inFlight.delete(run));
  }

  return {
    configure(c: DeliveryConfig) {
      config = c;
    },
    validate,
    /** A message was created in a mailbox folder: notify matching live subscriptions. */
    created(u: FakeUser, m: FakeMessage) {
      for (const sub of s.subscriptions.values()) {
        if (
          sub.mailbox !== u.oid ||
          sub.expirationDateTime <= s.now() ||
          !sub.changeType.split(',').includes('created') ||
          m.folder !== 'inbox'
        )
          continue;
        deliver('notification', sub, sub.notificationUrl, {
          id: null,
          subscriptionId: sub.id,
          subscriptionExpirationDateTime: new Date(sub.expirationDateTime).toISOString(),
          changeType: 'created',
          resource: `Users/${u.oid}/Messages/${m.immutableId}`,
          clientState: sub.clientState,
          tenantId: s.tenantId,
          resourceData: {
            '@odata.type': '#Microsoft.Graph.Message',
            '@odata.id': `Users/${u.oid}/Messages/${m.immutableId}`,
            '@odata.etag': `W/"CQAAABYAAA${m.seq}"`,
            id: m.immutableId,
          },
        });
      }
    },
    lifecycle(
      sub: Subscription,
      event: 'reauthorizationRequired' | 'subscriptionRemoved' | 'missed',
    ) {
      if (!sub.lifecycleNotificationUrl) return;
      deliver('lifecycle', sub, sub.lifecycleNotificationUrl, {
        subscriptionId: sub.id,
        subscriptionExpirationDateTime: new Date(sub.expirationDateTime).toISOString(),
        tenantId: s.tenantId,
        clientState: sub.clientState,
        lifecycleEvent: event,
      });
    },
    /** A raw POST to Inlet's notification URL, for forged-notification tests. */
    async raw(path: string, body: unknown) {
      const res = await fetch(address(path), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: await res.text() };
    },
    attempts: () => [...attempts],
    async settle() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  };
}

export type Notifier = ReturnType<typeof makeNotifier>;
