// Ack fast, process async (docs/security.md control 15): how long the API takes to acknowledge Gmail's
// Pub/Sub pushes and Graph's change notifications while the worker's database path is slow. The API
// (this process, its own pool) goes straight to PostgreSQL; an `inlet worker` process goes through a
// latency proxy (test/helpers/latency-proxy.ts) that holds every answer of the database 0 ms or
// 5,000 ms, rounds interleaved. Each round sends --rate pushes and --rate notifications a second for
// --seconds over --mailboxes mailboxes of each provider, times every acknowledgement at the sender
// (our own POST for Pub/Sub; the Microsoft fake's own timing for Graph), then lets the worker catch up
// with no latency and counts the stored messages. Goal: p99 < 500 ms with 5 s on the worker's path.
// `npm run bench -- ack-latency [--runs 3] [--rate 20] [--seconds 5] [--mailboxes 10]`
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { makeContainer } from '../src/container.js';
import { freePort } from '../src/lib/free-port.js';
import { makeLogger } from '../src/lib/logger.js';
import { startEmbeddedPostgres } from '../src/store/embedded-postgres.js';
import { migrate } from '../src/store/migrate.js';
import { startGoogleFake } from '../test/fakes/google/index.js';
import { startMicrosoftFake } from '../test/fakes/microsoft/index.js';
import { testTls, trustTestCa } from '../test/fakes/microsoft/tls.js';
import { killAll, localProcessEnv, runCli, waitForHttp } from '../test/helpers/cli.js';
import { startLatencyProxy } from '../test/helpers/latency-proxy.js';
import { mail } from '../test/helpers/mail.js';
import { testKeyring } from '../test/helpers/tenants.js';
import { connectAll as connectGmail } from './lib/gmail-connect.js';
import { connectAll as connectGraph } from './lib/graph-connect.js';
import { registerBenchReturnOrigin } from './lib/push-latency.js';
import { pct, sleep, spread } from './lib/stats.js';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    rate: { type: 'string', default: '20' },
    seconds: { type: 'string', default: '5' },
    mailboxes: { type: 'string', default: '10' },
  },
  strict: false,
});
const runs = Number(args.runs);
const rate = Number(args.rate);
const seconds = Number(args.seconds);
const mailboxes = Number(args.mailboxes);
const slowMs = 5000;
const goalMs = 500;

const logger = makeLogger({ level: 'silent' });
const publicUrl = 'https://inlet.bench';
const pushAccount = 'gmail-push@inlet-bench.iam.gserviceaccount.com';
const keyring = testKeyring();
const googleClient = {
  clientId: '123456789012-inlet.apps.googleusercontent.com',
  clientSecret: 'GOCSPX-bench',
  redirectUris: [`${publicUrl}/v1/oauth/google/callback`],
};

