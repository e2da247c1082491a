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
  await ex.query(
    `INSERT INTO audit_log (tenant_id, actor, action, resource_type, resource_id, request_id, client_ip, detail)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [e.tenantId, e.actor, e.action, e.resourceType, e.resourceId, e.requestId, e.clientIp, JSON.stringify(e.detail ?? {})],
  );
}

export interface AuditQuery {
  tenantId: string;
  since?: Date;
  until?: Date;
  action?: string;
  resourceType?: string;
  resourceId?: string;
  /** Keyset cursor: entries strictly older than this id. */
  beforeId?: string;
  limit: number;
}

export async function queryAudit(ex: Executor, q: AuditQuery): Promise<AuditRow[]> {
  const { rows } = await ex.query<AuditRow>(
    `SELECT id::text, at, actor, action, resource_type, resource_id, request_id, host(client_ip) AS client_ip, detail
       FROM audit_log
      WHERE tenant_id = $1
        AND ($2::timestamptz IS NULL OR at >= $2)
        AND ($3::timestamptz IS NULL OR at < $3)
        AND ($4::text IS NULL OR action = $4)
        AND ($5::text IS NULL OR resource_type = $5)
        AND ($6::text IS NULL OR resource_id = $6)
        AND ($7::bigint IS NULL OR id < $7)
      ORDER BY id DESC
      LIMIT $8`,
    [q.tenantId, q.since ?? null, q.until ?? null, q.action ?? null, q.resourceType ?? null, q.resourceId ?? null, q.beforeId ?? null, q.limit],
  );
  return rows;
}
