// SQL for attachments. Bytes are sealed; scan state is plain so the download rule can be enforced
// (and counted) without decrypting anything.
import type { Executor } from './db.js';

export type ScanStatus = 'pending' | 'clean' | 'infected' | 'scan_failed';

export interface AttachmentRow {
  id: string;
  tenant_id: string;
  message_id: string;
  mailbox_id: string;
  position: number;
  filename_ct: Buffer;
  content_id_ct: Buffer | null;
  declared_type: string;
  sniffed_type: string;
  size: number;
  /** Keyed digest of the content (HMAC under the tenant's index key); null for rows stored before it existed. */
  content_digest: Buffer | null;
  inline: boolean;
  flags: string[];
  scan_status: ScanStatus;
  scan_detail: string | null;
  scan_attempts: number;
  scanned_at: Date | null;
}

const columns =
  'id, tenant_id, message_id, mailbox_id, position, filename_ct, content_id_ct, declared_type, sniffed_type, size, content_digest, inline, flags, scan_status, scan_detail, scan_attempts, scanned_at';

export async function listMessageAttachments(
  ex: Executor,
  tenantId: string,
  messageIds: string[],
): Promise<AttachmentRow[]> {
  const { rows } = await ex.query<AttachmentRow>({
    name: 'inlet-message-attachments',
    text: `SELECT ${columns} FROM attachments WHERE tenant_id = $1 AND message_id = ANY($2::uuid[]) ORDER BY message_id, position`,
    values: [tenantId, messageIds],
  });
  return rows;
}

export async function findAttachment(
  ex: Executor,
  tenantId: string,
  id: string,
): Promise<(AttachmentRow & { content_ct: Buffer }) | null> {
  const { rows } = await ex.query<AttachmentRow & { content_ct: Buffer }>(
    `SELECT ${columns}, content_ct FROM attachments WHERE tenant_id = $1 AND id = $2`,
    [tenantId, id],
  );
  return rows[0] ?? null;
}

export async function setScanResult(
  ex: Executor,
  tenantId: string,
  id: string,
  status: ScanStatus,
  detail: string | null,
): Promise<void> {
  await ex.query(
    `UPDATE attachments SET scan_status = $3, scan_detail = $4, scan_attempts = scan_attempts + 1, scanned_at = CASE WHEN $3 = 'pending' THEN scanned_at ELSE now() END
      WHERE tenant_id = $1 AND id = $2 AND scan_status = 'pending'`,
    [tenantId, id, status, detail],
  );
}

/** Scan state of every attachment of one message (no content), in MIME order. */
export async function messageScanStates(
  ex: Executor,
  tenantId: string,
  messageId: string,
): Promise<{ id: string; scan_status: ScanStatus }[]> {
  const { rows } = await ex.query<{ id: string; scan_status: ScanStatus }>(
    'SELECT id, scan_status FROM attachments WHERE tenant_id = $1 AND message_id = $2 ORDER BY position',
    [tenantId, messageId],
  );
  return rows;
}
