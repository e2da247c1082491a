// Microsoft 365 through the strict Microsoft fake (HTTPS, real MSAL and Graph client), with embedded
// PostgreSQL, Inlet's API listening for Graph notifications and a real graphile-worker runner:
//   1. notification-to-ticket latency (p50/p95/p99) while mail arrives at 50 messages/s spread over 100
//      connected mailboxes: fake delivery → change notification POST → clientState check → keyed sync
//      job → delta + $value → pipeline commit (message_deliveries.created_at);
//   2. backfill speed of one mailbox as a share of the fake's per-mailbox throttle ceiling (Outlook's
//      10,000 requests / 10 minutes, scaled down here to 60 requests / 2 s so the run takes seconds;
//      the provider is given the same limit, as it is given Outlook's in production).
// `npx tsx bench/microsoft-bench.ts` (no clamd needed: the test mails have no attachments).
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { Logger as WorkerLogger, run } from 'graphile-worker';

import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { type Container, makeContainer } from '../src/container.js';
import { generateKek, makeLocalKeyProvider } from '../src/crypto/index.js';
import { toTaskList } from '../src/jobs/registry.js';
import { makeLogger } from '../src/lib/logger.js';
import { makeHandlers } from '../src/main/worker.js';
import { defaultLimits } from '../src/providers/microsoft/microsoft-settings.js';
import { startEmbeddedPostgres } from '../src/store/embedded-postgres.js';
import { migrate } from '../src/store/migrate.js';
import { syncMailbox } from '../src/sync/sync-mailbox.js';
import { systemActor } from '../src/tenancy/actor.js';
import { type MicrosoftFake, startMicrosoftFake } from '../test/fakes/microsoft/index.js';
import { trustTestCa } from '../test/fakes/microsoft/tls.js';
import { mail } from '../test/helpers/mail.js';

const logger = makeLogger({ level: 'silent' });
const publicUrl = 'https://inlet.bench';
const throttle = { windowMs: 2000, maxRequests: 60 };

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

async function connectAll(
  c: Container,
  tenantId: string,
  emails: string[],
): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  const actor = systemActor(tenantId, 'bench');
  for (const email of emails) {
    const { consentUrl } = await c.consent.start('graph', actor, {
      returnUrl: 'https://helpdesk.bench/back',
      loginHint: email,
    });
    // The browser opening Inlet's consent URL: gets the provider's URL and the binding cookie.
    const opened = await c.consent.open(new URL(consentUrl).searchParams.get('state')!);
    if (!opened.ok) throw new Error(`open consent ${email}: ${opened.code}`);
    const { authorizationUrl } = opened;
    const cookie = opened.setCookie.split(';')[0];
    const back = new URL(
      (await fetch(authorizationUrl, { redirect: 'manual' })).headers.get('location')!,
    );
    const r = await c.consent.callback(
      'graph',
      {
        state: back.searchParams.get('state') ?? undefined,
        code: back.searchParams.get('code') ?? undefined,
      },
      cookie,
    );
    if (!r.ok) throw new Error(`connect ${email}: ${r.code}`);
    ids.set(email, r.mailboxId);
  }
  return ids;
}

async function backfillBench(c: Container, fake: MicrosoftFake, tenantId: string, n: number) {
  const email = 'backfill@bench.example';
  fake.addUser(email);
  for (let i = 0; i < n; i++)
    fake.deliver(
      email,
      mail({ to: email, subject: `backfill ${i}`, text: `message ${i} `.repeat(40) }),
    );
  const id = (await connectAll(c, tenantId, [email])).get(email)!;
  await c.db.tx((ex) =>
    ex.query(`UPDATE mailboxes SET backfill_max_messages = NULL WHERE id = $1`, [id]),
  );
  // Let the window of the connect-time calls pass, so the run starts from an empty window.
  await sleep(throttle.windowMs + 100);
  const before = fake.calls().length;
  const t0 = performance.now();
  const r = await syncMailbox({ ...c, pageSize: 100 }, tenantId, id);
  const seconds = (performance.now() - t0) / 1000;
  const calls = fake
    .calls()
    .slice(before)
    .filter((x) => x.mailbox === email);
  const ok = calls.filter((x) => x.status < 400).length;
  const ceiling = throttle.maxRequests / (throttle.windowMs / 1000);
  return {
    messages: r.stored,
    seconds,
    perSecond: r.stored / seconds,
    requestsPerSecond: ok / seconds,
    ceiling,
    share: ok / seconds / ceiling,
    throttled: calls.filter((x) => x.status === 429).length,
  };
}

