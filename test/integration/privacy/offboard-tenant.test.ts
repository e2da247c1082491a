// Tenant offboarding: DELETE /v1/tenants/{id} with the operator key revokes the API keys, disconnects
// every mailbox and destroys every key at once; the tenant.offboard job then leaves zero rows of the
// tenant in every table with a tenant_id column (read from the catalog), except its receipts and
// audit log, with the tenant row as a tombstone. Another tenant is untouched.
import { afterAll, beforeAll, expect, test } from 'vitest';

import { finishOffboarding, keptTables } from '../../../src/privacy/offboard-tenant.js';
import { type IngestFixture, makeIngestFixture } from '../../helpers/ingest.js';
import { mail } from '../../helpers/mail.js';
import { bearer, createTenant, operatorKey } from '../../helpers/tenants.js';

let f: IngestFixture;
beforeAll(async () => {
  f = await makeIngestFixture();
});
afterAll(async () => {
  await f?.t.close();
});

const owner = async <T extends object>(sql: string, params: unknown[] = []) =>
  (await f.t.database.db.tx((ex) => ex.query<T>(sql, params))).rows;

async function rowsOf(tenantId: string): Promise<Record<string, number>> {
  const tables = await owner<{ t: string }>(
    `SELECT c.relname AS t FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attname = 'tenant_id' AND NOT a.attisdropped`,
  );
  expect(tables.length).toBeGreaterThan(15);
  const out: Record<string, number> = {};
  for (const { t } of tables) {
    const [r] = await owner<{ n: number }>(
      `SELECT count(*)::int AS n FROM "${t}" WHERE tenant_id = $1`,
      [tenantId],
    );
    if (r!.n > 0) out[t] = r!.n;
  }
  return out;
}

test('offboarding leaves zero rows of the tenant but its receipts, and nothing of another tenant goes', async () => {
  const mbB = await f.addMailbox('sales@acme.example');
  for (let i = 0; i < 3; i++)
    await f.ingest(
      mail({
        text: `OFFBOARD ${i}`,
        attachments: [
          { filename: 'x.pdf', contentType: 'application/pdf', content: Buffer.from(`%PDF ${i}`) },
        ],
      }),
    );
  await f.ingest(mail({ to: 'sales@acme.example', text: 'OFFBOARD B' }), { mailboxId: mbB });
  await f.api('PUT', '/v1/retention-policies', {
    mailbox_id: null,
    inactive_days: 365,
    closed_days: null,
  });
  await f.api('POST', '/v1/subject-requests', {
    type: 'export',
    address: 'customer@client.example',
  });
  const other = await createTenant(f.t, 'Other');
  const otherBefore = await rowsOf(other.id);

  const res = await f.t.app.inject({
    method: 'DELETE',
    url: `/v1/tenants/${f.tenant.id}`,
    headers: bearer(operatorKey),
  });
  expect(res.statusCode).toBe(202);
  // At once: the API key no longer works, every mailbox is disconnected, no key is left to open anything.
  expect((await f.api('GET', '/v1/tickets')).status).toBe(401);
  expect(
    (
      await owner<{ status: string }>('SELECT status FROM mailboxes WHERE tenant_id = $1', [
        f.tenant.id,
      ])
    ).map((m) => m.status),
  ).toEqual(['disconnected', 'disconnected']);
  expect(
    (
      await owner<{ n: number }>(
        'SELECT count(*)::int AS n FROM data_keys WHERE tenant_id = $1 AND wrapped IS NOT NULL',
        [f.tenant.id],
      )
    )[0]!.n,
  ).toBe(0);
  // A tenant key with a tenant's scope cannot do it; a repeat is harmless.
  expect(
    (
      await f.t.app.inject({
        method: 'DELETE',
        url: `/v1/tenants/${other.id}`,
        headers: bearer(other.token),
      })
    ).statusCode,
  ).toBe(401);
  expect(
    (
      await f.t.app.inject({
        method: 'DELETE',
        url: `/v1/tenants/${f.tenant.id}`,
        headers: bearer(operatorKey),
      })
    ).json().id,
  ).toBe(res.json().id);

  const receipt = await finishOffboarding(f.t.container.offboardDeps, f.tenant.id, {
    batchSize: 2,
  });
  expect(receipt.completed_at).not.toBeNull();
  expect(receipt.counts).toMatchObject({
    api_keys: 1,
    mailboxes: 2,
    retention_policies: 1,
    subject_requests: 1,
  });
  const left = await rowsOf(f.tenant.id);
  expect(Object.keys(left).filter((t) => !keptTables.includes(t))).toEqual([]);
  expect(Object.keys(left).sort()).toEqual(['audit_log', 'deletion_receipts', 'privacy_receipts']);
  const [tombstone] = await owner<{ name: string; deleted_at: Date | null }>(
    'SELECT name, deleted_at FROM tenants WHERE id = $1',
    [f.tenant.id],
  );
  expect(tombstone!.name).toBe('(offboarded)');
  expect(tombstone!.deleted_at).not.toBeNull();
  expect(
    (
      await owner<{ n: number }>(
        `SELECT count(*)::int AS n FROM graphile_worker._private_jobs j JOIN graphile_worker._private_tasks t ON t.id = j.task_id WHERE j.payload ->> 'tenantId' = $1 AND t.identifier <> 'tenant.offboard'`,
        [f.tenant.id],
      )
    )[0]!.n,
  ).toBe(0);
  expect(await rowsOf(other.id)).toEqual(otherBefore);
  expect(
    (await f.t.app.inject({ method: 'GET', url: '/v1/tickets', headers: bearer(other.token) }))
      .statusCode,
  ).toBe(200);
});
