import { afterAll, beforeAll, expect, test } from 'vitest';

import { makeTestApp, type TestApp } from '../../helpers/app.js';
import { bearer, createTenant, operatorKey, testKeyring } from '../../helpers/tenants.js';

let t: TestApp;
let a: Awaited<ReturnType<typeof createTenant>>;
let mailbox: string;

beforeAll(async () => {
  t = await makeTestApp({ INLET_OPERATOR_KEY: operatorKey, INLET_MASTER_KEYS: testKeyring() });
  a = await createTenant(t, 'A');
  mailbox = (
    await t.app.inject({
      method: 'POST',
      url: '/v1/mailboxes',
      headers: bearer(a.token),
      payload: { provider: 'local', address: 'help@a.example', display_name: 'AUDITMARKER' },
    })
  ).json().id;
});
afterAll(async () => {
  await t?.close();
});

const auditRows = (requestId: string) =>
  t.database.db.tx(
    async (c) =>
      (
        await c.query(
          'SELECT actor, action, resource_type, resource_id, request_id, client_ip, detail FROM audit_log WHERE request_id = $1',
          [requestId],
        )
      ).rows,
  );

test('every content-reading route writes exactly one audit record per request, without content', async () => {
  const reads = [
    { url: '/v1/mailboxes', action: 'mailbox.list' },
    { url: `/v1/mailboxes/${mailbox}`, action: 'mailbox.read' },
  ];
  for (const [i, r] of reads.entries()) {
    const requestId = `audit-test-read-${i}-000`;
    const res = await t.app.inject({
      method: 'GET',
      url: r.url,
      headers: { ...bearer(a.token), 'x-request-id': requestId },
    });
    expect(res.statusCode).toBe(200);
    const rows = await auditRows(requestId);
    expect(rows, r.url).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      action: r.action,
      actor: expect.stringMatching(/^key:[a-z0-9]{10}$/),
      client_ip: '127.0.0.1',
    });
    expect(JSON.stringify(rows)).not.toMatch(/AUDITMARKER|help@a\.example/);
  }
});

test('connect, disconnect and key changes are audited; GET /v1/audit filters and paginates', async () => {
  const res = await t.app.inject({
    method: 'GET',
    url: '/v1/audit?action=mailbox.connect',
    headers: bearer(a.token),
  });
  expect(res.json().items).toHaveLength(1);
  expect(res.json().items[0]).toMatchObject({
    action: 'mailbox.connect',
    resource_type: 'mailbox',
    resource_id: mailbox,
  });
  const page1 = (
    await t.app.inject({ method: 'GET', url: '/v1/audit?limit=2', headers: bearer(a.token) })
  ).json();
  expect(page1.items).toHaveLength(2);
  expect(page1.next_cursor).toBeTruthy();
  const page2 = (
    await t.app.inject({
      method: 'GET',
      url: `/v1/audit?limit=2&cursor=${page1.next_cursor}`,
      headers: bearer(a.token),
    })
  ).json();
  expect(Date.parse(page2.items[0].at)).toBeLessThanOrEqual(Date.parse(page1.items[1].at));
  expect(page2.items.map((r: { id: string }) => r.id)).not.toContain(page1.items[1].id);
  expect(
    (
      await t.app.inject({
        method: 'GET',
        url: '/v1/audit?cursor=garbage',
        headers: bearer(a.token),
      })
    ).statusCode,
  ).toBe(400);
  const future = (
    await t.app.inject({
      method: 'GET',
      url: `/v1/audit?since=${encodeURIComponent(new Date(Date.now() + 3600_000).toISOString())}`,
      headers: bearer(a.token),
    })
  ).json();
  expect(future.items).toEqual([]);
});

test('the application role cannot UPDATE or DELETE audit records', async () => {
  for (const sql of [
    'UPDATE audit_log SET action = $2 WHERE tenant_id = $1',
    'DELETE FROM audit_log WHERE tenant_id = $1',
  ]) {
    await expect(
      t.database.db.tenantTx(a.id, (c) =>
        c.query(sql, sql.startsWith('UPDATE') ? [a.id, 'forged'] : [a.id]),
      ),
    ).rejects.toThrow(/permission denied|append-only/);
  }
  const { rows } = await t.database.db.tx((c) =>
    c.query(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'forged'`),
  );
  expect(rows[0].n).toBe(0);
});
