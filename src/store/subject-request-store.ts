// SQL for subject_requests and privacy_receipts (migration 0011). Callers own the transaction.
import type { Executor } from './db.js';

export type SubjectRequestType = 'export' | 'erase';
export type SubjectRequestState =
  'queued' | 'running' | 'completed' | 'failed' | 'expired' | 'downloaded';

export interface SubjectRequestRow {
  id: string;
  tenant_id: string;
  type: SubjectRequestType;
  state: SubjectRequestState;
  progress_done: number;
  progress_total: number | null;
  counts: Record<string, number>;
  requested_by: string;
  requested_at: Date;
  completed_at: Date | null;
  expires_at: Date | null;
  downloaded_at: Date | null;
}

const columns =
  'id, tenant_id, type, state, progress_done, progress_total, counts, requested_by, requested_at, completed_at, expires_at, downloaded_at';

export async function insertSubjectRequest(
  ex: Executor,
  r: {
    id: string;
    tenantId: string;
    type: SubjectRequestType;
    bidx: Buffer;
    addressCt: Buffer;
    requestedBy: string;
  },
): Promise<SubjectRequestRow> {
  const { rows } = await ex.query<SubjectRequestRow>(
    `INSERT INTO subject_requests (id, tenant_id, type, address_bidx, address_ct, requested_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${columns}`,
    [r.id, r.tenantId, r.type, r.bidx, r.addressCt, r.requestedBy],
  );
  return rows[0]!;
}

export async function findSubjectRequest(
  ex: Executor,
  tenantId: string,
  id: string,
  opts: { lock?: boolean } = {},
): Promise<(SubjectRequestRow & { address_bidx: Buffer; address_ct: Buffer | null }) | null> {
  const { rows } = await ex.query<
    SubjectRequestRow & { address_bidx: Buffer; address_ct: Buffer | null }
  >(
    `SELECT ${columns}, address_bidx, address_ct FROM subject_requests WHERE tenant_id = $1 AND id = $2${opts.lock ? ' FOR UPDATE' : ''}`,
    [tenantId, id],
  );
  return rows[0] ?? null;
}

/** The latest completed erasure of this address (a repeated erasure with nothing left returns it). */
export async function latestCompletedErasure(
  ex: Executor,
  tenantId: string,
  bidx: Buffer,
): Promise<SubjectRequestRow | null> {
  const { rows } = await ex.query<SubjectRequestRow>(
    `SELECT ${columns} FROM subject_requests WHERE tenant_id = $1 AND address_bidx = $2 AND type = 'erase' AND state = 'completed' ORDER BY requested_at DESC LIMIT 1`,
    [tenantId, bidx],
  );
  return rows[0] ?? null;
}

export async function setProgress(
  ex: Executor,
  tenantId: string,
  id: string,
  done: number,
  total: number,
): Promise<void> {
  await ex.query(
    `UPDATE subject_requests SET state = 'running', progress_done = $3, progress_total = $4 WHERE tenant_id = $1 AND id = $2`,
    [tenantId, id, done, total],
  );
}

export async function completeSubjectRequest(
  ex: Executor,
  tenantId: string,
  id: string,
  c: { counts: Record<string, number>; exportCt?: Buffer; expiresAt?: Date },
): Promise<void> {
  await ex.query(
    `UPDATE subject_requests SET state = 'completed', completed_at = now(), address_ct = NULL, counts = $3, export_ct = $4, expires_at = $5, progress_done = coalesce(progress_total, progress_done)
      WHERE tenant_id = $1 AND id = $2`,
    [tenantId, id, JSON.stringify(c.counts), c.exportCt ?? null, c.expiresAt ?? null],
  );
}

export async function failSubjectRequest(
  ex: Executor,
  tenantId: string,
  id: string,
): Promise<void> {
  await ex.query(
    `UPDATE subject_requests SET state = 'failed', completed_at = now(), export_ct = NULL, address_ct = NULL WHERE tenant_id = $1 AND id = $2`,
    [tenantId, id],
  );
}

/** Takes the export out (once): the ciphertext is returned and removed in the same statement. */
export async function takeExport(
  ex: Executor,
  tenantId: string,
  id: string,
): Promise<Buffer | null> {
  const { rows } = await ex.query<{ export_ct: Buffer }>(
    `UPDATE subject_requests s SET state = 'downloaded', downloaded_at = now(), export_ct = NULL
       FROM (SELECT export_ct FROM subject_requests WHERE tenant_id = $1 AND id = $2 FOR UPDATE) old
      WHERE s.tenant_id = $1 AND s.id = $2 AND s.state = 'completed' AND s.type = 'export' AND s.expires_at > now()
      RETURNING old.export_ct`,
    [tenantId, id],
  );
  return rows[0]?.export_ct ?? null;
}

/** Exports not downloaded in time are deleted (owner role, all tenants). */
export async function expireExports(ex: Executor): Promise<number> {
  const { rowCount } = await ex.query(
    `UPDATE subject_requests SET state = 'expired', export_ct = NULL WHERE type = 'export' AND state = 'completed' AND expires_at <= now()`,
  );
  return rowCount ?? 0;
}

export interface PrivacyReceiptRow {
  id: string;
  tenant_id: string;
  kind: 'erasure' | 'retention' | 'tenant_offboarding';
  subject_request_id: string | null;
  requested_by: string;
  started_at: Date;
  completed_at: Date | null;
  counts: Record<string, number>;
  detail: Record<string, unknown>;
}

export async function insertPrivacyReceipt(
  ex: Executor,
  r: {
    id: string;
    tenantId: string;
    kind: PrivacyReceiptRow['kind'];
    subjectRequestId?: string | null;
    requestedBy: string;
    counts: Record<string, number>;
    detail: Record<string, unknown>;
    completed: boolean;
  },
): Promise<PrivacyReceiptRow> {
  const { rows } = await ex.query<PrivacyReceiptRow>(
    `INSERT INTO privacy_receipts (id, tenant_id, kind, subject_request_id, requested_by, counts, detail, completed_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, CASE WHEN $8 THEN now() END) RETURNING *`,
    [
      r.id,
      r.tenantId,
      r.kind,
      r.subjectRequestId ?? null,
      r.requestedBy,
      JSON.stringify(r.counts),
      JSON.stringify(r.detail),
      r.completed,
    ],
  );
  return rows[0]!;
}

export async function listPrivacyReceipts(
  ex: Executor,
  tenantId: string,
  kind?: PrivacyReceiptRow['kind'],
): Promise<PrivacyReceiptRow[]> {
  const { rows } = await ex.query<PrivacyReceiptRow>(
    'SELECT * FROM privacy_receipts WHERE tenant_id = $1 AND ($2::text IS NULL OR kind = $2) ORDER BY started_at DESC, id LIMIT 200',
    [tenantId, kind ?? null],
  );
  return rows;
}
