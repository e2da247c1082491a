// SQL for tickets and their participants. Callers own the transaction and have set the tenant.
import type { Executor } from './db.js';
import type { TicketStatus } from '../tickets/ticket-status.js';

export interface TicketRow {
  id: string;
  tenant_id: string;
  number: string;
  mailbox_id: string;
  status: TicketStatus;
  subject_ct: Buffer;
  requester_ct: Buffer | null;
  created_at: Date;
  updated_at: Date;
  last_activity_at: Date;
}

const columns = 'id, tenant_id, number, mailbox_id, status, subject_ct, requester_ct, created_at, updated_at, last_activity_at';

export async function findTicket(ex: Executor, tenantId: string, id: string, opts: { lock?: boolean } = {}): Promise<TicketRow | null> {
  const { rows } = await ex.query<TicketRow>(`SELECT ${columns} FROM tickets WHERE tenant_id = $1 AND id = $2${opts.lock ? ' FOR UPDATE' : ''}`, [tenantId, id]);
  return rows[0] ?? null;
}

export async function touchTicket(ex: Executor, tenantId: string, id: string, status: TicketStatus, activity: boolean): Promise<void> {
  await ex.query(
    `UPDATE tickets SET status = $3, updated_at = now(), last_activity_at = CASE WHEN $4 THEN now() ELSE last_activity_at END WHERE tenant_id = $1 AND id = $2`,
    [tenantId, id, status, activity],
  );
}

export async function addParticipants(ex: Executor, tenantId: string, ticketId: string, bidxs: Buffer[]): Promise<void> {
  if (bidxs.length === 0) return;
  await ex.query(
    `INSERT INTO ticket_participants (tenant_id, ticket_id, address_bidx) SELECT $1, $2, b FROM unnest($3::bytea[]) AS b ON CONFLICT DO NOTHING`,
    [tenantId, ticketId, bidxs],
  );
}

export interface TicketListQuery {
  tenantId: string;
  status?: TicketStatus;
  mailboxId?: string;
  requesterBidx?: Buffer;
  updatedSince?: Date;
  after?: { updatedAt: Date; id: string };
  limit: number;
}

export async function listTickets(ex: Executor, q: TicketListQuery): Promise<(TicketRow & { message_count: number })[]> {
  const { rows } = await ex.query<TicketRow & { message_count: number }>(
    `SELECT ${columns.split(', ').map((c) => `t.${c}`).join(', ')},
            (SELECT count(*)::int FROM messages m WHERE m.tenant_id = t.tenant_id AND m.ticket_id = t.id) AS message_count
       FROM tickets t
      WHERE t.tenant_id = $1
        AND ($2::text IS NULL OR t.status = $2)
        AND ($3::uuid IS NULL OR t.mailbox_id = $3)
        AND ($4::bytea IS NULL OR t.requester_bidx = $4)
        AND ($5::timestamptz IS NULL OR t.updated_at >= $5)
        AND ($6::timestamptz IS NULL OR (t.updated_at, t.id) < ($6, $7::uuid))
        -- Tickets of a disconnected mailbox awaiting its purge are unreadable (key destroyed): a list
        -- skips them rather than fail as a whole; only reading that mailbox's content answers 410.
        AND EXISTS (SELECT 1 FROM data_keys k WHERE k.tenant_id = t.tenant_id AND k.mailbox_id = t.mailbox_id AND k.purpose = 'mailbox' AND k.wrapped IS NOT NULL)
      ORDER BY t.updated_at DESC, t.id DESC
      LIMIT $8`,
    [q.tenantId, q.status ?? null, q.mailboxId ?? null, q.requesterBidx ?? null, q.updatedSince ?? null, q.after?.updatedAt ?? null, q.after?.id ?? null, q.limit],
  );
  return rows;
}

export async function setTicketStatus(ex: Executor, tenantId: string, id: string, status: TicketStatus): Promise<TicketRow | null> {
  const { rows } = await ex.query<TicketRow>(`UPDATE tickets SET status = $3, updated_at = now() WHERE tenant_id = $1 AND id = $2 RETURNING ${columns}`, [tenantId, id, status]);
  return rows[0] ?? null;
}
