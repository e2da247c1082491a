// The webhook dispatcher (runs in `inlet worker`): numbers committed events (src/events/sequencer.ts),
// then posts every due delivery, signed, to its endpoint and records the attempt. Woken by the
// events trigger's NOTIFY at commit, and at least every second for retries. Deliveries are leased
// with SKIP LOCKED, so several workers share them; a worker that dies mid-attempt leaves a lease
// that expires, and the delivery is tried again: at-least-once, deduplicated by the receiver on
// `webhook-id` (the event id). Order per endpoint is not guaranteed (retries and parallel sends
// overtake); the feed is the ordered view.
//
// The running loop is a pipeline, not lock-step rounds: one claimer takes as many due deliveries
// as there are free slots (at most `perEndpoint` in flight per endpoint, so a slow endpoint holds
// only its own slots), each is posted as soon as it is claimed over a kept-alive connection, and
// outcomes are recorded in batches, one statement per batch, while the next posts are in flight.
import type { DataKey } from '../crypto/index.js';
import { eventView, publicEventId } from '../events/event-view.js';
import { sequenceTenantEvents } from '../events/sequencer.js';
import type { Logger } from '../lib/logger.js';
import type { Db } from '../store/db.js';
import { insertEvent, tenantsWithUnsequenced } from '../store/event-store.js';
import type { KeyService } from '../tenancy/key-service.js';
import { makeConnectionPool } from './connection-pool.js';
import {
  claimDue,
  type ClaimedDelivery,
  disableFailing,
  recordAttempts,
} from './delivery-store.js';
import type { TargetPolicy } from './endpoint-target.js';
import { listenForEvents } from './event-listener.js';
import { type AttemptResult, postWebhook } from './post-webhook.js';
import { nextDelayMs } from './retry-schedule.js';
import { makeSecretCache } from './secret-cache.js';
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
  /** Deliveries (and connections) in flight at once per endpoint per process. */
  perEndpoint?: number;
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

interface Claimed {
  c: ClaimedDelivery;
  secrets: string[];
}
interface Outcome {
  c: ClaimedDelivery;
  result: AttemptResult;
}

const leaseMs = 60_000;
const recordBatch = 500;

