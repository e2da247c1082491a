import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { makeTestApp, type TestApp } from '../../helpers/app.js';
import { bearer, createTenant, operatorKey, testKeyring } from '../../helpers/tenants.js';

let t: TestApp;
let a: Awaited<ReturnType<typeof createTenant>>;
let b: Awaited<ReturnType<typeof createTenant>>;
let bMailbox: string;
let bSecondKey: string;

beforeAll(async () => {
  // The route walk below makes more unauthenticated requests than the default failed-auth limit allows.
  t = await makeTestApp({
    INLET_OPERATOR_KEY: operatorKey,
    INLET_MASTER_KEYS: testKeyring(),
    RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '1000',
  });
  a = await createTenant(t, 'Tenant A');
  b = await createTenant(t, 'Tenant B');
  const mb = await t.app.inject({
    method: 'POST',
    url: '/v1/mailboxes',
    headers: bearer(b.token),
    payload: { provider: 'local', address: 'support@b.example', display_name: 'B Support' },
  });
  expect(mb.statusCode).toBe(201);
  bMailbox = mb.json().id;
  const k = await t.app.inject({
    method: 'POST',
    url: '/v1/api-keys',
    headers: bearer(b.token),
    payload: { name: 'reader', scopes: ['tickets:read'] },
  });
  bSecondKey = k.json().id;
});
afterAll(async () => {
  await t?.close();
});

describe('tenant isolation', () => {
  test("tenant A's key gets 404 for every route on tenant B's ids, and B's data is unchanged", async () => {
    const attempts = [
      { method: 'GET', url: `/v1/mailboxes/${bMailbox}` },
      { method: 'DELETE', url: `/v1/mailboxes/${bMailbox}` },
      { method: 'DELETE', url: `/v1/api-keys/${bSecondKey}` },
      { method: 'DELETE', url: `/v1/api-keys/${b.keyId}` },
      {
        method: 'PUT',
        url: `/v1/mailboxes/${bMailbox}/credentials`,
        payload: {
          imap: {
            host: 'imap.a.example',
            port: 993,
            tls: true,
            user: 'x@a.example',
            password: 'p',
          },
          smtp: {
            host: 'smtp.a.example',
            port: 465,
            tls: true,
            user: 'x@a.example',
            password: 'p',
          },
        },
      },
    ] as const;
    for (const r of attempts) {
      const res = await t.app.inject({ ...r, headers: bearer(a.token) });
      expect(res.statusCode, `${r.method} ${r.url}`).toBe(404);
      expect(res.json().code).toBe('not_found');
    }
    const listA = await t.app.inject({
      method: 'GET',
      url: '/v1/mailboxes',
      headers: bearer(a.token),
    });
    expect(listA.json().items).toEqual([]);
    const keysA = await t.app.inject({
      method: 'GET',
      url: '/v1/api-keys',
      headers: bearer(a.token),
    });
    expect(keysA.json().items.map((k: { id: string }) => k.id)).toEqual([a.keyId]);
    const auditA = await t.app.inject({
      method: 'GET',
      url: '/v1/audit',
      headers: bearer(a.token),
    });
    expect(
      auditA.json().items.every((e: { resource_id: string | null }) => e.resource_id !== bMailbox),
    ).toBe(true);
    // B still has everything.
    const mb = await t.app.inject({
      method: 'GET',
      url: `/v1/mailboxes/${bMailbox}`,
      headers: bearer(b.token),
    });
    expect(mb.json()).toMatchObject({
      status: 'active',
      display_name: 'B Support',
      address: 'support@b.example',
    });
    const keysB = await t.app.inject({
      method: 'GET',
      url: '/v1/api-keys',
      headers: bearer(b.token),
    });
    expect(
      keysB.json().items.filter((k: { revoked_at: string | null }) => k.revoked_at === null),
    ).toHaveLength(2);
  });

  test('the application role with no tenant set sees no rows in any tenant table', async () => {
    const tables = await t.database.db.tx(async (ex) =>
      (
        await ex.query<{ table_name: string }>(
          `SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'tenant_id'
         UNION SELECT 'tenants'`,
        )
      ).rows.map((r) => r.table_name),
    );
    expect(tables.length).toBeGreaterThanOrEqual(5);
    const client = await t.database.db.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SET LOCAL ROLE inlet_app');
      for (const table of tables) {
        // A table the application role may not read at all (owner-only bookkeeping) is isolated too.
        await client.query('SAVEPOINT t');
        try {
          const { rows } = await client.query(`SELECT count(*)::int AS n FROM ${table}`);
          expect(rows[0].n, table).toBe(0);
          await client.query('RELEASE SAVEPOINT t');
        } catch (err) {
          expect((err as { code?: string }).code, `${table}: ${(err as Error).message}`).toBe(
            '42501',
          );
          await client.query('ROLLBACK TO SAVEPOINT t');
        }
      }
      // …and with tenant A set, none of B's.
      await client.query(`SELECT set_config('inlet.tenant_id', $1, true)`, [a.id]);
      const { rows } = await client.query('SELECT count(*)::int AS n FROM mailboxes');
      expect(rows[0].n).toBe(0);
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
  });
});

