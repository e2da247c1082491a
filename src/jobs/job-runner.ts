// Keeps graphile-worker's runner able to run jobs. graphile-worker (0.17, 0.18) looks up its task ids once
// per runner and caches that lookup's promise, a rejected one included: a database that takes
// longer than the pool's connect timeout at the wrong moment (a slow start, a paused primary) left
// every later job fetch failing — no sync, send or purge ever again — while the process looked
// alive. So this watches the runner's own events: a fetch that succeeds (a job or an empty queue)
// means it works; fetches that keep failing past `restartAfterMs` while the database answers again
// get the runner stopped and a new one started (a new runner has a fresh cache). Start-up itself is
// retried with backoff, so a database that is down when the worker starts delays it, never kills it.
//
// health() drives readiness (/readyz is false while jobs cannot run) and a stall longer than
// `stallAlertMs` is logged at ERROR, repeated while it lasts, and shown on two metrics.
import { EventEmitter } from 'node:events';

import { run, type Runner, type RunnerOptions, type WorkerEvents } from 'graphile-worker';
import { Counter, Gauge, type Registry } from 'prom-client';

import type { Logger } from '../lib/logger.js';

export type RunnerState = 'starting' | 'running' | 'stalled' | 'stopped';

export interface RunnerHealth {
  state: RunnerState;
  /** Milliseconds since jobs last could be fetched (0 while running). */
  stalledMs: number;
}

export interface SupervisedRunner {
  health(): RunnerHealth;
  /** Graceful stop of the current runner (jobs in flight finish); no restart after it. */
  stop(): Promise<void>;
}

export interface SupervisedRunnerOptions {
  /** graphile-worker options without `events` (one emitter is shared by every runner it starts). */
  options: Omit<RunnerOptions, 'events'>;
  events: WorkerEvents;
  logger: Logger;
  registry?: Registry;
  /** Failing job fetches this long (and the database answering) → a new runner. Default 10 s. */
  restartAfterMs?: number;
  /** No job fetch for this long → ERROR log line (repeated each period) and the stall metric. Default 60 s. */
  stallAlertMs?: number;
  /** How often health is checked. Default 1 s. */
  checkEveryMs?: number;
  /** Whether the database answers now; a runner is only replaced when it does. */
  databaseAnswers(): Promise<boolean>;
  /** For tests: how a runner is started (default graphile-worker's run). */
  start?: (options: RunnerOptions) => Promise<Runner>;
}

const backoff = (attempt: number) => Math.min(15_000, 500 * 2 ** Math.min(attempt, 5));

