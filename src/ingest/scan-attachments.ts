// Attachments are scanned before the message is stored, so a clean verdict and the bytes land
// together. Anything short of an explicit clean is not clean: infected → quarantined for good;
// scanner down or slow → pending and rescanned later; over clamd's limits → scan_failed (never served).
import type { Limiter } from '../lib/limiter.js';
import { zipOverLimit } from '../scanner/archive-limits.js';
import { isTransientScanError, type Scanner } from '../scanner/scanner.js';
import type { ScanStatus } from '../store/attachment-store.js';
import type { VerdictCache } from './verdict-cache.js';

export interface ScanVerdict {
  status: ScanStatus;
  detail: string | null;
}

export async function scanOne(scanner: Scanner, content: Buffer): Promise<ScanVerdict> {
  const r = await scanner.scan(content);
  if (r.verdict === 'clean') {
    const refused = zipOverLimit(content);
    return refused ? { status: 'scan_failed', detail: refused } : { status: 'clean', detail: null };
  }
  if (r.verdict === 'infected') return { status: 'infected', detail: r.signature };
  if (isTransientScanError(r)) return { status: 'pending', detail: r.reason };
  return { status: 'scan_failed', detail: r.reason };
}

/**
 * A message's attachments: a verdict from the cache where there is one, one scan for each other
 * distinct content (the same bytes twice in one message are scanned once). `slots` bounds the
 * scans in flight across the whole process: clamd has a bounded thread pool and queue, and large
 * messages carry many parts.
 */
export async function scanAttachments(
  scanner: Scanner,
  slots: Limiter,
  cache: VerdictCache,
  tenantId: string,
  parts: { sha256: string; content: Buffer }[],
): Promise<{ verdicts: ScanVerdict[]; scanned: number }> {
  const verdicts: (ScanVerdict | undefined)[] = parts.map((p) => cache.get(tenantId, p.sha256));
  const todo = new Map<string, Buffer>();
  parts.forEach((p, i) => {
    if (!verdicts[i]) todo.set(p.sha256, p.content);
  });
  const hashes = [...todo.keys()];
  const results = await Promise.all(
    [...todo.values()].map((content) => slots.run(() => scanOne(scanner, content))),
  );
  const fresh = new Map(hashes.map((h, i) => [h, results[i]!]));
  for (const [h, v] of fresh) cache.set(tenantId, h, v);
  return {
    verdicts: parts.map((p, i) => verdicts[i] ?? fresh.get(p.sha256)!),
    scanned: hashes.length,
  };
}
