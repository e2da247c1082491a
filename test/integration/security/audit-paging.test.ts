// Audit paging returns every record once, newest first, with ids that say nothing about other
// tenants; denied cross-tenant attempts leave a trace the operator sees (log line and counter).
import { afterAll, beforeAll, expect, test } from 'vitest';

import { makeTestApp, type TestApp } from '../../helpers/app.js';
import { bearer, createTenant, operatorKey, testKeyring } from '../../helpers/tenants.js';

let t: TestApp;
let a: Awaited<ReturnType<typeof createTenant>>;
let b: Awaited<ReturnType<typeof createTenant>>;

beforeAll(async () => {
  t = await makeTestApp({ INLET_OPERATOR_KEY: operatorKey, INLET_MASTER_KEYS: testKeyring() });
  a = await createTenant(t, 'A');
  b = await createTenant(t, 'B');
});
afterAll(async () => {
  await t?.close();
});

const get = (token: string, url: string) =>
  t.app.inject({ method: 'GET', url, headers: bearer(token) });

test('GET /v1/audit?limit=3 following next_cursor returns all 42 of 42 records, in order, once each', async () => {
  // Interleave the tenants so A's records sit among B's in the shared table, and cross 9 → 10 → 100
  // in the internal numbering (where text order and number order part ways).
  for (let i = 0; i < 40; i++) {
    await get(a.token, '/v1/mailboxes'); // one mailbox.list record each
    if (i % 3 === 0) await get(b.token, '/v1/mailboxes');
  }
  const expected = await t.database.db.tx(
    async (c) =>
      (
        await c.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM audit_log WHERE tenant_id = $1',
          [a.id],
        )
      ).rows[0]!.n,
  );
  expect(expected).toBe(42); // tenant creation's two records + 40 lists
  const seen: { id: string; at: string }[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 50; pages++) {
    const res = await get(a.token, `/v1/audit?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
    expect(res.statusCode).toBe(200);
    seen.push(...res.json().items);
    cursor = res.json().next_cursor;
    if (!cursor) break;
  }
  expect(seen).toHaveLength(42);
  expect(new Set(seen.map((r) => r.id)).size).toBe(42);
  const times = seen.map((r) => Date.parse(r.at));
  expect(times).toEqual([...times].sort((x, y) => y - x));
});

test('audit ids are random per record, not a global counter whose gaps show other tenants', async () => {
  const items = (await get(a.token, '/v1/audit?limit=5')).json().items as { id: string }[];
  for (const r of items)
    expect(r.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  // A cursor made from another tenant's record matches nothing here.
  const bFirst = (await get(b.token, '/v1/audit?limit=1')).json();
  const crossed = await get(a.token, `/v1/audit?limit=3&cursor=${bFirst.next_cursor}`);
  expect(crossed.statusCode).toBe(200);
  expect(crossed.json().items).toEqual([]);
});

test('a denied cross-tenant attempt leaves a trace the operator sees, without the id', async () => {
  const mailbox = (
    await t.app.inject({
      method: 'POST',
      url: '/v1/mailboxes',
      headers: bearer(b.token),
      payload: { provider: 'local', address: 'help@b.example' },
    })
  ).json().id as string;
  const before = t.logs.length;
  expect((await get(a.token, `/v1/mailboxes/${mailbox}`)).statusCode).toBe(404);
  expect((await get('inl_aaaaaaaaaa_' + 'x'.repeat(40), '/v1/mailboxes')).statusCode).toBe(401);
  const lines = t.logs
    .slice(before)
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.event === 'access_denied');
  expect(lines).toEqual([
    expect.objectContaining({
      status: 404,
      route: '/v1/mailboxes/:id',
      tenant_id: a.id,
      actor: expect.stringMatching(/^key:/),
      level: 40,
    }),
    expect.objectContaining({ status: 401, route: '/v1/mailboxes', tenant_id: null }),
  ]);
  expect(JSON.stringify(lines)).not.toContain(mailbox);
  const metrics = await t.container.metrics.getSingleMetricAsString('inlet_access_denied_total');
  expect(metrics).toMatch(
    /inlet_access_denied_total\{status="404",route="\/v1\/mailboxes\/:id"\} 1/,
  );
});
