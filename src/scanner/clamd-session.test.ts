// Buffer scans over pooled clamd IDSESSION connections against fake servers, for the protocol
// corners: session reuse, verdicts for another request, dropped and cut-off sessions, timeouts.
import { createServer, type Socket } from 'node:net';

import { afterEach, describe, expect, it } from 'vitest';

import { closeSockets, listen, scannerOn } from '../../test/helpers/clamd-sockets.js';

afterEach(closeSockets);

interface FakeRequest {
  connection: number;
  id: number;
  /** Bytes of this request as sent, commands included. */
  raw: Buffer;
}

/**
 * A clamd that understands IDSESSION + INSTREAM. `answer` returns the reply (sent as is, so a test
 * controls the id prefix), or null to say nothing and let the client wait.
 */
function fakeSessionClamd(
  answer: (req: FakeRequest, socket: Socket) => string | null,
  seen: FakeRequest[] = [],
  ended: number[] = [],
) {
  let connections = 0;
  const server = createServer((socket) => {
    const connection = ++connections;
    let buf = Buffer.alloc(0);
    let id = 0;
    socket.on('error', () => undefined);
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        if (buf.toString('latin1') === 'zEND\0') {
          ended.push(connection);
          socket.end();
          return;
        }
        const at = buf.indexOf('zINSTREAM\0');
        if (at < 0) return;
        let p = at + 10;
        while (p + 4 <= buf.length) {
          const n = buf.readUInt32BE(p);
          p += 4 + n;
          if (n === 0) break;
        }
        if (p > buf.length || buf.readUInt32BE(p - 4) !== 0) return;
        const req = { connection, id: ++id, raw: buf.subarray(0, p) };
        buf = buf.subarray(p);
        seen.push(req);
        const reply = answer(req, socket);
        if (reply !== null) socket.write(reply);
      }
    });
  });
  return { server, connections: () => connections };
}

const ok = (req: FakeRequest): string => `${req.id}: stream: OK\0`;

