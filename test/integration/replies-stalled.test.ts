// Replies whose send job stalled (a worker killed mid-send, a job lost): the liveness and outbox
// sweeps give each an honest state within minutes, and never send a reply twice.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { sendJobKey } from '../../src/outbound/reply-service.js';
import { sweepStalledReplies } from '../../src/outbound/stalled-replies.js';
import { startWorkerLiveness } from '../../src/sync/worker-liveness.js';
import { startRepliesBed } from '../helpers/replies-bed.js';

const bed = await startRepliesBed();
const { dovecot, mailboxWithTicket, post, owner, outboxOf, runJob, delivered } = bed;
const d = dovecot ? describe : describe.skip;

const staleMs = 60_000;
const sweep = () => sweepStalledReplies(bed.f.t.container, { staleMs });
const failedEvents = (messageId: string) =>
  owner<{ data: { reason: string } }>(
    `SELECT data FROM events WHERE type = 'reply.failed' AND resource_id = $1`,
    [messageId],
  );

/** The reply's send job as a worker left it: `lockedBy` null for an unlocked job. */
async function setJob(
  replyId: string,
  job: { attempts: number; lockedBy: string | null; lockedAgoMs?: number },
) {
  const { id } = await outboxOf(replyId);
  await owner(
    `UPDATE graphile_worker._private_jobs SET attempts = $2, locked_by = $3,
            locked_at = CASE WHEN $3::text IS NULL THEN NULL ELSE now() - make_interval(secs => $4::double precision / 1000) END
      WHERE key = $1`,
    [sendJobKey(id), job.attempts, job.lockedBy, job.lockedAgoMs ?? 0],
  );
}
const jobOf = async (replyId: string) =>
  (
    await owner<{ attempts: number; max_attempts: number; locked_by: string | null }>(
      'SELECT attempts, max_attempts, locked_by FROM graphile_worker._private_jobs WHERE key = $1',
      [sendJobKey((await outboxOf(replyId)).id)],
    )
  )[0];
/** A worker killed after it marked the reply 'sending' (and, with `transmitted`, its bytes leaving). */
const killedMidSend = async (replyId: string, transmitted: boolean) =>
  owner(
    `UPDATE outbox SET state = 'sending', attempts = attempts + 1,
            transmit_started_at = CASE WHEN $2 THEN now() END WHERE message_id = $1`,
    [replyId, transmitted],
  );

beforeAll(() => bed.start());
afterAll(() => bed.close());

