// Ticket reads under load, as a helpdesk polls them: autocannon against Inlet's API on embedded
// PostgreSQL, the data seeded through the real ingest path (`inlet import` of .eml files):
//   - ticket detail of a 50-message ticket (default page of 50 messages, no HTML),
//   - ticket detail of a 6-message ticket,
//   - the ticket list, default page of 50 (of 80 tickets).
// Each at 50 connections for ~10 s, 3 runs; prints p50/p99 latency and req/s as min/median/max,
// the load average, and CPU per request of this process (Node) and of the PostgreSQL backends.
// Goals (issue #19): detail p99 < 20 ms, 6-message detail p99 < 10 ms, list p99 < 20 ms.
// At 50 connections that send again as soon as they are answered, latency is mostly queueing
// (p50 ≈ 50 / req/s): p99 < 20 ms needs > 2,500 req/s, under 0.8 ms of CPU per request with two
// free cores. So the CPU per request is the figure to compare across machines, and a run at one
// connection shows what a request takes when it does not wait behind the others.
// `npm run bench -- reads` (READS_SECONDS, READS_RUNS, READS_CONNECTIONS, READS_ONLY override the defaults).
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { makeContainer } from '../src/container.js';
import { generateKek, makeLocalKeyProvider } from '../src/crypto/index.js';
import { importMail } from '../src/import/import-mail.js';
import { makeLogger } from '../src/lib/logger.js';
import { startEmbeddedPostgres } from '../src/store/embedded-postgres.js';
import { migrate } from '../src/store/migrate.js';
import { systemActor } from '../src/tenancy/actor.js';
import { mail } from '../test/helpers/mail.js';

const logger = makeLogger({ level: 'silent' });
const seconds = Number(process.env.READS_SECONDS ?? 10);
const runs = Number(process.env.READS_RUNS ?? 3);
const connections = Number(process.env.READS_CONNECTIONS ?? 50);

/** A thread of `n` messages (the first from the customer, then replies back and forth). */
async function writeThread(dir: string, tag: string, n: number): Promise<void> {
  const ids = Array.from({ length: n }, (_, i) => `${tag}-${i}@client.example`);
  for (let i = 0; i < n; i++) {
    const raw = mail({
      from: i % 2 === 0 ? 'Pat Doe <pat@client.example>' : `Agent <agent${i % 3}@client.example>`,
      subject: i === 0 ? `Order ${tag} is late` : `Re: Order ${tag} is late`,
      messageId: ids[i],
      inReplyTo: i > 0 ? `<${ids[i - 1]}>` : undefined,
      references:
        i > 0
          ? ids
              .slice(0, i)
              .map((x) => `<${x}>`)
              .join(' ')
          : undefined,
      date: new Date(Date.UTC(2026, 0, 1, 9, i)).toUTCString(),
      text: `Message ${i} of ${tag}.\n\n${'The parcel has not arrived yet, please check. '.repeat(12)}\n`,
      html: `<p>Message ${i} of ${tag}.</p><p>${'The parcel has not arrived yet. '.repeat(12)}</p>`,
    });
    await writeFile(path.join(dir, `${tag}-${String(i).padStart(3, '0')}.eml`), raw);
  }
}

interface Figures {
  p50: number;
  p99: number;
  rps: number;
  non2xx: number;
}

// autocannon runs in its own process: in this one it would take the event loop from the server
// and its CPU would count as Inlet's.
const autocannonBin = path.resolve('node_modules/autocannon/autocannon.js');
async function load(
  url: string,
  token: string,
  duration = seconds,
  conns = connections,
): Promise<Figures> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [autocannonBin, '-j', '-c', String(conns), '-d', String(duration)].concat([
      '-H',
      `authorization=Bearer ${token}`,
      url,
    ]),
    { maxBuffer: 1 << 24 },
  );
  const r = JSON.parse(stdout) as {
    latency: { p50: number; p99: number };
    requests: { average: number };
    non2xx: number;
    errors: number;
    timeouts: number;
  };
  return {
    p50: r.latency.p50,
    p99: r.latency.p99,
    rps: r.requests.average,
    non2xx: r.non2xx + r.errors + r.timeouts,
  };
}

const spread = (xs: number[], digits = 0) => {
  const s = [...xs].sort((a, b) => a - b);
  return `${s[0]!.toFixed(digits)} / ${s[Math.floor(s.length / 2)]!.toFixed(digits)} / ${s.at(-1)!.toFixed(digits)}`;
};

/** CPU seconds used so far by every backend of this embedded PostgreSQL (from /proc; Linux only). */
function postgresCpuSeconds(postmasterPid: number | null): number {
  if (postmasterPid === null) return NaN;
  let ticks = 0;
  try {
    const children = readFileSync(
      `/proc/${postmasterPid}/task/${postmasterPid}/children`,
      'utf8',
    ).trim();
    for (const pid of [String(postmasterPid), ...children.split(/\s+/).filter(Boolean)]) {
      try {
        const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
        ticks += Number(f[11]) + Number(f[12]); // utime, stime
      } catch {
        // A backend that exited meanwhile.
      }
    }
  } catch {
    return NaN;
  }
  return ticks / 100;
}

