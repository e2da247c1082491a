// Request limits that must hold before anything costs a database round trip:
//  - failed authentications per client address (a 401 flood with made-up keys becomes 429 after a
//    few attempts, before the key lookup runs), and
//  - requests per tenant per minute, summed over all of its keys (each key also has its own budget).
// Fixed one-minute windows, in memory per process: replicas each enforce their share.
import type { FastifyInstance, FastifyReply } from 'fastify';

import { AppError } from '../../errors.js';

const WINDOW_MS = 60_000;

interface Window {
  count: number;
  resetAt: number;
}

/** Counters per key in fixed windows; expired entries are swept as the map grows. */
export function makeWindowCounter(windowMs = WINDOW_MS) {
  const windows = new Map<string, Window>();
  const current = (key: string, now: number): Window => {
    let w = windows.get(key);
    if (!w || w.resetAt <= now) {
      if (windows.size > 50_000)
        for (const [k, v] of windows) if (v.resetAt <= now) windows.delete(k);
      w = { count: 0, resetAt: now + windowMs };
      windows.set(key, w);
    }
    return w;
  };
  return {
    count: (key: string, now = Date.now()) => current(key, now).count,
    add: (key: string, now = Date.now()) => ++current(key, now).count,
    retryAfterS: (key: string, now = Date.now()) =>
      Math.max(1, Math.ceil((current(key, now).resetAt - now) / 1000)),
  };
}

function refuse(reply: FastifyReply, seconds: number, message: string): never {
  reply.header('retry-after', String(seconds));
  throw new AppError('rate_limited', message);
}

/** Register BEFORE the auth hook: refuses addresses that failed authentication too often. */
export function registerAuthFailureLimit(app: FastifyInstance, perMinute: number): void {
  const failures = makeWindowCounter();
  app.addHook('onRequest', async (req, reply) => {
    if (req.routeOptions.config.auth === 'public') return;
    const key = `ip:${req.ip}`;
    if (failures.count(key) >= perMinute)
      refuse(
        reply,
        failures.retryAfterS(key),
        'Too many failed authentications from this address; retry later.',
      );
  });
  app.addHook('onResponse', async (req, reply) => {
    if (reply.statusCode === 401) failures.add(`ip:${req.ip}`);
  });
}

/** Register AFTER the auth hook: every tenant shares one budget over all of its keys. */
export function registerTenantLimit(app: FastifyInstance, perMinute: number): void {
  const requests = makeWindowCounter();
  app.addHook('onRequest', async (req, reply) => {
    if (!req.actor) return;
    const key = `tenant:${req.actor.tenantId}`;
    if (requests.add(key) > perMinute)
      refuse(reply, requests.retryAfterS(key), 'This tenant made too many requests; retry later.');
  });
}
