// Recent clamd verdicts by content hash, per tenant. Helpdesk mail repeats the same bytes a lot
// (the logo in every signature, the inline images a reply carries along again); scanning them once
// per few minutes is enough. Only final verdicts are kept (clean, infected): identical bytes get
// the answer clamd gave them minutes ago, under signatures at most that old — and a clean
// attachment is never rescanned later anyway. Errors and pending are never cached. A scan still
// under way is shared too: a page's messages are scanned while the next ones are parsed, so the
// logo in consecutive mails of one page would otherwise reach clamd once per mail, each before
// the first verdict came back to be cached. Keyed by tenant
// too, so one tenant's mail never answers for another's (not even by timing). Entries are keyed by
// an HMAC under a key made at process start, so even a heap dump holds no plain content hash.
import { createHmac, randomBytes } from 'node:crypto';

import type { ScanVerdict } from './scan-attachments.js';

export interface VerdictCache {
  get(tenantId: string, sha256: string): ScanVerdict | undefined;
  set(tenantId: string, sha256: string, verdict: ScanVerdict): void;
  /**
   * The verdict for these bytes: from the cache; else from a scan of the same bytes for the same
   * tenant still under way; else from `scan`, started now, shared until it settles and then kept
   * as set() keeps verdicts. `scanned`: whether `scan` was started.
   */
  resolve(
    tenantId: string,
    sha256: string,
    scan: () => Promise<ScanVerdict>,
  ): { verdict: Promise<ScanVerdict>; scanned: boolean };
}

export function makeVerdictCache(opts: {
  maxEntries: number;
  ttlMs: number;
  now?: () => number;
}): VerdictCache {
  const now = opts.now ?? Date.now;
  // A Map iterates in insertion order: re-inserting on every hit keeps the oldest-used first.
  const entries = new Map<string, { verdict: ScanVerdict; at: number }>();
  // Scans under way, by the same keys; each entry leaves when its scan settles, so this holds no
  // more than the scans in flight.
  const running = new Map<string, Promise<ScanVerdict>>();
  const secret = randomBytes(32);
  const keyOf = (tenantId: string, sha256: string) =>
    createHmac('sha256', secret).update(tenantId).update('\0').update(sha256).digest('base64');
  const lookup = (key: string) => {
    const e = entries.get(key);
    if (!e) return undefined;
    entries.delete(key);
    if (now() - e.at > opts.ttlMs) return undefined;
    entries.set(key, e);
    return e.verdict;
  };
  const keep = (key: string, verdict: ScanVerdict) => {
    if (verdict.status !== 'clean' && verdict.status !== 'infected') return;
    entries.delete(key);
    entries.set(key, { verdict, at: now() });
    while (entries.size > opts.maxEntries) entries.delete(entries.keys().next().value!);
  };
  return {
    get: (tenantId, sha256) => lookup(keyOf(tenantId, sha256)),
    set: (tenantId, sha256, verdict) => keep(keyOf(tenantId, sha256), verdict),
    resolve(tenantId, sha256, scan) {
      const key = keyOf(tenantId, sha256);
      const cached = lookup(key);
      if (cached) return { verdict: Promise.resolve(cached), scanned: false };
      const shared = running.get(key);
      if (shared) return { verdict: shared, scanned: false };
      const verdict = scan().then((v) => {
        keep(key, v);
        return v;
      });
      running.set(key, verdict);
      const settled = () => {
        if (running.get(key) === verdict) running.delete(key);
      };
      verdict.then(settled, settled);
      return { verdict, scanned: true };
    },
  };
}
