// The webhook dispatcher (runs in `inlet worker`): numbers committed events (src/events/sequencer.ts),
// then posts every due delivery, signed, to its endpoint and records the attempt. Woken by the
// events trigger's NOTIFY at commit, and at least every second for retries. Deliveries are leased
// with SKIP LOCKED, so several workers share them; a worker that dies mid-attempt leaves a lease
// that expires, and the delivery is tried again: at-least-once, deduplicated by the receiver on
// `webhook-id` (the event id). Order per endpoint is not guaranteed (retries and parallel sends
// overtake); the feed is the ordered view.
import type pg from 'pg';
import type { Logger } from '../lib/logger.js';
import type { Db } from '../store/db.js';
import { insertEvent, tenantsWithUnsequenced } from '../store/event-store.js';
import type { KeyService } from '../tenancy/key-service.js';
import { sequenceTenantEvents } from '../events/sequencer.js';
import { eventView, publicEventId } from '../events/event-view.js';
import { claimDue, disableFailing, recordAttempt, type ClaimedDelivery } from './delivery-store.js';
import { signingSecrets } from './endpoint-service.js';
import type { TargetPolicy } from './endpoint-target.js';
import { postWebhook, type AttemptResult } from './post-webhook.js';
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
  async function sequenceAndClaim(limit: number): Promise<{ sequenced: number; batch: { claimed: ClaimedDelivery; secrets: string[] }[] }> {
    return db.tx(async (ex) => {
      let sequenced = 0;
      for (const t of await tenantsWithUnsequenced(ex, 1000)) sequenced += await sequenceTenantEvents(ex, t, now());
      if (limit <= 0) return { sequenced, batch: [] };
      const at = now();
      const rows = await claimDue(ex, at, new Date(at.getTime() + leaseMs), limit);
      const batch: { claimed: ClaimedDelivery; secrets: string[] }[] = [];
      for (const c of rows) batch.push({ claimed: c, secrets: signingSecrets(await keys.tenantKey(ex, c.tenant_id, 'tenant'), c.endpoint as never, at) });
      return { sequenced, batch };
    });
  }

  async function deliver(c: ClaimedDelivery, secrets: string[]): Promise<void> {
    const body = JSON.stringify(eventView(c.event));
    const id = publicEventId(c.event.id);
    // The signature's timestamp is wall-clock time: receivers check it against theirs (replay window).
    const headers = signedHeaders(secrets, id, Math.floor(Date.now() / 1000), body);
    let result: AttemptResult;
    try {
      result = await post(c.endpoint.url, headers, body, { timeoutMs, policy: deps.policy });
    } catch (err) {
      result = { ok: false, status: null, latencyMs: 0, error: (err as Error).name || 'error', responsePrefix: null };
    }
    const at = now();
    const delay = result.ok ? null : nextDelayMs(c.attempts, deps.random);
    await db.tx(async (ex) => {
      const health = await recordAttempt(ex, {
        tenantId: c.tenant_id, endpointId: c.endpoint_id, deliveryId: c.id, eventId: c.event.id, attempt: c.attempts, ok: result.ok,
        status: result.status, latencyMs: result.latencyMs, error: result.error, responsePrefix: result.responsePrefix, at,
        retryAt: delay === null ? null : new Date(at.getTime() + delay),
      });
      if (!result.ok && health.enabled && health.failingSince && at.getTime() - health.failingSince.getTime() >= deps.disableAfterMs) {
        const reason = `failing since ${health.failingSince.toISOString()} without a successful delivery; last error: ${result.error ?? 'unknown'}`;
        if (await disableFailing(ex, c.tenant_id, c.endpoint_id, reason)) {
          await insertEvent(ex, c.tenant_id, 'webhook_endpoint.disabled', c.endpoint_id, { reason });
          log.warn({ tenant: c.tenant_id, endpoint: c.endpoint_id }, 'webhook endpoint disabled after failing too long');
        }
      }
    });
  }

  async function runOnce() {
    let sequenced = 0;
    let attempted = 0;
    for (;;) {
      const round = await sequenceAndClaim(concurrency);
      sequenced += round.sequenced;
      if (round.batch.length === 0) break;
      await Promise.all(round.batch.map((b) => deliver(b.claimed, b.secrets)));
      attempted += round.batch.length;
    }
    return { sequenced, attempted };
  }

  let running = false;
  let loop: Promise<void> | null = null;
  let listener: pg.PoolClient | null = null;
  let wake: (() => void) | null = null;
  const poke = () => wake?.();

  async function runLoop(): Promise<void> {
    let inFlight = 0;
    while (running) {
      try {
        const free = concurrency - inFlight;
        const { batch } = await sequenceAndClaim(free);
        for (const b of batch) {
          inFlight++;
          void deliver(b.claimed, b.secrets)
            .catch((err: unknown) => log.error({ err, endpoint: b.claimed.endpoint_id }, 'recording a webhook attempt failed; the lease expires and it is retried'))
            .finally(() => { inFlight--; poke(); });
        }
        // A full batch means more may be due; otherwise wait for a commit (NOTIFY), a finished
        // delivery or the next retry tick.
        if (free > 0 && batch.length === free) continue;
      } catch (err) {
        log.error({ err }, 'webhook dispatch round failed');
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1000);
        wake = () => { clearTimeout(timer); wake = null; resolve(); };
      });
    }
    while (inFlight > 0) await new Promise((r) => setTimeout(r, 20));
  }

  return {
    runOnce,
    start: async () => {
      running = true;
      listener = await db.pool.connect();
      listener.on('notification', poke);
      await listener.query('LISTEN inlet_events');
      loop = runLoop();
    },
    stop: async () => {
      running = false;
      poke();
      await loop;
      if (listener) {
        await listener.query('UNLISTEN inlet_events').catch(() => undefined);
        listener.release();
        listener = null;
      }
    },
  };
}
