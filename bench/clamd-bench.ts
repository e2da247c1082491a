// Scan latency through makeClamdScanner against a private clamd from test/helpers/clamd.ts, and CPU
// per scan (clamd's and Node's) for attachment-sized buffers with one connection per scan vs pooled
// IDSESSION connections, with clamd's temp dir on disk vs tmpfs.
// `npx tsx bench/clamd-bench.ts` prints one JSON line per case; runClamdBench() and
// runClamdCpuBench() return them. The database holds one signature, so these figures are the I/O +
// type-detection floor, not what clamd with the official signatures does (measured on this class of machine).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';

import { type ClamdScanner, makeClamdScanner } from '../src/scanner/clamd-scanner.js';
import type { ScanResult } from '../src/scanner/scanner.js';
import { type ClamdHandle, startClamd } from '../test/helpers/clamd.js';
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

async function measure(
  name: string,
  bytes: number,
  runs: number,
  once: () => Promise<ScanResult>,
  want: ScanResult['verdict'],
): Promise<ClamdBenchRow> {
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
  return {
    case: name,
    bytes,
    runs,
    medianMs: round(med),
    minMs: round(Math.min(...times)),
    maxMs: round(Math.max(...times)),
    mbPerS: round(bytes / MB / (med / 1000)),
  };
}

export async function runClamdBench(
  runs = 21,
): Promise<{ startupMs: number; rows: ClamdBenchRow[] } | null> {
  const clamd = await startClamd({
    streamMaxLength: '64M',
    maxFileSize: '64M',
    maxScanSize: '128M',
  });
  if (!clamd) return null;
  try {
    const scanner = makeClamdScanner({
      host: clamd.host,
      port: clamd.port,
      timeoutMs: 30_000,
      maxStreamBytes: 64 * MB,
    });
    const small = Buffer.from(
      '%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n',
    );
    const eicar = eicarBytes();
    const big = randomBytes(5 * MB);
    const mb1 = randomBytes(MB);
    const rows = [
      await measure('small clean buffer', small.length, runs, () => scanner.scan(small), 'clean'),
      await measure('EICAR buffer', eicar.length, runs, () => scanner.scan(eicar), 'infected'),
      await measure('5 MB random buffer', big.length, runs, () => scanner.scan(big), 'clean'),
      await measure(
        '5 MB random stream (64 KiB reads)',
        big.length,
        runs,
        () => scanner.scan(Readable.from(chunks(big, 64 * 1024))),
        'clean',
      ),
      await measure(
        '4 × 1 MB in parallel (per batch)',
        4 * MB,
        runs,
        async () => {
          const rs = await Promise.all([0, 1, 2, 3].map(() => scanner.scan(mb1)));
          return rs.find((r) => r.verdict !== 'clean') ?? { verdict: 'clean' };
        },
        'clean',
      ),
    ];
    return { startupMs: Math.round(clamd.startupMs), rows };
  } finally {
    await clamd.dispose();
  }
}

export interface ClamdCpuRow {
  connection: 'per-scan' | 'session';
  clamdTemp: 'disk' | 'tmpfs';
  parallel: number;
  scans: number;
  rounds: number;
  /** Medians over the rounds. */
  clamdCpuMsPerScan: number;
  nodeCpuMsPerScan: number;
  scansPerS: number;
}

/** /proc/<pid>/stat utime+stime, in ms (clock ticks are 10 ms on Linux, so measure many scans). */
function procCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
const nodeCpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/**
 * Attachment-like buffers, 2–200 KB (log-uniform), every one different so clamd's cache of clean
 * files never answers: PDF-like, PNG-like, base64 text and plain binary, in turn.
 */
function attachments(n: number): Buffer[] {
  let seed = 0x9e3779b9;
  const rand = (): number => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  return Array.from({ length: n }, (_, i) => {
    const size = Math.round(2000 * 100 ** rand());
    switch (i % 4) {
      case 0:
        return Buffer.concat([
          Buffer.from('%PDF-1.4\n1 0 obj << /Length 0 >> stream\n'),
          randomBytes(size),
          Buffer.from('\nendstream endobj\n%%EOF\n'),
        ]);
      case 1:
        return Buffer.concat([
          Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'),
          randomBytes(size),
        ]);
      case 2:
        return Buffer.from(
          randomBytes(Math.ceil((size * 3) / 4))
            .toString('base64')
            .replace(/.{76}/g, '$&\r\n'),
        );
      default:
        return randomBytes(size);
    }
  });
}

