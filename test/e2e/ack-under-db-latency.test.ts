// Ack fast, process async (docs/security.md control 15): the API acknowledges Gmail's Pub/Sub pushes
// and Graph's change notifications from its own database path, whatever the worker's is doing. Two
// `inlet worker` processes (one per harness database) reach PostgreSQL only through a latency proxy
// (test/helpers/latency-proxy.ts); the API (the harness's app, its own pool) goes straight to it.
// While every round trip of the workers waits 5 s, mail arrives at both providers. Checked:
//   acknowledged  every push answered 204 and every notification 202 while none of that mail is
//                 stored yet and its sync jobs still wait (the API did not wait for the worker)
//   nothing lost  once the latency goes, every message is a ticket exactly once
//   decrypts      the workers decrypted credentials for sync no more often than they began sync
//                 jobs, the API for Graph's checks no more often than notifications came (what
//                 the InletCredentialOpensUnexplained alert compares)
// Timing is not asserted here: p99 of the acknowledgements is `npm run bench -- ack-latency`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { freePort } from '../../src/lib/free-port.js';
import { testTls, trustTestCa } from '../fakes/microsoft/tls.js';
import type { TestApp } from '../helpers/app.js';
import { type CliProcess, killAll, localProcessEnv, runCli, waitForHttp } from '../helpers/cli.js';
import { pollUntil } from '../helpers/fault.js';
import { type GmailHarness, makeGmailHarness, pushAccount } from '../helpers/gmail.js';
import { type LatencyProxy, startLatencyProxy } from '../helpers/latency-proxy.js';
import { mail } from '../helpers/mail.js';
import { makeMicrosoftHarness, type MicrosoftHarness } from '../helpers/microsoft.js';
import { bearer, testKeyring } from '../helpers/tenants.js';

const keyring = testKeyring();
const PER_PROVIDER = 5;
const LATENCY_MS = 5000;

let g: GmailHarness;
let m: MicrosoftHarness;
let proxy: LatencyProxy;
const procs: CliProcess[] = [];

afterAll(async () => {
  await killAll(procs);
  await proxy?.close();
  await g?.close();
  await m?.close();
});

/** The provider variables the harness gave its app, for a worker process of the same install. */
function providerEnv(t: TestApp): Record<string, string> {
  const { google, microsoft, publicUrl } = t.config;
  const env: Record<string, string> = { INLET_PUBLIC_URL: publicUrl };
  if (google.client) {
    Object.assign(env, {
      GOOGLE_CLIENT_ID: google.client.id,
      GOOGLE_CLIENT_SECRET: google.client.secret,
      GOOGLE_OAUTH_AUTH_URL: google.authUrl,
      GOOGLE_OAUTH_TOKEN_URL: google.tokenUrl,
      GOOGLE_OAUTH_REVOKE_URL: google.revokeUrl,
      GOOGLE_GMAIL_API_URL: google.gmailApiUrl,
      GOOGLE_JWKS_URL: google.jwksUrl,
      GOOGLE_PUBSUB_TOPIC: google.topicName!,
      GOOGLE_PUSH_SERVICE_ACCOUNT: pushAccount,
    });
  }
  if (microsoft.client) {
    Object.assign(env, {
      MICROSOFT_CLIENT_ID: microsoft.client.id,
      MICROSOFT_CLIENT_SECRET: microsoft.client.secret,
      MICROSOFT_AUTHORITY: microsoft.authority,
      MICROSOFT_GRAPH_URL: microsoft.graphUrl,
      // The Microsoft fake speaks TLS with a throwaway CA (test/fakes/microsoft/tls.ts).
      NODE_EXTRA_CA_CERTS: testTls().caPath,
    });
  }
  return env;
}

/** An `inlet worker` on the harness's database through the proxy; answers /metrics on its port. */
async function spawnWorker(t: TestApp): Promise<number> {
  const metricsPort = await freePort();
  procs.push(
    runCli(
      ['worker'],
      localProcessEnv(keyring, {
        ...providerEnv(t),
        DATABASE_URL: proxy.urlFor(t.database.url),
        METRICS_PORT: String(metricsPort),
      }),
    ),
  );
  await waitForHttp(`http://127.0.0.1:${metricsPort}/readyz`, 120_000);
  return metricsPort;
}

const owner = async <T>(t: TestApp, sql: string, params: unknown[] = []) =>
  (await t.database.db.tx((ex) => ex.query(sql, params))).rows as T[];
const storedMessages = async (t: TestApp) =>
  (await owner<{ n: number }>(t, 'SELECT count(*)::int AS n FROM messages'))[0]!.n;
const syncJobsWaiting = async (t: TestApp, mailboxId: string) =>
  (
    await owner<{ n: number }>(
      t,
      'SELECT count(*)::int AS n FROM graphile_worker.jobs WHERE key = $1',
      [`sync:${mailboxId}`],
    )
  )[0]!.n;

