// `npx tsx bench/lib/job-fetch-cost.ts [jobs]`: what graphile-worker's job fetch costs PostgreSQL as
// named-queue rows pile up, and after the queue sweep (src/jobs/queue-gc.ts). For 0, 1,000 and
// 5,000 queue rows with no job (mailboxes that synced once), it runs `jobs` (200) queued jobs, each
// in its own queue as a mailbox's sync is, through a real runner (concurrency 1) and reports WAL
// bytes and wall time per job. WAL does not depend on the machine's load; the time does (the load
// is printed beside it).
import os from 'node:os';

import { Logger as WorkerLogger, run } from 'graphile-worker';

import { collectJobQueues } from '../../src/jobs/queue-gc.js';
import { startBenchDb } from './bench-db.js';

const jobs = Number(process.argv[2] ?? 200);
const b = await startBenchDb();
const pool = b.c.db.pool;

async function runJobs(): Promise<{ walBytesPerJob: number; msPerJob: number }> {
  await pool.query(
    `SELECT graphile_worker.add_job('bench', '{}'::json, queue_name => 'mailbox:live-' || g)
       FROM generate_series(1, $1) g`,
    [jobs],
  );
  const lsn = async () =>
    (await pool.query<{ l: string }>('SELECT pg_current_wal_lsn()::text AS l')).rows[0]!.l;
  const before = await lsn();
  const start = performance.now();
  let done = 0;
  let finished: () => void = () => undefined;
  const all = new Promise<void>((resolve) => (finished = resolve));
  const runner = await run({
    pgPool: pool,
    concurrency: 1,
    noHandleSignals: true,
    pollInterval: 1000,
    logger: new WorkerLogger(() => () => undefined),
    taskList: {
      bench: async () => {
        if (++done === jobs) finished();
      },
    },
  });
  await all;
  const ms = performance.now() - start;
  await runner.stop();
  const { rows } = await pool.query<{ d: string }>(
    'SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::text AS d',
    [before],
  );
  return { walBytesPerJob: Number(rows[0]!.d) / jobs, msPerJob: ms / jobs };
}

try {
  for (const idle of [0, 1000, 5000]) {
    await pool.query('DELETE FROM graphile_worker._private_job_queues');
    await pool.query(
      `INSERT INTO graphile_worker._private_job_queues (queue_name)
       SELECT 'mailbox:idle-' || g FROM generate_series(1, $1) g`,
      [idle],
    );
    await pool.query('ANALYZE graphile_worker._private_job_queues');
    const kept = await runJobs();
    const swept = await collectJobQueues(b.c.db);
    const after = await runJobs();
    console.log(
      `${String(idle).padStart(5)} idle queue rows: ${kept.walBytesPerJob.toFixed(0)} B of WAL, ${kept.msPerJob.toFixed(2)} ms a job; after the sweep (${swept} rows deleted): ${after.walBytesPerJob.toFixed(0)} B, ${after.msPerJob.toFixed(2)} ms (load ${os.loadavg()[0]!.toFixed(1)})`,
    );
  }
} finally {
  await b.close();
}
