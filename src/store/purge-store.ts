// The bounded batches mailbox purges and retention delete with. Each batch function deletes at most
// `limit` driving rows and returns how many rows it removed per table; the caller runs each batch in
// its own short transaction, so a purge killed half-way simply continues with what is left when it
// runs again.
import type { Executor } from './db.js';

export type PurgeCounts = Record<string, number>;

/** Deletes messages with their originals, attachments, deliveries and replies, each table counted. */
export const deleteMessagesCounted = (
  ex: Executor,
  tenantId: string,
  ids: string[],
): Promise<PurgeCounts> => deleteMessages(ex, tenantId, ids);

type Step = readonly [table: string, column: string];

// Children first, so each count is exact (cascades would delete them uncounted).
const messageSteps: readonly Step[] = [
  ['message_raw_chunks', 'message_id'],
  ['attachments', 'message_id'],
  ['message_deliveries', 'message_id'],
  ['outbox', 'message_id'],
  ['messages', 'id'],
];
const ticketSteps: readonly Step[] = [
  ['ticket_participants', 'ticket_id'],
  ['outbox', 'ticket_id'],
  ['tickets', 'id'],
];

/** Runs each DELETE … WHERE column = ANY(ids) in order, adding the row counts to `counts`. */
async function deleteInSteps(
  ex: Executor,
  tenantId: string,
  steps: readonly Step[],
  ids: string[],
  counts: PurgeCounts = {},
): Promise<PurgeCounts> {
  for (const [table, column] of steps) {
    const { rowCount } = await ex.query(
      `DELETE FROM ${table} WHERE tenant_id = $1 AND ${column} = ANY($2::uuid[])`,
      [tenantId, ids],
    );
    counts[table] = (counts[table] ?? 0) + (rowCount ?? 0);
  }
  return counts;
}

const deleteMessages = (ex: Executor, tenantId: string, ids: string[]) =>
  deleteInSteps(ex, tenantId, messageSteps, ids);

/** Selects ids with `sql` (first parameter the tenant) and deletes those rows through `steps`. */
async function selectThenDelete(
  ex: Executor,
  steps: readonly Step[],
  sql: string,
  params: [tenantId: string, ...rest: unknown[]],
): Promise<PurgeCounts> {
  const { rows } = await ex.query<{ id: string }>(sql, params);
  if (rows.length === 0) return {};
  return deleteInSteps(
    ex,
    params[0],
    steps,
    rows.map((r) => r.id),
  );
}

/** This mailbox's messages in the given tickets (tickets that moved to another mailbox at disconnect:
 *  its messages leave them at once, so the ticket reads without the destroyed key). */
export function purgeMailboxMessagesIn(
  ex: Executor,
  tenantId: string,
  mailboxId: string,
  ticketIds: string[],
): Promise<PurgeCounts> {
  if (ticketIds.length === 0) return Promise.resolve({});
  return selectThenDelete(
    ex,
    messageSteps,
    'SELECT id FROM messages WHERE tenant_id = $1 AND mailbox_id = $2 AND ticket_id = ANY($3::uuid[])',
    [tenantId, mailboxId, ticketIds],
  );
}

/** Messages stored from this mailbox. */
export const purgeMailboxMessages = (
  ex: Executor,
  tenantId: string,
  mailboxId: string,
  limit: number,
): Promise<PurgeCounts> =>
  selectThenDelete(
    ex,
    messageSteps,
    'SELECT id FROM messages WHERE tenant_id = $1 AND mailbox_id = $2 LIMIT $3',
    [tenantId, mailboxId, limit],
  );

/** Messages of other mailboxes still in this mailbox's tickets. Tickets shared with a connected
 *  mailbox moved to it at disconnect (rehomeSharedTickets), so these belong to mailboxes that are
 *  disconnected too (their keys are gone): they go with the ticket. */
export const purgeTicketMessages = (
  ex: Executor,
  tenantId: string,
  mailboxId: string,
  limit: number,
): Promise<PurgeCounts> =>
  selectThenDelete(
    ex,
    messageSteps,
    `SELECT m.id FROM tickets t JOIN messages m ON m.tenant_id = t.tenant_id AND m.ticket_id = t.id
      WHERE t.tenant_id = $1 AND t.mailbox_id = $2 LIMIT $3`,
    [tenantId, mailboxId, limit],
  );

/** Deletes tickets with their messages (and everything under them), participants and replies, counted. */
export async function deleteTicketsCounted(
  ex: Executor,
  tenantId: string,
  ids: string[],
): Promise<PurgeCounts> {
  const counts = await selectThenDelete(
    ex,
    messageSteps,
    'SELECT id FROM messages WHERE tenant_id = $1 AND ticket_id = ANY($2::uuid[])',
    [tenantId, ids],
  );
  return deleteInSteps(ex, tenantId, ticketSteps, ids, counts);
}

/** Up to `limit` of the mailbox's tickets (their messages are gone by then: purgeTicketMessages). */
export const purgeTickets = (
  ex: Executor,
  tenantId: string,
  mailboxId: string,
  limit: number,
): Promise<PurgeCounts> =>
  selectThenDelete(
    ex,
    ticketSteps,
    'SELECT id FROM tickets WHERE tenant_id = $1 AND mailbox_id = $2 LIMIT $3',
    [tenantId, mailboxId, limit],
  );

/** Every table with a mailbox_id column (read from the catalog, so a table added later is covered),
 *  except the receipts, which must outlive the purge. */
export async function tablesWithMailboxId(ex: Executor): Promise<string[]> {
  const { rows } = await ex.query<{ table: string }>(
    `SELECT c.relname AS table FROM pg_attribute a
       JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND a.attname = 'mailbox_id' AND NOT a.attisdropped
        AND c.relname <> 'deletion_receipts'
      ORDER BY c.relname`,
  );
  return rows.map((r) => r.table);
}

/** Up to `limit` rows of one table that belong to the mailbox. */
export async function purgeTableRows(
  ex: Executor,
  table: string,
  tenantId: string,
  mailboxId: string,
  limit: number,
): Promise<PurgeCounts> {
  if (!/^[a-z_][a-z0-9_]*$/.test(table)) throw new Error(`unexpected table name ${table}`);
  const { rowCount } = await ex.query(
    `DELETE FROM "${table}" WHERE ctid = ANY(ARRAY(SELECT ctid FROM "${table}" WHERE tenant_id = $1 AND mailbox_id = $2 LIMIT $3))`,
    [tenantId, mailboxId, limit],
  );
  return { [table]: rowCount ?? 0 };
}

/** Queued (not running) graphile-worker jobs for the mailbox: syncs, watch renewals, sends. The purge
 *  job itself is left alone. Runs as the owner role. */
export async function purgeQueuedJobs(ex: Executor, mailboxId: string): Promise<PurgeCounts> {
  const { rowCount } = await ex.query(
    `DELETE FROM graphile_worker._private_jobs j
      WHERE j.locked_at IS NULL AND j.task_id <> ALL(ARRAY(SELECT id FROM graphile_worker._private_tasks WHERE identifier = 'mailbox.purge'))
        AND (j.payload ->> 'mailboxId' = $1
             OR j.job_queue_id IN (SELECT id FROM graphile_worker._private_job_queues WHERE queue_name IN ('mailbox:' || $1, 'send:' || $1)))`,
    [mailboxId],
  );
  return { 'graphile_worker.jobs': rowCount ?? 0 };
}
