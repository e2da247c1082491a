// The webhook dispatcher (runs in `inlet worker`): numbers committed events (src/events/sequencer.ts),
// then posts every due delivery, signed, to its endpoint and records the attempt. Woken by the
// events trigger's NOTIFY at commit, and at least every second for retries. Deliveries are leased
// with SKIP LOCKED, so several workers share them; a worker that dies mid-attempt leaves a lease
// that expires, and the delivery is tried again: at-least-once, deduplicated by the receiver on
// `webhook-id` (the event id). Order per endpoint is not guaranteed (retries and parallel sends
// overtake); the feed is the ordered view.
import type pg from 'pg';

import type { DataKey } from '../crypto/index.js';
import { eventView, publicEventId } from '../events/event-view.js';
import { sequenceTenantEvents } from '../events/sequencer.js';
import type { Logger } from '../lib/logger.js';
import type { Db, Executor } from '../store/db.js';
import { insertEvent, tenantsWithUnsequenced } from '../store/event-store.js';
import type { KeyService } from '../tenancy/key-service.js';
import { claimDue, type ClaimedDelivery, disableFailing, recordAttempt } from './delivery-store.js';
import { signingSecrets } from './endpoint-service.js';
import type { TargetPolicy } from './endpoint-target.js';
import { type AttemptResult, postWebhook } from './post-webhook.js';
import { nextDelayMs } from './retry-schedule.js';
import { signedHeaders } from './signing.js';

export interface DispatcherDeps {
  db: Db;
  keys: KeyService;
  logger: Logger;
  policy: TargetPolicy;
  /** Disable an endpoint that has failed without a single success for this long (WEBHOOK_DISABLE_AFTER_DAYS). */
  disableAfterMs: number;
  timeoutMs?: number;
  /** Deliveries in flight at once per process. */
  concurrency?: number;
  /** Scheduling clock (retries, leases, disabling); tests move it forward instead of waiting. */
  now?: () => Date;
  random?: () => number;
  /** Replaces the HTTP call (the ingest-cost bench counts without a network). */
  post?: typeof postWebhook;
}

export interface Dispatcher {
  /** Numbers pending events and runs every delivery due now to completion (tests and benches). */
  runOnce(): Promise<{ sequenced: number; attempted: number }>;
  /** Runs until stopped: LISTEN for new events, deliver with bounded concurrency. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

const leaseMs = 60_000;

export function makeWebhookDispatcher(deps: DispatcherDeps): Dispatcher {
  const { db, keys, logger } = deps;
  const log = logger.child({ component: 'webhooks' });
  const now = deps.now ?? (() => new Date());
  const post = deps.post ?? postWebhook;
  const timeoutMs = deps.timeoutMs ?? 5000;
  const concurrency = deps.concurrency ?? 32;

  /**
   * One round trip group: number every tenant's committed events (tenants in id order, so two
   * dispatchers lock them in the same order), then claim up to `limit` due deliveries, the new
   * ones included, in the same transaction.
   */
  async function sequenceAndClaim(
    limit: number,
  ): Promise<{ sequenced: number; batch: { claimed: ClaimedDelivery; secrets: string[] }[] }> {
    return db.tx(async (ex) => {
      let sequenced = 0;
      for (const t of await tenantsWithUnsequenced(ex, 1000))
        sequenced += await sequenceTenantEvents(ex, t, now());
      if (limit <= 0) return { sequenced, batch: [] };
      const at = now();
      const rows = await claimDue(ex, at, new Date(at.getTime() + leaseMs), limit);
      // One key lookup per tenant and one unsealing per endpoint per batch, not per delivery.
      const tenantKeys = new Map<string, DataKey>();
      const secrets = new Map<string, string[]>();
      const batch: { claimed: ClaimedDelivery; secrets: string[] }[] = [];
      for (const c of rows) {
        let dek = tenantKeys.get(c.tenant_id);
        if (!dek)
          tenantKeys.set(c.tenant_id, (dek = await keys.tenantKey(ex, c.tenant_id, 'tenant')));
        let s = secrets.get(c.endpoint_id);
        if (!s) secrets.set(c.endpoint_id, (s = signingSecrets(dek, c.endpoint as never, at)));
        batch.push({ claimed: c, secrets: s });
      }
      return { sequenced, batch };
    });
  }

  /** One HTTP attempt; never throws. */
  async function attempt(c: ClaimedDelivery, secrets: string[]): Promise<AttemptResult> {
    const body = JSON.stringify(eventView(c.event));
    const id = publicEventId(c.event.id);
    // The signature's timestamp is wall-clock time: receivers check it against theirs (replay window).
    const headers = signedHeaders(secrets, id, Math.floor(Date.now() / 1000), body);
    try {
      return await post(c.endpoint.url, headers, body, { timeoutMs, policy: deps.policy });
    } catch (err) {
      return {
        ok: false,
        status: null,
        latencyMs: 0,
        error: (err as Error).name || 'error',
        responsePrefix: null,
      };
    }
  }

