// A page's attachments in one statement (see inbound-store.ts for the rest of the ingest
// transaction's statements).
import type { ScanStatus } from './attachment-store.js';
import type { Executor } from './db.js';

export interface InboundAttachment {
  id: string;
  messageId: string;
  ticketId: string;
  position: number;
  filenameCt: Buffer;
  contentIdCt: Buffer | null;
  contentCt: Buffer;
  declaredType: string;
  sniffedType: string;
  size: number;
  /** Keyed digest of the content (crypto attachmentDigest), never a plain hash. */
  digest: Buffer;
  inline: boolean;
  flags: string[];
  scanStatus: ScanStatus;
  scanDetail: string | null;
}

/**
 * Attachments in one statement, with `attachment.scanned` events for those already scanned. Callers bound the bytes of one
 * call (a large attachment goes alone): the statement's protocol buffer holds a copy of every
 * content in it. One VALUES row per attachment with its own parameters: a Buffer parameter travels
 * as binary, a bytea[] array would be hex text.
 */
export async function insertAttachments(
  ex: Executor,
  tenantId: string,
  mailboxId: string,
  list: InboundAttachment[],
): Promise<void> {
  if (list.length === 0) return;
  const params: unknown[] = [tenantId, mailboxId];
  const rows = list.map((a) => {
    // The content goes last: pg copies parameters into one buffer that grows by reallocating, so a
    // large value with nothing after it is copied once instead of twice (plus a 1.5× buffer).
    const at =
      params.push(
        a.filenameCt,
        a.contentIdCt,
        JSON.stringify({
          id: a.id,
          message_id: a.messageId,
          ticket_id: a.ticketId,
          position: a.position,
          declared_type: a.declaredType,
          sniffed_type: a.sniffedType,
          size: a.size,
          digest: a.digest.toString('hex'),
          inline: a.inline,
          flags: a.flags,
          scan_status: a.scanStatus,
          scan_detail: a.scanDetail,
        }),
        a.contentCt,
      ) - 3;
    return `($${at}::bytea, $${at + 1}::bytea, $${at + 2}::jsonb, $${at + 3}::bytea)`;
  });
  // Named per attachment count for the common small counts, so each shape is planned once per connection.
  await ex.query({
    name: list.length <= 8 ? `inlet-insert-attachments-d${list.length}` : undefined,
    text: `WITH att AS (
       INSERT INTO attachments (id, tenant_id, message_id, mailbox_id, position, filename_ct, content_id_ct, declared_type, sniffed_type,
         size, content_digest, inline, flags, scan_status, scan_detail, scan_attempts, scanned_at, content_ct)
       SELECT (a.m->>'id')::uuid, $1, (a.m->>'message_id')::uuid, $2, (a.m->>'position')::int, a.fname, a.cid, a.m->>'declared_type', a.m->>'sniffed_type',
         (a.m->>'size')::int, decode(a.m->>'digest', 'hex'), (a.m->>'inline')::boolean, ARRAY(SELECT jsonb_array_elements_text(a.m->'flags')),
         a.m->>'scan_status', a.m->>'scan_detail', CASE WHEN a.m->>'scan_status' = 'pending' THEN 0 ELSE 1 END,
         CASE WHEN a.m->>'scan_status' = 'pending' THEN NULL ELSE now() END, a.content
       FROM (VALUES ${rows.join(', ')}) AS a(fname, cid, m, content)
       RETURNING id, message_id, scan_status)
     INSERT INTO events (tenant_id, type, resource_id, data)
     SELECT $1, 'attachment.scanned', att.id, jsonb_build_object('message_id', att.message_id, 'ticket_id', (a.m->>'ticket_id')::uuid, 'status', att.scan_status)
       FROM att JOIN (VALUES ${rows.join(', ')}) AS a(fname, cid, m, content) ON (a.m->>'id')::uuid = att.id WHERE att.scan_status <> 'pending'`,
    values: params,
  });
}
