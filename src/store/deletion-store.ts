// SQL for mailbox deletion (migration 0010): the deletion receipt, and the bounded batches the purge
// job deletes with. Each batch function deletes at most `limit` driving rows and returns how many
// rows it removed per table; the caller runs each batch in its own short transaction, so a purge
// killed half-way simply continues with what is left when it runs again.
import type { ProviderKind } from '../providers/provider-kind.js';
import type { Executor } from './db.js';

export type PushStop = 'pending' | 'stopped' | 'failed' | 'not_applicable';
/** not_revocable: the provider offers the app no way to revoke the grant (Microsoft delegated consent); every token Inlet held was cleared. */
export type GrantRevoke = 'pending' | 'revoked' | 'not_revocable' | 'failed' | 'not_applicable';
export type PurgeCounts = Record<string, number>;

export interface ReceiptRow {
  tenant_id: string;
  mailbox_id: string;
  provider: ProviderKind;
  requested_by: string;
  requested_at: Date;
  purge_after: Date;
  push_stop: PushStop;
  push_error_class: string | null;
  grant_revoke: GrantRevoke;
  grant_error_class: string | null;
  key_destroyed_at: Date | null;
  purge_started_at: Date | null;
  rows_purged: PurgeCounts;
  completed_at: Date | null;
}

const columns = `tenant_id, mailbox_id, provider, requested_by, requested_at, purge_after, push_stop, push_error_class,
  grant_revoke, grant_error_class, key_destroyed_at, purge_started_at, rows_purged, completed_at`;

/** First disconnect request wins; a repeated one keeps the original requester and deadline. */
export async function insertReceipt(
  ex: Executor,
  r: {
    tenantId: string;
    mailboxId: string;
    provider: ProviderKind;
    requestedBy: string;
    purgeAfter: Date;
  },
): Promise<ReceiptRow> {
  await ex.query(
    `INSERT INTO deletion_receipts (tenant_id, mailbox_id, provider, requested_by, purge_after) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (tenant_id, mailbox_id) DO NOTHING`,
    [r.tenantId, r.mailboxId, r.provider, r.requestedBy, r.purgeAfter],
  );
  return (await findReceipt(ex, r.tenantId, r.mailboxId))!;
}

export async function findReceipt(
  ex: Executor,
  tenantId: string,
  mailboxId: string,
  opts: { lock?: boolean } = {},
): Promise<ReceiptRow | null> {
  const { rows } = await ex.query<ReceiptRow>(
    `SELECT ${columns} FROM deletion_receipts WHERE tenant_id = $1 AND mailbox_id = $2${opts.lock ? ' FOR UPDATE' : ''}`,
    [tenantId, mailboxId],
  );
  return rows[0] ?? null;
}

export async function findReceipts(
  ex: Executor,
  tenantId: string,
  mailboxIds: string[],
): Promise<Map<string, ReceiptRow>> {
  if (mailboxIds.length === 0) return new Map();
  const { rows } = await ex.query<ReceiptRow>(
    `SELECT ${columns} FROM deletion_receipts WHERE tenant_id = $1 AND mailbox_id = ANY($2::uuid[])`,
    [tenantId, mailboxIds],
  );
  return new Map(rows.map((r) => [r.mailbox_id, r]));
}

export async function recordShredded(
  ex: Executor,
  tenantId: string,
  mailboxId: string,
  o: { push: PushStop; pushError: string | null; grant: GrantRevoke; grantError: string | null },
): Promise<void> {
  await ex.query(
    `UPDATE deletion_receipts SET push_stop = $3, push_error_class = $4, grant_revoke = $5, grant_error_class = $6, key_destroyed_at = coalesce(key_destroyed_at, now())
      WHERE tenant_id = $1 AND mailbox_id = $2`,
    [tenantId, mailboxId, o.push, o.pushError, o.grant, o.grantError],
  );
}

/** Adds one batch's counts, in the transaction that deleted those rows (so counts never double). */
export async function addPurged(
  ex: Executor,
  tenantId: string,
  mailboxId: string,
  counts: PurgeCounts,
): Promise<void> {
  const nonZero = Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0));
  await ex.query(
    `UPDATE deletion_receipts SET purge_started_at = coalesce(purge_started_at, now()),
            rows_purged = (SELECT coalesce(jsonb_object_agg(k, v), '{}'::jsonb) FROM (
              SELECT k, sum(v::bigint) AS v FROM (
                SELECT key AS k, value::text AS v FROM jsonb_each(rows_purged)
                UNION ALL SELECT key, value::text FROM jsonb_each($3::jsonb)) x GROUP BY k) y)
      WHERE tenant_id = $1 AND mailbox_id = $2`,
    [tenantId, mailboxId, JSON.stringify(nonZero)],
  );
}

/**
 * Marks the purge complete; null when another run already did. Two purge runs of one deletion can
 * overlap (a delay of 0 queues the watchdog run and the deadline run at once): the second UPDATE
 * waits for the first's row lock, then sees completed_at set and matches nothing, so exactly one run
 * writes the completion (and its audit record).
 */
export async function markCompleted(
  ex: Executor,
  tenantId: string,
  mailboxId: string,
): Promise<ReceiptRow | null> {
  const { rows } = await ex.query<ReceiptRow>(
    `UPDATE deletion_receipts SET completed_at = now(), purge_started_at = coalesce(purge_started_at, now())
      WHERE tenant_id = $1 AND mailbox_id = $2 AND completed_at IS NULL RETURNING ${columns}`,
    [tenantId, mailboxId],
  );
  return rows[0] ?? null;
}

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
