import { describe, expect, test } from 'vitest';

import { makeLimiter } from '../lib/limiter.js';
import type { Scanner, ScanResult } from '../scanner/scanner.js';
import { scanAttachments } from './scan-attachments.js';
import { makeVerdictCache } from './verdict-cache.js';

const clean = { status: 'clean', detail: null } as const;

/** A scanner that answers from a script and counts what it was asked. */
function countingScanner(answer: (content: Buffer) => ScanResult): Scanner & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    scan: async (content) => {
      calls.push((content as Buffer).toString());
      return answer(content as Buffer);
    },
    ping: async () => true,
  };
}

describe('verdict cache', () => {
  test('keeps final verdicts for the TTL, per tenant, and drops the least recently used first', () => {
    let t = 0;
    const cache = makeVerdictCache({ maxEntries: 2, ttlMs: 1000, now: () => t });
    cache.set('a', 'h1', clean);
    cache.set('a', 'h2', { status: 'pending', detail: 'unavailable' });
    cache.set('a', 'h3', { status: 'scan_failed', detail: 'size_limit' });
    expect(cache.get('a', 'h2')).toBeUndefined();
    expect(cache.get('a', 'h3')).toBeUndefined();
    expect(cache.get('b', 'h1')).toBeUndefined(); // another tenant
    expect(cache.get('a', 'h1')).toEqual(clean);
    cache.set('a', 'h4', { status: 'infected', detail: 'Eicar' });
    cache.get('a', 'h1'); // h1 used last: h4 would go first
    cache.set('a', 'h5', clean);
    expect(cache.get('a', 'h4')).toBeUndefined();
    expect(cache.get('a', 'h1')).toEqual(clean);
    t = 1001;
    expect(cache.get('a', 'h1')).toBeUndefined();
  });

  test('identical bytes are scanned once; errors are scanned again next time', async () => {
    const cache = makeVerdictCache({ maxEntries: 100, ttlMs: 60_000 });
    const scanner = countingScanner((c) =>
      c.toString() === 'down'
        ? { verdict: 'error', reason: 'unavailable', detail: 'x' }
        : c.toString() === 'bad'
          ? { verdict: 'infected', signature: 'Test.Sig' }
          : { verdict: 'clean' },
    );
    const part = (s: string) => ({ sha256: `sha-${s}`, content: Buffer.from(s) });
    const first = await scanAttachments(scanner, makeLimiter(4), cache, 't1', [
      part('logo'),
      part('logo'),
      part('bad'),
      part('down'),
    ]);
    expect(first.verdicts.map((v) => v.status)).toEqual(['clean', 'clean', 'infected', 'pending']);
    expect(scanner.calls.sort()).toEqual(['bad', 'down', 'logo']);
    const second = await scanAttachments(scanner, makeLimiter(4), cache, 't1', [
      part('logo'),
      part('bad'),
      part('down'),
    ]);
    expect(second.verdicts.map((v) => v.status)).toEqual(['clean', 'infected', 'pending']);
    expect(second.scanned).toBe(1);
    await scanAttachments(scanner, makeLimiter(4), cache, 't2', [part('logo')]);
    expect(scanner.calls.filter((c) => c === 'logo')).toHaveLength(2); // the other tenant scans its own
  });

  test('a scan under way is shared with the next message of the same tenant, not another tenant', async () => {
    const cache = makeVerdictCache({ maxEntries: 100, ttlMs: 60_000 });
    // clamd answers only when told to: the first message's scans are still under way while the
    // next messages ask for the same bytes, as when a page's messages are parsed while scanning.
    const answers: (() => void)[] = [];
    const calls: string[] = [];
    const scanner: Scanner = {
      scan: (content) => {
        const s = (content as Buffer).toString();
        calls.push(s);
        return new Promise<ScanResult>((resolve) =>
          answers.push(() =>
            resolve(
              s === 'down'
                ? { verdict: 'error', reason: 'unavailable', detail: 'x' }
                : { verdict: 'clean' },
            ),
          ),
        );
      },
      ping: async () => true,
    };
    const part = (s: string) => ({ sha256: `sha-${s}`, content: Buffer.from(s) });
    const slots = makeLimiter(16);
    const first = scanAttachments(scanner, slots, cache, 't1', [part('logo'), part('down')]);
    const second = scanAttachments(scanner, slots, cache, 't1', [part('logo'), part('report')]);
    const other = scanAttachments(scanner, slots, cache, 't2', [part('logo')]);
    await new Promise((r) => setImmediate(r));
    expect(calls.sort()).toEqual(['down', 'logo', 'logo', 'report']); // once per tenant
    for (const answer of answers) answer();
    const [a, b, c] = await Promise.all([first, second, other]);
    expect(a.verdicts.map((v) => v.status)).toEqual(['clean', 'pending']);
    expect(b.verdicts.map((v) => v.status)).toEqual(['clean', 'clean']);
    expect(c.verdicts.map((v) => v.status)).toEqual(['clean']);
    expect([a.scanned, b.scanned, c.scanned]).toEqual([2, 1, 1]);
    // Settled: the clean verdict is cached, the scanner error is asked again.
    const again = scanAttachments(scanner, slots, cache, 't1', [part('logo'), part('down')]);
    await new Promise((r) => setImmediate(r));
    expect(calls.filter((x) => x === 'down')).toHaveLength(2);
    expect(calls.filter((x) => x === 'logo')).toHaveLength(2);
    answers.at(-1)!();
    expect((await again).verdicts.map((v) => v.status)).toEqual(['clean', 'pending']);
  });
});