async function cpuRound(
  clamd: ClamdHandle,
  scanner: ClamdScanner,
  inputs: Buffer[],
  parallel: number,
): Promise<{ clamd: number; node: number; perS: number }> {
  const pid = clamd.pid!;
  const [c0, n0, t0] = [procCpuMs(pid), nodeCpuMs(), performance.now()];
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < inputs.length) {
        const r = await scanner.scan(inputs[next++]!);
        if (r.verdict !== 'clean') throw new Error(`expected clean, got ${JSON.stringify(r)}`);
      }
    }),
  );
  const wall = performance.now() - t0;
  return {
    clamd: (procCpuMs(pid) - c0) / inputs.length,
    node: (nodeCpuMs() - n0) / inputs.length,
    perS: inputs.length / (wall / 1000),
  };
}

/**
 * Old mode (a connection per scan, clamd temp on disk) against new (pooled sessions, temp on
 * tmpfs) and the two mixes, in interleaved rounds over fresh buffers each round.
 */
export async function runClamdCpuBench(
  scans = 1500,
  rounds = 3,
  parallels = [1, 4],
): Promise<ClamdCpuRow[] | null> {
  const disk = await startClamd({ tmpfsTemp: false });
  if (!disk) return null;
  const tmpfs = await startClamd({ tmpfsTemp: true });
  const clamds = { disk, tmpfs: tmpfs ?? disk };
  const onTmpfs = (c: ClamdHandle): boolean => c.tempDir.startsWith('/dev/shm/');
  const scanners: ClamdScanner[] = [];
  try {
    const cases = (['disk', 'tmpfs'] as const).flatMap((clamdTemp) =>
      (['per-scan', 'session'] as const).map((connection) => {
        const clamd = clamds[clamdTemp];
        const scanner = makeClamdScanner({
          host: clamd.host,
          port: clamd.port,
          timeoutMs: 30_000,
          maxStreamBytes: 64 * MB,
          maxIdleSessions: connection === 'session' ? 8 : 0,
        });
        scanners.push(scanner);
        return { connection, clamdTemp, clamd, scanner };
      }),
    );
    const rows: ClamdCpuRow[] = [];
    for (const parallel of parallels) {
      const samples = cases.map(() => ({
        clamd: [] as number[],
        node: [] as number[],
        perS: [] as number[],
      }));
      for (let round = 0; round < rounds; round++) {
        for (const [i, c] of cases.entries()) {
          await cpuRound(c.clamd, c.scanner, attachments(100), parallel); // warm-up: JIT, sessions
          const r = await cpuRound(c.clamd, c.scanner, attachments(scans), parallel);
          samples[i]!.clamd.push(r.clamd);
          samples[i]!.node.push(r.node);
          samples[i]!.perS.push(r.perS);
        }
      }
      const round3 = (x: number): number => Math.round(x * 1000) / 1000;
      cases.forEach((c, i) => {
        const s = samples[i]!;
        rows.push({
          connection: c.connection,
          clamdTemp: onTmpfs(c.clamd) ? 'tmpfs' : 'disk',
          parallel,
          scans,
          rounds,
          clamdCpuMsPerScan: round3(median(s.clamd)),
          nodeCpuMsPerScan: round3(median(s.node)),
          scansPerS: Math.round(median(s.perS)),
        });
      });
    }
    return rows;
  } finally {
    await Promise.all(scanners.map((s) => s.close()));
    await disk.dispose();
    await tmpfs?.dispose();
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
  const cpu = await runClamdCpuBench();
  if (cpu) {
    for (const row of cpu) console.log(JSON.stringify({ stage: 'clamd-cpu-per-scan', ...row }));
    for (const parallel of new Set(cpu.map((r) => r.parallel))) {
      const pick = (connection: string, clamdTemp: string) =>
        cpu.find(
          (r) =>
            r.parallel === parallel && r.connection === connection && r.clamdTemp === clamdTemp,
        );
      const before = pick('per-scan', 'disk');
      const after = pick('session', 'tmpfs') ?? pick('session', 'disk');
      if (!before || !after) continue;
      const total = (r: ClamdCpuRow): number => r.clamdCpuMsPerScan + r.nodeCpuMsPerScan;
      console.log(
        JSON.stringify({
          stage: 'clamd-cpu-before-after',
          parallel,
          before: `${before.connection}/${before.clamdTemp}`,
          after: `${after.connection}/${after.clamdTemp}`,
          cpuMsPerScanBefore: Math.round(total(before) * 1000) / 1000,
          cpuMsPerScanAfter: Math.round(total(after) * 1000) / 1000,
          cpuRatio: Math.round((total(after) / total(before)) * 100) / 100,
          scansPerSRatio: Math.round((after.scansPerS / before.scansPerS) * 100) / 100,
        }),
      );
    }
  }
}