const dir = await mkdtemp(path.join(os.tmpdir(), 'inlet-ack-bench-'));
const pg = await startEmbeddedPostgres(dir, logger);
const google = await startGoogleFake({ clients: [googleClient] });
const microsoft = await startMicrosoftFake({
  apps: [
    {
      clientId: '6b1f0c52-8f7e-4b8f-9d3a-2c6e5a4b3c21',
      clientSecret: 'bench~secret',
      redirectUris: [`${publicUrl}/v1/oauth/microsoft/callback`],
    },
  ],
});
trustTestCa();
const providerEnv = {
  INLET_PUBLIC_URL: publicUrl,
  GOOGLE_CLIENT_ID: googleClient.clientId,
  GOOGLE_CLIENT_SECRET: googleClient.clientSecret,
  GOOGLE_OAUTH_AUTH_URL: google.oauthEndpoints.oauth2AuthBaseUrl,
  GOOGLE_OAUTH_TOKEN_URL: google.oauthEndpoints.oauth2TokenUrl,
  GOOGLE_OAUTH_REVOKE_URL: google.oauthEndpoints.oauth2RevokeUrl,
  GOOGLE_GMAIL_API_URL: google.gmailRootUrl,
  GOOGLE_JWKS_URL: google.jwksUrl,
  GOOGLE_PUBSUB_TOPIC: `projects/${google.projectId}/topics/gmail-push`,
  GOOGLE_PUSH_SERVICE_ACCOUNT: pushAccount,
  MICROSOFT_CLIENT_ID: '6b1f0c52-8f7e-4b8f-9d3a-2c6e5a4b3c21',
  MICROSOFT_CLIENT_SECRET: 'bench~secret',
  MICROSOFT_AUTHORITY: `${microsoft.origin}/organizations`,
  MICROSOFT_GRAPH_URL: microsoft.origin,
};
const config = loadConfig({
  NODE_ENV: 'test',
  DATABASE_URL: pg.url,
  INLET_MASTER_KEYS: keyring,
  CLAMD_PORT: '1',
  RATE_LIMIT_PER_MINUTE: '1000000',
  ...providerEnv,
});
const c = await makeContainer(config, logger, pg.url);
await migrate(c.db.pool);
const app = await buildApp(c, { logger });
await app.listen({ port: 0, host: '127.0.0.1' });
const apiOrigin = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
google.configurePush({
  endpoint: `${apiOrigin}/v1/webhooks/google/pubsub`,
  audience: `${publicUrl}/v1/webhooks/google/pubsub`,
  serviceAccountEmail: pushAccount,
  maxPerSecond: 0,
});
microsoft.configureDelivery({ publicOrigin: publicUrl, target: apiOrigin });
const db = new URL(pg.url);
const proxy = await startLatencyProxy({ host: db.hostname, port: Number(db.port) });
const metricsPort = await freePort();
const worker = runCli(
  ['worker'],
  localProcessEnv(keyring, {
    ...providerEnv,
    NODE_EXTRA_CA_CERTS: testTls().caPath,
    DATABASE_URL: proxy.urlFor(pg.url),
    METRICS_PORT: String(metricsPort),
    LOG_LEVEL: 'error',
  }),
);

const stored = async () =>
  Number(
    (await c.db.tx((ex) => ex.query<{ n: string }>('SELECT count(*) AS n FROM messages'))).rows[0]!
      .n,
  );
const syncJobs = async () =>
  Number(
    (
      await c.db.tx((ex) =>
        ex.query<{ n: string }>(
          `SELECT count(*) AS n FROM graphile_worker.jobs WHERE task_identifier = 'mailbox.sync'`,
        ),
      )
    ).rows[0]!.n,
  );
async function drained(timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await syncJobs()) === 0) return true;
    await sleep(500);
  }
  return false;
}

/** Our own Pub/Sub push for the mailbox's current history id, timed from send to answer. */
async function timedPush(email: string): Promise<{ ms: number; status: number }> {
  const data = JSON.stringify({ emailAddress: email, historyId: google.historyId(email) });
  const id = String(Date.now()) + String(Math.random()).slice(2, 8);
  const body = JSON.stringify({
    message: {
      data: Buffer.from(data).toString('base64'),
      messageId: id,
      publishTime: new Date().toISOString(),
    },
    subscription: `projects/${google.projectId}/subscriptions/gmail-push-sub`,
  });
  const token = await google.signPushToken();
  const t0 = performance.now();
  const r = await google.pushRaw(body, token);
  return { ms: performance.now() - t0, status: r.status };
}

interface Round {
  latencyMs: number;
  push: number[];
  graph: number[];
  failed: number;
  load: number;
}