function postmasterPid(dataDir: string): number | null {
  try {
    return Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return null;
  }
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'inlet-reads-bench-'));
  const pg = await startEmbeddedPostgres(dir, logger);
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: pg.url,
    DATABASE_POOL_MAX: '20',
    CLAMD_PORT: '1',
    CLAMD_TIMEOUT_MS: '200',
    RATE_LIMIT_PER_MINUTE: '1000000',
    RATE_LIMIT_PER_TENANT_PER_MINUTE: '10000000',
  });
  const c = await makeContainer(config, logger, pg.url, makeLocalKeyProvider([generateKek('b')]));
  await migrate(c.db.pool);
  const app = await buildApp(c, { logger });
  try {
    const { tenant, apiKey } = await c.tenants.createTenant('bench', {
      actor: 'operator',
      requestId: null,
      clientIp: null,
    });
    const mb = await c.mailboxes.createLocal(
      { ...systemActor(tenant.id, 'bench'), scopes: new Set<never>() },
      { address: 'support@acme.example', displayName: null },
    );
    const mailDir = path.join(dir, 'mail');
    await mkdir(mailDir);
    await writeThread(mailDir, 'big', 50);
    await writeThread(mailDir, 'small', 6);
    for (let i = 0; i < 78; i++) await writeThread(mailDir, `t${i}`, 2);
    const s = await importMail(c, mailDir, mb.id);
    const { rows } = await c.db.tx((ex) =>
      ex.query<{ id: string; n: number }>(
        'SELECT ticket_id AS id, count(*)::int AS n FROM messages GROUP BY ticket_id',
      ),
    );
    const big = rows.find((r) => r.n === 50)?.id;
    const small = rows.find((r) => r.n === 6)?.id;
    if (!big || !small) throw new Error('seeding did not thread the 50- and 6-message tickets');
    console.log(
      `seeded by import: ${s.messages} messages, ${s.ticketsOpened} tickets; ${seconds} s × ${connections} connections × ${runs} runs each`,
    );

    await app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const cases = [
      { name: 'ticket detail, 50 messages', url: `${base}/v1/tickets/${big}`, goal: 20 },
      { name: 'ticket detail, 6 messages', url: `${base}/v1/tickets/${small}`, goal: 10 },
      { name: 'ticket list, page of 50', url: `${base}/v1/tickets?limit=50`, goal: 20 },
    ];
    const pgPid = postmasterPid(path.join(dir, 'pg'));
    const only = process.env.READS_ONLY; // e.g. "50 messages", to profile one case
    for (const k of cases.filter((x) => !only || x.name.includes(only))) {
      const res = await fetch(k.url, { headers: { authorization: `Bearer ${apiKey.token}` } });
      if (!res.ok) throw new Error(`${k.name}: ${res.status} ${await res.text()}`);
      const bytes = (await res.arrayBuffer()).byteLength;
      await load(k.url, apiKey.token, 2); // warm-up, not counted
      const figs: Figures[] = [];
      const cpu: { node: number; pg: number }[] = [];
      for (let i = 0; i < runs; i++) {
        const n0 = process.cpuUsage();
        const p0 = postgresCpuSeconds(pgPid);
        const f = await load(k.url, apiKey.token);
        const n1 = process.cpuUsage(n0);
        const reqs = f.rps * seconds;
        cpu.push({
          node: (n1.user + n1.system) / 1000 / reqs,
          pg: ((postgresCpuSeconds(pgPid) - p0) * 1000) / reqs,
        });
        figs.push(f);
      }
      // One connection: the time a request takes when it does not queue behind 49 others.
      const alone = await load(k.url, apiKey.token, Math.min(seconds, 5), 1);
      const failed = figs.reduce((a, f) => a + f.non2xx, 0) + alone.non2xx;
      console.log(
        `${k.name} (${(bytes / 1024).toFixed(0)} KB): p50 ${spread(figs.map((f) => f.p50))} ms, p99 ${spread(figs.map((f) => f.p99))} ms (goal < ${k.goal}), ${spread(figs.map((f) => f.rps))} req/s; CPU per request: Node ${spread(
          cpu.map((x) => x.node),
          2,
        )} ms, PostgreSQL ${spread(
          cpu.map((x) => x.pg),
          2,
        )} ms; one connection: p50 ${alone.p50} ms, p99 ${alone.p99} ms, ${alone.rps.toFixed(0)} req/s${failed > 0 ? `; ${failed} failed requests` : ''}`,
      );
    }
    console.log(
      `load average: ${os
        .loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}`,
    );
  } finally {
    await app.close();
    await c.close();
    await pg.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
