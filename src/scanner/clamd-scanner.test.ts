// The socket half of the clamd client against small fake servers (real clamd runs in
// test/integration/clamd-scanner.test.ts): what it sends, and what every odd server behaviour maps to.
import { createServer, type Server, type Socket } from 'node:net';
import { Readable } from 'node:stream';

import { afterEach, describe, expect, it } from 'vitest';

import { makeClamdScanner } from './clamd-scanner.js';

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

async function fakeClamd(onConnection: (socket: Socket) => void): Promise<number> {
  const server = createServer(onConnection);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

/** Collects the INSTREAM request, then answers `reply` once the zero-length terminator arrives. */
function instreamServer(reply: string, seen: Buffer[] = []): (socket: Socket) => void {
  return (socket) => {
    let buf = Buffer.alloc(0);
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 14 && buf.subarray(-4).equals(Buffer.alloc(4))) {
        seen.push(buf);
        socket.end(reply);
      }
    });
  };
}

// One connection per scan (what streams always get); the pooled-session path is in clamd-session.test.ts.
const opts = (port: number) => ({
  host: '127.0.0.1',
  port,
  timeoutMs: 2000,
  maxStreamBytes: 1024,
  maxIdleSessions: 0,
});

describe('makeClamdScanner', () => {
  it('frames the content as zINSTREAM, length-prefixed chunks and a zero terminator', async () => {
    const seen: Buffer[] = [];
    const port = await fakeClamd(instreamServer('stream: OK\0', seen));
    const scanner = makeClamdScanner({ ...opts(port), chunkBytes: 4 });
    expect(await scanner.scan(Buffer.from('abcdefghij'))).toEqual({ verdict: 'clean' });
    const expected = Buffer.concat([
      Buffer.from('zINSTREAM\0'),
      Buffer.from([0, 0, 0, 4]),
      Buffer.from('abcd'),
      Buffer.from([0, 0, 0, 4]),
      Buffer.from('efgh'),
      Buffer.from([0, 0, 0, 2]),
      Buffer.from('ij'),
      Buffer.alloc(4),
    ]);
    expect(seen[0]).toEqual(expected);
  });

  it('reports a connection that closes without a verdict as unavailable', async () => {
    const port = await fakeClamd((socket) => socket.on('data', () => socket.destroy()));
    expect(await makeClamdScanner(opts(port)).scan(Buffer.from('x'))).toMatchObject({
      verdict: 'error',
      reason: 'unavailable',
    });
  });

  it('reports a refused connection as unavailable', async () => {
    const port = await fakeClamd(() => undefined);
    await new Promise<void>((resolve) => servers.pop()?.close(() => resolve()));
    expect(await makeClamdScanner(opts(port)).scan(Buffer.from('x'))).toMatchObject({
      verdict: 'error',
      reason: 'unavailable',
    });
  });

  it('resolves (never rejects) when the address cannot even be dialled', async () => {
    const scanner = makeClamdScanner({
      host: '127.0.0.1',
      port: 70_000,
      timeoutMs: 1000,
      maxStreamBytes: 1,
    });
    expect(await scanner.scan(Buffer.from('x'))).toMatchObject({
      verdict: 'error',
      reason: 'unavailable',
    });
    expect(await scanner.ping()).toBe(false);
  });

  it('reports a server that never reads as a timeout', async () => {
    const port = await fakeClamd((socket) => socket.pause());
    const scanner = makeClamdScanner({
      host: '127.0.0.1',
      port,
      timeoutMs: 300,
      maxStreamBytes: 64 * 1024 * 1024,
    });
    expect(await scanner.scan(Buffer.alloc(32 * 1024 * 1024))).toMatchObject({
      verdict: 'error',
      reason: 'timeout',
    });
  });

  it('does not trust a reply it does not understand', async () => {
    const port = await fakeClamd(instreamServer('stream: MAYBE\0'));
    expect(await makeClamdScanner(opts(port)).scan(Buffer.from('x'))).toMatchObject({
      verdict: 'error',
      reason: 'scanner_error',
    });
  });

  it('does not trust an endless reply', async () => {
    const port = await fakeClamd((socket) =>
      socket.on('data', () => socket.write('x'.repeat(8192))),
    );
    expect(await makeClamdScanner(opts(port)).scan(Buffer.from('x'))).toMatchObject({
      verdict: 'error',
      reason: 'scanner_error',
    });
  });

  it('turns a failing source stream into an error and closes the connection', async () => {
    let serverSawClose = false;
    const port = await fakeClamd((socket) => {
      socket.resume();
      socket.on('close', () => (serverSawClose = true));
    });
    const source = new Readable({
      read() {
        this.destroy(new Error('upload aborted'));
      },
    });
    expect(await makeClamdScanner(opts(port)).scan(source)).toMatchObject({
      verdict: 'error',
      reason: 'scanner_error',
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(serverSawClose).toBe(true);
  });

  it('pings with zPING and wants PONG', async () => {
    const good = await fakeClamd((socket) =>
      socket.on('data', (d: Buffer) => d.toString() === 'zPING\0' && socket.end('PONG\0')),
    );
    const bad = await fakeClamd((socket) => socket.on('data', () => socket.end('NOPE\0')));
    expect(await makeClamdScanner(opts(good)).ping()).toBe(true);
    expect(await makeClamdScanner(opts(bad)).ping()).toBe(false);
  });

  it('refuses a config without a deadline or size limit', () => {
    expect(() =>
      makeClamdScanner({ host: 'h', port: 1, timeoutMs: 0, maxStreamBytes: 1 }),
    ).toThrow();
    expect(() =>
      makeClamdScanner({ host: 'h', port: 1, timeoutMs: 1, maxStreamBytes: Number.NaN }),
    ).toThrow();
  });
});
