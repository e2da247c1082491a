// A ticket's subject and requester are sealed under the key of the mailbox the ticket belongs to and
// were copied from its first message. When that message or that mailbox goes (a disconnect, an
// erasure), the ticket keeps the other people's messages and takes its header from the earliest
// message still in it, sealed under that message's mailbox key — so nothing of the deleted message
// or the destroyed key stays in the ticket row.
import { emailBlindIndex, fieldAad, openText, seal, type SealedField } from '../crypto/index.js';
import type { StoredHeaders } from '../ingest/prepare.js';
import type { Executor } from '../store/db.js';
import type { KeyService } from '../tenancy/key-service.js';

/**
 * Re-derives the ticket's header from its earliest message in a live mailbox, preferring
 * `preferMailboxId`, and skipping messages of `excludeMailboxId`. The ticket moves to that message's
 * mailbox. Returns false (and changes nothing) when no such message exists.
 */
export async function resealTicketHeader(
  ex: Executor,
  keys: KeyService,
  tenantId: string,
  ticketId: string,
  opts: { preferMailboxId?: string | null; excludeMailboxId?: string | null } = {},
): Promise<boolean> {
  const { rows } = await ex.query<{ id: string; mailbox_id: string; headers_ct: Buffer }>(
    `SELECT m.id, m.mailbox_id, m.headers_ct FROM messages m
       JOIN mailboxes b ON b.tenant_id = m.tenant_id AND b.id = m.mailbox_id AND b.status NOT IN ('disconnecting', 'disconnected')
      WHERE m.tenant_id = $1 AND m.ticket_id = $2 AND m.mailbox_id IS DISTINCT FROM $4::uuid
      ORDER BY (m.mailbox_id = $3::uuid) DESC, (m.direction = 'inbound') DESC, m.received_at, m.id LIMIT 1`,
    [tenantId, ticketId, opts.preferMailboxId ?? null, opts.excludeMailboxId ?? null],
  );
  const m = rows[0];
  if (!m) return false;
  const dek = await keys.mailboxKey(ex, tenantId, m.mailbox_id);
  const headers = JSON.parse(
    openText(dek, m.headers_ct, {
      tenantId,
      scope: m.mailbox_id,
      field: 'messages.headers',
      rowId: m.id,
    }),
  ) as StoredHeaders;
  const requester = headers.reply_to[0] ?? headers.from;
  const aad = (field: SealedField) => fieldAad(field, tenantId, m.mailbox_id, ticketId);
  const index = await keys.tenantKey(ex, tenantId, 'index');
  await ex.query(
    `UPDATE tickets SET mailbox_id = $3, subject_ct = $4, requester_ct = $5, requester_bidx = $6, updated_at = now() WHERE tenant_id = $1 AND id = $2`,
    [
      tenantId,
      ticketId,
      m.mailbox_id,
      seal(dek, headers.subject, aad('tickets.subject')),
      requester ? seal(dek, JSON.stringify(requester), aad('tickets.requester')) : null,
      requester ? emailBlindIndex(index.key, requester.address) : null,
    ],
  );
  return true;
}

/** Tickets of `mailboxId` that hold messages of other, still connected mailboxes move to one of
 *  them (disconnecting A keeps B's messages, in a ticket of B's). Returns the ids of those moved. */
export async function rehomeSharedTickets(
  ex: Executor,
  keys: KeyService,
  tenantId: string,
  mailboxId: string,
): Promise<string[]> {
  const { rows } = await ex.query<{ ticket_id: string; mailbox_id: string }>(
    `SELECT DISTINCT ON (m.ticket_id) m.ticket_id, m.mailbox_id
       FROM tickets t JOIN messages m ON m.tenant_id = t.tenant_id AND m.ticket_id = t.id
       JOIN mailboxes b ON b.tenant_id = m.tenant_id AND b.id = m.mailbox_id AND b.status NOT IN ('disconnecting', 'disconnected')
      WHERE t.tenant_id = $1 AND t.mailbox_id = $2 AND m.mailbox_id <> $2
      ORDER BY m.ticket_id, m.received_at DESC`,
    [tenantId, mailboxId],
  );
  const moved: string[] = [];
  // The mailbox of the latest message from another mailbox: where the conversation went on.
  for (const r of rows)
    if (
      await resealTicketHeader(ex, keys, tenantId, r.ticket_id, {
        preferMailboxId: r.mailbox_id,
        excludeMailboxId: mailboxId,
      })
    )
      moved.push(r.ticket_id);
  return moved;
}
