// The push-to-ticket harness of the provider benches (Gmail, Microsoft 365): a real graphile-worker
// runner on the container's pool, the tenant's consent return origin, and the latency loop — mail
// delivered to the provider fake at a steady rate spread over the connected mailboxes, each
// message's latency taken from its delivery to the commit of its message_deliveries row.
import { EventEmitter } from 'node:events';
import { monitorEventLoopDelay } from 'node:perf_hooks';

import { Logger as WorkerLogger, run, type Runner, type WorkerEvents } from 'graphile-worker';
import pg from 'pg';

import type { Container } from '../../src/container.js';
import { toTaskList } from '../../src/jobs/registry.js';
import { makeHandlers, workerPollIntervalMs } from '../../src/main/worker.js';
import { systemActor } from '../../src/tenancy/actor.js';
import { sampleRunQueue } from './background-load.js';
import { startCpuMeter } from './cpu.js';
import { percentiles, sleep } from './stats.js';

export const benchReturnUrl = 'https://helpdesk.bench/back';

/** Consent may only return to a registered origin; the bench registers its one, as a helpdesk does. */
export async function registerBenchReturnOrigin(c: Container, tenantId: string): Promise<void> {
  await c.returnOrigins.replace(systemActor(tenantId, 'bench'), [new URL(benchReturnUrl).origin]);
}

/** When each mailbox's sync jobs ran (ms epoch), so a message's latency splits into its wait for a
 *  sync and the sync that stored it. */
const syncRuns = new Map<string, { start: number; end: number }[]>();

/** graphile-worker's job fetches since the last reset: those that found a job, those that came back
 *  empty, and of those the ones a worker made right after finishing a job; with a local queue
 *  (GMAIL_LOCAL_QUEUE), its batch fetches instead, and how many of them came back empty. */
const fetches = { found: 0, empty: 0, emptyAfterJob: 0, batches: 0, emptyBatches: 0 };
const justFinished = new Set<string>();
const workerEvents = new EventEmitter() as WorkerEvents;
workerEvents.on('job:complete', ({ worker }) => justFinished.add(worker.workerId));
workerEvents.on('job:start', ({ worker }) => {
  fetches.found++;
  justFinished.delete(worker.workerId);
});
workerEvents.on('worker:getJob:empty', ({ worker }) => {
  fetches.empty++;
  if (justFinished.delete(worker.workerId)) fetches.emptyAfterJob++;
});
workerEvents.on('localQueue:getJobs:complete', ({ jobs }) => {
  fetches.batches++;
  if (jobs.length === 0) fetches.emptyBatches++;
});

/**
 * graphile-worker's opt-in batching, for measuring it (src/main/worker.ts leaves both off; see
 * docs/scaling.md): GMAIL_LOCAL_QUEUE=N fetches up to N jobs at once into a local queue,
 * GMAIL_COMPLETE_BATCH_MS=N completes the jobs finished within N ms in one statement.
 */
function batchingPreset(env = process.env) {
  const size = Number(env.GMAIL_LOCAL_QUEUE ?? -1);
  const delay = Number(env.GMAIL_COMPLETE_BATCH_MS ?? -1);
  return {
    worker: {
      ...(size > 0 ? { localQueue: { size } } : {}),
      ...(delay >= 0 ? { completeJobBatchDelay: delay, failJobBatchDelay: delay } : {}),
    },
  };
}

export function startJobRunner(c: Container): Promise<Runner> {
  const handlers = makeHandlers(c);
  const sync = handlers['mailbox.sync'];
  handlers['mailbox.sync'] = async (payload, helpers) => {
    const start = Date.now();
    try {
      await sync(payload, helpers);
    } finally {
      const runs = syncRuns.get(payload.mailboxId) ?? [];
      runs.push({ start, end: Date.now() });
      syncRuns.set(payload.mailboxId, runs);
    }
  };
  return run({
    pgPool: c.db.pool,
    concurrency: c.config.workerConcurrency,
    noHandleSignals: true,
    // As src/main/worker.ts polls: each idle worker's poll is an empty fetch, a cost per second
    // that the bench would otherwise overstate per message.
    pollInterval: workerPollIntervalMs,
    preset: batchingPreset(),
    events: workerEvents,
    logger: new WorkerLogger(() => () => undefined),
    taskList: toTaskList(handlers),
  });
}

/**
 * For each stored message: how long after its delivery the sync that stored it started (waiting
 * for the push, the enqueue and a free worker, or for the mailbox's previous sync), and how long
 * that sync then took until the commit. The sync is the last one of its mailbox that started
 * before the commit.
 */
