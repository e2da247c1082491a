// Attachments left pending (clamd down or slow at ingest) are scanned again by a job. Still no
// verdict → the job fails and graphile-worker retries it with backoff; pending never becomes clean.
import { fieldAad, open } from '../crypto/index.js';
import type { Scanner } from '../scanner/scanner.js';
import { type AttachmentRow, setScanResult } from '../store/attachment-store.js';
import type { Db } from '../store/db.js';
import { insertEvent } from '../store/event-store.js';
import type { KeyService } from '../tenancy/key-service.js';
import { scanOne } from './scan-attachments.js';

export class ScanStillPendingError extends Error {
  constructor(readonly pending: number) {
    super(`${pending} attachment(s) still waiting for a scanner verdict`);
  }
}

export async function rescanMessageAttachments(
  deps: { db: Db; keys: KeyService; scanner: Scanner },
  tenantId: string,
  messageId: string,
): Promise<Record<string, number>> {
  const pending = await deps.db.tenantTx(tenantId, async (ex) => {
    const { rows } = await ex.query<AttachmentRow & { content_ct: Buffer; ticket_id: string }>(
      `SELECT a.id, a.mailbox_id, a.content_ct, m.ticket_id FROM attachments a JOIN messages m ON m.tenant_id = a.tenant_id AND m.id = a.message_id
        WHERE a.tenant_id = $1 AND a.message_id = $2 AND a.scan_status = 'pending' ORDER BY a.position`,
      [tenantId, messageId],
    );
    const out: { id: string; ticketId: string; content: Buffer }[] = [];
    for (const r of rows) {
      const dek = await deps.keys.mailboxKey(ex, tenantId, r.mailbox_id);
      out.push({
        id: r.id,
        ticketId: r.ticket_id,
        content: open(
          dek,
          r.content_ct,
          fieldAad('attachments.content', tenantId, r.mailbox_id, r.id),
        ),
      });
    }
    return out;
  });
  const counts: Record<string, number> = { clean: 0, infected: 0, pending: 0, scan_failed: 0 };
  for (const a of pending) {
    const verdict = await scanOne(deps.scanner, a.content);
    counts[verdict.status] = (counts[verdict.status] ?? 0) + 1;
    if (verdict.status === 'pending') continue;
    await deps.db.tenantTx(tenantId, async (ex) => {
      await setScanResult(ex, tenantId, a.id, verdict.status, verdict.detail);
      await insertEvent(ex, tenantId, 'attachment.scanned', a.id, {
        message_id: messageId,
        ticket_id: a.ticketId,
        status: verdict.status,
      });
    });
  }
  if (counts.pending! > 0) throw new ScanStillPendingError(counts.pending!);
  return counts;
}
