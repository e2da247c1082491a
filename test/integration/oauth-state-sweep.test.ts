import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, expect, test } from 'vitest';

import { makeHandlers } from '../../src/main/worker.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { createTenant, operatorKey, testKeyring } from '../helpers/tenants.js';

let t: TestApp;
beforeAll(async () => {
  t = await makeTestApp({ INLET_OPERATOR_KEY: operatorKey, INLET_MASTER_KEYS: testKeyring() });
});
afterAll(async () => {
  await t?.close();
});

test('the daily sweep deletes consent states expired for over a day and keeps the rest', async () => {
  const tenant = await createTenant(t, 'Sweep');
  const insert = (expiresAt: string) =>
    t.database.db.tx((c) =>
      c.query(
        `INSERT INTO oauth_states (id, tenant_id, provider, verifier_ct, return_url, actor, expires_at) VALUES ($1, $2, 'gmail', '\\x00', 'https://h.example/', 'key:x', $3)`,
        [randomUUID(), tenant.id, expiresAt],
      ),
    );
  await insert(new Date(Date.now() - 3 * 86400_000).toISOString());
  await insert(new Date(Date.now() - 3600_000).toISOString()); // expired, but within the day kept for "state_expired" answers
  await insert(new Date(Date.now() + 600_000).toISOString());
  await makeHandlers(t.container)['oauth.sweep-states']({}, undefined as never);
  const { rows } = await t.database.db.tx((c) =>
    c.query('SELECT count(*)::int AS n FROM oauth_states'),
  );
  expect(rows[0].n).toBe(2);
});