describe('clamd sessions against a fake clamd', () => {
  it('opens one IDSESSION and sends later scans on it as bare numbered INSTREAMs', async () => {
    const seen: FakeRequest[] = [];
    const fake = fakeSessionClamd(ok, seen);
    const scanner = scannerOn(await listen(fake.server), { chunkBytes: 4 });
    expect(await scanner.scan(Buffer.from('abcdef'))).toEqual({ verdict: 'clean' });
    expect(await scanner.scan(Buffer.from('xy'))).toEqual({ verdict: 'clean' });
    expect(fake.connections()).toBe(1);
    expect(seen[0]?.raw).toEqual(
      Buffer.concat([
        Buffer.from('zIDSESSION\0zINSTREAM\0'),
        Buffer.from([0, 0, 0, 4]),
        Buffer.from('abcd'),
        Buffer.from([0, 0, 0, 2]),
        Buffer.from('ef'),
        Buffer.alloc(4),
      ]),
    );
    expect(seen[1]?.raw).toEqual(
      Buffer.concat([
        Buffer.from('zINSTREAM\0'),
        Buffer.from([0, 0, 0, 2]),
        Buffer.from('xy'),
        Buffer.alloc(4),
      ]),
    );
  });

  it('never takes a verdict meant for another request, and drops that session', async () => {
    // Answers request 2 with the id of request 1: a late or misrouted reply.
    const fake = fakeSessionClamd((req) => (req.id === 2 ? '1: stream: OK\0' : ok(req)));
    const scanner = scannerOn(await listen(fake.server));
    expect(await scanner.scan(Buffer.from('a'))).toEqual({ verdict: 'clean' });
    expect(await scanner.scan(Buffer.from('b'))).toMatchObject({
      verdict: 'error',
      reason: 'scanner_error',
    });
    expect(await scanner.scan(Buffer.from('c'))).toEqual({ verdict: 'clean' });
    expect(fake.connections()).toBe(2);
  });

  it('does not call a reply with trailing messages clean, and does not reuse that session', async () => {
    const fake = fakeSessionClamd((req) => `${req.id}: stream: OK\0${req.id}: stream: OK\0`);
    const scanner = scannerOn(await listen(fake.server));
    expect(await scanner.scan(Buffer.from('a'))).toMatchObject({ verdict: 'error' });
    expect(await scanner.scan(Buffer.from('b'))).toMatchObject({ verdict: 'error' });
    expect(fake.connections()).toBe(2);
  });

  it('rescans on a new connection when a parked session is dropped as it is reused', async () => {
    // Hangs up on every second request without answering, as clamd does when it closes a session.
    const fake = fakeSessionClamd((req, socket) =>
      req.id === 2 ? (socket.destroy(), null) : ok(req),
    );
    const scanner = scannerOn(await listen(fake.server));
    expect(await scanner.scan(Buffer.from('a'))).toEqual({ verdict: 'clean' });
    expect(await scanner.scan(Buffer.from('b'))).toEqual({ verdict: 'clean' });
    expect(fake.connections()).toBe(2);
  });

  it('rescans on a new connection when clamd cuts a parked session off (ReadTimeout) as it is reused', async () => {
    const fake = fakeSessionClamd((req, socket) =>
      req.id === 2 ? (socket.end('COMMAND READ TIMED OUT\n'), null) : ok(req),
    );
    const scanner = scannerOn(await listen(fake.server));
    expect(await scanner.scan(Buffer.from('a'))).toEqual({ verdict: 'clean' });
    expect(await scanner.scan(Buffer.from('b'))).toEqual({ verdict: 'clean' });
    expect(fake.connections()).toBe(2);
  });

  it('says unavailable when the fresh connection is dropped too', async () => {
    const fake = fakeSessionClamd((req, socket) =>
      fake.connections() === 1 && req.id === 1 ? ok(req) : (socket.destroy(), null),
    );
    const scanner = scannerOn(await listen(fake.server));
    expect(await scanner.scan(Buffer.from('a'))).toEqual({ verdict: 'clean' });
    expect(await scanner.scan(Buffer.from('b'))).toMatchObject({
      verdict: 'error',
      reason: 'unavailable',
    });
  });

  it('times out on a session that stops answering, then starts over on a new one', async () => {
    const fake = fakeSessionClamd((req) => (req.connection === 1 && req.id === 2 ? null : ok(req)));
    const scanner = scannerOn(await listen(fake.server), { timeoutMs: 300 });
    expect(await scanner.scan(Buffer.from('a'))).toEqual({ verdict: 'clean' });
    const t0 = performance.now();
    expect(await scanner.scan(Buffer.from('b'))).toMatchObject({
      verdict: 'error',
      reason: 'timeout',
    });
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(await scanner.scan(Buffer.from('c'))).toEqual({ verdict: 'clean' });
    expect(fake.connections()).toBe(2);
  });

  it('ends parked sessions with zEND on close() and after sessionIdleMs', async () => {
    const ended: number[] = [];
    const fake = fakeSessionClamd(ok, [], ended);
    const port = await listen(fake.server);
    const closing = scannerOn(port);
    await closing.scan(Buffer.from('a'));
    await closing.close();
    expect(ended).toEqual([1]);

    const idle = scannerOn(port, { sessionIdleMs: 50 });
    await idle.scan(Buffer.from('a'));
    await new Promise((r) => setTimeout(r, 300));
    expect(ended).toEqual([1, 2]);
  });

  it('keeps at most maxIdleSessions parked', async () => {
    const ended: number[] = [];
    const fake = fakeSessionClamd(ok, [], ended);
    const scanner = scannerOn(await listen(fake.server), { maxIdleSessions: 2 });
    await Promise.all([0, 1, 2, 3].map(() => scanner.scan(Buffer.from('a'))));
    await new Promise((r) => setTimeout(r, 100));
    expect(fake.connections()).toBe(4);
    expect(ended).toHaveLength(2);
  });
});
