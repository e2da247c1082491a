// Webhook delivery mechanics with a controllable clock (no real waiting): a receiver down for ten
// minutes gets every event in the retries, an endpoint failing for days is disabled with an event
// and a reason, attempts are listed and a replay resends; private targets are refused at the API.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';

import { insertEvent } from '../../src/store/event-store.js';
import { type Dispatcher, makeWebhookDispatcher } from '../../src/webhooks/dispatcher.js';
import { makeWebhookEndpointService } from '../../src/webhooks/endpoint-service.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { localMailPolicy } from '../helpers/local-mail.js';
import { bearer, createTenant, operatorKey, testKeyring } from '../helpers/tenants.js';
import { type Receiver, startReceiver } from '../helpers/webhook-receiver.js';

let t: TestApp;
let tenant: { id: string; token: string };
let receiver: Receiver;
let clock = Date.now();
let dispatcher: Dispatcher;
const loopback = { httpsOnly: false, egress: localMailPolicy };

beforeAll(async () => {
  // The app runs with the default egress policy (private targets refused); the dispatcher and the
  // endpoints made for the loopback receiver allow 127.0.0.1 the way an operator would (EGRESS_ALLOW_*).
  t = await makeTestApp({ INLET_OPERATOR_KEY: operatorKey, INLET_MASTER_KEYS: testKeyring() });
  tenant = await createTenant(t, 'Acme');
  receiver = await startReceiver();
  dispatcher = makeWebhookDispatcher({
    db: t.container.db,
    keys: t.container.keys,
    logger: t.container.logger,
    policy: loopback,
    disableAfterMs: 3 * 86_400_000,
    now: () => new Date(clock),
    random: () => 0.5,
  });
});
afterAll(async () => {
  await receiver?.close();
  await t?.close();
});

const actor = () => ({
  tenantId: tenant.id,
  name: 'test',
  scopes: new Set<never>(),
  requestId: 'r',
  clientIp: null,
});
const event = (status: string) =>
  t.container.db.tenantTx(tenant.id, (ex) =>
    insertEvent(ex, tenant.id, 'ticket.updated', randomUUID(), { change: 'status', status }),
  );
const api = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
  t.app.inject({ method, url, headers: bearer(tenant.token), payload });

