// The clamd scanner against a real clamd (started by test/helpers/clamd.ts). Limits are set low so
// the over-limit paths are cheap: 5 MB scans fully, 7 MB passes the stream limit but not the file
// limit (clamd flags Heuristics.Limits.Exceeded), 12 MB breaks StreamMaxLength.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { Readable } from 'node:stream';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { makeClamdScanner } from '../../src/scanner/clamd-scanner.js';
import { queryClamdVersion } from '../../src/scanner/clamd-version.js';
import type { Scanner, ScanResult } from '../../src/scanner/scanner.js';
import { type ClamdHandle, startClamd } from '../helpers/clamd.js';
import { eicarBytes } from '../helpers/eicar.js';

const MB = 1024 * 1024;
const clamd = await startClamd({ streamMaxLength: '10M', maxFileSize: '6M', maxScanSize: '20M' });

function streamOf(total: number, pieceBytes: number): Readable {
  let left = total;
  return new Readable({
    read() {
      if (left <= 0) return void this.push(null);
      const n = Math.min(pieceBytes, left);
      left -= n;
      this.push(randomBytes(n));
    },
  });
}

const pdfLike = Buffer.from(
  '%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n' +
    '2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n',
);

describe.skipIf(!clamd)('clamd scanner against a real clamd', () => {
  const server = clamd as ClamdHandle;
  let scanner: Scanner;

  beforeAll(() => {
    scanner = makeClamdScanner({
      host: server.host,
      port: server.port,
      timeoutMs: 20_000,
      maxStreamBytes: 64 * MB,
    });
  });
  afterAll(async () => {
    await server.dispose();
  });

  it('answers ping', async () => {
    expect(await scanner.ping()).toBe(true);
  });

  it('answers VERSION with its engine; the test database (no daily.cvd) has no date', async () => {
    const v = await queryClamdVersion({ host: server.host, port: server.port, timeoutMs: 5_000 });
    expect(v?.engine).toMatch(/^\d+\.\d+/);
    expect(v?.databaseBuilt).toBeNull();
  });

  it('reports the EICAR file as infected with the signature name', async () => {
    expect(await scanner.scan(eicarBytes())).toEqual({
      verdict: 'infected',
      signature: server.eicarSignature,
    });
  });

  it('finds EICAR when it arrives as a stream in many small INSTREAM chunks', async () => {
    const tiny = makeClamdScanner({
      host: server.host,
      port: server.port,
      timeoutMs: 20_000,
      maxStreamBytes: MB,
      chunkBytes: 7,
    });
    const bytes = eicarBytes();
    const pieces = [bytes.subarray(0, 5), bytes.subarray(5, 40), bytes.subarray(40)];
    expect(await tiny.scan(Readable.from(pieces))).toEqual({
      verdict: 'infected',
      signature: server.eicarSignature,
    });
  });

  it('passes a clean PDF-like buffer', async () => {
    expect(await scanner.scan(pdfLike)).toEqual({ verdict: 'clean' });
  });

  it('passes 5 MB of random bytes, as a buffer and as a stream', async () => {
    expect(await scanner.scan(randomBytes(5 * MB))).toEqual({ verdict: 'clean' });
    expect(await scanner.scan(streamOf(5 * MB, 100_000))).toEqual({ verdict: 'clean' });
  });

  it('keeps verdicts apart when scans run in parallel', async () => {
    const inputs = Array.from({ length: 12 }, (_, i) =>
      i % 3 === 0 ? eicarBytes() : randomBytes(200_000),
    );
    const results = await Promise.all(inputs.map((b) => scanner.scan(b)));
    results.forEach((r, i) => {
      expect(r.verdict).toBe(i % 3 === 0 ? 'infected' : 'clean');
    });
  });

  it('never calls content over MaxFileSize clean (clamd flags Heuristics.Limits.Exceeded)', async () => {
    const result = await scanner.scan(randomBytes(7 * MB));
    expect(result).toMatchObject({ verdict: 'error', reason: 'size_limit' });
    expect((result as { detail: string }).detail).toContain('Heuristics.Limits.Exceeded');
  });

  it('never calls a stream over StreamMaxLength clean', async () => {
    const source = streamOf(12 * MB, 256 * 1024);
    const result = await scanner.scan(source);
    // clamd answers "INSTREAM size limit exceeded" and resets the connection while we still write;
    // under load the reset can reach us before the answer is read (a TCP RST discards it), so the
    // verdict is size_limit or unavailable — never clean, and never a hang.
    expect(result.verdict).toBe('error');
    expect(['size_limit', 'unavailable']).toContain((result as { reason: string }).reason);
    expect(source.destroyed).toBe(true);
  });

  it('stops at its own maxStreamBytes without waiting for clamd', async () => {
    const small = makeClamdScanner({
      host: server.host,
      port: server.port,
      timeoutMs: 20_000,
      maxStreamBytes: MB,
    });
    const source = streamOf(3 * MB, 64 * 1024);
    expect(await small.scan(source)).toMatchObject({ verdict: 'error', reason: 'size_limit' });
    expect(source.destroyed).toBe(true);
    expect(await small.scan(randomBytes(MB + 1))).toMatchObject({
      verdict: 'error',
      reason: 'size_limit',
    });
  });

  it('says unavailable (not clean, not a hang) while clamd is down, and recovers after restart', async () => {
    await server.stop();
    expect(server.pid).toBeUndefined();
    // The long timeoutMs proves the answer comes from the refused connection, not from the timer.
    expect(await scanner.scan(pdfLike)).toMatchObject({ verdict: 'error', reason: 'unavailable' });
    expect(await scanner.scan(eicarBytes())).toMatchObject({
      verdict: 'error',
      reason: 'unavailable',
    });
    expect(await scanner.ping()).toBe(false);

    await server.start();
    expect(server.pid).toBeTypeOf('number');
    expect(await scanner.ping()).toBe(true);
    expect(await scanner.scan(pdfLike)).toEqual({ verdict: 'clean' });
    expect(await scanner.scan(eicarBytes())).toEqual({
      verdict: 'infected',
      signature: server.eicarSignature,
    });
  });

  it('does not call a scan clean when clamd dies while the content is still arriving', async () => {
    let sent = 0;
    let killed: Promise<void> | undefined;
    const source = new Readable({
      read() {
        sent += 1;
        if (sent === 3) killed = server.stop();
        if (sent > 200) return void this.push(null);
        setTimeout(() => this.push(randomBytes(16 * 1024)), 5);
      },
    });
    const result: ScanResult = await scanner.scan(source);
    await killed;
    expect(result.verdict).toBe('error');
    await server.start();
    expect(await scanner.scan(pdfLike)).toEqual({ verdict: 'clean' });
  });
});

// Runs without clamd: a listener that accepts and reads but never answers stands in for a hung clamd.
describe('clamd scanner against a silent server', () => {
  it('gives up with a timeout verdict, not clean and not a hang', async () => {
    const silent = createServer((socket) => socket.resume());
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    try {
      const scanner = makeClamdScanner({
        host: '127.0.0.1',
        port,
        timeoutMs: 300,
        maxStreamBytes: MB,
      });
      expect(await scanner.scan(eicarBytes())).toMatchObject({
        verdict: 'error',
        reason: 'timeout',
      });
      expect(await scanner.ping()).toBe(false);
    } finally {
      silent.close();
    }
  });
});