export function makeWebhookDispatcher(deps: DispatcherDeps): Dispatcher {
  const { db, keys, logger } = deps;
  const log = logger.child({ component: 'webhooks' });
  const now = deps.now ?? (() => new Date());
  const post = deps.post ?? postWebhook;
  const timeoutMs = deps.timeoutMs ?? 5000;
  const concurrency = deps.concurrency ?? 64;
  const perEndpoint = Math.min(deps.perEndpoint ?? 8, concurrency);
  const pool = makeConnectionPool({ maxSocketsPerTarget: perEndpoint });
  const secretCache = makeSecretCache();

  /**
   * One transaction: number every tenant's committed events (tenants in id order, so two
   * dispatchers lock them in the same order), then claim up to `limit` due deliveries, the new
   * ones included, skipping endpoints already at their limit here.
   */
  async function sequenceAndClaim(
    limit: number,
    skipEndpoints: string[],
  ): Promise<{ sequenced: number; batch: Claimed[] }> {
    return db.tx(async (ex) => {
      let sequenced = 0;
      for (const t of await tenantsWithUnsequenced(ex, 1000))
        sequenced += await sequenceTenantEvents(ex, t, now());
      if (limit <= 0) return { sequenced, batch: [] };
      const at = now();
      const rows = await claimDue(ex, at, new Date(at.getTime() + leaseMs), limit, skipEndpoints);
      // The tenant's data key is read only for endpoints whose secrets are not open already.
      const tenantKeys = new Map<string, DataKey>();
      const batch: Claimed[] = [];
      for (const c of rows) {
        let secrets = secretCache.get(c.endpoint, at);
        if (!secrets) {
          let dek = tenantKeys.get(c.tenant_id);
          if (!dek)
            tenantKeys.set(c.tenant_id, (dek = await keys.tenantKey(ex, c.tenant_id, 'tenant')));
          secrets = secretCache.open(dek, c.endpoint, at);
        }
        batch.push({ c, secrets });
      }
      return { sequenced, batch };
    });
  }

  /** One HTTP attempt; never throws. */
  async function attempt({ c, secrets }: Claimed): Promise<Outcome> {
    try {
      const body = JSON.stringify(eventView(c.event));
      const id = publicEventId(c.event.id);
      // The signature's timestamp is wall-clock time: receivers check it against theirs (replay window).
      const headers = signedHeaders(secrets, id, Math.floor(Date.now() / 1000), body);
      return {
        c,
        result: await post(c.endpoint.url, headers, body, { timeoutMs, policy: deps.policy, pool }),
      };
    } catch (err) {
      const error = (err as Error).name || 'error';
      return { c, result: { ok: false, status: null, latencyMs: 0, error, responsePrefix: null } };
    }
  }

  /** Records outcomes (one statement), then disables endpoints that have failed for too long. */
  async function record(outcomes: Outcome[]): Promise<void> {
    const at = now();
    const failing = await db.tx((ex) =>
      recordAttempts(
        ex,
        outcomes.map(({ c, result }) => {
          const delay = result.ok ? null : nextDelayMs(c.attempts, deps.random);
          return {
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
            retryAt: delay === null ? null : new Date(at.getTime() + delay),
          };
        }),
        at,
      ),
    );
    for (const f of failing) {
      if (!f.enabled || !f.failingSince) continue;
      if (at.getTime() - f.failingSince.getTime() < deps.disableAfterMs) continue;
      const last = outcomes.findLast((o) => o.c.endpoint_id === f.endpointId)?.result.error;
      const reason = `failing since ${f.failingSince.toISOString()} without a successful delivery; last error: ${last ?? 'unknown'}`;
      await db.tx(async (ex) => {
        if (await disableFailing(ex, f.tenantId, f.endpointId, reason)) {
          await insertEvent(ex, f.tenantId, 'webhook_endpoint.disabled', f.endpointId, { reason });
          log.warn(
            { tenant: f.tenantId, endpoint: f.endpointId },
            'webhook endpoint disabled after failing too long',
          );
        }
      });
    }
  }

  async function runOnce() {
    let sequenced = 0;
    let attempted = 0;
    for (;;) {
      const r = await sequenceAndClaim(concurrency, []);
      sequenced += r.sequenced;
      if (r.batch.length === 0) break;
      attempted += r.batch.length;
      await record(await Promise.all(r.batch.map(attempt)));
    }
    return { sequenced, attempted };
  }

  // ---- the running pipeline ----
  let running = false;
  let inFlight = 0;
  const perTarget = new Map<string, number>();
  const done: Outcome[] = [];
  let recording: Promise<void> | null = null;
  let claimer: Promise<void> = Promise.resolve();
  let listener: { stop(): Promise<void> } | null = null;
  /** Set when the last claim was limited by free slots: a finished delivery should wake the claimer. */
  let slotBound = false;
  let wake: (() => void) | null = null;
  let woken = false;
  const poke = () => {
    woken = true;
    wake?.();
  };

  function recordPending(): void {
    if (recording) return;
    recording = (async () => {
      while (done.length > 0) {
        const batch = done.splice(0, recordBatch);
        try {
          await record(batch);
        } catch (err) {
          // Their leases run out and they are tried again: at-least-once, no attempt history lost
          // beyond this try's.
          log.error({ err, n: batch.length }, 'recording webhook attempts failed');
        }
      }
    })().finally(() => {
      recording = null;
      if (done.length > 0) recordPending();
    });
  }

  function launch(b: Claimed): void {
    inFlight++;
    perTarget.set(b.c.endpoint_id, (perTarget.get(b.c.endpoint_id) ?? 0) + 1);
    void attempt(b).then((o) => {
      inFlight--;
      const n = perTarget.get(b.c.endpoint_id)! - 1;
      if (n === 0) perTarget.delete(b.c.endpoint_id);
      else perTarget.set(b.c.endpoint_id, n);
      done.push(o);
      recordPending();
      if (slotBound) poke();
    });
  }

  async function claimLoop(): Promise<void> {
    while (running) {
      woken = false;
      let more = false;
      try {
        const free = concurrency - inFlight;
        const skip = [...perTarget].filter(([, n]) => n >= perEndpoint).map(([id]) => id);
        const { batch } = await sequenceAndClaim(free, skip);
        for (const b of batch) launch(b);
        // A full claim means more may be due: go again once slots free up (or at once if free).
        slotBound = free <= 0 || skip.length > 0 || batch.length === free;
        more = batch.length > 0 && batch.length === free && inFlight < concurrency;
      } catch (err) {
        log.error(
          { err },
          'webhook claim failed; claimed deliveries are retried when their lease ends',
        );
      }
      if (more || !running) continue;
      if (!woken)
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 1000);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      wake = null;
    }
  }

  return {
    runOnce,
    start: async () => {
      running = true;
      claimer = claimLoop();
      listener = listenForEvents(db, poke);
    },
    stop: async () => {
      running = false;
      poke();
      await claimer;
      await listener?.stop();
      while (inFlight > 0 || recording || done.length > 0) {
        await (recording ?? new Promise((r) => setTimeout(r, 20)));
      }
      pool.close();
    },
  };
}
