// `npx tsx bench/lib/job-overhead.ts [jobs] [rate]`: what graphile-worker costs per job when nothing
// else runs, as the Gmail push flow uses it: `jobs` (1,000) jobs enqueued at `rate` (50) a second,
// round-robin over 100 named queues (a mailbox's `mailbox:<id>`), each job holding its slot 5 ms as
// a sync waits on its reads, 16 slots, the worker's poll interval and an empty forbiddenFlags list
// (src/main/worker.ts routes with them). It prints, per job: this process's CPU (graphile-worker,
// pg, the enqueue), PostgreSQL's CPU, job fetches that found a job and those that found none, and
// statements sent. Modes: as Inlet runs; with graphile-worker's batched completion
// (completeJobBatchDelay 0); with its local queue (size 17), which batches fetches only when no
// forbiddenFlags are given, so that mode passes none. The enqueue alone (no runner) is measured
// first and taken off, and one unreported pass warms the runner up. Figures move with the machine's load (printed); interleave versions.
import { EventEmitter } from 'node:events';
import os from 'node:os';

import {
  Logger as WorkerLogger,
  run,
  type RunnerOptions,
  type WorkerEvents,
} from 'graphile-worker';
import pg from 'pg';

import { workerPollIntervalMs } from '../../src/main/worker.js';
import { startBenchDb } from './bench-db.js';
import { startCpuMeter } from './cpu.js';
import { sleep } from './stats.js';

const jobs = Number(process.argv[2] ?? 1000);
const rate = Number(process.argv[3] ?? 50);
const b = await startBenchDb();
const pool = b.c.db.pool;

/** Statements this process sends meanwhile (pg.Client#query calls). */
let statements = 0;
const realQuery = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  statements++;
  return (realQuery as (...a: unknown[]) => unknown).apply(this, args);
} as typeof realQuery;

async function enqueueAll(): Promise<void> {
  const start = performance.now();
  for (let i = 0; i < jobs; i++) {
    const wait = start + (i * 1000) / rate - performance.now();
    if (wait > 0) await sleep(wait);
    await pool.query(`SELECT graphile_worker.add_job('bench', '{}'::json, queue_name => $1)`, [
      `mailbox:${i % 100}`,
    ]);
  }
}

interface Pass {
  /** Jobs that ran within a minute of the last enqueue (all of them unless the runner stuck). */
  ran: number;
  selfMs: number;
  pgMs: number;
  found: number;
  empty: number;
  statements: number;
}

async function pass(options: Partial<RunnerOptions> | null): Promise<Pass> {
  const events = new EventEmitter() as WorkerEvents;
  const fetches = { found: 0, empty: 0 };
  events.on('job:start', () => fetches.found++);
  events.on('worker:getJob:empty', () => fetches.empty++);
  events.on('localQueue:getJobs:complete', ({ jobs: got }) => {
    if (got.length === 0) fetches.empty++;
  });
  let done = 0;
  let finished: () => void = () => undefined;
  const all = new Promise<void>((resolve) => (finished = resolve));
  const runner = options
    ? await run({
        pgPool: pool,
        concurrency: 16,
        noHandleSignals: true,
        pollInterval: workerPollIntervalMs,
        logger: new WorkerLogger(() => () => undefined),
        events,
        taskList: {
          bench: async () => {
            await sleep(5);
            if (++done === jobs) finished();
          },
        },
        ...options,
      })
    : null;
  await sleep(500); // the runner's start-up is not the jobs' cost
  statements = 0;
  const meter = await startCpuMeter(pool);
  await enqueueAll();
  if (runner) await Promise.race([all, sleep(60_000)]);
  const cpu = meter.read();
  const sent = statements;
  if (runner && done < jobs) {
    // What held the rest: a queue left locked (by whom) or jobs that are not due.
    const { rows } = await pool.query<Record<string, unknown>>(
      `SELECT q.queue_name, q.locked_by, q.locked_at IS NOT NULL AS queue_locked, count(j.id)::int AS jobs,
              count(j.id) FILTER (WHERE j.locked_at IS NOT NULL)::int AS jobs_locked, min(j.attempts) AS attempts
         FROM graphile_worker._private_jobs j LEFT JOIN graphile_worker._private_job_queues q ON q.id = j.job_queue_id
        GROUP BY 1, 2, 3`,
    );
    console.log('  jobs left:', JSON.stringify(rows));
  }
  await Promise.race([runner?.stop(), sleep(10_000)]);
  // A queue row can stay locked by a pool stopped right after its last job (seen twice in ten
  // passes: the next pass then never ran that queue's jobs); each pass starts from no locks.
  await pool.query('DELETE FROM graphile_worker._private_jobs');
  await pool.query(
    'UPDATE graphile_worker._private_job_queues SET locked_at = NULL, locked_by = NULL WHERE locked_at IS NOT NULL',
  );
  return {
    ran: runner ? done : jobs,
    selfMs: cpu.self / jobs,
    pgMs: cpu.pg / jobs,
    found: fetches.found / jobs,
    empty: fetches.empty / jobs,
    statements: sent / jobs,
  };
}

const only = process.env.JOB_OVERHEAD_MODE;
const allModes: [string, Partial<RunnerOptions>][] = [
  ['as Inlet runs', { forbiddenFlags: () => [] }],
  [
    'batched completion (completeJobBatchDelay 0)',
    { forbiddenFlags: () => [], preset: { worker: { completeJobBatchDelay: 0 } } },
  ],
  ['local queue of 17, no forbiddenFlags', { preset: { worker: { localQueue: { size: 17 } } } }],
];
/** JOB_OVERHEAD_MODE=<text>: only the modes whose name holds it (after the warm-up). */
const modes = allModes.filter(([name]) => !only || name.includes(only));
try {
  const base = await pass(null);
  console.log(
    `${jobs} jobs at ${rate}/s over 100 queues, 16 slots; enqueue alone: ${base.selfMs.toFixed(3)} ms Node + ${base.pgMs.toFixed(3)} ms PostgreSQL a job, taken off below`,
  );
  await pass(allModes[0]![1]); // warm-up: the first pass with a runner also paid for its JIT
  for (const [name, options] of modes) {
    const p = await pass(options);
    if (p.ran < jobs) console.log(`  ${name}: only ${p.ran} of ${jobs} jobs ran within 60 s`);
    else
      console.log(
        `  ${name}: ${(p.selfMs - base.selfMs).toFixed(3)} ms Node + ${(p.pgMs - base.pgMs).toFixed(3)} ms PostgreSQL a job; fetches ${p.found.toFixed(2)} found + ${p.empty.toFixed(2)} empty; ${(p.statements - base.statements).toFixed(2)} statements (load ${os.loadavg()[0]!.toFixed(1)})`,
      );
  }
} finally {
  pg.Client.prototype.query = realQuery;
  await b.close();
}