async function ticketSubjects(t: TestApp, token: string): Promise<string[]> {
  const res = await t.app.inject({
    method: 'GET',
    url: '/v1/tickets?limit=100',
    headers: bearer(token),
  });
  return (res.json().items as { subject: string }[]).map((x) => x.subject).sort();
}

/** One sample from a Prometheus text page, 0 when the series is not there yet. */
function sampleOf(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}
const sample = async (metricsPort: number, series: string) =>
  sampleOf(await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text(), series);

describe('webhooks acknowledged while the worker waits 5 s per database round trip', () => {
  beforeAll(async () => {
    trustTestCa();
    g = await makeGmailHarness({}, { INLET_MASTER_KEYS: keyring });
    m = await makeMicrosoftHarness({}, { INLET_MASTER_KEYS: keyring });
    const db = new URL(g.t.database.url);
    proxy = await startLatencyProxy({ host: db.hostname, port: Number(db.port) });
  });

  it('answers every push and notification before the worker stores anything, and loses nothing', async () => {
    const gmailAddress = 'desk@gmail-latency.example';
    const graphAddress = 'desk@graph-latency.example';
    m.fake.addUser(graphAddress);
    const gmailBox = (await g.connect(gmailAddress)).mailboxId!;
    const graphBox = (await m.connect(graphAddress)).mailboxId!;
    expect(gmailBox).toBeTruthy();
    expect(graphBox).toBeTruthy();
    await g.fake.settlePushes();
    await m.fake.settle();

    // Workers up on a fast path; the first syncs (queued at connect) done.
    const ports = [await spawnWorker(g.t), await spawnWorker(m.t)];
    await pollUntil(
      'first syncs done',
      async () =>
        (await syncJobsWaiting(g.t, gmailBox)) === 0 &&
        (await syncJobsWaiting(m.t, graphBox)) === 0,
      120_000,
    );
    const before = { gmail: await storedMessages(g.t), graph: await storedMessages(m.t) };
    const pushesBefore = g.fake.pushAttempts().length;
    const notificationsBefore = m.fake.deliveries().filter((d) => d.kind === 'notification').length;

    // Both workers reach the database only through the proxy.
    expect(proxy.connections()).toBeGreaterThan(1);
    proxy.setLatency(LATENCY_MS);
    const subjects = { gmail: [] as string[], graph: [] as string[] };
    for (let i = 0; i < PER_PROVIDER; i++) {
      subjects.gmail.push(`Gmail latency ${i}`);
      subjects.graph.push(`Graph latency ${i}`);
      g.fake.deliver(gmailAddress, mail({ to: gmailAddress, subject: `Gmail latency ${i}` }));
      m.fake.deliver(graphAddress, mail({ to: graphAddress, subject: `Graph latency ${i}` }));
    }
    await Promise.all([g.fake.settlePushes(), m.fake.settle()]);

    // Every push and notification has its answer...
    const pushes = g.fake.pushAttempts().slice(pushesBefore);
    const notifications = m.fake
      .deliveries()
      .filter((d) => d.kind === 'notification')
      .slice(notificationsBefore);
    expect(pushes.map((p) => p.status)).toEqual(Array(PER_PROVIDER).fill(204));
    expect(notifications.map((n) => n.status)).toEqual(Array(PER_PROVIDER).fill(202));
    // ...while the worker has not stored any of that mail and the syncs it asked for still wait.
    expect(await storedMessages(g.t)).toBe(before.gmail);
    expect(await storedMessages(m.t)).toBe(before.graph);
    expect(await syncJobsWaiting(g.t, gmailBox)).toBeGreaterThan(0);
    expect(await syncJobsWaiting(m.t, graphBox)).toBeGreaterThan(0);

    // The latency goes: every message becomes a ticket, once.
    proxy.setLatency(0);
    await pollUntil(
      'every message stored',
      async () =>
        (await storedMessages(g.t)) === before.gmail + PER_PROVIDER &&
        (await storedMessages(m.t)) === before.graph + PER_PROVIDER,
      180_000,
      500,
    );
    expect(await ticketSubjects(g.t, g.tenant.token)).toEqual(subjects.gmail.sort());
    expect(await ticketSubjects(m.t, m.tenant.token)).toEqual(subjects.graph.sort());

    for (const port of ports) {
      const opens = await sample(port, 'inlet_credentials_opened_total{purpose="sync"}');
      const jobs = await sample(port, 'inlet_jobs_started_total{task="mailbox.sync"}');
      expect(opens).toBeGreaterThan(0);
      expect(opens).toBeLessThanOrEqual(jobs);
    }
    // The API checked each Graph notification with at most one decrypt (most hit its cache).
    const api = await m.t.container.metrics.metrics();
    const checks = sampleOf(api, 'inlet_credentials_opened_total{purpose="push_check"}');
    const received = sampleOf(
      api,
      'inlet_graph_notifications_total{kind="change",outcome="enqueued"}',
    );
    expect(checks).toBeGreaterThan(0);
    expect(checks).toBeLessThanOrEqual(received);
  }, 400_000);
});