function splitLatency(stored: { mailboxId: string; sentAt: number; at: number }[]): {
  waitMs: number[];
  syncMs: number[];
} {
  const waitMs: number[] = [];
  const syncMs: number[] = [];
  for (const m of stored) {
    const run = (syncRuns.get(m.mailboxId) ?? []).filter((r) => r.start <= m.at).at(-1);
    if (!run) continue;
    waitMs.push(Math.max(0, run.start - m.sentAt));
    syncMs.push(m.at - Math.max(run.start, m.sentAt));
  }
  return { waitMs, syncMs };
}

export interface PushLatency {
  delivered: number;
  ingested: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  /** CPU per stored message, ms: this process (Inlet, the job runner, and the provider fake unless
   *  it runs in its own process), PostgreSQL, and the fake's own process (NaN when in this one). */
  cpuPerMessageMs: { self: number; pg: number; fake: number };
  /** Where a late message waited: jobs waiting for a worker slot and jobs running (max over samples). */
  jobs: { maxWaiting: number; maxRunning: number };
  /** graphile-worker's job fetches per stored message: those that found a job, those that found none. */
  jobFetches: {
    found: number;
    empty: number;
    emptyAfterJob: number;
    batches: number;
    emptyBatches: number;
  };
  /** How late this process's event loop ran its timers (CPU starvation shows here first). */
  eventLoopDelayMs: { p99: number; max: number };
  /** Runnable tasks on the machine during the run (mean, max) and the 1-minute load average at its end. */
  runQueue: { mean: number; max: number; loadavg1: number };
  /** Seconds from the first delivery to the last one sent, and to the last one stored. */
  spanSeconds: { sending: number; storing: number };
  /** The latency split: delivery → start of the sync that stored it, and that start → commit. */
  splitMs: { wait: { p50: number; p99: number }; sync: { p50: number; p99: number } };
}

/**
 * Delivers `rate` mails a second for `seconds`, round-robin over `emails`, through `deliver` (which
 * returns the provider's message id, at once or from a fake in another process), and waits up to
 * 60 s for them to be stored. `fakeCpuMs` reads the CPU of a fake that runs in its own process.
 */
