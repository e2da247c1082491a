// Webhooks: (1) event-to-delivery latency at a steady 200 events/s — from the commit of the
// transaction that recorded the event to the receiver having the signed POST — through the real
// dispatcher loop (LISTEN/NOTIFY wake-up, sequencer, claim, sign, HTTP); (2) what webhooks cost
// the ingest pipeline: messages/s stored with no endpoint vs. with an endpoint and the dispatcher
// delivering every event in the same process. Real PostgreSQL (embedded), loopback receiver.
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';

import pg from 'pg';

import { loadConfig } from '../src/config.js';
import { type Container, makeContainer } from '../src/container.js';
import { makeLogger } from '../src/lib/logger.js';
import { insertEvent } from '../src/store/event-store.js';
import { migrate } from '../src/store/migrate.js';
import { systemActor } from '../src/tenancy/actor.js';
import { makeWebhookDispatcher } from '../src/webhooks/dispatcher.js';
import { makeWebhookEndpointService } from '../src/webhooks/endpoint-service.js';
import { localMailEnv, localMailPolicy } from '../test/helpers/local-mail.js';
import { mail } from '../test/helpers/mail.js';
import { startPostgresServer, withDatabase } from '../test/helpers/postgres-server.js';

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function receiver(onEvent: (token: string) => void) {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const token = (
        JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data: { status?: string } }
      ).data.status;
      onEvent(token ?? '');
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

async function latency(c: Container, tenantId: string, perSecond: number, seconds: number) {
  const committed = new Map<string, number>();
  const latencies: number[] = [];
  const rx = await receiver((token) => {
    const at = committed.get(token);
    if (at !== undefined) latencies.push(performance.now() - at);
  });
  const svc = makeWebhookEndpointService({
    db: c.db,
    keys: c.keys,
    policy: { httpsOnly: false, egress: localMailPolicy },
  });
  const ep = await svc.create(systemActor(tenantId, 'bench'), {
    url: rx.url,
    types: ['ticket.updated'],
  });
  const dispatcher = makeWebhookDispatcher({
    db: c.db,
    keys: c.keys,
    logger: c.logger,
    policy: { httpsOnly: false, egress: localMailPolicy },
    disableAfterMs: 86_400_000,
  });
  await dispatcher.start();
  const total = perSecond * seconds;
  const start = performance.now();
  const writes: Promise<void>[] = [];
  let inFlight = 0;
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / perSecond;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const token = `e${i}`;
    // At most 8 writers at once, as a pool-bound ingest would be; the schedule slips rather than the pool timing out.
    while (inFlight >= 8) await sleep(1);
    inFlight++;
    writes.push(
      c.db
        .tenantTx(tenantId, (ex) =>
          insertEvent(ex, tenantId, 'ticket.updated', randomUUID(), {
            change: 'status',
            status: token,
          }),
        )
        .then(() => {
          committed.set(token, performance.now());
        })
        .finally(() => {
          inFlight--;
        }),
    );
  }
  await Promise.all(writes);
  const achieved = total / ((performance.now() - start) / 1000);
  const deadline = performance.now() + 30_000;
  while (latencies.length < total && performance.now() < deadline) await sleep(50);
  await dispatcher.stop();
  await svc.remove(systemActor(tenantId, 'bench'), ep.id);
  await rx.close();
  return {
    n: latencies.length,
    total,
    p50: pct(latencies, 50),
    p99: pct(latencies, 99),
    max: Math.max(...latencies),
    achieved,
  };
}

async function ingestRate(
  c: Container,
  tenantId: string,
  mailboxId: string,
  messages: number,
): Promise<number> {
  const raws = Array.from({ length: messages }, (_, i) =>
    mail({ from: `c${i}@client.example`, subject: `Bench ${i}`, text: `Body ${i}` }),
  );
  const start = performance.now();
  for (let i = 0; i < raws.length; i += 20) {
    await c.pipeline.ingestPage(
      raws
        .slice(i, i + 20)
        .map((raw) => ({ tenantId, mailboxId, providerMessageId: randomUUID(), raw })),
    );
  }
  return messages / ((performance.now() - start) / 1000);
}

async function ingestCost(
  c: Container,
  tenantId: string,
  mailboxId: string,
  rounds: number,
  messages: number,
) {
  let delivered = 0;
  const rx = await receiver(() => {
    delivered++;
  });
  const policy = { httpsOnly: false, egress: localMailPolicy };
  const svc = makeWebhookEndpointService({ db: c.db, keys: c.keys, policy });
  const without: number[] = [];
  const withHooks: number[] = [];
  await ingestRate(c, tenantId, mailboxId, 100); // warm-up
  for (let r = 0; r < rounds; r++) {
    without.push(await ingestRate(c, tenantId, mailboxId, messages));
    const ep = await svc.create(systemActor(tenantId, 'bench'), { url: rx.url });
    const dispatcher = makeWebhookDispatcher({
      db: c.db,
      keys: c.keys,
      logger: c.logger,
      policy,
      disableAfterMs: 86_400_000,
    });
    await dispatcher.start();
    withHooks.push(await ingestRate(c, tenantId, mailboxId, messages));
    await dispatcher.stop();
    await dispatcher.runOnce(); // drain, so the next round without webhooks starts clean
    await svc.remove(systemActor(tenantId, 'bench'), ep.id);
  }
  await rx.close();
  return { without, withHooks, delivered };
}

export async function runWebhookBench() {
  const server = await startPostgresServer();
  const name = `inlet_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: server.adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = withDatabase(server.adminUrl, name);
  const logger = makeLogger({ level: 'silent' });
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: url,
    INLET_MASTER_KEYS: `k1:${randomBytes(32).toString('base64')}`,
    DATABASE_POOL_MAX: '20',
    CLAMD_PORT: '1',
    ...localMailEnv,
  });
  const c = await makeContainer(config, logger, url);
  try {
    await migrate(c.db.pool);
    const { tenant } = await c.tenants.createTenant('Bench', {
      actor: 'operator',
      requestId: null,
      clientIp: null,
    });
    const mailbox = await c.mailboxes.createLocal(systemActor(tenant.id, 'bench'), {
      address: 'support@bench.example',
      displayName: null,
    });
    const lat = await latency(c, tenant.id, 200, 10);
    const cost = await ingestCost(c, tenant.id, mailbox.id, 3, 600);
    return { lat, cost };
  } finally {
    await c.close();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
    await server.stop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { lat, cost } = await runWebhookBench();
  const r = (x: number) => Math.round(x);
  console.log(
    `event → webhook delivery at ${r(lat.achieved)} events/s (target 200), ${lat.n}/${lat.total} delivered:`,
  );
  console.log(
    `  p50 ${r(lat.p50)} ms   p99 ${r(lat.p99)} ms   max ${r(lat.max)} ms   (goal p99 < 1000 ms)`,
  );
  const med = (xs: number[]) => pct(xs, 50);
  const fmt = (xs: number[]) => `${r(Math.min(...xs))} / ${r(med(xs))} / ${r(Math.max(...xs))}`;
  console.log(`ingest messages/s (min / median / max of ${cost.without.length}, pages of 20):`);
  console.log(
    `  without webhooks ${fmt(cost.without)}   with an endpoint receiving every event ${fmt(cost.withHooks)}`,
  );
  console.log(
    `  cost of webhooks: ${(100 * (1 - med(cost.withHooks) / med(cost.without))).toFixed(1)} % of median throughput (goal < 10 %); ${cost.delivered} deliveries made`,
  );
  if (lat.n < lat.total) process.exitCode = 1;
}
