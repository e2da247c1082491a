// Soak: N IMAP mailboxes on Dovecot with steady new mail and replies sent at the same time, served by
// real `inlet serve` and `inlet worker` processes, for a while. Every sample interval it prints a
// row: mails stored and APPEND→ticket p50/p99 in the interval, replies sent, RSS and CPU of every
// process (serve, each worker, PostgreSQL, Dovecot), PostgreSQL connections and the job queue. The
// RSS columns are the memory curve: flat after warm-up means no growth (PostgreSQL's and Dovecot's
// are the sum over their processes, so shared memory is counted more than once: read the trend).
// At the end: every mail stored once, and the IMAP logins Inlet made (Dovecot's log, the bench's own
// APPENDs subtracted): 0 when every sync and send ran on its mailbox's IDLE session.
//
//   npm run bench -- soak [--mailboxes 200] [--minutes 10] [--rate 10] [--reply-rate 1]
//                         [--workers 2] [--sample 10]
// rate = new mails per second over all mailboxes; reply-rate = replies per second through the API.
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';

import pg from 'pg';

import { loadConfig } from '../src/config.js';
import { makeContainer } from '../src/container.js';
import { messageIdBlindIndex } from '../src/crypto/index.js';
import { freePort } from '../src/lib/free-port.js';
import { makeLogger } from '../src/lib/logger.js';
import { migrate } from '../src/store/migrate.js';
import { type CliProcess, runCli, waitForHttp } from '../test/helpers/cli.js';
import { startDovecot } from '../test/helpers/dovecot.js';
import { connectBody, customerMessage, newImapUser } from '../test/helpers/imap-mailbox.js';
import { localMailEnv } from '../test/helpers/local-mail.js';
import { startPostgresServer, withDatabase } from '../test/helpers/postgres-server.js';
import { startSmtpSink } from '../test/helpers/smtp-sink.js';
import { parentPid, pidFromFile, processTree, rssMb, treeCpuMs } from './lib/proc-cpu.js';
import { opts, roomForIdle } from './lib/soak-options.js';
import { loginsWhenQuiet, soakLogins, waitForLeases } from './lib/soak-ready.js';
import { printSoakHeader, printSoakTail } from './lib/soak-report.js';
import { pctSorted as pct, sleep } from './lib/stats.js';

