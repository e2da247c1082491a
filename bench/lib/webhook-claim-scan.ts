// What one webhook claim costs while one endpoint sits at its in-flight limit with a backlog of due
// deliveries older than everyone else's (a slow or down helpdesk), at backlogs of 0 to 10,000: the
// claim's execution time and the delivery rows it reads (EXPLAIN ANALYZE, rolled back), against an
// endpoint with five due deliveries that should be claimed. Flat means the backlog is not read.
import { randomUUID } from 'node:crypto';

import type { Container } from '../../src/container.js';
import { insertEvent } from '../../src/store/event-store.js';
import { systemActor } from '../../src/tenancy/actor.js';
import { claimDue } from '../../src/webhooks/delivery-store.js';
import { makeWebhookEndpointService } from '../../src/webhooks/endpoint-service.js';
import { explainFirstQuery, rowsRead } from '../../test/helpers/explain.js';
import { localMailPolicy } from '../../test/helpers/local-mail.js';
import { pct } from './stats.js';

const perEndpoint = 8;

export interface ClaimScanRow {
  backlog: number;
  /** Execution time of the claim statement per run (ms), three runs. */
  ms: number[];
  rowsRead: number;
  claimed: number;
}

export async function claimScan(
  c: Container,
  tenantId: string,
  backlogs = [0, 1_000, 10_000],
): Promise<ClaimScanRow[]> {
  const svc = makeWebhookEndpointService({
    db: c.db,
    keys: c.keys,
    policy: { httpsOnly: false, egress: localMailPolicy },
  });
  const actor = systemActor(tenantId, 'bench');
  const busy = await svc.create(actor, {
    url: 'http://127.0.0.1:9999/busy',
    types: ['ticket.updated'],
  });
  const quiet = await svc.create(actor, {
    url: 'http://127.0.0.1:9999/quiet',
    types: ['ticket.updated'],
  });
  await c.db.tenantTx(tenantId, (ex) =>
    insertEvent(ex, tenantId, 'ticket.updated', randomUUID(), { status: 'claim-scan' }),
  );
  const out: ClaimScanRow[] = [];
  try {
    for (const backlog of backlogs) {
      await c.db.tx(async (ex) => {
        const { rows } = await ex.query<{ id: string }>(
          'SELECT max(id) AS id FROM events WHERE tenant_id = $1',
          [tenantId],
        );
        const eventId = rows[0]!.id;
        await ex.query('DELETE FROM webhook_deliveries WHERE endpoint_id = ANY($1::uuid[])', [
          [busy.id, quiet.id],
        ]);
        for (const [ep, n, age] of [
          [busy.id, backlog, '2 hours'],
          [quiet.id, 5, '1 hour'],
        ] as const)
          await ex.query(
            `INSERT INTO webhook_deliveries (tenant_id, endpoint_id, event_id, next_attempt_at)
             SELECT $1, $2, $3, now() - $5::interval + g * interval '1 ms' FROM generate_series(1, $4::int) g`,
            [tenantId, ep, eventId, n, age],
          );
      });
      await c.db.tx((ex) => ex.query('ANALYZE webhook_deliveries'));
      const full = new Map([[busy.id, perEndpoint]]);
      const row: ClaimScanRow = { backlog, ms: [], rowsRead: 0, claimed: 0 };
      for (let run = 0; run < 4; run++) {
        const { plan, executionMs } = await explainFirstQuery(c.db, (ex) =>
          claimDue(ex, new Date(), new Date(Date.now() + 60_000), 64, [...full.keys()]),
        );
        if (run === 0) continue; // warm-up: plan cache, buffers
        row.ms.push(executionMs);
        row.rowsRead = Math.round(rowsRead(plan, 'webhook_deliveries'));
        row.claimed = plan['Actual Rows'] ?? 0;
      }
      out.push(row);
    }
  } finally {
    await svc.remove(actor, busy.id);
    await svc.remove(actor, quiet.id);
  }
  return out;
}

export function printClaimScan(rows: ClaimScanRow[]): void {
  const f = (x: number) => x.toFixed(2);
  console.log(
    `claim with one endpoint at its limit (${perEndpoint} in flight) and N older due deliveries, another with 5 due:`,
  );
  for (const r of rows)
    console.log(
      `  N = ${String(r.backlog).padStart(6)}: ${f(Math.min(...r.ms))} / ${f(pct(r.ms, 50))} / ${f(Math.max(...r.ms))} ms per claim, ${r.rowsRead} delivery rows read, ${r.claimed} claimed`,
    );
}
