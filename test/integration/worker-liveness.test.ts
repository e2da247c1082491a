// The liveness sweep (src/sync/worker-liveness.ts) on real PostgreSQL and graphile-worker's schema:
// jobs of any task locked by a worker process that died are free to run again after one stale
// period, whether or not that process ever wrote a heartbeat; a live worker keeps its job.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { makeLogger } from '../../src/lib/logger.js';
import { startWorkerLiveness, type WorkerLiveness } from '../../src/sync/worker-liveness.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

const staleMs = 60_000;
let database: TestDatabase;
const sweepers: WorkerLiveness[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
});
afterEach(async () => {
  await Promise.all(sweepers.splice(0).map((s) => s.stop()));
  await database.owner.pool.query(
    'DELETE FROM graphile_worker._private_jobs; DELETE FROM graphile_worker._private_job_queues; DELETE FROM worker_heartbeats',
  );
});
afterAll(async () => {
  await database?.drop();
});

const q = <T extends object>(sql: string, params: unknown[] = []) =>
  database.owner.pool.query<T>(sql, params).then((r) => r.rows);

/** A worker process's liveness with the given graphile-worker ids; rounds run only when ticked. */
function liveness(holder: string, workerIds: string[] = []): WorkerLiveness {
  const live = startWorkerLiveness(
    { db: database.db, logger: makeLogger({ level: 'silent' }) },
    { holder, workerIds: () => workerIds, everyMs: 3_600_000, staleMs },
  );
  sweepers.push(live);
  return live;
}

/** A job of `task` in `queue`, locked by `worker` (with its queue) `agoMs` ago, as a job fetch leaves it. */
async function lockedJob(task: string, queue: string, worker: string, agoMs: number) {
  const [job] = await q<{ id: string }>(
    `SELECT id FROM graphile_worker.add_job($1, '{}'::json, queue_name => $2, job_key => $2)`,
    [task, queue],
  );
  const at = `now() - make_interval(secs => $2::double precision / 1000)`;
  await q(
    `UPDATE graphile_worker._private_jobs SET locked_by = $1, locked_at = ${at}, attempts = 1 WHERE id = $3`,
    [worker, agoMs, job!.id],
  );
  await q(
    `UPDATE graphile_worker._private_job_queues SET locked_by = $1, locked_at = ${at} WHERE queue_name = $3`,
    [worker, agoMs, queue],
  );
  return job!.id;
}

const lockOf = async (jobId: string) =>
  (
    await q<{ job: string | null; queue: string | null }>(
      `SELECT j.locked_by AS job, jq.locked_by AS queue
         FROM graphile_worker._private_jobs j
         JOIN graphile_worker._private_job_queues jq ON jq.id = j.job_queue_id
        WHERE j.id = $1`,
      [jobId],
    )
  )[0];

describe('worker liveness on PostgreSQL', () => {
  it('frees jobs of every task, and their queues, locked by a worker that died before its first heartbeat', async () => {
    const sync = await lockedJob('mailbox.sync', 'mailbox:one', 'pool-killed-early', 2 * staleMs);
    const purge = await lockedJob('mailbox.purge', 'purge:one', 'pool-killed-early', 2 * staleMs);
    const offboard = await lockedJob('tenant.offboard', 'tenant:one', 'pool-other', 2 * staleMs);

    await liveness('survivor').tick();

    for (const id of [sync, purge, offboard])
      expect(await lockOf(id)).toEqual({ job: null, queue: null });
  });

  it('leaves alone a job that a worker locked less than a stale period ago and has not yet heartbeat for', async () => {
    // The start-up order of a live process: its pool fetches a job, then its heartbeat round runs.
    const job = await lockedJob('mailbox.purge', 'purge:two', 'pool-starting', 1_000);
    await liveness('survivor').tick();
    expect(await lockOf(job)).toEqual({ job: 'pool-starting', queue: 'pool-starting' });

    // Its round then writes the heartbeat: from then on its job is safe however long it runs.
    await liveness('starting', ['pool-starting']).tick();
    await q(
      `UPDATE graphile_worker._private_jobs SET locked_at = now() - interval '1 hour' WHERE id = $1`,
      [job],
    );
    await liveness('survivor-2').tick();
    expect(await lockOf(job)).toEqual({ job: 'pool-starting', queue: 'pool-starting' });
  });

  it('a worker whose heartbeat went stale loses its locks as before', async () => {
    const job = await lockedJob('retention.sweep', 'retention:one', 'pool-stale', 1_000);
    await q(
      `INSERT INTO worker_heartbeats (worker_id, holder, seen_at) VALUES ('pool-stale', 'gone', now() - interval '2 minutes')`,
    );
    await liveness('survivor').tick();
    expect(await lockOf(job)).toEqual({ job: null, queue: null });
    expect(await q('SELECT 1 FROM worker_heartbeats WHERE worker_id = $1', ['pool-stale'])).toEqual(
      [],
    );
  });
});