  async function record(
    ex: Executor,
    c: ClaimedDelivery,
    result: AttemptResult,
    at: Date,
  ): Promise<void> {
    const delay = result.ok ? null : nextDelayMs(c.attempts, deps.random);
    const health = await recordAttempt(ex, {
      tenantId: c.tenant_id,
      endpointId: c.endpoint_id,
      deliveryId: c.id,
      eventId: c.event.id,
      attempt: c.attempts,
      ok: result.ok,
      status: result.status,
      latencyMs: result.latencyMs,
      error: result.error,
      responsePrefix: result.responsePrefix,
      at,
      retryAt: delay === null ? null : new Date(at.getTime() + delay),
    });
    if (
      !result.ok &&
      health.enabled &&
      health.failingSince &&
      at.getTime() - health.failingSince.getTime() >= deps.disableAfterMs
    ) {
      const reason = `failing since ${health.failingSince.toISOString()} without a successful delivery; last error: ${result.error ?? 'unknown'}`;
      if (await disableFailing(ex, c.tenant_id, c.endpoint_id, reason)) {
        await insertEvent(ex, c.tenant_id, 'webhook_endpoint.disabled', c.endpoint_id, { reason });
        log.warn(
          { tenant: c.tenant_id, endpoint: c.endpoint_id },
          'webhook endpoint disabled after failing too long',
        );
      }
    }
  }

  /**
   * One round: number and claim, post the batch concurrently, record every outcome in one
   * transaction (in endpoint order, so two rounds touching the same endpoints cannot deadlock).
   */
  async function round(limit: number): Promise<{ sequenced: number; attempted: number }> {
    const { sequenced, batch } = await sequenceAndClaim(limit);
    if (batch.length === 0) return { sequenced, attempted: 0 };
    const results = await Promise.all(
      batch.map(async (b) => ({ c: b.claimed, result: await attempt(b.claimed, b.secrets) })),
    );
    const at = now();
    results.sort((a, b) =>
      a.c.endpoint_id < b.c.endpoint_id ? -1 : a.c.endpoint_id > b.c.endpoint_id ? 1 : 0,
    );
    await db.tx(async (ex) => {
      for (const r of results) await record(ex, r.c, r.result, at);
    });
    return { sequenced, attempted: batch.length };
  }

  async function runOnce() {
    let sequenced = 0;
    let attempted = 0;
    for (;;) {
      const r = await round(concurrency);
      sequenced += r.sequenced;
      if (r.attempted === 0) break;
      attempted += r.attempted;
    }
    return { sequenced, attempted };
  }

  let running = false;
  let loops: Promise<void>[] = [];
  let listening: Promise<void> = Promise.resolve();
  let stopListening: (() => void) | null = null;

  async function listenLoop(): Promise<void> {
    for (let attempt = 0; running; attempt++) {
      let client: pg.PoolClient | null = null;
      let broken = false;
      try {
        client = await db.pool.connect();
        client.on('notification', poke);
        const ended = new Promise<void>((resolve) => {
          client!.once('error', () => {
            broken = true;
            resolve();
          });
          client!.once('end', () => {
            broken = true;
            resolve();
          });
          stopListening = resolve;
        });
        await client.query('LISTEN inlet_events');
        attempt = 0;
        await ended;
      } catch {
        broken = true;
      } finally {
        stopListening = null;
        if (client) {
          if (!broken) await client.query('UNLISTEN inlet_events').catch(() => undefined);
          client.release(broken);
        }
      }
      if (!running) break;
      // Back off before reconnecting; stop() cuts the wait short.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(30_000, 500 * 2 ** Math.min(attempt, 6)));
        stopListening = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      stopListening = null;
    }
  }
  const waiters = new Set<() => void>();
  const poke = () => {
    for (const w of waiters) w();
    waiters.clear();
  };
  const waitForWork = () =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        waiters.delete(done);
        resolve();
      }, 1000);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      waiters.add(done);
    });

  // A few rounds run side by side, so one endpoint that takes its whole 5 s holds up only its round.
  const runners = 4;
  const perRound = Math.max(1, Math.floor(concurrency / runners));

  async function runLoop(): Promise<void> {
    while (running) {
      try {
        const r = await round(perRound);
        // A full round means more may be due now; otherwise wait for a commit (NOTIFY) or the retry tick.
        if (r.attempted === perRound) continue;
      } catch (err) {
        log.error(
          { err },
          'webhook dispatch round failed; claimed deliveries are retried when their lease ends',
        );
      }
      if (running) await waitForWork();
    }
  }

  return {
    runOnce,
    start: async () => {
      running = true;
      loops = Array.from({ length: runners }, () => runLoop());
      // LISTEN only shortens the wait; the loops poll every second without it. So the listener
      // connects in the background and reconnects after losing its connection: a database that is
      // slow to accept at start-up (or restarts) must not stop the worker or the deliveries.
      listening = listenLoop();
    },
    stop: async () => {
      running = false;
      poke();
      stopListening?.();
      await Promise.all(loops);
      await listening;
    },
  };
}
