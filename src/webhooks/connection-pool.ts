// Keep-alive HTTP(S) connections for webhook deliveries, one bounded pool per endpoint target. A
// new TCP (and TLS) connection per delivery cost more CPU than everything else a delivery does, on
// both ends. A pool is keyed by origin AND the address the egress guard checked for this delivery:
// a reused connection always goes to an address that passed the guard, and when DNS moves the
// name elsewhere the next delivery checks the new address and opens a new pool (the old one idles
// out). Pools unused for a minute are closed.
import http from 'node:http';
import https from 'node:https';

import type { PinnedTarget } from '../net/egress-guard.js';

export interface ConnectionPool {
  /** The agent to use for `url` connected to `pinned` (the address the guard checked). */
  agentFor(url: URL, pinned: PinnedTarget): http.Agent;
  /** Closes every connection (the dispatcher stops). */
  close(): void;
}

/** Idle connections are closed before common servers' keep-alive timeout (5 s in Node, nginx 75 s). */
const idleSocketMs = 4000;
const idlePoolMs = 60_000;

export function makeConnectionPool(opts: { maxSocketsPerTarget: number }): ConnectionPool {
  const pools = new Map<string, { agent: http.Agent; usedAt: number }>();
  let sweptAt = Date.now();

  const sweep = (now: number) => {
    if (now - sweptAt < idlePoolMs) return;
    sweptAt = now;
    for (const [key, p] of pools)
      if (now - p.usedAt >= idlePoolMs) {
        p.agent.destroy();
        pools.delete(key);
      }
  };

  return {
    agentFor(url, pinned) {
      const now = Date.now();
      sweep(now);
      const key = `${url.protocol}//${url.host}|${pinned.address}`;
      let p = pools.get(key);
      if (!p) {
        const o = {
          keepAlive: true,
          maxSockets: opts.maxSocketsPerTarget,
          maxFreeSockets: opts.maxSocketsPerTarget,
          timeout: idleSocketMs,
          scheduling: 'lifo' as const,
        };
        p = {
          agent: url.protocol === 'https:' ? new https.Agent(o) : new http.Agent(o),
          usedAt: now,
        };
        pools.set(key, p);
      }
      p.usedAt = now;
      return p.agent;
    },
    close() {
      for (const p of pools.values()) p.agent.destroy();
      pools.clear();
    },
  };
}