export function startSupervisedRunner(o: SupervisedRunnerOptions): SupervisedRunner {
  const log = o.logger.child({ component: 'job-runner' });
  const restartAfterMs = o.restartAfterMs ?? 10_000;
  const stallAlertMs = o.stallAlertMs ?? 60_000;
  const silentAfterMs = Math.max(6000, 2 * ((o.options.pollInterval ?? 2000) + 1000));
  const start = o.start ?? run;
  const registers = o.registry ? [o.registry] : [];
  const up = new Gauge({
    name: 'inlet_worker_job_runner_up',
    help: '1 while the job runner can fetch jobs, 0 while it is starting or stalled',
    registers,
  });
  const stalledSeconds = new Gauge({
    name: 'inlet_worker_job_runner_stalled_seconds',
    help: 'Seconds since the job runner last could fetch jobs (0 while it can); alert above 60',
    registers,
  });
  const restarts = new Counter({
    name: 'inlet_worker_job_runner_restarts_total',
    help: 'Job runners replaced after their job fetches kept failing or the runner ended',
    registers,
  });
  // Jobs begun, by task (a fixed set of names): what explains the credential decrypts of syncs,
  // sends and upkeep in the InletCredentialOpensUnexplained alert (security.md control 5).
  const started = new Counter({
    name: 'inlet_jobs_started_total',
    help: 'Jobs this worker began running, by task (retries included)',
    labelNames: ['task'],
    registers,
  });

  let runner: Runner | null = null;
  let stopped = false;
  /** When fetching last worked, or when this supervisor began trying (nothing has worked yet). */
  let lastOkAt = Date.now();
  let everOk = false;
  let failingSince: number | null = null;
  let lastAlertAt = 0;
  let cycling: Promise<void> | null = null;

  const ok = () => {
    lastOkAt = Date.now();
    everOk = true;
    failingSince = null;
  };
  // Jobs in flight: a worker busy with a long job fetches nothing, and that is not a stall.
  let active = 0;
  const concurrency = o.options.concurrency ?? 1;
  o.events.on('worker:getJob:empty', ok);
  o.events.on('job:start', ({ job }) => {
    started.inc({ task: job.task_identifier });
    active++;
    ok();
  });
  o.events.on('job:complete', () => {
    active = Math.max(0, active - 1);
  });
  o.events.on('worker:getJob:error', () => {
    failingSince ??= Date.now();
  });

  async function startOne(): Promise<void> {
    for (let attempt = 0; !stopped; attempt++) {
      try {
        const r = await start({ ...o.options, events: o.events });
        if (stopped) {
          await r.stop();
          return;
        }
        runner = r;
        failingSince = null;
        // A runner that ends by itself (its promise settles without stop()) is replaced too.
        r.promise.then(
          () => {
            if (runner === r && !stopped) void cycle('runner ended');
          },
          (err: unknown) => {
            if (runner === r && !stopped) void cycle('runner failed', err);
          },
        );
        log.info({ attempt }, 'job runner started');
        return;
      } catch (err) {
        const wait = backoff(attempt);
        log.warn({ err, attempt, retryInMs: wait }, 'job runner could not start; retrying');
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }

  function cycle(reason: string, err?: unknown): Promise<void> {
    cycling ??= (async () => {
      restarts.inc();
      log.warn({ reason, ...(err ? { err } : {}) }, 'replacing the job runner');
      const old = runner;
      runner = null;
      // The old runner's fetches are failing, so it holds no job; bound its stop anyway.
      if (old)
        await Promise.race([
          old.stop().catch(() => undefined),
          new Promise((r) => setTimeout(r, 5000)),
        ]);
      await startOne();
    })().finally(() => {
      cycling = null;
    });
    return cycling;
  }

  function health(): RunnerHealth {
    if (stopped) return { state: 'stopped', stalledMs: 0 };
    const now = Date.now();
    // A fetch that hangs (a frozen database answers nothing, not even an error) counts once no
    // fetch has come back for longer than idle workers poll (every 2 s) plus a margin.
    const silentMs =
      runner && everOk && failingSince === null && active < concurrency ? now - lastOkAt : 0;
    if (runner && everOk && failingSince === null && silentMs < silentAfterMs)
      return { state: 'running', stalledMs: 0 };
    if (runner && everOk && failingSince === null) return { state: 'stalled', stalledMs: silentMs };
    if (!everOk && !failingSince && now - lastOkAt < restartAfterMs)
      return { state: 'starting', stalledMs: now - lastOkAt };
    return {
      state: 'stalled',
      stalledMs: now - (everOk ? Math.min(lastOkAt, failingSince ?? lastOkAt) : lastOkAt),
    };
  }

  let checking = false;
  const timer = setInterval(() => {
    if (checking || stopped) return;
    checking = true;
    void (async () => {
      const h = health();
      up.set(h.state === 'running' ? 1 : 0);
      stalledSeconds.set(Math.round(h.stalledMs / 1000));
      if (
        h.state !== 'running' &&
        h.stalledMs >= stallAlertMs &&
        Date.now() - lastAlertAt >= stallAlertMs
      ) {
        lastAlertAt = Date.now();
        log.error(
          { stalledSeconds: Math.round(h.stalledMs / 1000), state: h.state },
          'worker cannot run jobs: no job fetched for over the stall limit',
        );
      }
      if (
        runner &&
        !cycling &&
        failingSince !== null &&
        Date.now() - failingSince >= restartAfterMs &&
        (await o.databaseAnswers())
      ) {
        await cycle('job fetches keep failing while the database answers');
      }
    })().finally(() => {
      checking = false;
    });
  }, o.checkEveryMs ?? 1000);
  timer.unref();

  const first = startOne();

  return {
    health,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await first;
      await cycling;
      up.set(0);
      if (runner) await runner.stop();
      runner = null;
    },
  };
}

/** One emitter for every runner a supervisor starts (listeners outlive a replaced runner). */
export const makeWorkerEvents = (): WorkerEvents => new EventEmitter() as WorkerEvents;
