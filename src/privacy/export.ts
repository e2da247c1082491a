// Data-subject export (GDPR Art. 15/20): every message from the person and every reply sent to them
// across the tenant's mailboxes, decrypted, with clean attachments and the originals as .eml, and the
// tickets they belong to. Other people's messages on the same tickets are not included (Art. 20(4)).
// Built in short transactions (one per message), progress recorded as it goes.
import { open } from '../crypto/index.js';
import { zip, type ZipEntry } from '../lib/zip.js';
import { listMessageAttachments } from '../store/attachment-store.js';
import type { Db } from '../store/db.js';
import { findMessage } from '../store/message-store.js';
import { findStoredRaw, readRawWhole } from '../store/raw-store.js';
import { setProgress } from '../store/subject-request-store.js';
import { findTicket } from '../store/ticket-store.js';
import type { KeyService } from '../tenancy/key-service.js';
import { attachmentView, messageView, ticketSummary } from '../tickets-api/ticket-views.js';
import { findPersonData } from './person-data.js';

const safeName = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 100) || 'file';

export async function buildExport(
  deps: { db: Db; keys: KeyService },
  tenantId: string,
  requestId: string,
  address: string,
): Promise<{ zip: Buffer; counts: Record<string, number> }> {
  const { db, keys } = deps;
  const person = await db.tenantTx(tenantId, (ex) => findPersonData(ex, keys, tenantId, address));
  const total = person.messageIds.length;
  const entries: ZipEntry[] = [];
  const counts = { tickets: 0, messages: 0, originals: 0, attachments: 0, attachments_withheld: 0 };
  const ticketsSeen = new Map<string, unknown>();
  const messages: unknown[] = [];

  for (let i = 0; i < total; i++) {
    const id = person.messageIds[i]!;
    await db.tenantTx(tenantId, async (ex) => {
      const row = await findMessage(ex, tenantId, id);
      if (!row) return; // deleted meanwhile
      const dek = await keys.mailboxKey(ex, tenantId, row.mailbox_id);
      const atts = await listMessageAttachments(ex, tenantId, [id]);
      const { rows: out } = await ex.query<{ state: string; sent_at: Date | null }>(
        'SELECT state, sent_at FROM outbox WHERE tenant_id = $1 AND message_id = $2',
        [tenantId, id],
      );
      const view = messageView(
        row,
        dek,
        atts.map((a) => attachmentView(a, dek)),
      );
      messages.push({ ...view, ticket_id: row.ticket_id, reply_state: out[0]?.state ?? null });
      counts.messages++;
      entries.push({
        name: `messages/${id}.json`,
        data: Buffer.from(
          JSON.stringify(
            { ...view, ticket_id: row.ticket_id, reply_state: out[0]?.state ?? null },
            null,
            2,
          ),
        ),
      });
      const raw = await findStoredRaw(ex, tenantId, id);
      if (raw?.kind === 'legacy')
        entries.push({ name: `messages/${id}.eml`, data: open(dek, raw.ct, raw.aad) });
      if (raw?.kind === 'chunks')
        entries.push({ name: `messages/${id}.eml`, data: await readRawWhole(ex, dek, raw.ref) });
      if (raw && raw.kind !== 'none') counts.originals++;
      for (const a of atts) {
        // Only what ClamAV called clean leaves Inlet; the others are listed in the message's JSON.
        if (a.scan_status !== 'clean') {
          counts.attachments_withheld++;
          continue;
        }
        const { rows } = await ex.query<{ content_ct: Buffer }>(
          'SELECT content_ct FROM attachments WHERE tenant_id = $1 AND id = $2',
          [tenantId, a.id],
        );
        const content = open(dek, rows[0]!.content_ct, {
          tenantId,
          scope: a.mailbox_id,
          field: 'attachments.content',
          rowId: a.id,
        });
        entries.push({
          name: `attachments/${id}/${a.id}-${safeName(attachmentView(a, dek).filename)}`,
          data: content,
        });
        counts.attachments++;
      }
      if (!ticketsSeen.has(row.ticket_id)) {
        const t = await findTicket(ex, tenantId, row.ticket_id);
        if (t) {
          const s = ticketSummary(t, await keys.mailboxKey(ex, tenantId, t.mailbox_id), 0);
          ticketsSeen.set(t.id, {
            id: s.id,
            number: s.number,
            status: s.status,
            subject: s.subject,
            created_at: s.created_at,
            last_activity_at: s.last_activity_at,
          });
        }
      }
      if ((i + 1) % 10 === 0 || i + 1 === total)
        await setProgress(ex, tenantId, requestId, i + 1, total);
    });
  }
  counts.tickets = ticketsSeen.size;
  const manifest = {
    format: 'inlet-subject-export/1',
    generated_at: new Date().toISOString(),
    address,
    counts,
    tickets: [...ticketsSeen.values()],
    messages: messages.map((m) => ({
      id: (m as { id: string }).id,
      ticket_id: (m as { ticket_id: string }).ticket_id,
    })),
  };
  entries.unshift({ name: 'export.json', data: Buffer.from(JSON.stringify(manifest, null, 2)) });
  return { zip: zip(entries), counts };
}
