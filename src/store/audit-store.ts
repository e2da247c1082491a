import type { Executor } from './db.js';

export interface AuditEntry {
  tenantId: string;
  actor: string;
  action: string;
  resourceType: string;
  resourceId: string | null;
  requestId: string | null;
  clientIp: string | null;
  detail?: Record<string, string | number | boolean | null>;
}

export interface AuditRow {
  id: string;
  at: Date;
  actor: string;
  action: string;
  resource_type: string;
  resource_id: string | null;
  request_id: string | null;
  client_ip: string | null;
  detail: Record<string, unknown>;
}

export async function insertAudit(ex: Executor, e: AuditEntry): Promise<void> {
  await ex.query({
    name: 'inlet-insert-audit',
    text: `INSERT INTO audit_log (tenant_id, actor, action, resource_type, resource_id, request_id, client_ip, detail)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    values: [
      e.tenantId,
      e.actor,
      e.action,
      e.resourceType,
      e.resourceId,
      e.requestId,
      e.clientIp,
      JSON.stringify(e.detail ?? {}),
    ],
  });
}

export interface AuditQuery {
  tenantId: string;
  since?: Date;
  until?: Date;
  action?: string;
  resourceType?: string;
  resourceId?: string;
  /** Keyset cursor: entries strictly after (older than) the entry with this public id. */
  afterPublicId?: string;
  limit: number;
}

export async function queryAudit(ex: Executor, q: AuditQuery): Promise<AuditRow[]> {
  const { rows } = await ex.query<AuditRow>(
    // Ordered by the table's columns (a.at, a.id), never by the output column `id`, which is the
    // public id as text: ordering by that is what dropped records from pages before.
    `WITH cur AS (SELECT at, id FROM audit_log WHERE tenant_id = $1 AND public_id = $7::uuid)
     SELECT a.public_id::text AS id, a.at, a.actor, a.action, a.resource_type, a.resource_id, a.request_id, host(a.client_ip) AS client_ip, a.detail
       FROM audit_log a
      WHERE a.tenant_id = $1
        AND ($2::timestamptz IS NULL OR a.at >= $2)
        AND ($3::timestamptz IS NULL OR a.at < $3)
        AND ($4::text IS NULL OR a.action = $4)
        AND ($5::text IS NULL OR a.resource_type = $5)
        AND ($6::text IS NULL OR a.resource_id = $6)
        AND ($7::uuid IS NULL OR (a.at, a.id) < (SELECT at, id FROM cur))
      ORDER BY a.at DESC, a.id DESC
      LIMIT $8`,
    [
      q.tenantId,
      q.since ?? null,
      q.until ?? null,
      q.action ?? null,
      q.resourceType ?? null,
      q.resourceId ?? null,
      q.afterPublicId ?? null,
      q.limit,
    ],
  );
  return rows;
}