async function round(
  latencyMs: number,
  gmail: string[],
  graph: string[],
  n: number,
): Promise<Round> {
  proxy.setLatency(latencyMs);
  await sleep(1000);
  const graphBefore = microsoft.deliveries().length;
  const pushes: Promise<{ ms: number; status: number }>[] = [];
  const load = os.loadavg()[0]!;
  const t0 = performance.now();
  for (let i = 0; i < rate * seconds; i++) {
    // Paced: the i-th pair leaves at i / rate seconds, whatever the answers take.
    const wait = t0 + (i * 1000) / rate - performance.now();
    if (wait > 0) await sleep(wait);
    const g = gmail[i % gmail.length]!;
    const m = graph[i % graph.length]!;
    google.deliver(g, mail({ to: g, subject: `push ${n}.${i}` }));
    pushes.push(timedPush(g));
    microsoft.deliver(m, mail({ to: m, subject: `notification ${n}.${i}` }));
  }
  const push = await Promise.all(pushes);
  await microsoft.settle();
  const notes = microsoft
    .deliveries()
    .slice(graphBefore)
    .filter((d) => d.kind === 'notification');
  return {
    latencyMs,
    push: push.map((p) => p.ms),
    graph: notes.map((d) => d.ms),
    failed:
      push.filter((p) => p.status !== 204).length + notes.filter((d) => d.status !== 202).length,
    load,
  };
}

const fmt = (xs: number[]) =>
  `p50 ${pct(xs, 50).toFixed(0)} ms, p99 ${pct(xs, 99).toFixed(0)} ms, max ${pct(xs, 100).toFixed(0)} ms`;

let missed = false;
try {
  await waitForHttp(`http://127.0.0.1:${metricsPort}/readyz`, 120_000);
  const { tenant } = await c.tenants.createTenant('bench', {
    actor: 'operator',
    requestId: null,
    clientIp: null,
  });
  await registerBenchReturnOrigin(c, tenant.id);
  const gmail = Array.from({ length: mailboxes }, (_, i) => `desk${i}@gmail-ack.example`);
  const graph = Array.from({ length: mailboxes }, (_, i) => `desk${i}@graph-ack.example`);
  for (const e of graph) microsoft.addUser(e);
  await connectGmail(c, google, tenant.id, gmail);
  await connectGraph(c, tenant.id, graph);
  // The fake's own pushes would double ours; ours are the timed ones.
  google.holdPushes();
  await microsoft.settle();
  await drained(120_000);

  const rounds: Round[] = [];
  let expected = await stored();
  for (let r = 0; r < runs; r++) {
    for (const latency of [0, slowMs]) {
      const x = await round(latency, gmail, graph, rounds.length);
      rounds.push(x);
      expected += 2 * rate * seconds;
      proxy.setLatency(0);
      const caughtUp = await drained(300_000);
      const have = await stored();
      console.log(
        `run ${r + 1}, worker's database path +${latency} ms: Pub/Sub ${fmt(x.push)}; Graph ${fmt(x.graph)}; ${x.failed} not acknowledged; stored ${have}/${expected}${caughtUp ? '' : ' (sync jobs still queued after 300 s)'}; load ${x.load.toFixed(2)}`,
      );
    }
  }
  for (const latency of [0, slowMs]) {
    const rs = rounds.filter((x) => x.latencyMs === latency);
    const p99s = rs.map((x) => pct([...x.push, ...x.graph], 99));
    console.log(
      `worker's database path +${latency} ms: acknowledgement p99 over ${runs} runs (min / median / max) ${spread(p99s)} ms, ${2 * rate} webhooks/s over ${mailboxes} + ${mailboxes} mailboxes (goal p99 < ${goalMs} ms)`,
    );
    if (latency === slowMs && Math.max(...p99s) >= goalMs) missed = true;
  }
  const lost = expected - (await stored());
  if (lost > 0) {
    console.error(`${lost} messages acknowledged but not stored`);
    missed = true;
  }
} finally {
  await killAll([worker]);
  await proxy.close();
  await app.close();
  await c.close();
  await google.close();
  await microsoft.close();
  await pg.stop();
  await rm(dir, { recursive: true, force: true });
}
if (missed) process.exit(1);