export async function pushLatency(o: {
  c: Container;
  tenantId: string;
  emails: string[];
  ids: Map<string, string>;
  rate: number;
  seconds: number;
  deliver: (email: string, i: number) => string | Promise<string>;
  fakeCpuMs?: () => number | null;
}): Promise<PushLatency> {
  const sentAt = new Map<string, number>();
  const statements = process.env.PUSH_STATEMENTS ? countStatements() : null;
  // Read before Inlet's meter starts: reading a process tree walks /proc, which is the bench's cost.
  const fake0 = o.fakeCpuMs?.() ?? NaN;
  const meter = await startCpuMeter(o.c.db.pool);
  const runQueue = sampleRunQueue();
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const jobs = { maxWaiting: 0, maxRunning: 0 };
  fetches.found = 0;
  fetches.empty = 0;
  fetches.emptyAfterJob = 0;
  fetches.batches = 0;
  fetches.emptyBatches = 0;
  let sampling = true;
  const jobSampler = (async () => {
    while (sampling) {
      const { rows } = await o.c.db.pool.query<{ waiting: number; running: number }>(
        `SELECT count(*) FILTER (WHERE locked_at IS NULL AND run_at <= now())::int AS waiting,
                count(*) FILTER (WHERE locked_at IS NOT NULL)::int AS running
           FROM graphile_worker._private_jobs WHERE attempts < max_attempts`,
      );
      jobs.maxWaiting = Math.max(jobs.maxWaiting, rows[0]!.waiting);
      jobs.maxRunning = Math.max(jobs.maxRunning, rows[0]!.running);
      await sleep(250);
    }
  })();
  const total = o.rate * o.seconds;
  const start = performance.now();
  const startWall = Date.now();
  // A delivery to a fake in another process is not awaited before the next one is due: the pace
  // stays the rate's, and each message's clock starts when it was handed over.
  const delivering: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const wait = start + (i * 1000) / o.rate - performance.now();
    if (wait > 0) await sleep(wait);
    const email = o.emails[i % o.emails.length]!;
    const at = Date.now();
    delivering.push(
      Promise.resolve(o.deliver(email, i)).then((id) => {
        sentAt.set(`${o.ids.get(email)}/${id}`, at);
      }),
    );
  }
  await Promise.all(delivering);
  const sending = (performance.now() - start) / 1000;
  const latencies: number[] = [];
  const storedAt: { mailboxId: string; sentAt: number; at: number }[] = [];
  let lastStored = startWall;
  const deadline = Date.now() + 60_000;
  while (latencies.length < total && Date.now() < deadline) {
    await sleep(500);
    const { rows } = await o.c.db.tx((ex) =>
      ex.query<{ mailbox_id: string; provider_message_id: string; at: Date }>(
        `SELECT mailbox_id, provider_message_id, created_at AS at FROM message_deliveries
          WHERE tenant_id = $1 AND created_at >= $2`,
        [o.tenantId, new Date(startWall - 1000)],
      ),
    );
    latencies.length = 0;
    storedAt.length = 0;
    for (const r of rows) {
      const t0 = sentAt.get(`${r.mailbox_id}/${r.provider_message_id}`);
      if (t0 !== undefined) {
        latencies.push(r.at.getTime() - t0);
        storedAt.push({ mailboxId: r.mailbox_id, sentAt: t0, at: r.at.getTime() });
        lastStored = Math.max(lastStored, r.at.getTime());
      }
    }
  }
  if (process.env.PUSH_BY_SECOND) {
    const { rows } = await o.c.db.tx((ex) =>
      ex.query<{ mailbox_id: string; provider_message_id: string; at: Date }>(
        `SELECT mailbox_id, provider_message_id, created_at AS at FROM message_deliveries WHERE tenant_id = $1`,
        [o.tenantId],
      ),
    );
    const bySec = new Map<number, number[]>();
    for (const r of rows) {
      const t0 = sentAt.get(`${r.mailbox_id}/${r.provider_message_id}`);
      if (t0 === undefined) continue;
      const sec = Math.floor((t0 - startWall) / 1000);
      bySec.set(sec, [...(bySec.get(sec) ?? []), r.at.getTime() - t0]);
    }
    for (const [sec, l] of [...bySec].sort((a, b) => a[0] - b[0]))
      console.log(
        `sent in second ${sec}: n ${l.length}, p50 ${percentiles(l).p50}, max ${percentiles(l).max}`,
      );
  }
  const cpu = meter.read();
  const fakeCpu = (o.fakeCpuMs?.() ?? NaN) - fake0;
  if (statements) {
    const counted = statements.stop();
    const all = [...counted.values()].reduce((a, b) => a + b, 0);
    console.log(`statements per stored message: ${(all / latencies.length).toFixed(1)}`);
    for (const [text, n] of [...counted].sort((a, b) => b[1] - a[1]).slice(0, 25))
      console.log(`  ${(n / latencies.length).toFixed(2).padStart(6)}  ${text}`);
  }
  sampling = false;
  await jobSampler;
  loopDelay.disable();
  const split = splitLatency(storedAt);
  const p = (xs: number[]) => {
    const q = percentiles(xs);
    return { p50: q.p50, p99: q.p99 };
  };
  return {
    splitMs: { wait: p(split.waitMs), sync: p(split.syncMs) },
    delivered: total,
    ingested: latencies.length,
    latencyMs: percentiles(latencies),
    cpuPerMessageMs: {
      self: cpu.self / latencies.length,
      pg: cpu.pg / latencies.length,
      fake: fakeCpu / latencies.length,
    },
    jobs,
    jobFetches: {
      found: fetches.found / latencies.length,
      empty: fetches.empty / latencies.length,
      emptyAfterJob: fetches.emptyAfterJob / latencies.length,
      batches: fetches.batches / latencies.length,
      emptyBatches: fetches.emptyBatches / latencies.length,
    },
    eventLoopDelayMs: {
      p99: loopDelay.percentile(99) / 1e6,
      max: loopDelay.max / 1e6,
    },
    runQueue: runQueue.stop(),
    spanSeconds: { sending, storing: (lastStored - startWall) / 1000 },
  };
}

/** Every statement this process sends meanwhile, by its first words (PUSH_STATEMENTS=1). */
function countStatements(): { stop(): Map<string, number> } {
  const real = pg.Client.prototype.query;
  const counts = new Map<string, number>();
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const q = args[0] as string | { text: string };
    const text = (typeof q === 'string' ? q : q.text).replace(/\s+/g, ' ').slice(0, 90);
    counts.set(text, (counts.get(text) ?? 0) + 1);
    return (real as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof real;
  return {
    stop: () => {
      pg.Client.prototype.query = real;
      return counts;
    },
  };
}
