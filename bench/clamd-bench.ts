// Scan latency through makeClamdScanner against a private clamd from test/helpers/clamd.ts.
// `npx tsx bench/clamd-bench.ts` prints one JSON line per case; runClamdBench() returns them.
// The database holds one signature, so these figures are the I/O + type-detection floor, not what
// clamd with the official signatures does (see docs/perf-ceilings.md §5).
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { makeClamdScanner } from '../src/scanner/clamd-scanner.js';
import type { ScanResult } from '../src/scanner/scanner.js';
import { startClamd } from '../test/helpers/clamd.js';
import { eicarBytes } from '../test/helpers/eicar.js';

export interface ClamdBenchRow {
  case: string;
  bytes: number;
  runs: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  mbPerS: number;
}

const MB = 1024 * 1024;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

async function measure(name: string, bytes: number, runs: number, once: () => Promise<ScanResult>, want: ScanResult['verdict']): Promise<ClamdBenchRow> {
  for (let i = 0; i < 3; i++) await once(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = await once();
    times.push(performance.now() - t0);
    if (r.verdict !== want) throw new Error(`${name}: expected ${want}, got ${JSON.stringify(r)}`);
  }
  const med = median(times);
  const round = (x: number): number => Math.round(x * 100) / 100;
  return { case: name, bytes, runs, medianMs: round(med), minMs: round(Math.min(...times)), maxMs: round(Math.max(...times)), mbPerS: round(bytes / MB / (med / 1000)) };
}

export async function runClamdBench(runs = 21): Promise<{ startupMs: number; rows: ClamdBenchRow[] } | null> {
  const clamd = await startClamd({ streamMaxLength: '64M', maxFileSize: '64M', maxScanSize: '128M' });
  if (!clamd) return null;
  try {
    const scanner = makeClamdScanner({ host: clamd.host, port: clamd.port, timeoutMs: 30_000, maxStreamBytes: 64 * MB });
    const small = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
    const eicar = eicarBytes();
    const big = randomBytes(5 * MB);
    const mb1 = randomBytes(MB);
    const rows = [
      await measure('small clean buffer', small.length, runs, () => scanner.scan(small), 'clean'),
      await measure('EICAR buffer', eicar.length, runs, () => scanner.scan(eicar), 'infected'),
      await measure('5 MB random buffer', big.length, runs, () => scanner.scan(big), 'clean'),
      await measure('5 MB random stream (64 KiB reads)', big.length, runs, () => scanner.scan(Readable.from(chunks(big, 64 * 1024))), 'clean'),
      await measure('4 × 1 MB in parallel (per batch)', 4 * MB, runs, async () => {
        const rs = await Promise.all([0, 1, 2, 3].map(() => scanner.scan(mb1)));
        return rs.find((r) => r.verdict !== 'clean') ?? { verdict: 'clean' };
      }, 'clean'),
    ];
    return { startupMs: Math.round(clamd.startupMs), rows };
  } finally {
    await clamd.dispose();
  }
}

function* chunks(buf: Buffer, size: number): Generator<Buffer> {
  for (let at = 0; at < buf.length; at += size) yield buf.subarray(at, at + size);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await runClamdBench();
  if (result) {
    console.log(JSON.stringify({ stage: 'clamd-startup', ms: result.startupMs }));
    for (const row of result.rows) console.log(JSON.stringify(row));
  }
}
