// Changes that redirect where a tenant's data or browsers go are audited like reads of mail: a
// webhook endpoint created, retargeted, re-keyed, replayed or deleted, and the consent return
// origins replaced. The record names the endpoint, never its URL (which may carry a token).
import { afterAll, beforeAll, expect, test } from 'vitest';

import { makeTestApp, type TestApp } from '../../helpers/app.js';
import { localMailEnv } from '../../helpers/local-mail.js';
import { bearer, createTenant, operatorKey, testKeyring } from '../../helpers/tenants.js';

let t: TestApp;
let a: Awaited<ReturnType<typeof createTenant>>;

beforeAll(async () => {
  t = await makeTestApp({
    INLET_OPERATOR_KEY: operatorKey,
    INLET_MASTER_KEYS: testKeyring(),
    ...localMailEnv,
  });
  a = await createTenant(t, 'A');
});
afterAll(async () => {
  await t?.close();
});

let n = 0;
async function call(method: 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, payload?: object) {
  const requestId = `audit-config-${n++}-0000`;
  const res = await t.app.inject({
    method,
    url,
    payload,
    headers: { ...bearer(a.token), 'x-request-id': requestId },
  });
  expect(res.statusCode, `${method} ${url}: ${res.body}`).toBeLessThan(300);
  const { rows } = await t.database.db.tx((c) =>
    c.query<{ action: string; resource_id: string; detail: unknown }>(
      'SELECT action, resource_id, detail FROM audit_log WHERE request_id = $1',
      [requestId],
    ),
  );
  return { body: res.body ? res.json() : null, rows };
}

test('webhook endpoint changes and return-origin changes each write one audit record, without URLs', async () => {
  const hook = 'http://127.0.0.1:9999/hook?token=SECRETTOKEN';
  const created = await call('POST', '/v1/webhook-endpoints', { url: hook });
  const id = created.body.id as string;
  expect(created.rows).toEqual([
    { action: 'webhook_endpoint.create', resource_id: id, detail: {} },
  ]);
  const steps = [
    await call('PATCH', `/v1/webhook-endpoints/${id}`, {
      url: 'http://127.0.0.1:9998/other?token=SECRETTOKEN',
      enabled: false,
    }),
    await call('POST', `/v1/webhook-endpoints/${id}/rotate-secret`, { overlap_seconds: 60 }),
    await call('POST', `/v1/webhook-endpoints/${id}/replay`, { since: '2020-01-01T00:00:00Z' }),
    await call('DELETE', `/v1/webhook-endpoints/${id}`),
  ];
  expect(steps.map((s) => s.rows)).toEqual([
    [{ action: 'webhook_endpoint.update', resource_id: id, detail: { fields: 'enabled,url' } }],
    [
      {
        action: 'webhook_endpoint.rotate_secret',
        resource_id: id,
        detail: { overlap_seconds: 60 },
      },
    ],
    [{ action: 'webhook_endpoint.replay', resource_id: id, detail: { queued: 0 } }],
    [{ action: 'webhook_endpoint.delete', resource_id: id, detail: {} }],
  ]);
  const origins = await call('PUT', '/v1/return-origins', {
    origins: ['https://helpdesk.a.example'],
  });
  expect(origins.rows).toEqual([
    { action: 'return_origins.replace', resource_id: a.id, detail: { origins: 1 } },
  ]);
  const { rows } = await t.database.db.tx((c) =>
    c.query(`SELECT detail FROM audit_log WHERE tenant_id = $1`, [a.id]),
  );
  expect(JSON.stringify(rows)).not.toMatch(/SECRETTOKEN|127\.0\.0\.1|helpdesk\.a\.example/);
});
