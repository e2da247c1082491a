// The Gmail push's one statement (issue #19): a busy inbox is pushed every few seconds, and looking
// its mailbox up and then enqueueing its sync were two round trips per push.
import type { Executor } from '../../store/db.js';
import { syncJobArgs } from '../../sync/sync-jobs.js';

export interface PushedMailbox {
  tenant_id: string;
  mailbox_id: string;
  status: string;
  /** Its sync was queued (or joined a waiting one) by this push. */
  enqueued: boolean;
}

/**
 * For each of these mailboxes that is still a Gmail mailbox and not disconnected: its status, and
 * its sync queued when it is active and its cursor does not already reach `historyId` (a duplicate
 * or late push: nothing to do). Every sync in one statement, so several commit together.
 * The cursor is Gmail's own (gmail-sync.ts): a backfilling cursor never covers a push.
 */
export async function enqueueDueSyncs(
  ex: Executor,
  targets: { tenantId: string; mailboxId: string }[],
  historyId: string,
): Promise<PushedMailbox[]> {
  if (targets.length === 0) return [];
  const { rows } = await ex.query<PushedMailbox>({
    name: 'inlet-gmail-push-enqueue',
    text: `WITH a AS (SELECT (x->>8)::uuid AS id, x FROM json_array_elements($1::json) AS x)
     , m AS (
       SELECT m.tenant_id, m.id AS mailbox_id, m.status,
              m.status = 'active' AND NOT coalesce(
                jsonb_typeof(m.cursor->'historyId') = 'string' AND (m.cursor->>'historyId') ~ '^[0-9]{1,20}$'
                AND coalesce(jsonb_typeof(m.cursor->'backfill'), 'null') = 'null'
                AND (m.cursor->>'historyId')::numeric >= $2::numeric, false) AS enqueued
         FROM mailboxes m WHERE m.id IN (SELECT id FROM a) AND m.provider = 'gmail' AND m.status <> 'disconnected')
     , q AS (
       SELECT inlet_add_mailbox_job(x->>0, (x->>1)::json, x->>2, (x->>3)::timestamptz, (x->>4)::int, x->>5, (x->>6)::int, x->>7, a.id)
         FROM m JOIN a ON a.id = m.mailbox_id WHERE m.enqueued)
     SELECT m.tenant_id, m.mailbox_id, m.status, m.enqueued, (SELECT count(*) FROM q) AS jobs FROM m`,
    values: [JSON.stringify(targets.map((t) => syncJobArgs(t.tenantId, t.mailboxId))), historyId],
  });
  return rows;
}
