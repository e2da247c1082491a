// The `jobs.queue-gc` cron (every minute): deletes graphile-worker's named-queue rows that no job
// uses any more. Every mailbox that ever synced or sent has a `mailbox:<id>` / `send:<id>` row, and
// graphile-worker (0.17, 0.18) keeps it for ever. Its job fetch locks EVERY free queue row up front (FOR
// UPDATE SKIP LOCKED, one WAL record each) as soon as a waiting job has a queue, so each fetch cost
// grew with the number of mailboxes ever connected (0.2 ms of PostgreSQL at 100 rows, 9.6 ms at
// 5,000), and a fetch running beside it found every queue locked and came back empty. After this
// sweep the rows are the queues of mailboxes with a job waiting or running; add_job creates a row
// again when a mailbox gets its next job.
//
// Why the table lock: queue rows have no foreign key from jobs, and add_job reuses an existing row
// without locking it. A plain DELETE could remove a row that an enqueuing transaction, not yet
// committed, has just pointed its job at; that job would then never match a queue and never run.
// Every add_job (sync, send, any queued job) takes ROW EXCLUSIVE on this table in its INSERT … ON
// CONFLICT DO NOTHING and holds it to its commit. SHARE ROW EXCLUSIVE waits for all of them and
// admits no new one, so the DELETE's snapshot (taken after the lock) sees every job that points at
// a row. A short lock_timeout keeps a long enqueuing transaction from making fetches and enqueues
// queue up behind this sweep: it gives up for this minute instead.
import { parseCronItems, type ParsedCronItem } from 'graphile-worker';

import type { Db } from '../store/db.js';

export function queueGcCronItems(): ParsedCronItem[] {
  return parseCronItems([
    {
      task: 'jobs.queue-gc',
      match: '* * * * *',
      identifier: 'jobs-queue-gc',
      options: {
        backfillPeriod: 0,
        maxAttempts: 1,
        jobKey: 'jobs-queue-gc',
        jobKeyMode: 'replace',
      },
    },
  ]);
}

/** Deletes unused queue rows; null when the lock was not free within `lockTimeoutMs` (next minute's run tries again). */
export async function collectJobQueues(db: Db, lockTimeoutMs = 200): Promise<number | null> {
  try {
    return await db.tx(async (ex) => {
      await ex.query(`SELECT set_config('lock_timeout', $1, true)`, [`${lockTimeoutMs}ms`]);
      await ex.query('LOCK TABLE graphile_worker._private_job_queues IN SHARE ROW EXCLUSIVE MODE');
      const { rowCount } = await ex.query(
        `DELETE FROM graphile_worker._private_job_queues q
          WHERE q.locked_at IS NULL
            AND NOT EXISTS (SELECT 1 FROM graphile_worker._private_jobs j WHERE j.job_queue_id = q.id)`,
      );
      return rowCount ?? 0;
    });
  } catch (err) {
    if ((err as { code?: string }).code === '55P03') return null; // lock_not_available
    throw err;
  }
}
