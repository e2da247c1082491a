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

/**
 * Takes up to `limit` due deliveries of enabled endpoints, leased until `leaseUntil`, and counts the
 * attempt. Endpoints in `skipEndpoints` (already at their connection limit in this process) are
 * passed over, so one slow endpoint's backlog does not take every slot.
 */
export async function claimDue(
  ex: Executor,
  now: Date,
  leaseUntil: Date,
  limit: number,
  skipEndpoints: string[] = [],
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
            AND NOT (d.endpoint_id = ANY($4::uuid[]))
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
    values: [now, leaseUntil, limit, skipEndpoints],
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
  /** When the next attempt is due; null = no more attempts (the delivery ends `failed`). */
  retryAt: Date | null;
}

export interface FailingEndpoint {
  tenantId: string;
  endpointId: string;
  failingSince: Date | null;
  enabled: boolean;
}

/**
 * Records a batch of attempts at `at` in one statement and moves their deliveries on (a delivery
 * deleted meanwhile, with its endpoint, is skipped). An endpoint with a success in the batch is
 * healthy again; one with only failures is failing since its first failure. Returns the endpoints
 * that had only failures, with their health after the batch, so the caller can decide to disable.
 */
export async function recordAttempts(
  ex: Executor,
  list: AttemptRecord[],
  at: Date,
): Promise<FailingEndpoint[]> {
  if (list.length === 0) return [];
  const { rows } = await ex.query<{
    tenant_id: string;
    endpoint_id: string;
    failing_since: Date | null;
    enabled: boolean;
  }>({
    name: 'inlet-webhook-record-batch',
    text: `WITH r AS (
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::bigint[], $5::int[], $6::boolean[], $7::int[], $8::int[], $9::text[], $10::text[], $11::timestamptz[])
           AS r(tenant_id, endpoint_id, delivery_id, event_id, attempt, ok, status, latency_ms, error, response_prefix, retry_at))
       , del AS (
         UPDATE webhook_deliveries d SET locked_until = NULL, updated_at = $12,
             state = CASE WHEN r.ok THEN 'succeeded' WHEN r.retry_at IS NULL THEN 'failed' ELSE 'pending' END,
             next_attempt_at = CASE WHEN r.ok THEN NULL ELSE r.retry_at END
           FROM r WHERE d.tenant_id = r.tenant_id AND d.id = r.delivery_id
         RETURNING r.*)
       , att AS (
         INSERT INTO webhook_attempts (tenant_id, endpoint_id, delivery_id, event_id, attempt, outcome, response_status, latency_ms, error, response_prefix, attempted_at)
         SELECT tenant_id, endpoint_id, delivery_id, event_id, attempt, CASE WHEN ok THEN 'succeeded' ELSE 'failed' END, status, latency_ms, error, response_prefix, $12 FROM del)
       , h AS (SELECT tenant_id, endpoint_id, bool_or(ok) AS any_ok FROM del GROUP BY tenant_id, endpoint_id)
       -- The endpoint row is written only when its health changes: a busy healthy endpoint's
       -- batches do not queue on its row lock.
       , ep AS (
         UPDATE webhook_endpoints w SET failing_since = CASE WHEN h.any_ok THEN NULL ELSE $12 END
           FROM h WHERE w.tenant_id = h.tenant_id AND w.id = h.endpoint_id
            AND CASE WHEN h.any_ok THEN w.failing_since IS NOT NULL ELSE w.failing_since IS NULL END
         RETURNING w.tenant_id, w.id, w.failing_since, w.enabled)
       SELECT h.tenant_id, h.endpoint_id, coalesce(ep.failing_since, w.failing_since) AS failing_since, coalesce(ep.enabled, w.enabled) AS enabled
         FROM h JOIN webhook_endpoints w ON w.tenant_id = h.tenant_id AND w.id = h.endpoint_id
         LEFT JOIN ep ON ep.tenant_id = h.tenant_id AND ep.id = h.endpoint_id
        WHERE NOT h.any_ok`,
    values: [
      list.map((a) => a.tenantId),
      list.map((a) => a.endpointId),
      list.map((a) => a.deliveryId),
      list.map((a) => a.eventId),
      list.map((a) => a.attempt),
      list.map((a) => a.ok),
      list.map((a) => a.status),
      list.map((a) => a.latencyMs),
      list.map((a) => a.error),
      list.map((a) => a.responsePrefix),
      list.map((a) => a.retryAt),
      at,
    ],
  });
  return rows.map((r) => ({
    tenantId: r.tenant_id,
    endpointId: r.endpoint_id,
    failingSince: r.failing_since,
    enabled: r.enabled,
  }));
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