describe('authentication and scopes', () => {
  test('missing or malformed key → 401, wrong scope → 403, revoked key → 401', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/v1/mailboxes' })).json().code).toBe(
      'unauthenticated',
    );
    expect(
      (
        await t.app.inject({
          method: 'GET',
          url: '/v1/mailboxes',
          headers: { authorization: 'Bearer nope' },
        })
      ).statusCode,
    ).toBe(401);
    const made = await t.app.inject({
      method: 'POST',
      url: '/v1/api-keys',
      headers: bearer(a.token),
      payload: { name: 'audit only', scopes: ['audit:read'] },
    });
    expect(made.statusCode).toBe(201);
    const limited = made.json();
    expect(limited.token).toMatch(/^inl_[a-z0-9]{10}_/);
    const denied = await t.app.inject({
      method: 'GET',
      url: '/v1/mailboxes',
      headers: bearer(limited.token),
    });
    expect(denied.statusCode).toBe(403);
    expect(denied.json().code).toBe('forbidden');
    expect(
      (await t.app.inject({ method: 'GET', url: '/v1/audit', headers: bearer(limited.token) }))
        .statusCode,
    ).toBe(200);
    expect(
      (
        await t.app.inject({
          method: 'DELETE',
          url: `/v1/api-keys/${limited.id}`,
          headers: bearer(a.token),
        })
      ).json().revoked_at,
    ).not.toBeNull();
    expect(
      (await t.app.inject({ method: 'GET', url: '/v1/audit', headers: bearer(limited.token) }))
        .statusCode,
    ).toBe(401);
  });

  test('a key cannot mint a key with scopes it does not hold', async () => {
    const made = (
      await t.app.inject({
        method: 'POST',
        url: '/v1/api-keys',
        headers: bearer(a.token),
        payload: { scopes: ['api_keys:manage'] },
      })
    ).json();
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/api-keys',
      headers: bearer(made.token),
      payload: { scopes: ['api_keys:manage', 'tickets:read'] },
    });
    expect(res.statusCode).toBe(403);
  });

  test('the operator route refuses tenant keys and wrong operator keys', async () => {
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: '/v1/tenants',
          headers: bearer(a.token),
          payload: { name: 'x' },
        })
      ).statusCode,
    ).toBe(401);
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: '/v1/tenants',
          headers: bearer(operatorKey + 'x'),
          payload: { name: 'x' },
        })
      ).statusCode,
    ).toBe(401);
  });

  test('every route except health and docs requires authentication (published contract)', async () => {
    const spec = t.app.swagger() as { paths: Record<string, Record<string, unknown>> };
    const publicPaths = new Set([
      '/healthz',
      '/readyz',
      '/v1/oauth/google/callback',
      // Opened by the user's browser; the signed single-use state is the credential.
      '/v1/oauth/consent',
      '/v1/webhooks/google/pubsub',
      '/v1/oauth/microsoft/callback',
      '/v1/webhooks/graph/notifications',
      '/v1/webhooks/graph/lifecycle',
    ]);
    let checked = 0;
    for (const [path, ops] of Object.entries(spec.paths)) {
      for (const method of Object.keys(ops)) {
        const url = path.replace(/\{[^}]+\}/g, '00000000-0000-4000-8000-000000000000');
        const res = await t.app.inject({
          method: method.toUpperCase() as 'GET',
          url,
          payload: method === 'get' || method === 'delete' ? undefined : {},
        });
        // Public = no API key asked for. The Pub/Sub webhook still answers 401 to a request without
        // Google's push token (its own authentication), so only the API-key refusal is ruled out.
        if (publicPaths.has(path))
          expect(res.statusCode === 401 ? res.body : '', `${method} ${path}`).not.toContain(
            'API key',
          );
        else {
          expect(res.statusCode, `${method} ${path}`).toBe(401);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(8);
  });
});

describe('ticket numbers', () => {
  test("a tenant transaction cannot draw another tenant's ticket numbers", async () => {
    await expect(
      t.database.db.tenantTx(a.id, (c) => c.query('SELECT inlet_next_ticket_number($1)', [b.id])),
    ).rejects.toThrow(/tenant of the transaction/);
    const n1 = await t.database.db.tenantTx(a.id, async (c) =>
      Number((await c.query('SELECT inlet_next_ticket_number($1) AS n', [a.id])).rows[0].n),
    );
    const n2 = await t.database.db.tenantTx(a.id, async (c) =>
      Number((await c.query('SELECT inlet_next_ticket_number($1) AS n', [a.id])).rows[0].n),
    );
    expect(n1).toBeGreaterThanOrEqual(1001);
    expect(n2).toBe(n1 + 1);
  });
});
