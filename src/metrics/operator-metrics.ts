// Metrics an operator alerts on, beside the ingest ones in ingest/pipeline.ts. Labels are bounded
// sets (route templates, status classes, task names, outcome words); anything per mailbox is
// aggregated here and listed by id only in the API, never as a label.
//
// Adding an outcome counter (e.g. webhook deliveries, lane #17): call `outcomeCounter(registry,
// name, help)` once where the component is built and `.inc({ outcome })` with a word from a fixed
// list; `operatorCounters` shows the pattern for reply sends and webhook deliveries.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

import type { Db } from '../store/db.js';

const seconds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** One counter per registry and name, so components built twice on one registry share it. */
export function outcomeCounter(registry: Registry, name: string, help: string): Counter<'outcome'> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<'outcome'>;
  return new Counter({ name, help, labelNames: ['outcome'], registers: [registry] });
}

/** Reply sends (outcome: sent, retry, failed, cancelled) and webhook deliveries (delivered, retry, failed). */
export function operatorCounters(registry: Registry) {
  return {
    replySends: outcomeCounter(
      registry,
      'inlet_reply_sends_total',
      'Reply send attempts by outcome (sent, retry, failed, cancelled)',
    ),
    webhookDeliveries: outcomeCounter(
      registry,
      'inlet_webhook_deliveries_total',
      'Webhook delivery attempts by outcome (delivered, retry, failed)',
    ),
  };
}

/**
 * Stored messages the rebuild of derived views looked at (src/ingest/reparse.ts), by outcome: rebuilt,
 * unchanged, or skipped_* with the reason. Its rate is the rebuild's progress; skipped ones need a look.
 */
export function reparseMessagesCounter(
  registry: Registry,
  outcomes: readonly string[],
): Counter<'outcome'> {
  const counter = outcomeCounter(
    registry,
    'inlet_reparse_messages_total',
    'Stored messages whose derived views were rebuilt from the original, by outcome (rebuilt, unchanged, skipped_*)',
  );
  // Every outcome exported from 0, so an alert's increase() sees the first one (a series that
  // appears already at 1 shows no increase).
  for (const outcome of outcomes) counter.inc({ outcome }, 0);
  return counter;
}

/** HTTP request duration by route template (never the raw URL: ids would explode cardinality). */
export function httpDurationHistogram(
  registry: Registry,
): Histogram<'method' | 'route' | 'status'> {
  const existing = registry.getSingleMetric('inlet_http_request_duration_seconds');
  if (existing) return existing as Histogram<'method' | 'route' | 'status'>;
  return new Histogram({
    name: 'inlet_http_request_duration_seconds',
    help: 'HTTP request duration by method, route template and status code',
    labelNames: ['method', 'route', 'status'],
    buckets: seconds,
    registers: [registry],
  });
}

/** Time clamd takes to give a verdict, by result (clean, infected, error). */
export function clamdLatencyHistogram(registry: Registry): Histogram<'result'> {
  const existing = registry.getSingleMetric('inlet_clamd_scan_seconds');
  if (existing) return existing as Histogram<'result'>;
  return new Histogram({
    name: 'inlet_clamd_scan_seconds',
    help: 'clamd verdict latency by result (clean, infected, error)',
    labelNames: ['result'],
    buckets: seconds,
    registers: [registry],
  });
}

/**
 * Queue depth and age by task and per-mailbox sync lag, read from PostgreSQL at scrape time, so
 * every process (and `inlet import`, whose work lands in the same tables) is counted once, whichever
 * replica is scraped. Read in owner transactions: mailboxes sit behind row-level security and the
 * queue in graphile-worker's private tables. A database that does not answer leaves them empty.
 */
export function registerDatabaseGauges(registry: Registry, db: Db): void {
  const depth = new Gauge({
    name: 'inlet_jobs_queued',
    help: 'Jobs waiting to run (not locked, attempts left), by task',
    labelNames: ['task'],
    registers: [registry],
  });
  const age = new Gauge({
    name: 'inlet_jobs_oldest_age_seconds',
    help: 'Age of the oldest job due to run, by task',
    labelNames: ['task'],
    registers: [registry],
  });
  const failed = new Gauge({
    name: 'inlet_jobs_failed',
    help: 'Jobs that used up every attempt, by task',
    labelNames: ['task'],
    registers: [registry],
  });
  new Gauge({
    name: 'inlet_jobs_scrape_ok',
    help: '1 when the job queue and sync lag gauges could be read from the database at this scrape',
    registers: [registry],
    async collect() {
      depth.reset();
      age.reset();
      failed.reset();
      lagMax.reset();
      lagSum.reset();
      lagCount.reset();
      try {
        const jobs = await db.tx((ex) =>
          ex.query<{ task: string; queued: string; failed: string; oldest: number | null }>(
            `SELECT t.identifier AS task,
                  count(*) FILTER (WHERE j.locked_at IS NULL AND j.attempts < j.max_attempts) AS queued,
                  count(*) FILTER (WHERE j.attempts >= j.max_attempts) AS failed,
                  extract(epoch FROM now() - min(j.run_at) FILTER (WHERE j.locked_at IS NULL AND j.attempts < j.max_attempts AND j.run_at <= now()))::float8 AS oldest
             FROM graphile_worker._private_jobs j JOIN graphile_worker._private_tasks t ON t.id = j.task_id
            GROUP BY t.identifier`,
          ),
        );
        for (const r of jobs.rows) {
          depth.set({ task: r.task }, Number(r.queued));
          failed.set({ task: r.task }, Number(r.failed));
          age.set({ task: r.task }, r.oldest ?? 0);
        }
        const lag = await db.tx((ex) =>
          ex.query<{ n: string; max: number | null; sum: number | null }>(
            `SELECT count(*) AS n, max(extract(epoch FROM now() - coalesce(last_sync_at, created_at)))::float8 AS max,
                  sum(extract(epoch FROM now() - coalesce(last_sync_at, created_at)))::float8 AS sum
             FROM mailboxes WHERE status = 'active' AND provider <> 'local'`,
          ),
        );
        const row = lag.rows[0]!;
        lagCount.set(Number(row.n));
        lagMax.set(row.max ?? 0);
        lagSum.set(row.sum ?? 0);
        this.set(1);
      } catch {
        this.set(0);
      }
    },
  });
  const lagMax = new Gauge({
    name: 'inlet_mailbox_sync_lag_max_seconds',
    help: 'Longest time since an active mailbox last synced (per-mailbox figures: GET /v1/mailboxes)',
    registers: [registry],
  });
  const lagSum = new Gauge({
    name: 'inlet_mailbox_sync_lag_sum_seconds',
    help: 'Sum over active mailboxes of the time since each last synced (divide by the count for the mean)',
    registers: [registry],
  });
  const lagCount = new Gauge({
    name: 'inlet_mailboxes_syncing',
    help: 'Active mailboxes that sync from a provider (import-only mailboxes excluded)',
    registers: [registry],
  });
}
