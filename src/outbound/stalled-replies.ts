// The `outbox.stalled-sweep` cron (every 5 minutes): no reply stays 'queued' or 'sending' without a
// send job that will still run it. A worker killed mid-send leaves its job locked; the liveness sweep
// (sync/worker-liveness.ts) frees the locks of dead workers (stale heartbeat, or none for as long)
// and the job reruns, resolving the reply itself (Sent lookup first: send-reply.ts). But
// graphile-worker counted the attempt when the job was fetched, so a job killed on its last attempt
// never runs again, and a lost job never runs at all. Each run, as the owner role:
//   * re-queues the send job of a reply whose job is gone (deleted, lost with a restore): the job
//     decides from the row's state and transmission mark, so nothing is sent twice;
//   * ends a reply whose job used up its attempts and is not running on a live worker: 'failed',
//     reason delivery_unknown when an attempt had transmitted (it may have arrived; never a second
//     copy), attempts_exhausted when nothing left; with a reply.failed event, as the job itself would
//     have. A worker is dead here as in liveness: a worker that locked the job a moment ago and has
//     not yet written its first heartbeat is still running it.
import { parseCronItems, type ParsedCronItem } from 'graphile-worker';

import type { Logger } from '../lib/logger.js';
import type { Db } from '../store/db.js';
import { insertOutboundEvent, markFinal } from './outbox-store.js';
import { enqueueSend, sendJobKey } from './reply-service.js';

export function stalledRepliesCronItems(): ParsedCronItem[] {
  return parseCronItems([
    {
      task: 'outbox.stalled-sweep',
      match: '*/5 * * * *',
      identifier: 'outbox-stalled-sweep',
      options: {
        backfillPeriod: 0,
        maxAttempts: 3,
        jobKey: 'outbox-stalled-sweep',
        jobKeyMode: 'replace',
      },
    },
  ]);
}

export interface StalledSweepResult {
  requeued: number;
  deliveryUnknown: number;
  exhausted: number;
}

/** `staleMs`: how long a worker may hold a lock without a heartbeat and be alive (the liveness stale period). */
export async function sweepStalledReplies(
  deps: { db: Db; logger: Logger },
  opts: { staleMs: number },
): Promise<StalledSweepResult> {
  const result = await deps.db.tx(async (ex) => {
    // Unfinished replies whose send job is gone, or has used its attempts and is not running on a
    // live worker (a job on its last attempt counts it as used while it runs).
    const { rows } = await ex.query<{
      tenant_id: string;
      id: string;
      mailbox_id: string;
      message_id: string;
      ticket_id: string;
      transmitted: boolean;
      has_job: boolean;
    }>(
      `SELECT o.tenant_id, o.id, o.mailbox_id, o.message_id, o.ticket_id,
              o.transmit_started_at IS NOT NULL AS transmitted, j.id IS NOT NULL AS has_job
         FROM outbox o
         LEFT JOIN graphile_worker.jobs j ON j.key = $1 || o.id::text
        WHERE o.state IN ('queued', 'sending')
          AND (j.id IS NULL
               OR (j.attempts >= j.max_attempts
                   AND (j.locked_by IS NULL
                        OR (j.locked_at < now() - make_interval(secs => $2::double precision / 1000)
                            AND NOT EXISTS (SELECT 1 FROM worker_heartbeats h WHERE h.worker_id = j.locked_by)))))
        ORDER BY o.created_at
        FOR UPDATE OF o SKIP LOCKED`,
      [sendJobKey(''), opts.staleMs],
    );
    const out: StalledSweepResult = {
      requeued: 0,
      deliveryUnknown: 0,
      exhausted: 0,
    };
    for (const r of rows) {
      if (!r.has_job) {
        await enqueueSend(ex, r.tenant_id, r.id, r.mailbox_id);
        out.requeued += 1;
        continue;
      }
      const reason = r.transmitted ? 'delivery_unknown' : 'attempts_exhausted';
      await markFinal(ex, r.tenant_id, r.id, 'failed', reason, null);
      await insertOutboundEvent(ex, r.tenant_id, 'reply.failed', r.message_id, {
        ticket_id: r.ticket_id,
        reason,
      });
      if (r.transmitted) out.deliveryUnknown += 1;
      else out.exhausted += 1;
    }
    return out;
  });
  if (result.requeued + result.deliveryUnknown + result.exhausted > 0)
    deps.logger.warn({ ...result }, 'resolved replies whose send job stalled');
  return result;
}