d('replies whose send job stalled', () => {
  test('killed on its last attempt: delivery_unknown once the bytes had left, attempts_exhausted before', async () => {
    const m = await mailboxWithTicket();
    const left = (await post(m.ticketId, { text: 'Killed after the bytes left' })).json();
    const notLeft = (await post(m.ticketId, { text: 'Killed while connecting' })).json();
    await killedMidSend(left.id, true);
    await killedMidSend(notLeft.id, false);
    // graphile-worker counted the last attempt when the job was fetched; the worker has no heartbeat.
    await setJob(left.id, { attempts: 10, lockedBy: 'worker-gone-1', lockedAgoMs: staleMs * 2 });
    await setJob(notLeft.id, { attempts: 10, lockedBy: null });

    expect(await sweep()).toMatchObject({ deliveryUnknown: 1, exhausted: 1, requeued: 0 });
    expect(await outboxOf(left.id)).toMatchObject({
      state: 'failed',
      failure_reason: 'delivery_unknown',
    });
    expect(await outboxOf(notLeft.id)).toMatchObject({
      state: 'failed',
      failure_reason: 'attempts_exhausted',
    });
    expect(await failedEvents(left.id)).toEqual([
      { data: expect.objectContaining({ reason: 'delivery_unknown' }) },
    ]);
    expect(await failedEvents(notLeft.id)).toHaveLength(1);
    expect(delivered(left.message_id)).toHaveLength(0);
    expect(delivered(notLeft.message_id)).toHaveLength(0);

    // Ended once: the next sweep finds nothing, and a late run of the job sends nothing.
    expect(await sweep()).toMatchObject({ deliveryUnknown: 0, exhausted: 0 });
    expect(await runJob(left.id, 10, 10)).toBe('nothing_to_do');
    expect(await failedEvents(left.id)).toHaveLength(1);
  });

  test('a job on its last attempt that a live worker runs, or with attempts left, is left to run', async () => {
    const m = await mailboxWithTicket();
    const running = (await post(m.ticketId, { text: 'Running now' })).json();
    const starting = (
      await post(m.ticketId, { text: 'Fetched before its first heartbeat' })
    ).json();
    const waiting = (await post(m.ticketId, { text: 'Waiting for its retry' })).json();
    await killedMidSend(running.id, true);
    await killedMidSend(starting.id, true);
    await killedMidSend(waiting.id, true);
    await owner(
      `INSERT INTO worker_heartbeats (worker_id, holder, seen_at) VALUES ('worker-alive-1', 'holder-alive', now())
       ON CONFLICT (worker_id) DO UPDATE SET seen_at = now()`,
      [],
    );
    await setJob(running.id, { attempts: 10, lockedBy: 'worker-alive-1', lockedAgoMs: 600_000 });
    // A worker that just started: its pool fetched the job, its heartbeat round has not run yet.
    await setJob(starting.id, { attempts: 10, lockedBy: 'worker-starting', lockedAgoMs: 1_000 });
    await setJob(waiting.id, { attempts: 3, lockedBy: null });

    await sweep();
    expect(await outboxOf(running.id)).toMatchObject({ state: 'sending' });
    expect(await outboxOf(starting.id)).toMatchObject({ state: 'sending' });
    expect(await failedEvents(starting.id)).toEqual([]);
    expect(await outboxOf(waiting.id)).toMatchObject({ state: 'sending' });
    expect(await jobOf(running.id)).toMatchObject({ locked_by: 'worker-alive-1' });
    await owner(`DELETE FROM worker_heartbeats WHERE worker_id = 'worker-alive-1'`, []);
  });

  test('the liveness sweep frees a send job locked by a worker that never heartbeat; the rerun sends it once', async () => {
    const m = await mailboxWithTicket();
    const stale = (await post(m.ticketId, { text: 'Locked by a vanished worker' })).json();
    const fresh = (await post(m.ticketId, { text: 'Just locked' })).json();
    await killedMidSend(stale.id, false);
    await killedMidSend(fresh.id, false);
    await setJob(stale.id, { attempts: 2, lockedBy: 'worker-gone-2', lockedAgoMs: staleMs * 2 });
    await setJob(fresh.id, { attempts: 2, lockedBy: 'worker-gone-3', lockedAgoMs: 1_000 });

    const live = startWorkerLiveness(
      { db: bed.f.t.container.db, logger: bed.f.t.container.logger },
      { holder: 'survivor', workerIds: () => [], everyMs: 3_600_000, staleMs },
    );
    await live.tick();
    await live.stop();
    expect(await jobOf(stale.id)).toMatchObject({ locked_by: null, attempts: 2 });
    expect(await jobOf(fresh.id)).toMatchObject({ locked_by: 'worker-gone-3' });
    // The rerun (attempt 3) asks Sent first, finds nothing, and sends it once.
    expect(await runJob(stale.id, 3)).toBe('sent');
    expect(delivered(stale.message_id)).toHaveLength(1);
  });

  test('a reply whose send job is gone is queued again and sent once', async () => {
    const m = await mailboxWithTicket();
    const lost = (await post(m.ticketId, { text: 'Its job was lost' })).json();
    await killedMidSend(lost.id, false);
    await owner('DELETE FROM graphile_worker._private_jobs WHERE key = $1', [
      sendJobKey((await outboxOf(lost.id)).id),
    ]);

    expect(await sweep()).toMatchObject({ requeued: 1 });
    expect(await jobOf(lost.id)).toMatchObject({ attempts: 0, max_attempts: 10 });
    expect(await sweep()).toMatchObject({ requeued: 0 });
    expect(await runJob(lost.id, 1)).toBe('sent');
    expect(delivered(lost.message_id)).toHaveLength(1);
  });
});