const dovecot = await startDovecot();
if (!dovecot) {
  console.log('soak-bench skipped: dovecot not installed');
  process.exit(0);
}
roomForIdle(opts.mailboxes);
const server = await startPostgresServer();
const dbName = `inlet_soak_${randomBytes(4).toString('hex')}`;
const admin = new pg.Client({ connectionString: server.adminUrl });
await admin.connect();
await admin.query(`CREATE DATABASE ${dbName}`);
const url = withDatabase(server.adminUrl, dbName);
const sink = await startSmtpSink({ users: { sender: 'sender-pass' } });
const keyring = `k1:${randomBytes(32).toString('base64')}`;
const env = {
  DATABASE_URL: url,
  INLET_MASTER_KEYS: keyring,
  NODE_ENV: 'test',
  LOG_LEVEL: 'warn',
  CLAMD_PORT: '1',
  ...localMailEnv,
};
// This process only sets up, reads the blind-index key and samples; the service runs in children.
const c = await makeContainer(
  loadConfig({ ...env, DATABASE_POOL_MAX: '3' }),
  makeLogger({ level: 'silent' }),
  url,
);
const procs: { name: string; p: CliProcess }[] = [];
try {
  await migrate(c.db.pool);
  const { tenant, apiKey } = await c.tenants.createTenant('Soak', {
    actor: 'operator',
    requestId: null,
    clientIp: null,
  });
  const indexKey = await c.db.tenantTx(tenant.id, (ex) => c.keys.tenantKey(ex, tenant.id, 'index'));
  const port = await freePort();
  procs.push({ name: 'serve', p: runCli(['serve'], { ...env, PORT: String(port) }) });
  await waitForHttp(`http://127.0.0.1:${port}/healthz`, 120_000);
  const api = (method: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`http://127.0.0.1:${port}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${apiKey.token}`,
        'content-type': 'application/json',
        ...headers,
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });

  const users: { user: string; password: string }[] = [];
  for (let i = 0; i < opts.mailboxes; i++) users.push(await newImapUser(dovecot, 'soak'));
  for (let i = 0; i < users.length; i += 8)
    await Promise.all(
      users.slice(i, i + 8).map(async (u) => {
        const res = await api(
          'POST',
          '/v1/mailboxes',
          connectBody(dovecot, sink, u, { backfill: { max_messages: 0 } }),
        );
        if (res.status !== 201) throw new Error(`connect: ${res.status} ${await res.text()}`);
      }),
    );
  for (let i = 0; i < opts.workers; i++)
    procs.push({
      name: `worker${i + 1}`,
      p: runCli(['worker'], {
        ...env,
        WORKER_CONCURRENCY: '4',
        SYNC_LEASE_SECONDS: '15',
        LOG_LEVEL: 'info',
      }),
    });
  const q = async <T>(sql: string, params: unknown[] = []) =>
    (await c.db.tx((ex) => ex.query(sql, params))).rows as T[];
  const t0 = Date.now();
  await waitForLeases(q, opts.mailboxes, opts.workers);
  console.log(
    `${opts.mailboxes} mailboxes watched by ${opts.workers} workers after ${Math.round((Date.now() - t0) / 1000)} s; ` +
      `${opts.rate} mails/s and ${opts.replyRate} replies/s for ${opts.minutes} min, a row every ${opts.sampleS} s`,
  );

  // Processes whose CPU and memory are sampled.
  const backend = (await q<{ pid: number }>('SELECT pg_backend_pid() AS pid'))[0]!.pid;
  const roots = [
    ...procs.map(({ name, p }) => ({ name, pid: p.child.pid! })),
    { name: 'postgres', pid: parentPid(backend)! },
    { name: 'dovecot', pid: pidFromFile(join(dovecot.dir, 'run', 'master.pid'))! },
  ];
  const treeRss = (pid: number) => processTree(pid).reduce((sum, p) => sum + (rssMb(p) ?? 0), 0);

  const dovecotLogins = () => soakLogins(dovecot.dir);
  const loginsBefore = await loginsWhenQuiet(dovecot.dir);
  const sentAt = new Map<string, number>();
  let appended = 0;
  let replies = 0;
  let replyErrors = 0;
  let stopping = false;
  const t0Load = Date.now();
  // Where the workers' logs stood when the load began: what they say during it is summed up at the end.
  const logStart = procs.map(({ p }) => p.output().length);
  const endAt = t0Load + opts.minutes * 60_000;
  const appender = (async () => {
    let inFlight = 0;
    for (let i = 0; !stopping && Date.now() < endAt; i++) {
      const due = t0Load + (i * 1000) / opts.rate;
      if (due > Date.now()) await sleep(due - Date.now());
      while (inFlight >= 16) await sleep(5);
      const m = customerMessage('soak');
      const u = users[i % users.length]!;
      inFlight++;
      const key = messageIdBlindIndex(indexKey.key, m.messageId).toString('hex');
      sentAt.set(key, Date.now()); // APPEND issued
      void dovecot
        .append(u.user, 'INBOX', m.raw)
        .then(() => void appended++)
        .catch(() => sentAt.delete(key))
        .finally(() => inFlight--);
    }
    while (inFlight > 0) await sleep(20);
  })();
  let recentTickets: string[] = [];
  const replier = (async () => {
    for (let i = 0; !stopping && Date.now() < endAt; i++) {
      const due = t0Load + (i * 1000) / opts.replyRate;
      if (due > Date.now()) await sleep(due - Date.now());
      const ticket = recentTickets[Math.floor(Math.random() * recentTickets.length)];
      if (!ticket) continue;
      const res = await api(
        'POST',
        `/v1/tickets/${ticket}/replies`,
        { text: 'Thanks, we are on it.' },
        { 'idempotency-key': randomUUID() },
      ).catch(() => null);
      if (res?.status === 202 || res?.status === 201) replies++;
      else if (replyErrors++ === 0)
        console.log(`first refused reply: ${res?.status} ${(await res?.text())?.slice(0, 300)}`);
      await res?.body?.cancel().catch(() => undefined);
    }
  })();

  printSoakHeader(roots);
  const counted = new Set<string>();
  let lastCpu = roots.map((r) => treeCpuMs(r.pid) ?? 0);
  let lastWall = Date.now();
  const allLat: number[] = [];
  const rssCurve: number[][] = [];
  let stored = 0;
  const sample = async () => {
    const now = Date.now();
    // received_at is the storing transaction's start, so a page can commit with a time before the
    // last sample's: look back a while and count each message once.
    const rows = (
      await q<{ b: Buffer; at: Date }>(
        `SELECT message_id_bidx AS b, received_at AS at FROM messages
          WHERE received_at > now() - interval '60 seconds' AND direction = 'inbound'`,
      )
    ).filter((r) => {
      const k = r.b.toString('hex');
      if (counted.has(k)) return false;
      counted.add(k);
      return true;
    });
    const lat = rows
      .map((r) => {
        const k = r.b.toString('hex');
        const at = sentAt.get(k);
        sentAt.delete(k);
        return at === undefined ? null : Math.max(0, r.at.getTime() - at);
      })
      .filter((x): x is number => x !== null)
      .sort((a, b) => a - b);
    allLat.push(...lat);
    stored += rows.length;
    const cpu = roots.map((r) => treeCpuMs(r.pid) ?? 0);
    const wall = now - lastWall;
    const rss = roots.map((r) => treeRss(r.pid));
    rssCurve.push(rss);
    const [s] = await q<{ conns: number; ready: number; running: number }>(
      `SELECT (SELECT count(*)::int FROM pg_stat_activity WHERE datname = current_database()) AS conns,
              (SELECT count(*)::int FROM graphile_worker.jobs WHERE locked_at IS NULL AND run_at <= now() AND attempts < max_attempts) AS ready,
              (SELECT count(*)::int FROM graphile_worker.jobs WHERE locked_at IS NOT NULL) AS running`,
    );
    recentTickets = (
      await q<{ id: string }>('SELECT id FROM tickets ORDER BY created_at DESC LIMIT 100')
    ).map((r) => r.id);
    console.log(
      [
        String(Math.round((now - t0Load) / 1000)).padStart(5),
        String(rows.length).padStart(6),
        (rows.length / (wall / 1000)).toFixed(1).padStart(6),
        String(pct(lat, 50)).padStart(6),
        String(pct(lat, 99)).padStart(6),
        String(sink.messages.length).padStart(5),
        ...roots.map((r, i) =>
          `${rss[i]}/${Math.round(((cpu[i]! - lastCpu[i]!) / wall) * 100)}`.padStart(18),
        ),
        String(s!.conns).padStart(6),
        String(s!.ready).padStart(5),
        String(s!.running).padStart(7),
      ].join(' '),
    );
    lastCpu = cpu;
    lastWall = now;
  };
  while (Date.now() < endAt) {
    await sleep(Math.min(opts.sampleS * 1000, Math.max(0, endAt - Date.now())));
    await sample();
  }
  stopping = true;
  await appender;
  await replier;
  // Drain: what was appended last is stored within a few seconds.
  const drainUntil = Date.now() + 60_000;
  while (stored < appended && Date.now() < drainUntil) {
    await sleep(opts.sampleS * 1000);
    await sample();
  }
  allLat.sort((a, b) => a - b);
  const inletLogins = (await dovecotLogins()) - loginsBefore - appended;
  const [once] = await q<{ n: number; distinct: number }>(
    `SELECT count(*)::int AS n, count(DISTINCT message_id_bidx)::int AS distinct FROM messages WHERE direction = 'inbound'`,
  );
  const seconds = (Date.now() - t0Load) / 1000;
  console.log(
    `\n${stored} of ${appended} mails stored (${(stored / seconds).toFixed(1)}/s over ${Math.round(seconds)} s); ` +
      `APPEND→ticket p50 ${pct(allLat, 50)} ms, p99 ${pct(allLat, 99)} ms, max ${allLat.at(-1)} ms; ` +
      `${replies} replies accepted, ${sink.messages.length} delivered to SMTP, ${replyErrors} refused; ` +
      `inbound rows ${once!.n}, distinct Message-IDs ${once!.distinct}; ` +
      `IMAP logins by Inlet ${inletLogins} (${(inletLogins / Math.max(1, appended)).toFixed(3)} per mail, ${opts.workers} workers)`,
  );
  await printSoakTail({ q, t0Load, procs, logStart, roots, rssCurve });
  console.log(
    `  uptime load: ${(await import('node:os'))
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
} finally {
  for (const { p } of procs) if (p.child.exitCode === null) p.child.kill('SIGTERM');
  await Promise.all(procs.map(({ p }) => Promise.race([p.exited, sleep(15_000)])));
  for (const { p } of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  await c.close();
  await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await admin.end();
  await sink.close();
  await dovecot.stop();
  await server.stop();
}
