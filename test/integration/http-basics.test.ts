import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { makeTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await makeTestApp();
});
afterAll(async () => {
  await t?.close();
});

describe('health and errors', () => {
  test('/healthz answers 200 and /readyz 200 on a migrated database', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({
      status: 'ok',
    });
    const ready = await t.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({
      status: 'ready',
      checks: { database: 'ok', migrations: 'ok' },
    });
  });

  test('unknown routes answer problem+json with a stable code and the request id', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/v1/nothing-here',
      headers: { 'x-request-id': 'test-req-00000001' },
    });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['x-request-id']).toBe('test-req-00000001');
    expect(res.json()).toMatchObject({
      status: 404,
      code: 'not_found',
      request_id: 'test-req-00000001',
    });
  });

  test('a malformed OAuth consent or callback link answers a problem document, not "[object Object]"', async () => {
    // These routes answer their own failures with an HTML page; a request failing validation
    // before the handler gets problem+json like every other route, with its code and detail.
    for (const url of [
      '/v1/oauth/consent',
      `/v1/oauth/consent?state=${'x'.repeat(500)}`,
      `/v1/oauth/google/callback?state=${'x'.repeat(1001)}`,
    ]) {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json(), url).toMatchObject({ status: 400, code: 'validation_failed' });
    }
  });

  test('a URL the router cannot take (bad percent-encoding, an over-long id) answers problem+json 400', async () => {
    for (const url of ['/v1/tickets/%zz', `/v1/tickets/${'x'.repeat(500)}`]) {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json(), url).toMatchObject({ status: 400, code: 'bad_request' });
    }
  });

  test('a malicious request id is replaced, not echoed', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/healthz',
      headers: { 'x-request-id': 'x\u0000<script>' },
    });
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('security headers are set', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/healthz' });
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['strict-transport-security']).toBeDefined();
  });

  test('an Authorization header and a password field never reach the logs', async () => {
    await t.app.inject({
      method: 'POST',
      url: '/v1/nothing-here',
      headers: {
        authorization: 'Bearer inl_live_SECRET_TOKEN_123',
        cookie: 'session=COOKIE_SECRET',
      },
      payload: { password: 'PASSWORD_SECRET_456', nested: { password: 'PASSWORD_SECRET_789' } },
    });
    const out = t.logs.join('');
    expect(out).toContain('incoming request');
    for (const s of [
      'SECRET_TOKEN_123',
      'COOKIE_SECRET',
      'PASSWORD_SECRET_456',
      'PASSWORD_SECRET_789',
    ])
      expect(out).not.toContain(s);
  });

  test('API reference page is served at /docs', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/docs/' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('swagger');
  });
});

describe('client address behind a proxy', () => {
  test('X-Forwarded-For is ignored unless proxy hops are configured, then only the trusted hop counts', async () => {
    const { buildApp } = await import('../../src/app.js');
    const { makeLogger } = await import('../../src/lib/logger.js');
    const seen: string[] = [];
    for (const hops of [0, 1]) {
      const app = await buildApp(t.container, {
        logger: makeLogger({ level: 'silent' }),
        trustProxyHops: hops,
      });
      app.addHook('onRequest', async (req) => {
        seen.push(req.ip);
      });
      await app.inject({
        method: 'GET',
        url: '/healthz',
        remoteAddress: '10.0.0.9',
        headers: { 'x-forwarded-for': '6.6.6.6, 203.0.113.7' },
      });
      await app.close();
    }
    expect(seen).toEqual(['10.0.0.9', '203.0.113.7']);
  });
});
