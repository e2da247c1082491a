// Erasure of one person (GDPR Art. 17) by address: their messages (with attachments, originals,
// deliveries and pending replies to them), their participant rows; tickets left without messages are
// deleted, the others keep the other people's messages and take their subject and requester from
// the earliest message left (src/tickets-api/ticket-header.ts). The dry run counts exactly what the
// real run deletes: both walk the same plan.
import type { Executor } from '../store/db.js';
import { deleteMessagesCounted, type PurgeCounts } from '../store/purge-store.js';
import type { KeyService } from '../tenancy/key-service.js';
import { resealTicketHeader } from '../tickets-api/ticket-header.js';
import { findPersonData } from './person-data.js';

export const erasureTables = [
  'messages',
  'attachments',
  'message_raw_chunks',
  'message_deliveries',
  'outbox',
  'ticket_participants',
  'tickets',
] as const;

const zero = (): PurgeCounts => Object.fromEntries(erasureTables.map((t) => [t, 0]));

/** What an erasure of `address` would delete, per table. */
export async function planErasure(
  ex: Executor,
  keys: KeyService,
  tenantId: string,
  address: string,
): Promise<PurgeCounts> {
  const p = await findPersonData(ex, keys, tenantId, address);
  const counts = zero();
  const one = async (sql: string, params: unknown[]) =>
    Number((await ex.query<{ n: string }>(sql, params)).rows[0]!.n);
  const ids = p.messageIds;
  counts.messages = ids.length;
  counts.attachments = await one(
    'SELECT count(*) AS n FROM attachments WHERE tenant_id = $1 AND message_id = ANY($2::uuid[])',
    [tenantId, ids],
  );
  counts.message_raw_chunks = await one(
    'SELECT count(*) AS n FROM message_raw_chunks WHERE tenant_id = $1 AND message_id = ANY($2::uuid[])',
    [tenantId, ids],
  );
  counts.message_deliveries = await one(
    'SELECT count(*) AS n FROM message_deliveries WHERE tenant_id = $1 AND message_id = ANY($2::uuid[])',
    [tenantId, ids],
  );
  counts.outbox = await one(
    'SELECT count(*) AS n FROM outbox WHERE tenant_id = $1 AND message_id = ANY($2::uuid[])',
    [tenantId, ids],
  );
  // Tickets whose every message goes: deleted with their remaining participant rows and replies.
  const { rows: empty } = await ex.query<{ id: string }>(
    `SELECT t.id FROM tickets t WHERE t.tenant_id = $1 AND t.id = ANY($2::uuid[])
        AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.tenant_id = t.tenant_id AND m.ticket_id = t.id AND NOT (m.id = ANY($3::uuid[])))`,
    [tenantId, p.ticketIds, ids],
  );
  const emptyIds = empty.map((r) => r.id);
  counts.tickets = emptyIds.length;
  counts.ticket_participants = await one(
    `SELECT count(*) AS n FROM ticket_participants WHERE tenant_id = $1 AND (ticket_id = ANY($2::uuid[]) OR (ticket_id = ANY($3::uuid[]) AND address_bidx = $4))`,
    [tenantId, emptyIds, p.ticketIds, p.bidx],
  );
  counts.outbox += await one(
    'SELECT count(*) AS n FROM outbox WHERE tenant_id = $1 AND ticket_id = ANY($2::uuid[]) AND NOT (message_id = ANY($3::uuid[]))',
    [tenantId, emptyIds, ids],
  );
  return counts;
}

/** Deletes it, in the caller's transaction (bounded by one person's data). */
export async function runErasure(
  ex: Executor,
  keys: KeyService,
  tenantId: string,
  address: string,
): Promise<PurgeCounts> {
  const p = await findPersonData(ex, keys, tenantId, address);
  const counts = zero();
  const add = (c: PurgeCounts) => {
    for (const [k, v] of Object.entries(c)) counts[k] = (counts[k] ?? 0) + v;
  };
  for (let i = 0; i < p.messageIds.length; i += 500)
    add(await deleteMessagesCounted(ex, tenantId, p.messageIds.slice(i, i + 500)));
  const { rows: empty } = await ex.query<{ id: string }>(
    `SELECT t.id FROM tickets t WHERE t.tenant_id = $1 AND t.id = ANY($2::uuid[])
        AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.tenant_id = t.tenant_id AND m.ticket_id = t.id)`,
    [tenantId, p.ticketIds],
  );
  const emptyIds = empty.map((r) => r.id);
  const del = async (table: string, where: string, params: unknown[]) => {
    counts[table] =
      (counts[table] ?? 0) +
      ((
        await ex.query(`DELETE FROM ${table} WHERE tenant_id = $1 AND ${where}`, [
          tenantId,
          ...params,
        ])
      ).rowCount ?? 0);
  };
  await del(
    'ticket_participants',
    '(ticket_id = ANY($2::uuid[]) OR (ticket_id = ANY($3::uuid[]) AND address_bidx = $4))',
    [emptyIds, p.ticketIds, p.bidx],
  );
  await del('outbox', 'ticket_id = ANY($2::uuid[])', [emptyIds]);
  await del('tickets', 'id = ANY($2::uuid[])', [emptyIds]);
  // Surviving tickets may have taken their subject or requester from the person's message.
  const left = new Set(emptyIds);
  for (const id of p.ticketIds) {
    if (left.has(id)) continue;
    const { rows } = await ex.query<{ mailbox_id: string; requester_bidx: Buffer | null }>(
      'SELECT mailbox_id, requester_bidx FROM tickets WHERE tenant_id = $1 AND id = $2',
      [tenantId, id],
    );
    if (rows[0])
      await resealTicketHeader(ex, keys, tenantId, id, { preferMailboxId: rows[0].mailbox_id });
  }
  return counts;
}
