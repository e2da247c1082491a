// Numbers committed events in feed order and fans them out to webhook endpoints (the events-feed migration
// explains why positions are assigned after commit). Runs in the dispatcher (worker) and at the start
// of every feed read, so the feed is current even between dispatcher wake-ups.
//
// Why not xid8 / pg_snapshot_xmin (expose only rows older than the oldest running transaction)? That
// costs nothing on write, but the whole feed then waits for the oldest transaction in the cluster —
// a long sync page, a purge batch or a forgotten idle-in-transaction session of any tenant stalls
// every tenant's feed and every webhook. Numbering after commit costs one UPDATE per event, is held
// up only by the tenant's own sequencer, and orders events by commit rather than by start.
import type { Executor } from '../store/db.js';

/** Advisory-lock class for per-tenant sequencing (the second key is hashtext(tenant id)). */
const lockClass = 0x1e7e;

/**
 * Numbers up to `limit` of the tenant's committed, unnumbered events and creates their webhook
 * deliveries (due at `now`). Returns how many were numbered. The caller's transaction must commit
 * for the numbers to count; the lock serialises sequencers of one tenant until then.
 */
export async function sequenceTenantEvents(
  ex: Executor,
  tenantId: string,
  now: Date,
  limit = 2000,
): Promise<number> {
  await ex.query({
    name: 'inlet-sequence-lock',
    text: 'SELECT pg_advisory_xact_lock($1, hashtext($2))',
    values: [lockClass, tenantId],
  });
  const { rows } = await ex.query<{ n: number }>({
    name: 'inlet-sequence-events',
    text: `WITH pending AS (
         SELECT id FROM events WHERE tenant_id = $1 AND position IS NULL ORDER BY id LIMIT $3)
       , numbered AS (
         SELECT id, nextval('events_position_seq') AS position FROM (SELECT id FROM pending ORDER BY id) p)
       , upd AS (
         UPDATE events e SET position = n.position FROM numbered n WHERE e.tenant_id = $1 AND e.id = n.id RETURNING e.id, e.type)
       , fan AS (
         INSERT INTO webhook_deliveries (tenant_id, endpoint_id, event_id, next_attempt_at, created_at)
         SELECT $1, w.id, upd.id, $2, $2 FROM upd JOIN webhook_endpoints w ON w.tenant_id = $1
          WHERE w.enabled AND (cardinality(w.types) = 0 OR upd.type = ANY(w.types)))
       SELECT count(*)::int AS n FROM upd`,
    values: [tenantId, now, limit],
  });
  return rows[0]!.n;
}
