// Webhooks: (1) event-to-delivery latency at a steady 200 events/s — from the commit of the
// transaction that recorded the event to the receiver having the signed POST — through the real
// dispatcher loop (LISTEN/NOTIFY wake-up, sequencer, claim, sign, HTTP); (2) what webhooks cost
// the ingest pipeline: messages/s stored with the dispatcher running and no endpoint (events are
// numbered for the feed in every worker) vs. with an endpoint receiving every event, delivered by
// the dispatcher in the same process; and the CPU each delivery costs (this process and
// PostgreSQL), the figure that holds on a shared machine; (3) what one claim reads while an endpoint
// at its limit has a backlog of up to 10,000 (bench/lib/webhook-claim-scan.ts; --claim-only runs just
// that). Real PostgreSQL (embedded); the receiver runs in a child process, as a helpdesk's would.
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';

import type { Container } from '../src/container.js';
import { insertEvent } from '../src/store/event-store.js';
import { systemActor } from '../src/tenancy/actor.js';
import { makeWebhookDispatcher } from '../src/webhooks/dispatcher.js';
import { makeWebhookEndpointService } from '../src/webhooks/endpoint-service.js';
import { localMailEnv, localMailPolicy } from '../test/helpers/local-mail.js';
import { mail } from '../test/helpers/mail.js';
import { startBenchDb } from './lib/bench-db.js';
import { startCpuMeter } from './lib/cpu.js';
import { pct, sleep, spread } from './lib/stats.js';
import { claimScan, printClaimScan } from './lib/webhook-claim-scan.js';
import { type ReceiverProcess, startReceiverProcess, wallNow } from './lib/webhook-receiver.js';

const policy = { httpsOnly: false, egress: localMailPolicy };
const dispatcherFor = (c: Container) =>
  makeWebhookDispatcher({
    db: c.db,
    keys: c.keys,
    logger: c.logger,
    policy,
    disableAfterMs: 86_400_000,
  });

async function latency(
  c: Container,
  rx: ReceiverProcess,
  tenantId: string,
  perSecond: number,
  seconds: number,
) {
  const committed = new Map<string, number>();
  const latencies: number[] = [];
  rx.onDelivery = (token, at) => {
    const t0 = committed.get(token);
    if (t0 !== undefined) latencies.push(at - t0);
  };
  const svc = makeWebhookEndpointService({ db: c.db, keys: c.keys, policy });
  const ep = await svc.create(systemActor(tenantId, 'bench'), {
    url: rx.url,
    types: ['ticket.updated'],
  });
  const dispatcher = dispatcherFor(c);
  await dispatcher.start();
  const total = perSecond * seconds;
  const start = performance.now();
  const writes: Promise<void>[] = [];
  let inFlight = 0;
  for (let i = 0; i < total; i++) {
    const wait = start + (i * 1000) / perSecond - performance.now();
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
        .then(() => void committed.set(token, wallNow()))
        .finally(() => void inFlight--),
    );
  }
  await Promise.all(writes);
  const achieved = total / ((performance.now() - start) / 1000);
  const deadline = performance.now() + 30_000;
  while (latencies.length < total && performance.now() < deadline) await sleep(50);
  await dispatcher.stop();
  await svc.remove(systemActor(tenantId, 'bench'), ep.id);
  rx.onDelivery = null;
  return {
    n: latencies.length,
    total,
    p50: pct(latencies, 50),
    p99: pct(latencies, 99),
    max: Math.max(...latencies),
    achieved,
  };
}

async function ingestRate(c: Container, tenantId: string, mailboxId: string, messages: number) {
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
  rx: ReceiverProcess,
  tenantId: string,
  mailboxId: string,
  rounds: number,
  messages: number,
) {
  const svc = makeWebhookEndpointService({ db: c.db, keys: c.keys, policy });
  const without: number[] = [];
  const withHooks: number[] = [];
  /** CPU per stored message without endpoints (this process and PostgreSQL). */
  const ingestCpuMs: number[] = [];
  await ingestRate(c, tenantId, mailboxId, 100); // warm-up
  const before = rx.count();
  for (let r = 0; r < rounds; r++) {
    const idle = dispatcherFor(c);
    await idle.start();
    const meter = await startCpuMeter(c.db.pool);
    without.push(await ingestRate(c, tenantId, mailboxId, messages));
    const used = meter.read();
    ingestCpuMs.push((used.self + used.pg) / messages);
    await idle.stop();
    await idle.runOnce(); // every event numbered before the endpoint exists: nothing left to fan out
    const ep = await svc.create(systemActor(tenantId, 'bench'), { url: rx.url });
    const dispatcher = dispatcherFor(c);
    await dispatcher.start();
    withHooks.push(await ingestRate(c, tenantId, mailboxId, messages));
    await dispatcher.stop();
    await dispatcher.runOnce(); // drain, so the next round starts clean
    await svc.remove(systemActor(tenantId, 'bench'), ep.id);
  }
  return {
    without,
    withHooks,
    ingestCpuMs: pct(ingestCpuMs, 50),
    deliveriesPerMessage: (rx.count() - before) / (rounds * messages),
    delivered: rx.count(),
  };
}

