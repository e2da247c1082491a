// Limits a caller runs into: 401 floods become 429 before any key lookup, a tenant's keys share one
// budget, keys per tenant are capped, slow bodies are cut off and connections are capped.
import { connect, type Socket } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildApp } from '../../../src/app.js';
import type { Api } from '../../../src/http/api.js';
import { makeTestApp, type TestApp } from '../../helpers/app.js';
import { bearer, createTenant, operatorKey, testKeyring } from '../../helpers/tenants.js';

let t: TestApp;
beforeAll(async () => {
  t = await makeTestApp({
    INLET_OPERATOR_KEY: operatorKey,
    INLET_MASTER_KEYS: testKeyring(),
    RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '10',
    RATE_LIMIT_PER_TENANT_PER_MINUTE: '12',
    MAX_API_KEYS_PER_TENANT: '3',
  });
});
afterAll(async () => {
  await t?.close();
});

describe('rate limits', () => {
  it('a flood of made-up keys from one address turns into 429 after the allowed failures, before any lookup', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) {
      const res = await t.app.inject({
        method: 'GET',
        url: '/v1/tickets',
        headers: bearer(`inl_${String(i).padStart(10, 'a')}_${'x'.repeat(40)}`),
        remoteAddress: '203.0.113.7',
      });
      statuses.push(res.statusCode);
      if (res.statusCode === 429) expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    }
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses.slice(10)).toEqual(Array(15).fill(429));
    // Another address is not affected.
    expect(
      (await t.app.inject({ method: 'GET', url: '/v1/tickets', remoteAddress: '203.0.113.8' }))
        .statusCode,
    ).toBe(401);
  });

  it('all keys of a tenant share one budget (a second key does not double it)', async () => {
    const tenant = await createTenant(t, 'Budget');
    const second = (
      await t.app.inject({
        method: 'POST',
        url: '/v1/api-keys',
        headers: bearer(tenant.token),
        payload: { name: 'second', scopes: ['tickets:read'] },
      })
    ).json().token as string;
    const statuses: number[] = [];
    for (let i = 0; i < 16; i++) {
      const res = await t.app.inject({
        method: 'GET',
        url: '/v1/tickets',
        headers: bearer(i % 2 ? second : tenant.token),
        remoteAddress: '198.51.100.20',
      });
      statuses.push(res.statusCode);
    }
    // The key creation above was the first of the 12 allowed.
    expect(statuses.filter((s) => s === 200)).toHaveLength(11);
    expect(statuses.slice(11)).toEqual(Array(5).fill(429));
  });
});

describe('API keys per tenant', () => {
  it('refuses keys over the cap with 409 api_key_limit, and allows one again after a revoke', async () => {
    const tenant = await createTenant(t, 'Keys'); // holds 1 key
    const create = () =>
      t.app.inject({
        method: 'POST',
        url: '/v1/api-keys',
        headers: bearer(tenant.token),
        payload: { name: 'k', scopes: ['tickets:read'] },
        remoteAddress: '198.51.100.30',
      });
    const a = await create();
    const b = await create();
    expect([a.statusCode, b.statusCode]).toEqual([201, 201]);
    const over = await create();
    expect(over.statusCode).toBe(409);
    expect(over.json()).toMatchObject({ code: 'api_key_limit', max: 3 });
    await t.app.inject({
      method: 'DELETE',
      url: `/v1/api-keys/${a.json().id}`,
      headers: bearer(tenant.token),
      remoteAddress: '198.51.100.30',
    });
    expect((await create()).statusCode).toBe(201);
  });
});

describe('server timeouts and connection cap', () => {
  let app: Api;
  let port: number;
  beforeAll(async () => {
    app = await buildApp(t.container, {
      logger: t.container.logger,
      http: {
        requestTimeoutMs: 1500,
        headersTimeoutMs: 1000,
        keepAliveTimeoutMs: 1000,
        maxConnections: 3,
      },
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as { port: number }).port;
  });
  afterAll(async () => {
    await app?.close();
  });

  const open = () =>
    new Promise<Socket>((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => resolve(s));
      s.on('error', reject);
    });
  const closed = (s: Socket) =>
    new Promise<string>((resolve) => {
      let got = '';
      s.on('data', (d) => {
        got += d.toString();
      });
      s.on('close', () => resolve(got));
      s.on('error', () => undefined);
    });

  it('cuts off a body sent one byte at a time long before the sender is done', async () => {
    const s = await open();
    const done = closed(s);
    s.write(
      `POST /v1/tenants HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${operatorKey}\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n`,
    );
    let sent = 0;
    let open_ = true;
    void done.then(() => {
      open_ = false;
    });
    // The sender would need 200 × 200 ms = 40 s; the server must close the connection well before.
    while (open_ && sent < 200) {
      s.write('{');
      sent++;
      await new Promise((r) => setTimeout(r, 200));
    }
    const answer = await done;
    expect(sent).toBeLessThan(200);
    expect(answer === '' || /^HTTP\/1\.1 408/.test(answer)).toBe(true);
  });

  it('closes connections beyond the cap', async () => {
    const held = [await open(), await open(), await open()];
    const extra = await open();
    const answer = await closed(extra);
    expect(answer).toBe('');
    for (const s of held) s.destroy();
  });
});
