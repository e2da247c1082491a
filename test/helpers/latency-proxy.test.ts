// The latency proxy keeps each connection's order when the latency drops while answers are held:
// PostgreSQL's protocol (and any other) breaks if a later answer overtakes an earlier one.
import net from 'node:net';

import { afterAll, expect, it } from 'vitest';

import { startLatencyProxy } from './latency-proxy.js';

// An upstream that answers every chunk with the same bytes.
const echo = net.createServer((s) => s.pipe(s));
await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
const proxy = await startLatencyProxy({
  host: '127.0.0.1',
  port: (echo.address() as net.AddressInfo).port,
});
afterAll(async () => {
  await proxy.close();
  await new Promise((r) => echo.close(r));
});

it('holds answers while slowed and never lets a later one overtake them', async () => {
  const client = net.connect(Number(new URL(proxy.urlFor('postgres://x@h:1/d')).port), '127.0.0.1');
  await new Promise((r) => client.once('connect', r));
  let received = '';
  client.on('data', (d: Buffer) => (received += d.toString()));

  proxy.setLatency(2000);
  client.write('first;');
  await expect.poll(() => proxy.held()).toBe(1);
  expect(received).toBe('');
  proxy.setLatency(0);
  client.write('second;');
  await expect.poll(() => received, { timeout: 5000 }).toBe('first;second;');
  expect(proxy.held()).toBe(0);
  expect(proxy.connections()).toBe(1);
  client.destroy();
});
