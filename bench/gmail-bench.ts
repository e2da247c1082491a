// Gmail through the strict Google fake, with embedded PostgreSQL, Inlet's API listening for pushes and
// a real graphile-worker runner:
//   1. push-to-ticket latency (p50/p95/p99) while mail arrives at 50 messages/s spread over 100
//      connected mailboxes: fake delivery → Pub/Sub push (signed JWT) → webhook → keyed sync job →
//      history.list + messages.get → pipeline commit (message_deliveries.created_at);
//   2. backfill speed of one mailbox, as a share of Gmail's per-user quota ceiling (15,000 units per
//      minute; messages.get costs 5 units, so the ceiling is 50 messages/s for a raw backfill).
// `npm run bench -- gmail` (no clamd needed: the test mails have no attachments). GMAIL_RUNS (3)
// push runs; GMAIL_SECONDS (10) each at GMAIL_RATE (50) mails/s; GMAIL_BACKGROUND_LOAD=N spins N processes outside Inlet during
// them (the goal is p99 < 1 s at load 4: on 2 cores, 2 spinning processes plus the bench's own work);
// GMAIL_BACKFILL=0 skips the backfill part; GMAIL_TABLE_STATS=1 prints the tables and indexes
// scanned most; GMAIL_ANALYZE=0 runs without planner statistics (see runGmailBench);
// GMAIL_PG_STATEMENTS=1 prints PostgreSQL's execution time per statement (pg_stat_statements);
// GMAIL_IDLE_QUEUES=N adds N graphile-worker queue rows of mailboxes with no job (a deployment's
// mailboxes that get no mail now), and GMAIL_SWEEP=0 leaves them there instead of running the minute
// queue sweep (src/jobs/queue-gc.ts) before each run;
// GMAIL_CONCURRENCY (16) sets the worker's jobs at once; GMAIL_LOCAL_QUEUE=N and
// GMAIL_COMPLETE_BATCH_MS=N turn on graphile-worker's batched job fetches and completions
// (bench/lib/push-latency.ts; Inlet's worker runs without them, docs/scaling.md says why); GMAIL_PROFILE=<file> writes a CPU profile of the last run. The Google fake runs in a child process, so
// the CPU per message printed for Inlet (API, worker and the bench's own polling) excludes the fake's.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import type { Container } from '../src/container.js';
import { collectJobQueues } from '../src/jobs/queue-gc.js';
import { makeLogger } from '../src/lib/logger.js';
import { startEmbeddedPostgres } from '../src/store/embedded-postgres.js';
import { mail } from '../test/helpers/mail.js';
import { startBackgroundLoad } from './lib/background-load.js';
import { migratedBenchContainer } from './lib/bench-db.js';
import { startCpuProfile } from './lib/cpu-profile.js';
import { backfillBench, type GmailBackfill } from './lib/gmail-backfill.js';
import { connectAll } from './lib/gmail-connect.js';
import { startGoogleFakeProcess } from './lib/google-fake-process.js';
import {
  type PushLatency,
  pushLatency,
  registerBenchReturnOrigin,
  startJobRunner,
} from './lib/push-latency.js';
import { sleep, spread } from './lib/stats.js';

const logger = makeLogger({ level: 'silent' });
const publicUrl = 'https://inlet.bench';
const pushAccount = 'gmail-push@inlet-bench.iam.gserviceaccount.com';

export interface GmailBenchOptions {
  mailboxes?: number;
  pushesPerSecond?: number;
  seconds?: number;
  /** Push runs, one after the other on the same mailboxes. */
  runs?: number;
  /** Spinning processes outside Inlet during the push runs. */
  backgroundLoad?: number;
  /** 0: no backfill part. */
  backfillMessages?: number;
  /** ANALYZE before each push run (default true), as autovacuum keeps a database in service. */
  analyze?: boolean;
  /** Queue rows of mailboxes with no job, added before the runs. */
  idleQueues?: number;
  /** The minute queue sweep before each push run (default true), as the worker's cron runs it. */
  sweep?: boolean;
}

export interface GmailBenchResult {
  push: PushLatency[];
  mailboxes: number;
  pushesPerSecond: number;
  backgroundLoad: number;
  backfill: null | GmailBackfill;
}

