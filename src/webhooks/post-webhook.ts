// One delivery attempt over HTTP(S): to the address checked by endpoint-target.ts, 5 s for the whole
// exchange, redirects not followed (a 3xx is a failure), and only a short prefix of the response
// body read and kept — the rest is discarded unread. With a connection pool (connection-pool.ts) the
// connection is kept for the next delivery when the response ended within the prefix; any other
// ending (timeout, error, a longer body) closes it.
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';

import type { PinnedTarget } from '../net/egress-guard.js';
import type { ConnectionPool } from './connection-pool.js';
import { resolveTarget, type TargetPolicy } from './endpoint-target.js';

export interface AttemptResult {
  ok: boolean;
  status: number | null;
  latencyMs: number;
  error: string | null;
  responsePrefix: string | null;
}

export const responsePrefixBytes = 256;

export async function postWebhook(
  rawUrl: string,
  headers: Record<string, string>,
  body: string,
  opts: { timeoutMs: number; policy: TargetPolicy; pool?: ConnectionPool },
): Promise<AttemptResult> {
  const started = performance.now();
  const done = (r: Omit<AttemptResult, 'latencyMs'>): AttemptResult => ({
    ...r,
    latencyMs: Math.round(performance.now() - started),
  });
  const url = new URL(rawUrl);
  let pinned: PinnedTarget;
  try {
    pinned = await resolveTarget(url, opts.policy);
  } catch (err) {
    // The refusal's reason stays in the logs of the guard; the attempt records the stable code.
    return done({
      ok: false,
      status: null,
      error: (err as { code?: string }).code ?? 'url_not_allowed',
      responsePrefix: null,
    });
  }
  const lookup: LookupFunction = (_host, options, cb) => {
    if ((options as { all?: boolean }).all)
      (cb as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [
        pinned,
      ]);
    else cb(null, pinned.address, pinned.family);
  };
  const client = url.protocol === 'https:' ? https : http;
  return new Promise<AttemptResult>((resolve) => {
    let settled = false;
    const finish = (r: Omit<AttemptResult, 'latencyMs'>, reusable = false) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // A response read to its end leaves the connection to the pool; anything else closes it.
      if (!reusable) req.destroy();
      resolve(done(r));
    };
    const req = client.request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        lookup,
        agent: opts.pool ? opts.pool.agentFor(url, pinned) : false,
      },
      (res) => {
        const status = res.statusCode ?? 0;
        const chunks: Buffer[] = [];
        let size = 0;
        const end = (complete: boolean) => {
          const prefix = Buffer.concat(chunks).subarray(0, responsePrefixBytes).toString('utf8');
          const ok = status >= 200 && status < 300;
          const error = ok
            ? null
            : status >= 300 && status < 400
              ? 'redirect_not_followed'
              : `http_${status}`;
          finish({ ok, status, error, responsePrefix: prefix || null }, complete);
        };
        res.on('data', (c: Buffer) => {
          chunks.push(c);
          size += c.length;
          if (size > responsePrefixBytes) end(false);
        });
        res.on('end', () => end(true));
        res.on('error', () => end(false));
      },
    );
    const timer = setTimeout(
      () => finish({ ok: false, status: null, error: 'timeout', responsePrefix: null }),
      opts.timeoutMs,
    );
    req.on('error', (err: NodeJS.ErrnoException) =>
      finish({
        ok: false,
        status: null,
        error: err.code ?? 'connection_failed',
        responsePrefix: null,
      }),
    );
    req.end(body);
  });
}