describe('webhook delivery', () => {
  test('an endpoint on a private, loopback or metadata address is refused', async () => {
    for (const url of [
      'http://127.0.0.1:8080/x',
      'https://10.1.2.3/x',
      'http://169.254.169.254/latest/meta-data',
      'https://[::1]/x',
      'https://192.168.0.10/',
      'http://localhost/x',
      'https://[::ffff:127.0.0.1]/x',
    ]) {
      const res = await api('POST', '/v1/webhook-endpoints', { url });
      expect(res.statusCode, url).toBe(422);
      expect(res.json().code).toBe('url_not_allowed');
    }
    for (const url of ['ftp://example.com/x', 'https://user:pw@example.com/x', 'not a url']) {
      const res = await api('POST', '/v1/webhook-endpoints', { url });
      expect(res.statusCode, url).toBe(400);
      expect(res.json().code).toBe('validation_failed');
    }
    // In production only https is accepted, even where the address is allowed.
    const prod = makeWebhookEndpointService({
      db: t.container.db,
      keys: t.container.keys,
      policy: { httpsOnly: true, egress: localMailPolicy },
    });
    await expect(prod.create(actor(), { url: 'http://127.0.0.1:9/x' })).rejects.toThrow(/https/);
  });

  test('a receiver down for 10 minutes gets every event afterwards, in the retries', async () => {
    const svc = makeWebhookEndpointService({
      db: t.container.db,
      keys: t.container.keys,
      policy: loopback,
      now: () => new Date(clock),
    });
    const ep = await svc.create(actor(), { url: receiver.url, types: ['ticket.updated'] });
    receiver.setSecret(ep.secret);
    await receiver.down();
    const start = clock;
    const written: string[] = [];
    // Ten minutes of downtime, an event every 30 s; the dispatcher runs every 10 s of clock time.
    for (let s = 0; s <= 600; s += 10) {
      if (s % 30 === 0) {
        await event(`during-${s}`);
        written.push(`during-${s}`);
      }
      clock = start + s * 1000;
      await dispatcher.runOnce();
    }
    expect(receiver.received).toHaveLength(0);
    await receiver.up();
    // Back up: within the next hour of clock time every retry comes due.
    for (let s = 610; s <= 600 + 3600 && receiver.received.length < written.length; s += 30) {
      clock = start + s * 1000;
      await dispatcher.runOnce();
    }
    const got = receiver.received.map((r) => String(r.event.data.status));
    expect(new Set(got)).toEqual(new Set(written));
    expect(receiver.received.every((r) => r.event.id === r.id)).toBe(true);
    // The attempts are visible: failures while down (connection refused), then one success each.
    const attempts = (
      await api('GET', `/v1/webhook-endpoints/${ep.id}/attempts?limit=200`)
    ).json() as {
      items: {
        outcome: string;
        error: string | null;
        response_status: number | null;
        latency_ms: number;
      }[];
    };
    expect(attempts.items.filter((a) => a.outcome === 'succeeded')).toHaveLength(written.length);
    expect(
      attempts.items
        .filter((a) => a.outcome === 'failed')
        .every((a) => a.error === 'ECONNREFUSED' && a.response_status === null),
    ).toBe(true);
    expect(attempts.items.find((a) => a.outcome === 'succeeded')!.response_status).toBe(204);

    // Replay: the same event again, with the same webhook-id (receivers dedupe on it).
    const firstId = receiver.received[0]!.id;
    const replay = await api('POST', `/v1/webhook-endpoints/${ep.id}/replay`, {
      event_ids: [firstId],
    });
    expect(replay.statusCode).toBe(202);
    expect(replay.json()).toEqual({ queued: 1 });
    await dispatcher.runOnce();
    expect(receiver.received.filter((r) => r.id === firstId)).toHaveLength(2);
    await svc.remove(actor(), ep.id);
  }, 120_000);

  test('a rotated secret overlaps: both signatures are sent until the overlap ends', async () => {
    const svc = makeWebhookEndpointService({
      db: t.container.db,
      keys: t.container.keys,
      policy: loopback,
      now: () => new Date(clock),
    });
    const ep = await svc.create(actor(), { url: receiver.url });
    const rotated = await api('POST', `/v1/webhook-endpoints/${ep.id}/rotate-secret`, {
      overlap_seconds: 3600,
    });
    expect(rotated.statusCode).toBe(200);
    const before = receiver.received.length;
    receiver.setSecret(ep.secret); // a receiver still on the old secret
    await event('after-rotation');
    await dispatcher.runOnce();
    receiver.setSecret(rotated.json().secret); // and one already on the new
    await event('after-rotation-2');
    await dispatcher.runOnce();
    expect(receiver.received.slice(before).map((r) => r.event.data.status)).toEqual([
      'after-rotation',
      'after-rotation-2',
    ]);
    expect(receiver.received.at(-1)!.headers['webhook-signature']!.split(' ')).toHaveLength(2);
    await svc.remove(actor(), ep.id);
  });

  test('an endpoint failing for longer than WEBHOOK_DISABLE_AFTER_DAYS is disabled, with an event and the reason', async () => {
    const svc = makeWebhookEndpointService({
      db: t.container.db,
      keys: t.container.keys,
      policy: loopback,
      now: () => new Date(clock),
    });
    const gone = await startReceiver();
    const dead = await svc.create(actor(), { url: gone.url, types: ['ticket.updated'] });
    await gone.down();
    const start = clock;
    await event('to-a-dead-endpoint');
    for (let h = 0; h <= 4 * 24 && (await svc.get(actor(), dead.id)).enabled; h += 1) {
      clock = start + h * 3_600_000;
      await dispatcher.runOnce();
    }
    const after = await svc.get(actor(), dead.id);
    expect(after.enabled).toBe(false);
    expect(after.disabled_reason).toMatch(
      /^failing since .* without a successful delivery; last error: ECONNREFUSED$/,
    );
    const feed = (await api('GET', '/v1/events?types=webhook_endpoint.disabled')).json() as {
      items: { data: { endpoint_id: string; reason: string } }[];
    };
    expect(feed.items.map((e) => e.data.endpoint_id)).toEqual([dead.id]);
    // Re-enabling through the API clears the failure state.
    const again = await api('PATCH', `/v1/webhook-endpoints/${dead.id}`, { enabled: true });
    expect(again.json()).toMatchObject({
      enabled: true,
      disabled_reason: null,
      failing_since: null,
    });
    const del = await api('DELETE', `/v1/webhook-endpoints/${dead.id}`);
    expect(del.statusCode).toBe(204);
    expect((await api('GET', `/v1/webhook-endpoints/${dead.id}`)).statusCode).toBe(404);
  }, 120_000);

  test('the running dispatcher: a stalled endpoint holds only its own few slots, and deliveries reuse kept-alive connections', async () => {
    // Two plain receivers: one answers at once, one holds every request until released.
    const serve = (hold: boolean) => {
      const held: (() => void)[] = [];
      const seen: string[] = [];
      let connections = 0;
      const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          seen.push(String(JSON.parse(Buffer.concat(chunks).toString()).data.status));
          const answer = () => void res.writeHead(204).end();
          if (hold) held.push(answer);
          else answer();
        });
      });
      server.on('connection', () => connections++);
      return {
        held,
        seen,
        connections: () => connections,
        listen: () => new Promise<void>((r) => server.listen(0, '127.0.0.1', r)),
        url: () => `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
        close: () => {
          server.closeAllConnections();
          return new Promise<void>((r) => server.close(() => r()));
        },
      };
    };
    const fast = serve(false);
    const stalled = serve(true);
    await fast.listen();
    await stalled.listen();
    const svc = makeWebhookEndpointService({
      db: t.container.db,
      keys: t.container.keys,
      policy: loopback,
    });
    const a = await svc.create(actor(), { url: fast.url(), types: ['ticket.updated'] });
    const b = await svc.create(actor(), { url: stalled.url(), types: ['ticket.updated'] });
    const running = makeWebhookDispatcher({
      db: t.container.db,
      keys: t.container.keys,
      logger: t.container.logger,
      policy: loopback,
      disableAfterMs: 3 * 86_400_000,
      timeoutMs: 120_000,
      perEndpoint: 4,
    });
    await running.start();
    try {
      const written = Array.from({ length: 40 }, (_, i) => `live-${i}`);
      for (const w of written) await event(w);
      // Every event reaches the answering endpoint while the stalled one holds 4 requests, no more.
      await vi.waitFor(() => expect(fast.seen.length).toBe(written.length), { timeout: 30_000 });
      expect(new Set(fast.seen)).toEqual(new Set(written));
      expect(fast.connections()).toBeLessThanOrEqual(4);
      expect(stalled.held.length).toBe(4);
      // Released, the stalled endpoint gets the rest.
      const release = setInterval(() => stalled.held.splice(0).forEach((f) => f()), 5);
      await vi.waitFor(() => expect(new Set(stalled.seen).size).toBe(written.length), {
        timeout: 30_000,
      });
      clearInterval(release);
      expect(stalled.connections()).toBeLessThanOrEqual(4);
    } finally {
      stalled.held.splice(0).forEach((f) => f());
      await running.stop();
      await svc.remove(actor(), a.id);
      await svc.remove(actor(), b.id);
      await fast.close();
      await stalled.close();
    }
  }, 90_000);
});
