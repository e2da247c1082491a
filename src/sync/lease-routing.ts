// Routes a mailbox's sync and send jobs to the worker process that holds its IDLE lease, where they
// borrow the logged-in IDLE session (providers/imap/imap-sessions.ts) instead of logging in again.
// Run elsewhere, every new mail costs a login (~37 ms of Dovecot, ~25 ms of Node CPU).
//
// graphile-worker has no "run on that worker", but it has job flags and per-worker forbidden flags:
// - a mailbox job is enqueued through inlet_add_mailbox_job (migration 0021), which flags it
//   `lease:<holder>` when the mailbox has a live lease, inside the enqueuing transaction;
// - every worker forbids the flags of the OTHER holders alive now (fresh heartbeats,
//   worker-liveness.ts), so only the holder takes the job; a job without a flag runs anywhere.
// Fallbacks, so no job waits for a holder that is gone:
// - a holder that stops strips its flag from the jobs it had not started (stripHolderFlags);
// - a holder that dies: the liveness sweep that unlocks its jobs strips its flag as well, once its
//   heartbeat is stale (one lease period, when its leases also expire);
// - a mailbox handed over to another worker: its waiting jobs lose the old holder's flag (the new
//   holder's IDLE start enqueues a catch-up sync flagged for itself).
// A worker that has not yet seen a new holder's heartbeat may still take that holder's job: it then
// logs in as before. Routing only ever decides where a job runs, never whether it runs.
import type { Executor } from '../store/db.js';

export const leaseFlag = (holder: string) => `lease:${holder}`;

/**
 * Removes holders' routing flags from jobs not running now. With mailboxIds, only from jobs in those
 * mailboxes' sync and send queues (a lease given up); without, from all of them (the holder is gone).
 */
export async function stripHolderFlags(
  ex: Executor,
  holders: string[],
  mailboxIds?: string[],
): Promise<number> {
  if (holders.length === 0) return 0;
  const flags = holders.map(leaseFlag);
  const { rowCount } = await ex.query(
    `UPDATE graphile_worker._private_jobs j SET flags = nullif(j.flags - $1::text[], '{}'::jsonb)
      WHERE j.flags ?| $1::text[] AND j.locked_at IS NULL
        AND ($2::uuid[] IS NULL OR j.job_queue_id IN (
              SELECT q.id FROM graphile_worker._private_job_queues q
               WHERE q.queue_name IN (SELECT p || m::text FROM unnest($2::uuid[]) m, unnest(ARRAY['mailbox:', 'send:']) p)))`,
    [flags, mailboxIds ?? null],
  );
  return rowCount ?? 0;
}
