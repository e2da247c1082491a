// Recent clamd verdicts by content hash, per tenant. Helpdesk mail repeats the same bytes a lot
// (the logo in every signature, the inline images a reply carries along again); scanning them once
// per few minutes is enough. Only final verdicts are kept (clean, infected): identical bytes get
// the answer clamd gave them minutes ago, under signatures at most that old — and a clean
// attachment is never rescanned later anyway. Errors and pending are never cached. Keyed by tenant
// too, so one tenant's mail never answers for another's (not even by timing). Entries are keyed by
// an HMAC under a key made at process start, so even a heap dump holds no plain content hash.
import { createHmac, randomBytes } from 'node:crypto';

import type { ScanVerdict } from './scan-attachments.js';

export interface VerdictCache {
  get(tenantId: string, sha256: string): ScanVerdict | undefined;
  set(tenantId: string, sha256: string, verdict: ScanVerdict): void;
}

export function makeVerdictCache(opts: {
  maxEntries: number;
  ttlMs: number;
  now?: () => number;
}): VerdictCache {
  const now = opts.now ?? Date.now;
  // A Map iterates in insertion order: re-inserting on every hit keeps the oldest-used first.
  const entries = new Map<string, { verdict: ScanVerdict; at: number }>();
  const secret = randomBytes(32);
  const keyOf = (tenantId: string, sha256: string) =>
    createHmac('sha256', secret).update(tenantId).update('\0').update(sha256).digest('base64');
  return {
    get(tenantId, sha256) {
      const key = keyOf(tenantId, sha256);
      const e = entries.get(key);
      if (!e) return undefined;
      entries.delete(key);
      if (now() - e.at > opts.ttlMs) return undefined;
      entries.set(key, e);
      return e.verdict;
    },
    set(tenantId, sha256, verdict) {
      if (verdict.status !== 'clean' && verdict.status !== 'infected') return;
      const key = keyOf(tenantId, sha256);
      entries.delete(key);
      entries.set(key, { verdict, at: now() });
      while (entries.size > opts.maxEntries) entries.delete(entries.keys().next().value!);
    },
  };
}
