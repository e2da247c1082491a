// Where a person's data is, found through blind indexes only (no decryption scan of the tenant):
// messages whose sender index is theirs, and the tickets they take part in (participant or requester
// index). Within those tickets only, outbound replies are opened to see whether they were addressed
// to the person — that is bounded by the person's own tickets, never the whole tenant.
import { emailBlindIndex, normaliseEmailAddress, openText } from '../crypto/index.js';
import type { StoredHeaders } from '../ingest/prepare.js';
import type { Executor } from '../store/db.js';
import type { KeyService } from '../tenancy/key-service.js';

export interface PersonData {
  bidx: Buffer;
  /** Messages from the person, and replies sent to them. */
  messageIds: string[];
  /** Tickets the person took part in (participant, requester or one of the messages above). */
  ticketIds: string[];
}

export async function addressIndex(
  ex: Executor,
  keys: KeyService,
  tenantId: string,
  address: string,
): Promise<Buffer> {
  return emailBlindIndex((await keys.tenantKey(ex, tenantId, 'index')).key, address);
}

export async function findPersonData(
  ex: Executor,
  keys: KeyService,
  tenantId: string,
  address: string,
): Promise<PersonData> {
  const bidx = await addressIndex(ex, keys, tenantId, address);
  const wanted = normaliseEmailAddress(address);
  const { rows: tickets } = await ex.query<{ id: string }>(
    `SELECT ticket_id AS id FROM ticket_participants WHERE tenant_id = $1 AND address_bidx = $2
     UNION SELECT id FROM tickets WHERE tenant_id = $1 AND requester_bidx = $2
     UNION SELECT ticket_id FROM messages WHERE tenant_id = $1 AND from_bidx = $2`,
    [tenantId, bidx],
  );
  const ticketIds = tickets.map((t) => t.id);
  const { rows: from } = await ex.query<{ id: string }>(
    'SELECT id FROM messages WHERE tenant_id = $1 AND from_bidx = $2 ORDER BY received_at, id',
    [tenantId, bidx],
  );
  const messageIds = from.map((r) => r.id);
  // Replies to the person: outbound messages of their tickets whose recipients include them. Only
  // readable ones (a disconnected mailbox's are shredded already and go with its purge).
  const { rows: outbound } = await ex.query<{ id: string; mailbox_id: string; headers_ct: Buffer }>(
    `SELECT m.id, m.mailbox_id, m.headers_ct FROM messages m
       JOIN mailboxes b ON b.tenant_id = m.tenant_id AND b.id = m.mailbox_id AND b.status NOT IN ('disconnecting', 'disconnected')
      WHERE m.tenant_id = $1 AND m.ticket_id = ANY($2::uuid[]) AND m.direction = 'outbound' AND m.from_bidx IS DISTINCT FROM $3
      ORDER BY m.received_at, m.id`,
    [tenantId, ticketIds, bidx],
  );
  for (const m of outbound) {
    const dek = await keys.mailboxKey(ex, tenantId, m.mailbox_id);
    const h = JSON.parse(
      openText(dek, m.headers_ct, {
        tenantId,
        scope: m.mailbox_id,
        field: 'messages.headers',
        rowId: m.id,
      }),
    ) as StoredHeaders;
    if ([...h.to, ...h.cc].some((a) => normaliseEmailAddress(a.address) === wanted))
      messageIds.push(m.id);
  }
  return { bidx, messageIds, ticketIds };
}
