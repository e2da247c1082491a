// Buffer scans over pooled clamd IDSESSION connections against a real clamd (test/helpers/clamd.ts)
// behind a counting TCP proxy: session reuse, restarts, idle timeouts and stalls.
import { randomBytes } from 'node:crypto';
import { createConnection, createServer, type Socket } from 'node:net';

import { afterAll, afterEach, describe, expect, it } from 'vitest';

import { type ClamdHandle, startClamd } from '../../test/helpers/clamd.js';
import { closeSockets, listen, scannerOn } from '../../test/helpers/clamd-sockets.js';
import { eicarBytes } from '../../test/helpers/eicar.js';

afterEach(closeSockets);

const clamd = await startClamd();

/** A pass-through TCP proxy in front of clamd that counts the connections the scanner opens. */
async function countingProxy(
  target: ClamdHandle,
): Promise<{ port: number; connections: () => number; hangUp: () => void }> {
  let connections = 0;
  const open = new Set<Socket>();
  const server = createServer((client) => {
    connections++;
    const upstream = createConnection({ host: target.host, port: target.port });
    open.add(upstream);
    upstream.on('close', () => open.delete(upstream));
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  // hangUp: clamd's side of every open session ends, as when its ReadTimeout/IdleTimeout expires.
  return {
    port: await listen(server),
    connections: () => connections,
    hangUp: () => {
      for (const s of open) s.end();
    },
  };
}

describe.skipIf(!clamd)('clamd sessions against a real clamd', () => {
  const server = clamd as ClamdHandle;
  afterAll(async () => {
    await server.dispose();
  });

  it('finds EICAR on a reused session and calls the next clean buffer clean on that same session', async () => {
    const proxy = await countingProxy(server);
    const scanner = scannerOn(proxy.port, { maxIdleSessions: 1 });
    const clean = randomBytes(50_000);
    expect(await scanner.scan(clean)).toEqual({ verdict: 'clean' });
    expect(await scanner.scan(eicarBytes())).toEqual({
      verdict: 'infected',
      signature: server.eicarSignature,
    });
    expect(await scanner.scan(randomBytes(20_000))).toEqual({ verdict: 'clean' });
    expect(await scanner.scan(eicarBytes())).toEqual({
      verdict: 'infected',
      signature: server.eicarSignature,
    });
    expect(proxy.connections()).toBe(1);
  });

  it('matches every verdict to its own buffer across parallel pooled scans', async () => {
    const proxy = await countingProxy(server);
    const scanner = scannerOn(proxy.port, { maxIdleSessions: 4 });
    const inputs = Array.from({ length: 60 }, (_, i) =>
      i % 7 === 3 ? eicarBytes() : randomBytes(2_000 + ((i * 7919) % 150_000)),
    );
    const results: string[] = new Array(inputs.length);
    let next = 0;
    await Promise.all(
      [0, 1, 2, 3].map(async () => {
        while (next < inputs.length) {
          const i = next++;
          results[i] = (await scanner.scan(inputs[i]!)).verdict;
        }
      }),
    );
    expect(results).toEqual(inputs.map((_, i) => (i % 7 === 3 ? 'infected' : 'clean')));
    expect(proxy.connections()).toBeLessThanOrEqual(4);
  });

  it('reconnects on the next scan after clamd restarts under parked sessions', async () => {
    const scanner = scannerOn(server.port, { maxIdleSessions: 4 });
    await Promise.all([0, 1, 2].map(() => scanner.scan(randomBytes(10_000))));
    await server.stop();
    expect(await scanner.scan(randomBytes(10_000))).toMatchObject({
      verdict: 'error',
      reason: 'unavailable',
    });
    await server.start();
    expect(await scanner.scan(randomBytes(10_000))).toEqual({ verdict: 'clean' });
    expect(await scanner.scan(eicarBytes())).toEqual({
      verdict: 'infected',
      signature: server.eicarSignature,
    });
  });

  it('scans on after clamd ended a parked session (its idle timeout)', async () => {
    const proxy = await countingProxy(server);
    const scanner = scannerOn(proxy.port);
    expect(await scanner.scan(randomBytes(10_000))).toEqual({ verdict: 'clean' });
    // clamd's own idle cut-off comes late and unevenly on a busy machine; the proxy ends the
    // session from clamd's side instead, which is all the scanner can see of it.
    proxy.hangUp();
    await new Promise((r) => setTimeout(r, 50));
    expect(await scanner.scan(eicarBytes())).toEqual({
      verdict: 'infected',
      signature: server.eicarSignature,
    });
    expect(await scanner.scan(randomBytes(10_000))).toEqual({ verdict: 'clean' });
    expect(proxy.connections()).toBe(2);
  });

  it('times out (never clean) while clamd is stalled, and scans again once it runs', async () => {
    const scanner = scannerOn(server.port, { timeoutMs: 400 });
    expect(await scanner.scan(randomBytes(10_000))).toEqual({ verdict: 'clean' });
    const pid = server.pid as number;
    process.kill(pid, 'SIGSTOP');
    try {
      expect(await scanner.scan(eicarBytes())).toMatchObject({
        verdict: 'error',
        reason: 'timeout',
      });
      expect(await scanner.scan(randomBytes(10_000))).toMatchObject({
        verdict: 'error',
        reason: 'timeout',
      });
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    expect(await scanner.scan(eicarBytes())).toEqual({
      verdict: 'infected',
      signature: server.eicarSignature,
    });
    expect(await scanner.scan(randomBytes(10_000))).toEqual({ verdict: 'clean' });
  });
});