export async function runMicrosoftBench(
  o: { mailboxes?: number; perSecond?: number; seconds?: number; backfillMessages?: number } = {},
) {
  const mailboxes = o.mailboxes ?? 100;
  const rate = o.perSecond ?? 50;
  const seconds = o.seconds ?? 10;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'inlet-ms-bench-'));
  const pg = await startEmbeddedPostgres(dir, logger);
  const fake = await startMicrosoftFake({
    apps: [
      {
        clientId: '6b1f0c52-8f7e-4b8f-9d3a-2c6e5a4b3c21',
        clientSecret: 'bench~secret',
        redirectUris: [`${publicUrl}/v1/oauth/microsoft/callback`],
      },
    ],
    throttle,
  });
  trustTestCa();
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: pg.url,
    DATABASE_POOL_MAX: '30',
    CLAMD_PORT: '1',
    WORKER_CONCURRENCY: '16',
    RATE_LIMIT_PER_MINUTE: '1000000',
    INLET_PUBLIC_URL: publicUrl,
    MICROSOFT_CLIENT_ID: fake.app.clientId,
    MICROSOFT_CLIENT_SECRET: fake.app.clientSecret,
    MICROSOFT_AUTHORITY: `${fake.origin}/organizations`,
    MICROSOFT_GRAPH_URL: fake.origin,
  });
  const c = await makeContainer(
    config,
    logger,
    pg.url,
    makeLocalKeyProvider([generateKek('bench')]),
  );
  await migrate(c.db.pool);
  c.providerDeps.graph!.limits = { ...defaultLimits, ...throttle };
  const app = await buildApp(c, { logger });
  await app.listen({ port: 0, host: '127.0.0.1' });
  fake.configureDelivery({
    publicOrigin: publicUrl,
    target: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
  });
  const runner = await run({
    pgPool: c.db.pool,
    concurrency: config.workerConcurrency,
    noHandleSignals: true,
    pollInterval: 1000,
    logger: new WorkerLogger(() => () => undefined),
    taskList: toTaskList(makeHandlers(c)),
  });
  let stopped = false;
  try {
    const { tenant } = await c.tenants.createTenant('bench', {
      actor: 'operator',
      requestId: null,
      clientIp: null,
    });
    const emails = Array.from({ length: mailboxes }, (_, i) => `support${i}@bench${i}.example`);
    for (const e of emails) fake.addUser(e);
    const ids = await connectAll(c, tenant.id, emails);
    await sleep(3000); // connect-time syncs settle
    await fake.settle();

    const sentAt = new Map<string, number>();
    const total = rate * seconds;
    const start = performance.now();
    for (let i = 0; i < total; i++) {
      const wait = start + (i * 1000) / rate - performance.now();
      if (wait > 0) await sleep(wait);
      const email = emails[i % emails.length]!;
      const d = fake.deliver(email, mail({ to: email, subject: `notified ${i}` }));
      sentAt.set(`${ids.get(email)}/${d.id}`, Date.now());
    }
    const latencies: number[] = [];
    const deadline = Date.now() + 60_000;
    while (latencies.length < total && Date.now() < deadline) {
      await sleep(500);
      const { rows } = await c.db.tx((ex) =>
        ex.query<{ mailbox_id: string; provider_message_id: string; at: Date }>(
          `SELECT mailbox_id, provider_message_id, created_at AS at FROM message_deliveries WHERE tenant_id = $1`,
          [tenant.id],
        ),
      );
      latencies.length = 0;
      for (const r of rows) {
        const t0 = sentAt.get(`${r.mailbox_id}/${r.provider_message_id}`);
        if (t0 !== undefined) latencies.push(r.at.getTime() - t0);
      }
    }
    latencies.sort((a, b) => a - b);
    await runner.stop();
    stopped = true;
    const backfill = await backfillBench(c, fake, tenant.id, o.backfillMessages ?? 600);
    return {
      mailboxes,
      rate,
      delivered: total,
      ingested: latencies.length,
      latencyMs: {
        p50: pct(latencies, 50),
        p95: pct(latencies, 95),
        p99: pct(latencies, 99),
        max: latencies.at(-1) ?? NaN,
      },
      backfill,
    };
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
  const r = await runMicrosoftBench();
  const l = r.latencyMs;
  console.log(
    `notification-to-ticket, ${r.rate} mails/s over ${r.mailboxes} Microsoft 365 mailboxes: ${r.ingested}/${r.delivered} ingested; p50 ${l.p50} ms, p95 ${l.p95} ms, p99 ${l.p99} ms, max ${l.max} ms (goal p99 < 1000 ms)`,
  );
  const b = r.backfill;
  console.log(
    `backfill: ${b.messages} messages in ${b.seconds.toFixed(1)} s = ${b.perSecond.toFixed(1)} msg/s, ${b.requestsPerSecond.toFixed(1)} Graph requests/s = ${(b.share * 100).toFixed(1)}% of the fake's ${b.ceiling} requests/s per-mailbox ceiling (goal >= 80%; the pacer targets 95%), ${b.throttled} throttled`,
  );
  if (r.ingested < r.delivered) {
    console.error('some notified messages were not ingested within 60 s');
    process.exit(1);
  }
}
