// The webhook claim with one endpoint's backlog in the way: an endpoint at its in-flight limit with
// 10,000 due deliveries (older than everyone else's) must not make the claim read that backlog, and
// must not take the other endpoints' turn. What the claim reads is taken from EXPLAIN ANALYZE, so the
// test counts rows, not milliseconds.
import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { insertEvent } from '../../src/store/event-store.js';
import { claimDue } from '../../src/webhooks/delivery-store.js';
import { makeWebhookEndpointService } from '../../src/webhooks/endpoint-service.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { explainFirstQuery, rowsRead } from '../helpers/explain.js';
import { localMailPolicy } from '../helpers/local-mail.js';
import { createTenant, operatorKey, testKeyring } from '../helpers/tenants.js';

let t: TestApp;
let tenantId: string;
const endpoints: Record<'busy' | 'quiet' | 'off', string> = { busy: '', quiet: '', off: '' };
const BACKLOG = 10_000;
const PER_ENDPOINT = 8;

beforeAll(async () => {
  t = await makeTestApp({ INLET_OPERATOR_KEY: operatorKey, INLET_MASTER_KEYS: testKeyring() });
  tenantId = (await createTenant(t, 'Acme')).id;
  const svc = makeWebhookEndpointService({
    db: t.container.db,
    keys: t.container.keys,
    policy: { httpsOnly: false, egress: localMailPolicy },
  });
  const actor = {
    tenantId,
    name: 'test',
    scopes: new Set<never>(),
    requestId: 'r',
    clientIp: null,
  };
  for (const k of ['busy', 'quiet', 'off'] as const)
    endpoints[k] = (await svc.create(actor, { url: `http://127.0.0.1:9999/${k}` })).id;
  await t.container.db.tenantTx(tenantId, (ex) =>
    insertEvent(ex, tenantId, 'ticket.updated', randomUUID(), { change: 'status' }),
  );
  // An hour of backlog for the busy endpoint and the disabled one, five fresh ones for the quiet one.
  await t.container.db.tx(async (ex) => {
    const { rows } = await ex.query<{ id: string }>('SELECT id FROM events WHERE tenant_id = $1', [
      tenantId,
    ]);
    const eventId = rows[0]!.id;
    for (const [ep, n, from] of [
      [endpoints.busy, BACKLOG, '2 hours'],
      [endpoints.off, BACKLOG, '2 hours'],
      [endpoints.quiet, 5, '1 hour'],
    ] as const)
      await ex.query(
        `INSERT INTO webhook_deliveries (tenant_id, endpoint_id, event_id, next_attempt_at)
         SELECT $1, $2, $3, now() - $5::interval + g * interval '1 ms' FROM generate_series(1, $4::int) g`,
        [tenantId, ep, eventId, n, from],
      );
    await ex.query('UPDATE webhook_endpoints SET enabled = false WHERE id = $1', [endpoints.off]);
    await ex.query('ANALYZE webhook_deliveries');
  });
});
afterAll(async () => {
  await t?.close();
});

const claim =
  (inFlight: Map<string, number>, limit = 64) =>
  (ex: Parameters<typeof claimDue>[0]) =>
    claimDue(ex, new Date(), new Date(Date.now() + 60_000), limit, PER_ENDPOINT, inFlight);

describe('webhook claim', () => {
  it('an endpoint at its limit with 10,000 due deliveries is not read; the others are claimed', async () => {
    const full = new Map([[endpoints.busy, PER_ENDPOINT]]);
    const got = await t.container.db
      .tx(async (ex) => {
        const rows = await claim(full)(ex);
        throw Object.assign(new Error('rollback'), { rows });
      })
      .catch((err: { rows?: Awaited<ReturnType<ReturnType<typeof claim>>> }) => err.rows ?? []);
    expect(got.map((d) => d.endpoint_id)).toEqual(Array(5).fill(endpoints.quiet));

    const { plan } = await explainFirstQuery(t.container.db, claim(full));
    const read = Math.round(rowsRead(plan, 'webhook_deliveries'));
    console.log(`claim with one endpoint full at ${BACKLOG} due: ${read} delivery rows read`);
    // One probe per endpoint with pending rows, the quiet one's five, and the five updated.
    expect(read).toBeLessThan(50);
  });

  it('an endpoint with free slots gets at most those slots, oldest first; a disabled one none', async () => {
    const got = await t.container.db
      .tx(async (ex) => {
        const rows = await claim(new Map([[endpoints.busy, 3]]))(ex);
        throw Object.assign(new Error('rollback'), { rows });
      })
      .catch((err: { rows?: Awaited<ReturnType<ReturnType<typeof claim>>> }) => err.rows ?? []);
    const per = (id: string) => got.filter((d) => d.endpoint_id === id).length;
    expect(per(endpoints.busy)).toBe(PER_ENDPOINT - 3);
    expect(per(endpoints.quiet)).toBe(5);
    expect(per(endpoints.off)).toBe(0);

    const { plan } = await explainFirstQuery(t.container.db, claim(new Map([[endpoints.busy, 3]])));
    expect(rowsRead(plan, 'webhook_deliveries')).toBeLessThan(60);
  });
});
