// Attachments are scanned before the message is stored, so a clean verdict and the bytes land
// together. Anything short of an explicit clean is not clean: infected → quarantined for good;
// scanner down or slow → pending and rescanned later; over clamd's limits → scan_failed (never served).
import { isTransientScanError, type Scanner } from '../scanner/scanner.js';
import type { ScanStatus } from '../store/attachment-store.js';
import type { VerdictCache } from './verdict-cache.js';

export interface ScanVerdict {
  status: ScanStatus;
  detail: string | null;
}

export async function scanOne(scanner: Scanner, content: Buffer): Promise<ScanVerdict> {
  const r = await scanner.scan(content);
  if (r.verdict === 'clean') return { status: 'clean', detail: null };
  if (r.verdict === 'infected') return { status: 'infected', detail: r.signature };
  if (isTransientScanError(r)) return { status: 'pending', detail: r.reason };
  return { status: 'scan_failed', detail: r.reason };
}

export async function scanAll(scanner: Scanner, contents: Buffer[]): Promise<ScanVerdict[]> {
  // A few at a time: clamd has a bounded thread pool and large messages carry many parts.
  const out: ScanVerdict[] = new Array(contents.length);
  let next = 0;
  const worker = async () => {
    while (next < contents.length) {
      const i = next++;
      out[i] = await scanOne(scanner, contents[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(4, contents.length) }, worker));
  return out;
}

/**
 * A message's attachments: a verdict from the cache where there is one, one scan for each other
 * distinct content (the same bytes twice in one message are scanned once).
 */
export async function scanAttachments(scanner: Scanner, cache: VerdictCache, tenantId: string, parts: { sha256: string; content: Buffer }[]): Promise<{ verdicts: ScanVerdict[]; scanned: number }> {
  const verdicts: (ScanVerdict | undefined)[] = parts.map((p) => cache.get(tenantId, p.sha256));
  const todo = new Map<string, Buffer>();
  parts.forEach((p, i) => { if (!verdicts[i]) todo.set(p.sha256, p.content); });
  const hashes = [...todo.keys()];
  const results = await scanAll(scanner, [...todo.values()]);
  const fresh = new Map(hashes.map((h, i) => [h, results[i]!]));
  for (const [h, v] of fresh) cache.set(tenantId, h, v);
  return { verdicts: parts.map((p, i) => verdicts[i] ?? fresh.get(p.sha256)!), scanned: hashes.length };
}
