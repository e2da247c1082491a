// SQL of the webhook dispatcher: claiming due deliveries across tenants (SKIP LOCKED, so several
// workers share the work) and recording each attempt's outcome. Runs as the owner role (all tenants).
import type { Executor } from '../store/db.js';
import type { EventRow } from '../store/event-store.js';
import type { EndpointRow } from './endpoint-store.js';

export interface ClaimedDelivery {
  id: string;
  tenant_id: string;
  endpoint_id: string;
  attempts: number;
  event: Pick<EventRow, 'id' | 'type' | 'resource_id' | 'data' | 'created_at'>;
  endpoint: Pick<
    EndpointRow,
    'id' | 'tenant_id' | 'url' | 'secret_ct' | 'previous_secret_ct' | 'previous_secret_expires_at'
  >;
}

/** Takes up to `limit` due deliveries of enabled endpoints, leased until `leaseUntil`, and counts the attempt. */
export async function claimDue(
  ex: Executor,
  now: Date,
  leaseUntil: Date,
  limit: number,
): Promise<ClaimedDelivery[]> {
  const { rows } = await ex.query<{
    id: string;
    tenant_id: string;
    endpoint_id: string;
    attempts: number;
    event_id: string;
    type: EventRow['type'];
    resource_id: string;
    data: Record<string, unknown>;
    event_created_at: Date;
    url: string;
    secret_ct: Buffer;
    previous_secret_ct: Buffer | null;
    previous_secret_expires_at: Date | null;
  }>({
    name: 'inlet-webhook-claim',
    text: `WITH due AS (
         SELECT d.tenant_id, d.id FROM webhook_deliveries d
          WHERE d.state = 'pending' AND d.next_attempt_at <= $1 AND (d.locked_until IS NULL OR d.locked_until < $1)
            AND EXISTS (SELECT 1 FROM webhook_endpoints w WHERE w.tenant_id = d.tenant_id AND w.id = d.endpoint_id AND w.enabled)
          ORDER BY d.next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED)
       , claimed AS (
         UPDATE webhook_deliveries d SET locked_until = $2, attempts = d.attempts + 1, updated_at = $1
           FROM due WHERE d.tenant_id = due.tenant_id AND d.id = due.id
         RETURNING d.id, d.tenant_id, d.endpoint_id, d.event_id, d.attempts)
       SELECT c.id, c.tenant_id, c.endpoint_id, c.attempts, c.event_id, e.type, e.resource_id, e.data, e.created_at AS event_created_at,
              w.url, w.secret_ct, w.previous_secret_ct, w.previous_secret_expires_at
         FROM claimed c JOIN events e ON e.tenant_id = c.tenant_id AND e.id = c.event_id
         JOIN webhook_endpoints w ON w.tenant_id = c.tenant_id AND w.id = c.endpoint_id`,
    values: [now, leaseUntil, limit],
  });
  return rows.map((r) => ({
    id: r.id,
    tenant_id: r.tenant_id,
    endpoint_id: r.endpoint_id,
    attempts: r.attempts,
    event: {
      id: r.event_id,
      type: r.type,
      resource_id: r.resource_id,
      data: r.data,
      created_at: r.event_created_at,
    },
    endpoint: {
      id: r.endpoint_id,
      tenant_id: r.tenant_id,
      url: r.url,
      secret_ct: r.secret_ct,
      previous_secret_ct: r.previous_secret_ct,
      previous_secret_expires_at: r.previous_secret_expires_at,
    },
  }));
}

export interface AttemptRecord {
  tenantId: string;
  endpointId: string;
  deliveryId: string;
  eventId: string;
  attempt: number;
  ok: boolean;
  status: number | null;
  latencyMs: number;
  error: string | null;
  responsePrefix: string | null;
  at: Date;
  /** When the next attempt is due; null = no more attempts (the delivery ends `failed`). */
  retryAt: Date | null;
}

/**
 * Records an attempt and moves its delivery on. Returns the endpoint's failing_since after it (null
 * when the endpoint is healthy), so the caller can decide to disable it.
 */
export async function recordAttempt(
  ex: Executor,
  a: AttemptRecord,
): Promise<{ failingSince: Date | null; enabled: boolean }> {
  const { rows } = await ex.query<{ failing_since: Date | null; enabled: boolean }>({
    name: 'inlet-webhook-record',
    text: `WITH att AS (
         INSERT INTO webhook_attempts (tenant_id, endpoint_id, delivery_id, event_id, attempt, outcome, response_status, latency_ms, error, response_prefix, attempted_at)
         VALUES ($1, $2, $3, $4, $5, CASE WHEN $6 THEN 'succeeded' ELSE 'failed' END, $7, $8, $9, $10, $11))
       , del AS (
         UPDATE webhook_deliveries SET locked_until = NULL, updated_at = $11,
             state = CASE WHEN $6 THEN 'succeeded' WHEN $12::timestamptz IS NULL THEN 'failed' ELSE 'pending' END,
             next_attempt_at = CASE WHEN $6 THEN NULL ELSE $12 END
          WHERE tenant_id = $1 AND id = $3)
       -- The endpoint row is written only when its health changes: a busy healthy endpoint's
       -- deliveries do not queue on its row lock.
       , ep AS (
         UPDATE webhook_endpoints SET failing_since = CASE WHEN $6 THEN NULL ELSE $11 END
          WHERE tenant_id = $1 AND id = $2 AND CASE WHEN $6 THEN failing_since IS NOT NULL ELSE failing_since IS NULL END
          RETURNING failing_since, enabled)
       SELECT failing_since, enabled FROM ep
       UNION ALL
       SELECT failing_since, enabled FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2 AND NOT EXISTS (SELECT 1 FROM ep)`,
    values: [
      a.tenantId,
      a.endpointId,
      a.deliveryId,
      a.eventId,
      a.attempt,
      a.ok,
      a.status,
      a.latencyMs,
      a.error,
      a.responsePrefix,
      a.at,
      a.retryAt,
    ],
  });
  return { failingSince: rows[0]?.failing_since ?? null, enabled: rows[0]?.enabled ?? false };
}

/** Disables an endpoint that kept failing; true when this call did it (so the event is recorded once). */
export async function disableFailing(
  ex: Executor,
  tenantId: string,
  endpointId: string,
  reason: string,
): Promise<boolean> {
  const { rowCount } = await ex.query(
    'UPDATE webhook_endpoints SET enabled = false, disabled_reason = $3, updated_at = now() WHERE tenant_id = $1 AND id = $2 AND enabled',
    [tenantId, endpointId, reason],
  );
  return (rowCount ?? 0) > 0;
}
