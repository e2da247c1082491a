// The queue sweep (src/jobs/queue-gc.ts): graphile-worker's job fetch locks every free named-queue
// row, so rows left by mailboxes with no job made every fetch dearer. The sweep keeps only rows a
// job still uses, and never one an enqueue has just pointed a job at.
import type { Runner } from 'graphile-worker';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';

import { collectJobQueues } from '../../src/jobs/queue-gc.js';
import { makeHandlers } from '../../src/main/worker.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { startTestWorker } from '../helpers/test-worker.js';

let t: TestApp;
let worker: Runner | null = null;
beforeAll(async () => {
  t = await makeTestApp();
});
afterEach(async () => {
  await worker?.stop();
  worker = null;
  await t.database.db.pool.query(
    'DELETE FROM graphile_worker._private_jobs; DELETE FROM graphile_worker._private_job_queues',
  );
});
afterAll(async () => {
  await t?.close();
});

const q = (sql: string, params: unknown[] = []) => t.database.db.pool.query(sql, params);
/** A harmless queued job (the sweep of expired consent states ignores its payload). */
const addQueuedJob = 'SELECT graphile_worker.add_job($1, $2::json, queue_name => $3)';
const job = (queue: string) => ['oauth.sweep-states', '{}', queue];
const queueNames = async () =>
  (
    await q('SELECT queue_name FROM graphile_worker._private_job_queues ORDER BY queue_name')
  ).rows.map((r: { queue_name: string }) => r.queue_name);

/** An idle queue row `idle`, and a job enqueued into `queue` whose transaction stays open during `meanwhile`. */
async function whileEnqueuing(idle: string, queue: string, meanwhile: () => Promise<void>) {
  await q('INSERT INTO graphile_worker._private_job_queues (queue_name) VALUES ($1)', [idle]);
  const enqueuing = await t.database.db.pool.connect();
  try {
    await enqueuing.query('BEGIN');
    await enqueuing.query(addQueuedJob, job(queue));
    await meanwhile();
    await enqueuing.query('COMMIT');
  } finally {
    enqueuing.release();
  }
}

async function allJobsRun(): Promise<void> {
  worker = await startTestWorker(t, { concurrency: 2, pollInterval: 100 });
  for (let i = 0; i < 100; i++) {
    const { rows } = await q('SELECT count(*)::int AS n FROM graphile_worker._private_jobs');
    if (rows[0].n === 0) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('queued jobs did not run');
}

test('the minute sweep keeps only the queues a job still uses, and their jobs run', async () => {
  // 300 mailboxes that synced once and have no job now, two with a sync waiting.
  await q(
    `INSERT INTO graphile_worker._private_job_queues (queue_name)
     SELECT 'mailbox:old-' || g FROM generate_series(1, 300) g`,
  );
  await q(addQueuedJob, job('mailbox:a'));
  await q(addQueuedJob, job('mailbox:b'));
  await makeHandlers(t.container)['jobs.queue-gc']({}, undefined as never);
  expect(await queueNames()).toEqual(['mailbox:a', 'mailbox:b']);
  await allJobsRun();
});

test('a job enqueued but not yet committed keeps its queue, and runs', async () => {
  let sweep: Promise<number | null> = Promise.resolve(null);
  // The enqueue reuses the existing row; the sweep starts while it is not committed.
  await whileEnqueuing('mailbox:c', 'mailbox:c', async () => {
    sweep = collectJobQueues(t.database.db, 10_000);
    await new Promise((r) => setTimeout(r, 300));
  });
  expect(await sweep).toBe(0);
  const { rows } = await q(
    `SELECT q.queue_name FROM graphile_worker._private_jobs j
       LEFT JOIN graphile_worker._private_job_queues q ON q.id = j.job_queue_id`,
  );
  expect(rows).toEqual([{ queue_name: 'mailbox:c' }]);
  await allJobsRun();
});

test('an enqueuing transaction that holds on makes the sweep give up for this minute', async () => {
  await whileEnqueuing('mailbox:d', 'mailbox:e', async () => {
    expect(await collectJobQueues(t.database.db, 100)).toBeNull();
  });
  expect(await collectJobQueues(t.database.db)).toBe(1);
  expect(await queueNames()).toEqual(['mailbox:e']);
});
