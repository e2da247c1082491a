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
 * A message's attachments: a verdict from the cache where there is one, or from a scan of the same
 * bytes for the same tenant still under way (another message of the page), and one scan for each
 * other distinct content (the same bytes twice in one message are scanned once). `slots` bounds
 * the scans in flight across the whole process: clamd has a bounded thread pool and queue, and
 * large messages carry many parts.
 */
export async function scanAttachments(
  scanner: Scanner,
  slots: Limiter,
  cache: VerdictCache,
  tenantId: string,
  parts: { sha256: string; content: Buffer }[],
): Promise<{ verdicts: ScanVerdict[]; scanned: number }> {
  const bySha = new Map<string, { verdict: Promise<ScanVerdict>; scanned: boolean }>();
  for (const p of parts) {
    if (bySha.has(p.sha256)) continue;
    bySha.set(
      p.sha256,
      cache.resolve(tenantId, p.sha256, () => slots.run(() => scanOne(scanner, p.content))),
    );
  }
  const verdicts = await Promise.all(parts.map((p) => bySha.get(p.sha256)!.verdict));
  return { verdicts, scanned: [...bySha.values()].filter((s) => s.scanned).length };
}