/** Where PostgreSQL's time went in the run (GMAIL_PG_STATEMENTS=1): per stored message, by statement. */
async function printStatementTimes(c: Container, messages: number): Promise<void> {
  const { rows } = await c.db.pool.query<{ q: string; calls: string; ms: number }>(
    `SELECT left(regexp_replace(query, '\\s+', ' ', 'g'), 100) AS q, calls, total_exec_time AS ms
       FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 15`,
  );
  console.log(`PostgreSQL execution time per stored message (${messages}), by statement:`);
  for (const r of rows)
    console.log(
      `  ${(r.ms / messages).toFixed(3).padStart(7)} ms  ${(Number(r.calls) / messages).toFixed(2).padStart(5)} calls  ${r.q}`,
    );
}

export async function runGmailBench(o: GmailBenchOptions = {}): Promise<GmailBenchResult> {
  const mailboxes = o.mailboxes ?? 100;
  const rate = o.pushesPerSecond ?? 50;
  const seconds = o.seconds ?? 10;
  const backgroundLoad = o.backgroundLoad ?? 0;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'inlet-gmail-bench-'));
  const pgStatements = Boolean(process.env.GMAIL_PG_STATEMENTS);
  const pg = await startEmbeddedPostgres(dir, logger, 'inlet', {
    flags: pgStatements ? ['-c', 'shared_preload_libraries=pg_stat_statements'] : [],
  });
  const client = {
    clientId: 'bench.apps.googleusercontent.com',
    clientSecret: 'GOCSPX-bench',
    redirectUris: [`${publicUrl}/v1/oauth/google/callback`],
  };
  // The fake runs in its own process: its CPU (a JWT signed per push, history and messages served)
  // is reported apart from Inlet's.
  const fake = await startGoogleFakeProcess({ clients: [client] });
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: pg.url,
    DATABASE_POOL_MAX: '30',
    CLAMD_PORT: '1',
    WORKER_CONCURRENCY: process.env.GMAIL_CONCURRENCY ?? '16',
    RATE_LIMIT_PER_MINUTE: '1000000',
    INLET_PUBLIC_URL: publicUrl,
    GOOGLE_CLIENT_ID: client.clientId,
    GOOGLE_CLIENT_SECRET: client.clientSecret,
    GOOGLE_OAUTH_AUTH_URL: fake.oauthEndpoints.oauth2AuthBaseUrl,
    GOOGLE_OAUTH_TOKEN_URL: fake.oauthEndpoints.oauth2TokenUrl,
    GOOGLE_OAUTH_REVOKE_URL: fake.oauthEndpoints.oauth2RevokeUrl,
    GOOGLE_GMAIL_API_URL: fake.gmailRootUrl,
    GOOGLE_JWKS_URL: fake.jwksUrl,
    GOOGLE_PUBSUB_TOPIC: `projects/${fake.projectId}/topics/gmail-push`,
    GOOGLE_PUSH_SERVICE_ACCOUNT: pushAccount,
  });
  const c = await migratedBenchContainer(config, logger, pg.url);
  const app = await buildApp(c, { logger });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const endpoint = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/v1/webhooks/google/pubsub`;
  // The real 1/s/user cap is left on: at 50/s over 100 mailboxes each user sees one mail per 2 s.
  await fake.configurePush({
    endpoint,
    audience: `${publicUrl}/v1/webhooks/google/pubsub`,
    serviceAccountEmail: pushAccount,
  });
  const runner = await startJobRunner(c);
  let stopped = false;
  try {
    const { tenant } = await c.tenants.createTenant('bench', {
      actor: 'operator',
      requestId: null,
      clientIp: null,
    });
    await registerBenchReturnOrigin(c, tenant.id);
    const emails = Array.from({ length: mailboxes }, (_, i) => `support${i}@bench${i}.example`);
    const ids = await connectAll(c, fake, tenant.id, emails);
    await sleep(2000); // connect-time syncs and watch notifications settle
    await fake.settlePushes();
    // Warm-up, not measured: one mail per mailbox, so the tables hold mail when they are analyzed
    // (an empty table's statistics say "empty", and the lookup plans made from them stay bad).
    await pushLatency({
      c,
      tenantId: tenant.id,
      emails,
      ids,
      rate,
      seconds: Math.ceil(mailboxes / rate),
      deliver: async (email, i) =>
        (await fake.deliver(email, mail({ to: email, subject: `warm-up ${i}` }))).id,
      fakeCpuMs: fake.cpuMs,
    });
    await fake.settlePushes();
    if (o.idleQueues)
      await c.db.pool.query(
        `INSERT INTO graphile_worker._private_job_queues (queue_name)
         SELECT 'mailbox:idle-' || g FROM generate_series(1, $1::int) g`,
        [o.idleQueues],
      );
    const background = startBackgroundLoad(backgroundLoad);
    const push: PushLatency[] = [];
    try {
      for (let r = 0; r < (o.runs ?? 3); r++) {
        // A database in service has planner statistics: autovacuum analyzes a table each time a
        // tenth of it changed. This fresh one would get its first only after autovacuum's one-minute
        // nap, later on a busy machine, and until then the page lookup's plan read every message of
        // the sender and of the mailbox (PostgreSQL CPU per message grew 8 → 14 → 26 ms run over
        // run, the lookup alone 20 ms a call). GMAIL_ANALYZE=0 leaves it to autovacuum.
        if (o.sweep ?? true) await collectJobQueues(c.db);
        if (o.analyze ?? true) await c.db.pool.query('ANALYZE');
        if (pgStatements) {
          await c.db.pool.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
          await c.db.pool.query('SELECT pg_stat_statements_reset()');
        }
        // GMAIL_PROFILE=<file>: a CPU profile of Inlet's process during the last run.
        const profile =
          process.env.GMAIL_PROFILE && r === (o.runs ?? 3) - 1 ? await startCpuProfile() : null;
        push.push(
          await pushLatency({
            c,
            tenantId: tenant.id,
            emails,
            ids,
            rate,
            seconds,
            deliver: async (email, i) =>
              (await fake.deliver(email, mail({ to: email, subject: `push ${r}-${i}` }))).id,
            fakeCpuMs: fake.cpuMs,
          }),
        );
        if (profile) {
          // A missing directory failed the whole bench after its last run.
          await mkdir(path.dirname(process.env.GMAIL_PROFILE!), { recursive: true });
          await profile(process.env.GMAIL_PROFILE!);
        }
        await fake.settlePushes();
        if (pgStatements) await printStatementTimes(c, push.at(-1)!.ingested);
      }
    } finally {
      background.stop();
    }
    if (process.env.GMAIL_TABLE_STATS) {
      // Which tables the runs scanned row by row, and how many dead rows they left (a cost that
      // grows run over run shows here).
      const { rows } = await c.db.pool.query<Record<string, unknown>>(
        `SELECT schemaname || '.' || relname AS t, seq_scan, seq_tup_read, idx_scan, n_live_tup, n_dead_tup, autovacuum_count
           FROM pg_stat_all_tables WHERE schemaname IN ('public', 'graphile_worker')
          ORDER BY seq_tup_read DESC LIMIT 12`,
      );
      console.table(rows);
      const { rows: indexes } = await c.db.pool.query<Record<string, unknown>>(
        `SELECT relname AS t, indexrelname AS i, idx_scan, idx_tup_read, idx_tup_fetch
           FROM pg_stat_all_indexes WHERE schemaname IN ('public', 'graphile_worker')
          ORDER BY idx_tup_read DESC LIMIT 8`,
      );
      console.table(indexes);
    }
    // The backfill is timed alone: no worker may pick up its connect-time sync job.
    await runner.stop();
    stopped = true;
    const n = o.backfillMessages ?? 600;
    const backfill = n > 0 ? await backfillBench(c, fake, tenant.id, n) : null;
    return { mailboxes, pushesPerSecond: rate, backgroundLoad, push, backfill };
  } finally {
    if (!stopped) await runner.stop();
    await app.close();
    await c.close();
    await fake.close();
    await pg.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const env = (k: string) => (process.env[k] === undefined ? undefined : Number(process.env[k]));
  const r = await runGmailBench({
    runs: env('GMAIL_RUNS'),
    pushesPerSecond: env('GMAIL_RATE'),
    seconds: env('GMAIL_SECONDS'),
    backgroundLoad: env('GMAIL_BACKGROUND_LOAD'),
    backfillMessages: env('GMAIL_BACKFILL'),
    analyze: env('GMAIL_ANALYZE') !== 0,
    idleQueues: env('GMAIL_IDLE_QUEUES'),
    sweep: env('GMAIL_SWEEP') !== 0,
  });
  const p = r.push;
  const f2 = (xs: number[]) =>
    `${Math.min(...xs).toFixed(2)} / ${[...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!.toFixed(2)} / ${Math.max(...xs).toFixed(2)}`;
  const f1 = (xs: number[]) =>
    `${Math.min(...xs).toFixed(1)} / ${[...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!.toFixed(1)} / ${Math.max(...xs).toFixed(1)}`;
  console.log(
    `push-to-ticket, ${r.pushesPerSecond} mails/s over ${r.mailboxes} Gmail mailboxes, ${p.length} runs, ${r.backgroundLoad} spinning processes outside Inlet (min / median / max):`,
  );
  for (const [i, x] of p.entries())
    console.log(
      `  run ${i + 1}: ${x.ingested}/${x.delivered} ingested; p50 ${x.latencyMs.p50} ms, p99 ${x.latencyMs.p99} ms, max ${x.latencyMs.max} ms; runnable tasks mean ${x.runQueue.mean.toFixed(1)} (max ${x.runQueue.max}), load average ${x.runQueue.loadavg1.toFixed(2)}; jobs waiting ≤ ${x.jobs.maxWaiting}, running ≤ ${x.jobs.maxRunning}; job fetches a message ${x.jobFetches.found.toFixed(2)} found + ${x.jobFetches.empty.toFixed(2)} empty (${x.jobFetches.emptyAfterJob.toFixed(2)} right after a job)${x.jobFetches.batches > 0 ? `, local queue batch fetches ${x.jobFetches.batches.toFixed(2)} (${x.jobFetches.emptyBatches.toFixed(2)} empty)` : ''}; event loop delay p99 ${x.eventLoopDelayMs.p99.toFixed(0)} ms; sent in ${x.spanSeconds.sending.toFixed(1)} s, stored by ${x.spanSeconds.storing.toFixed(1)} s; CPU per message ${x.cpuPerMessageMs.self.toFixed(2)} ms Inlet (API, worker, bench) + ${x.cpuPerMessageMs.pg.toFixed(2)} ms PostgreSQL + ${x.cpuPerMessageMs.fake.toFixed(2)} ms Google fake; delivery → its sync's start p50 ${x.splitMs.wait.p50} / p99 ${x.splitMs.wait.p99} ms, that sync's start → commit p50 ${x.splitMs.sync.p50} / p99 ${x.splitMs.sync.p99} ms`,
    );
  console.log(
    `  p50 ${spread(p.map((x) => x.latencyMs.p50))} ms, p99 ${spread(p.map((x) => x.latencyMs.p99))} ms (goal < 1,000 at load 4); runnable tasks ${f1(p.map((x) => x.runQueue.mean))}; CPU per message Inlet ${f2(p.map((x) => x.cpuPerMessageMs.self))} + PostgreSQL ${f2(p.map((x) => x.cpuPerMessageMs.pg))} ms, Google fake ${f2(p.map((x) => x.cpuPerMessageMs.fake))} ms`,
  );
  const b = r.backfill;
  if (b) {
    console.log(
      `backfill: ${b.messages} messages in ${b.seconds.toFixed(1)} s = ${b.perSecond.toFixed(1)} msg/s, ${Math.round(b.unitsPerMinute)} quota units/min = ${(b.quotaShare * 100).toFixed(1)}% of the 15,000 units/min per-user ceiling (goal 80–100%), ${b.rateLimited} rate-limited answers (goal 0)`,
    );
    const f = b.fetchOnly;
    console.log(
      `backfill fetches alone (no pipeline): ${b.messages} messages.get in ${f.seconds.toFixed(1)} s = ${(f.quotaShare * 100).toFixed(1)}% of the per-user ceiling (goal 80–100%), ${f.rateLimited} rate-limited answers (goal 0)`,
    );
    if (b.quotaShare < 0.8)
      console.log(
        `  the backfill with its pipeline ran below the pace: bound by ingest CPU (load ${os.loadavg()[0]!.toFixed(1)}), not by the pacer`,
      );
    if (
      b.quotaShare > 1 ||
      f.quotaShare > 1 ||
      f.quotaShare < 0.8 ||
      b.rateLimited + f.rateLimited > 0
    ) {
      console.error('the backfill is not paced within 80–100% of the per-user quota without 429s');
      process.exit(1);
    }
  }
  if (p.some((x) => x.ingested < x.delivered)) {
    console.error('some pushed messages were not ingested within 60 s');
    process.exit(1);
  }
}