/** CPU per delivery alone: events written with the dispatcher stopped, then delivered in one go. */
async function deliveryCpu(c: Container, rx: ReceiverProcess, tenantId: string, events: number) {
  const svc = makeWebhookEndpointService({ db: c.db, keys: c.keys, policy });
  const ep = await svc.create(systemActor(tenantId, 'bench'), { url: rx.url });
  for (let i = 0; i < events; i += 100)
    await c.db.tenantTx(tenantId, async (ex) => {
      for (let j = i; j < Math.min(events, i + 100); j++)
        await insertEvent(ex, tenantId, 'ticket.updated', randomUUID(), { status: `d${j}` });
    });
  const before = rx.count();
  const meter = await startCpuMeter(c.db.pool);
  const t0 = performance.now();
  const dispatcher = dispatcherFor(c);
  await dispatcher.start();
  while (rx.count() - before < events && performance.now() - t0 < 30_000) await sleep(10);
  const seconds = (performance.now() - t0) / 1000;
  await dispatcher.stop();
  const used = meter.read();
  await svc.remove(systemActor(tenantId, 'bench'), ep.id);
  const n = rx.count() - before;
  return { n, perSecond: n / seconds, selfMs: used.self / n, pgMs: used.pg / n };
}

export async function runWebhookBench() {
  const db = await startBenchDb(localMailEnv);
  const rx = await startReceiverProcess();
  try {
    const { c, tenantId } = db;
    const mailbox = await c.mailboxes.createLocal(systemActor(tenantId, 'bench'), {
      address: 'support@bench.example',
      displayName: null,
    });
    if (process.argv.includes('--claim-only')) return { claim: await claimScan(c, tenantId) };
    const lat = await latency(c, rx, tenantId, 200, 10);
    const drain = await deliveryCpu(c, rx, tenantId, 3000);
    const cost = await ingestCost(c, rx, tenantId, mailbox.id, 3, 600);
    // Last: its 10,000-row backlogs leave vacuum work that would land in the CPU figures above.
    const claim = await claimScan(c, tenantId);
    return { claim, lat, drain, cost };
  } finally {
    await rx.close();
    await db.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { claim, lat, drain, cost } = await runWebhookBench();
  printClaimScan(claim);
  if (!lat || !drain || !cost) process.exit(0);
  const r = (x: number) => Math.round(x);
  const f = (x: number) => x.toFixed(2);
  console.log(
    `event → webhook delivery at ${r(lat.achieved)} events/s (target 200), ${lat.n}/${lat.total} delivered:`,
  );
  console.log(
    `  p50 ${r(lat.p50)} ms   p99 ${r(lat.p99)} ms   max ${r(lat.max)} ms   (goal p99 < 1000 ms)`,
  );
  console.log(
    `backlog drain: ${drain.n} deliveries at ${r(drain.perSecond)}/s; CPU per delivery ${f(drain.selfMs)} ms in Inlet + ${f(drain.pgMs)} ms in PostgreSQL`,
  );
  const med = (xs: number[]) => pct(xs, 50);
  console.log(`ingest messages/s (min / median / max of ${cost.without.length}, pages of 20):`);
  console.log(
    `  dispatcher without endpoints ${spread(cost.without)}   with an endpoint receiving every event ${spread(cost.withHooks)}`,
  );
  console.log(
    `  cost of webhooks: ${(100 * (1 - med(cost.withHooks) / med(cost.without))).toFixed(1)} % of median throughput (goal < 10 %); ${cost.delivered} deliveries made`,
  );
  // Where the CPU is the limit (a busy worker), throughput falls by the share of CPU the deliveries
  // take: events per message × CPU per delivery, against the CPU of the message itself.
  const hookCpu = cost.deliveriesPerMessage * (drain.selfMs + drain.pgMs);
  console.log(
    `  CPU-bound estimate: ${f(cost.deliveriesPerMessage)} deliveries per message × ${f(drain.selfMs + drain.pgMs)} ms = ${f(hookCpu)} ms of CPU beside ${f(cost.ingestCpuMs)} ms per message stored → ${(100 * (hookCpu / (hookCpu + cost.ingestCpuMs))).toFixed(1)} % less throughput`,
  );
  if (lat.n < lat.total) process.exitCode = 1;
}
