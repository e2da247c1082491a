// SQL for webhook endpoints, deliveries and attempts (the events-feed migration). Callers own the transaction.
import type { Executor } from '../store/db.js';

export interface EndpointRow {
  id: string;
  tenant_id: string;
  url: string;
  description: string;
  types: string[];
  enabled: boolean;
  disabled_reason: string | null;
  secret_ct: Buffer;
  previous_secret_ct: Buffer | null;
  previous_secret_expires_at: Date | null;
  failing_since: Date | null;
  created_at: Date;
  updated_at: Date;
}

const columns =
  'id, tenant_id, url, description, types, enabled, disabled_reason, secret_ct, previous_secret_ct, previous_secret_expires_at, failing_since, created_at, updated_at';

export async function insertEndpoint(
  ex: Executor,
  e: {
    id: string;
    tenantId: string;
    url: string;
    description: string;
    types: string[];
    secretCt: Buffer;
  },
): Promise<EndpointRow> {
  const { rows } = await ex.query<EndpointRow>(
    `INSERT INTO webhook_endpoints (id, tenant_id, url, description, types, secret_ct) VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${columns}`,
    [e.id, e.tenantId, e.url, e.description, e.types, e.secretCt],
  );
  return rows[0]!;
}

export async function findEndpoint(
  ex: Executor,
  tenantId: string,
  id: string,
  opts: { lock?: boolean } = {},
): Promise<EndpointRow | null> {
  const { rows } = await ex.query<EndpointRow>(
    `SELECT ${columns} FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2${opts.lock ? ' FOR UPDATE' : ''}`,
    [tenantId, id],
  );
  return rows[0] ?? null;
}

export async function listEndpoints(ex: Executor, tenantId: string): Promise<EndpointRow[]> {
  const { rows } = await ex.query<EndpointRow>(
    `SELECT ${columns} FROM webhook_endpoints WHERE tenant_id = $1 ORDER BY created_at, id`,
    [tenantId],
  );
  return rows;
}

export async function updateEndpoint(
  ex: Executor,
  tenantId: string,
  id: string,
  p: {
    url?: string;
    description?: string;
    types?: string[];
    enabled?: boolean;
    disabledReason?: string | null;
  },
): Promise<EndpointRow | null> {
  const { rows } = await ex.query<EndpointRow>(
    `UPDATE webhook_endpoints SET url = coalesce($3, url), description = coalesce($4, description), types = coalesce($5, types),
        enabled = coalesce($6, enabled),
        disabled_reason = CASE WHEN $6 IS NULL THEN disabled_reason WHEN $6 THEN NULL ELSE $7 END,
        failing_since = CASE WHEN $6 THEN NULL ELSE failing_since END,
        updated_at = now()
      WHERE tenant_id = $1 AND id = $2 RETURNING ${columns}`,
    [
      tenantId,
      id,
      p.url ?? null,
      p.description ?? null,
      p.types ?? null,
      p.enabled ?? null,
      p.disabledReason ?? null,
    ],
  );
  return rows[0] ?? null;
}

export async function rotateSecret(
  ex: Executor,
  tenantId: string,
  id: string,
  secretCt: Buffer,
  previousCt: Buffer,
  previousExpiresAt: Date,
): Promise<EndpointRow | null> {
  const { rows } = await ex.query<EndpointRow>(
    `UPDATE webhook_endpoints SET secret_ct = $3, previous_secret_ct = $4, previous_secret_expires_at = $5, updated_at = now()
      WHERE tenant_id = $1 AND id = $2 RETURNING ${columns}`,
    [tenantId, id, secretCt, previousCt, previousExpiresAt],
  );
  return rows[0] ?? null;
}

export async function deleteEndpoint(ex: Executor, tenantId: string, id: string): Promise<boolean> {
  const { rowCount } = await ex.query(
    'DELETE FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2',
    [tenantId, id],
  );
  return (rowCount ?? 0) > 0;
}

export interface AttemptRow {
  id: string;
  delivery_id: string;
  event_id: string;
  attempt: number;
  outcome: 'succeeded' | 'failed';
  response_status: number | null;
  latency_ms: number;
  error: string | null;
  response_prefix: string | null;
  attempted_at: Date;
}

export async function listAttempts(
  ex: Executor,
  tenantId: string,
  endpointId: string,
  q: { before: string | null; limit: number },
): Promise<AttemptRow[]> {
  const { rows } = await ex.query<AttemptRow>(
    `SELECT id, delivery_id, event_id, attempt, outcome, response_status, latency_ms, error, response_prefix, attempted_at FROM webhook_attempts
      WHERE tenant_id = $1 AND endpoint_id = $2 AND ($3::bigint IS NULL OR id < $3) ORDER BY id DESC LIMIT $4`,
    [tenantId, endpointId, q.before, q.limit],
  );
  return rows;
}

/**
 * Replay: the endpoint's deliveries of the given events (or of every event since a time) become
 * pending and due now, with a fresh attempt budget; events the endpoint never had a delivery for
 * (created before it, or of other types back then) get one. Returns how many were queued.
 */
export async function replayDeliveries(
  ex: Executor,
  tenantId: string,
  endpointId: string,
  q: { eventIds: string[] | null; since: Date | null },
  now: Date,
): Promise<number> {
  const { rows } = await ex.query<{ n: number }>(
    `WITH ev AS (
       SELECT e.id FROM events e, webhook_endpoints w
        WHERE e.tenant_id = $1 AND w.tenant_id = $1 AND w.id = $2 AND e.position IS NOT NULL
          AND ($3::bigint[] IS NULL OR e.id = ANY($3)) AND ($4::timestamptz IS NULL OR e.created_at >= $4)
          AND (cardinality(w.types) = 0 OR e.type = ANY(w.types)))
     , reset AS (
       UPDATE webhook_deliveries d SET state = 'pending', attempts = 0, next_attempt_at = $5, locked_until = NULL, updated_at = $5
        WHERE d.tenant_id = $1 AND d.endpoint_id = $2 AND d.event_id IN (SELECT id FROM ev) RETURNING d.event_id)
     , added AS (
       INSERT INTO webhook_deliveries (tenant_id, endpoint_id, event_id, next_attempt_at, created_at)
       SELECT $1, $2, ev.id, $5, $5 FROM ev
        WHERE NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.tenant_id = $1 AND d.endpoint_id = $2 AND d.event_id = ev.id) RETURNING event_id)
     SELECT (SELECT count(*) FROM reset)::int + (SELECT count(*) FROM added)::int AS n`,
    [tenantId, endpointId, q.eventIds, q.since, now],
  );
  return rows[0]!.n;
}
