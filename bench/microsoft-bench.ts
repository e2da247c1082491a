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

import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import type { Container } from '../src/container.js';
import { makeLogger } from '../src/lib/logger.js';
import { defaultLimits } from '../src/providers/microsoft/microsoft-settings.js';
import { startEmbeddedPostgres } from '../src/store/embedded-postgres.js';
import { syncMailbox } from '../src/sync/sync-mailbox.js';
import { type MicrosoftFake, startMicrosoftFake } from '../test/fakes/microsoft/index.js';
import { trustTestCa } from '../test/fakes/microsoft/tls.js';
import { mail } from '../test/helpers/mail.js';
import { migratedBenchContainer } from './lib/bench-db.js';
import { connectAll } from './lib/graph-connect.js';
import { pushLatency, registerBenchReturnOrigin, startJobRunner } from './lib/push-latency.js';
import { sleep } from './lib/stats.js';

const logger = makeLogger({ level: 'silent' });
const publicUrl = 'https://inlet.bench';
const throttle = { windowMs: 2000, maxRequests: 60 };

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
  const c = await migratedBenchContainer(config, logger, pg.url);
  c.providerDeps.graph!.limits = { ...defaultLimits, ...throttle };
  const app = await buildApp(c, { logger });
  await app.listen({ port: 0, host: '127.0.0.1' });
  fake.configureDelivery({
    publicOrigin: publicUrl,
    target: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
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
    for (const e of emails) fake.addUser(e);
    const ids = await connectAll(c, tenant.id, emails);
    await sleep(3000); // connect-time syncs settle
    await fake.settle();
    const lat = await pushLatency({
      c,
      tenantId: tenant.id,
      emails,
      ids,
      rate,
      seconds,
      deliver: (email, i) => fake.deliver(email, mail({ to: email, subject: `notified ${i}` })).id,
    });
    // The backfill is timed alone: no worker may pick up its connect-time sync job.
    await runner.stop();
    stopped = true;
    const backfill = await backfillBench(c, fake, tenant.id, o.backfillMessages ?? 600);
    return { mailboxes, rate, ...lat, backfill };
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
    `notification-to-ticket, ${r.rate} mails/s over ${r.mailboxes} Microsoft 365 mailboxes: ${r.ingested}/${r.delivered} ingested; p50 ${l.p50} ms, p95 ${l.p95} ms, p99 ${l.p99} ms, max ${l.max} ms (goal p99 < 1000 ms); CPU per message ${r.cpuPerMessageMs.self.toFixed(1)} ms in the bench process (Inlet, worker, fake) + ${r.cpuPerMessageMs.pg.toFixed(1)} ms in PostgreSQL`,
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
