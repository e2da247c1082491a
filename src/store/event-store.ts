// SQL for events (the events table and its feed position). Writers record events in the transaction that caused
// them; the feed position is assigned after commit by src/events/sequencer.ts.
import type { EventType } from '../events/catalogue.js';
import type { Executor } from './db.js';

export type { EventType } from '../events/catalogue.js';

/** Events carry ids and metadata only; the helpdesk fetches content through the (audited) API. */
export async function insertEvent(
  ex: Executor,
  tenantId: string,
  type: EventType,
  resourceId: string,
  data: Record<string, string | number | boolean | null> = {},
): Promise<void> {
  await ex.query(
    'INSERT INTO events (tenant_id, type, resource_id, data) VALUES ($1, $2, $3, $4)',
    [tenantId, type, resourceId, JSON.stringify(data)],
  );
}

export interface EventRow {
  id: string;
  tenant_id: string;
  type: EventType;
  resource_id: string;
  data: Record<string, unknown>;
  created_at: Date;
  position: string;
}

const columns = 'id, tenant_id, type, resource_id, data, created_at, position';

/** The tenant's numbered events after `after` (a position), oldest first. */
export async function listFeed(
  ex: Executor,
  tenantId: string,
  q: { after: bigint; types: string[] | null; limit: number },
): Promise<EventRow[]> {
  const { rows } = await ex.query<EventRow>({
    name: 'inlet-list-feed',
    text: `SELECT ${columns} FROM events WHERE tenant_id = $1 AND position > $2 AND position IS NOT NULL AND ($3::text[] IS NULL OR type = ANY($3))
      ORDER BY position LIMIT $4`,
    values: [tenantId, q.after.toString(), q.types, q.limit],
  });
  return rows;
}

export async function findEvents(
  ex: Executor,
  tenantId: string,
  ids: string[],
): Promise<EventRow[]> {
  const { rows } = await ex.query<EventRow>(
    `SELECT ${columns} FROM events WHERE tenant_id = $1 AND id = ANY($2::bigint[])`,
    [tenantId, ids],
  );
  return rows;
}

/** Tenants with events not yet numbered (the dispatcher's work list). */
export async function tenantsWithUnsequenced(ex: Executor, limit: number): Promise<string[]> {
  const { rows } = await ex.query<{ tenant_id: string }>(
    // A loose index scan over the partial index: one probe per tenant, not a scan of its events.
    `WITH RECURSIVE t AS (
       (SELECT tenant_id FROM events WHERE position IS NULL ORDER BY tenant_id LIMIT 1)
       UNION ALL
       SELECT (SELECT e.tenant_id FROM events e WHERE e.position IS NULL AND e.tenant_id > t.tenant_id ORDER BY e.tenant_id LIMIT 1) FROM t WHERE t.tenant_id IS NOT NULL)
     SELECT tenant_id FROM t WHERE tenant_id IS NOT NULL LIMIT $1`,
    [limit],
  );
  return rows.map((r) => r.tenant_id);
}

/** Deletes events created before `before` (EVENTS_RETENTION_DAYS), in bounded batches; returns how many. */
export async function deleteEventsBefore(
  ex: Executor,
  before: Date,
  batch: number,
): Promise<number> {
  const { rowCount } = await ex.query(
    'DELETE FROM events WHERE (tenant_id, id) IN (SELECT tenant_id, id FROM events WHERE created_at < $1 LIMIT $2)',
    [before, batch],
  );
  return rowCount ?? 0;
}
