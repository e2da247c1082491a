// 'credentials.open' audit records expire after AUDIT_CREDENTIALS_RETENTION_DAYS (migration 0026):
// the nightly job deletes exactly those past the window, in batches, and logs a count; young ones
// and every other action stay. The service role still cannot DELETE from audit_log itself, cannot
// ask the function for less than 90 days, and the tenant role cannot call it at all.
import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, expect, test } from 'vitest';

import { loadConfig } from '../../../src/config.js';
import { makeHandlers } from '../../../src/main/worker.js';
import {
  credentialOpensBatch,
  expireCredentialOpens,
} from '../../../src/privacy/audit-retention.js';
import { makeTestApp } from '../../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/db.js';

let d: TestDatabase;
const tenants = [randomUUID(), randomUUID()];
const mailbox = randomUUID();

beforeAll(async () => {
  d = await createTestDatabase();
  await d.owner.tx(async (c) => {
    for (const [i, id] of tenants.entries())
      await c.query('INSERT INTO tenants (id, name) VALUES ($1, $2)', [id, `tenant ${i}`]);
  });
});
afterAll(async () => {
  await d?.drop();
});

/** `count` records of `action` for `tenant`, written `days` days ago (the owner may backdate). */
async function seed(tenant: string, action: string, days: number, count = 1): Promise<void> {
  await d.owner.tx((c) =>
    c.query(
      `INSERT INTO audit_log (tenant_id, at, actor, action, resource_type, resource_id, detail)
       SELECT $1, now() - make_interval(days => $3) - make_interval(secs => g), 'system:credentials:sync',
              $2, 'mailbox', $4, '{"purpose":"sync","worker":"host:1"}'
         FROM generate_series(1, $5) g`,
      [tenant, action, days, mailbox, count],
    ),
  );
}

const remaining = async () =>
  (
    await d.owner.tx((c) =>
      c.query<{ action: string; days: number; n: number }>(
        `SELECT action, extract(day FROM now() - at)::int AS days, count(*)::int AS n
           FROM audit_log GROUP BY 1, 2 ORDER BY 1, 2`,
      ),
    )
  ).rows;

test('old credentials.open records go in batches; young ones and every other action stay', async () => {
  // More than one batch of expired records, over two tenants.
  await seed(tenants[0]!, 'credentials.open', 500, credentialOpensBatch);
  await seed(tenants[1]!, 'credentials.open', 401, 3);
  await seed(tenants[0]!, 'credentials.open', 399, 2);
  await seed(tenants[1]!, 'credentials.open', 0, 1);
  for (const action of ['message.read_raw', 'retention.run', 'subject_request.complete'])
    await seed(tenants[0]!, action, 1000);
  const logged: unknown[] = [];

  const log = { info: (obj: unknown) => logged.push(obj) } as never;

  // A shutdown before the first batch: nothing goes, the line says so, the next run does it all.
  const stopped = new AbortController();
  stopped.abort();
  expect(await expireCredentialOpens(d.db, 400, { log, signal: stopped.signal })).toBe(0);
  expect(logged).toEqual([{ deleted: 0, keepDays: 400, interrupted: true }]);
  logged.length = 0;

  const deleted = await expireCredentialOpens(d.db, 400, { log });

  expect(deleted).toBe(credentialOpensBatch + 3);
  expect(await remaining()).toEqual([
    { action: 'credentials.open', days: 0, n: 1 },
    { action: 'credentials.open', days: 399, n: 2 },
    { action: 'message.read_raw', days: 1000, n: 1 },
    { action: 'retention.run', days: 1000, n: 1 },
    { action: 'subject_request.complete', days: 1000, n: 1 },
  ]);
  // One line with the count and the window; no tenant, mailbox or worker in it.
  expect(logged).toEqual([{ deleted: credentialOpensBatch + 3, keepDays: 400 }]);
  // Nothing left to do the next night.
  expect(await expireCredentialOpens(d.db, 400)).toBe(0);
});

test('the service role cannot delete audit records itself nor ask for less than 90 days; the tenant role cannot call it', async () => {
  await seed(tenants[0]!, 'credentials.open', 95, 1);
  await seed(tenants[0]!, 'mailbox.read', 95, 1);
  const before = await remaining();
  for (const sql of [
    `DELETE FROM audit_log WHERE action = 'credentials.open'`,
    `RESET ROLE; DELETE FROM audit_log WHERE action = 'mailbox.read'`,
    `SELECT inlet_expire_credential_opens(89, 100)`,
    `SELECT inlet_expire_credential_opens(0, 100)`,
  ])
    await expect(
      d.db.tx((c) => c.query(sql)),
      sql,
    ).rejects.toThrow(/permission denied|kept at least 90 days/);
  await expect(
    d.db.tenantTx(tenants[0]!, (c) => c.query('SELECT inlet_expire_credential_opens(90, 100)')),
  ).rejects.toThrow(/permission denied/);
  await expect(
    d.db.tx((c) => c.query('SELECT inlet_expire_credential_opens(400, 0)')),
  ).rejects.toThrow(/batch must be/);
  expect(await remaining()).toEqual(before);

  // At the floor, the 95- and 399-day-old credentials.open records go; the mailbox.read beside
  // them and today's credentials.open stay.
  expect(await expireCredentialOpens(d.db, 90)).toBe(3);
  expect(
    (await remaining()).filter((r) => r.action.startsWith('credentials') || r.days === 95),
  ).toEqual([
    { action: 'credentials.open', days: 0, n: 1 },
    { action: 'mailbox.read', days: 95, n: 1 },
  ]);
});

test('the worker job expires by AUDIT_CREDENTIALS_RETENTION_DAYS, which refuses less than 90', async () => {
  expect(() => loadConfig({ AUDIT_CREDENTIALS_RETENTION_DAYS: '89' })).toThrow(
    /AUDIT_CREDENTIALS_RETENTION_DAYS/,
  );
  expect(loadConfig({}).auditCredentialsRetentionDays).toBe(400);
  const t = await makeTestApp({ AUDIT_CREDENTIALS_RETENTION_DAYS: '120' });
  try {
    const tenant = { id: randomUUID() };
    await t.database.owner.tx((c) =>
      c.query(`INSERT INTO tenants (id, name) VALUES ($1, 'expiry')`, [tenant.id]),
    );
    const insert = (days: number) =>
      t.database.owner.tx((c) =>
        c.query(
          `INSERT INTO audit_log (tenant_id, at, actor, action, resource_type, resource_id)
           VALUES ($1, now() - make_interval(days => $2), 'system:credentials:send', 'credentials.open', 'mailbox', $3)`,
          [tenant.id, days, randomUUID()],
        ),
      );
    await insert(121);
    await insert(119);
    await makeHandlers(t.container)['audit.expire-credential-opens']({}, {} as never);
    const { rows } = await t.database.owner.tx((c) =>
      c.query<{ days: number }>(
        `SELECT extract(day FROM now() - at)::int AS days FROM audit_log
          WHERE tenant_id = $1 AND action = 'credentials.open'`,
        [tenant.id],
      ),
    );
    expect(rows).toEqual([{ days: 119 }]);
  } finally {
    await t.close();
  }
});
