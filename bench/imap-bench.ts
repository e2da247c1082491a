// IMAP sync against a real Dovecot, PostgreSQL and clamd: time-to-ticket (APPEND issued → message row
// stored, through IDLE → keyed sync job → pipeline) for many mailboxes, and a 1,000-mail backlog in
// one mailbox (600 new, 400 replies to them, every 20th with a 200 KB attachment) synced from
// scratch after an untimed 200-message warm-up: seconds, mis-threaded replies, CPU per message in
// every process (min/median/max of --runs, default 3).
// `npm run bench -- imap [--runs N] [--backlog-only] [--rtt MS]` prints the figures (--rtt: the
// backlog reaches Dovecot through a proxy adding that round trip); runImapBench() returns them.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import type { Container } from '../src/container.js';
import { messageIdBlindIndex } from '../src/crypto/index.js';
import { syncMailbox } from '../src/sync/sync-mailbox.js';
import { systemActor } from '../src/tenancy/actor.js';
import { type ClamdHandle, startClamd } from '../test/helpers/clamd.js';
import { type DovecotHandle, startDovecot } from '../test/helpers/dovecot.js';
import {
  appendMany,
  backlogMessages,
  connectInput,
  newImapUser,
} from '../test/helpers/imap-mailbox.js';
import { localMailEnv } from '../test/helpers/local-mail.js';
import { type SmtpSink, startSmtpSink } from '../test/helpers/smtp-sink.js';
import { startBenchDb } from './lib/bench-db.js';
import { timeToTicket } from './lib/imap-time-to-ticket.js';
import { type LatencyProxy, startLatencyProxy } from './lib/latency-proxy.js';
import { parentPid, pidFromFile, treeCpuMs } from './lib/proc-cpu.js';

export interface BacklogRun {
  messages: number;
  seconds: number;
  /** Share of the run's wall time Node's main thread was busy (event loop utilisation). */
  nodeBusy: number;
  misThreaded: number;
  /** CPU ms per message by process; null where /proc is not available. */
  cpuMsPerMessage: {
    node: number;
    postgres: number | null;
    dovecot: number | null;
    clamd: number | null;
  };
}

export interface ImapBenchFigures {
  timeToTicketMs: {
    p50: number;
    p95: number;
    p99: number;
    max: number;
    n: number;
    mailboxes: number;
  } | null;
  /** APPEND → IDLE notification (Dovecot batches change notifications for about 0.5 s). */
  idleNotifyMs: { p50: number; p95: number; n: number } | null;
  /** IMAP logins Inlet made per new mail while mail arrived over IDLE (0 when syncs reuse the IDLE session). */
  loginsPerMail: number | null;
  backlog: BacklogRun[];
}

export interface ImapBenchOptions {
  mailboxes: number;
  messages: number;
  appendGapMs: number;
  backlog: number;
  runs: number;
  /** Skip the time-to-ticket part. */
  backlogOnly: boolean;
  /** Round trip added between the backlog's mailbox and Dovecot (0 = loopback). */
  rttMs: number;
}

const defaults: ImapBenchOptions = {
  mailboxes: 20,
  messages: 400,
  appendGapMs: 20,
  backlog: 1000,
  runs: 3,
  backlogOnly: false,
  rttMs: 0,
};

const nodeCpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** One backlog synced from scratch, straight through the sync job's code. */
async function backlogRun(
  c: Container,
  tenantId: string,
  dovecot: DovecotHandle,
  sink: SmtpSink,
  clamd: ClamdHandle | null,
  total: number,
  /** Reach Dovecot on this port instead (the latency proxy). */
  imapPort: number | null,
): Promise<BacklogRun> {
  const u = await newImapUser(dovecot, 'backlog');
  const backlog = backlogMessages(total);
  await appendMany(dovecot, u, backlog.raws);
  const input = connectInput(dovecot, sink, u, { maxMessages: total });
  const mailbox = await c.imapMailboxes.connect(
    systemActor(tenantId, 'bench'),
    imapPort ? { ...input, imap: { ...input.imap, port: imapPort } } : input,
  );
  const backend = (
    await c.db.tx((ex) => ex.query<{ pid: number }>('SELECT pg_backend_pid() AS pid'))
  ).rows[0]!.pid;
  const roots = {
    postgres: parentPid(backend),
    dovecot: pidFromFile(join(dovecot.dir, 'run', 'master.pid')),
    clamd: clamd?.pid ?? null,
  };
  const cpu = () => ({
    node: nodeCpuMs(),
    postgres: treeCpuMs(roots.postgres),
    dovecot: treeCpuMs(roots.dovecot),
    clamd: treeCpuMs(roots.clamd),
  });
  const before = cpu();
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  const res = await syncMailbox(c, tenantId, mailbox.id);
  const seconds = (performance.now() - t0) / 1000;
  const elu = performance.eventLoopUtilization(elu0).utilization;
  const after = cpu();
  if (res.stored !== total) throw new Error(`backlog stored ${res.stored} of ${total}`);

  const indexKey = await c.db.tenantTx(tenantId, (ex) => c.keys.tenantKey(ex, tenantId, 'index'));
  const { rows } = await c.db.tx((ex) =>
    ex.query<{ b: Buffer; ticket: string }>(
      'SELECT message_id_bidx AS b, ticket_id AS ticket FROM messages WHERE mailbox_id = $1',
      [mailbox.id],
    ),
  );
  const ticketOf = new Map(rows.map((r) => [r.b.toString('hex'), r.ticket]));
  const ticket = (id: string) =>
    ticketOf.get(messageIdBlindIndex(indexKey.key, id).toString('hex'));
  const misThreaded = backlog.replies.filter(
    (r) => !ticket(r.messageId) || ticket(r.messageId) !== ticket(r.parent),
  ).length;
  const per = (k: keyof typeof before) => {
    const a = after[k];
    const b = before[k];
    return a === null || b === null ? null : Math.round(((a - b) / total) * 100) / 100;
  };
  return {
    messages: total,
    seconds: Math.round(seconds * 100) / 100,
    nodeBusy: Math.round(elu * 100) / 100,
    misThreaded,
    cpuMsPerMessage: {
      node: per('node')!,
      postgres: per('postgres'),
      dovecot: per('dovecot'),
      clamd: per('clamd'),
    },
  };
}

export async function runImapBench(
  options: Partial<ImapBenchOptions> = {},
): Promise<ImapBenchFigures | null> {
  const opts = { ...defaults, ...options };
  const dovecot = await startDovecot();
  if (!dovecot) return null;
  const clamd = await startClamd();
  const sink = await startSmtpSink({ users: { sender: 'sender-pass' } });
  const { c, tenantId, close } = await startBenchDb({
    CLAMD_PORT: String(clamd?.port ?? 1),
    ...(process.env.INGEST_ISOLATE_ABOVE_BYTES
      ? { INGEST_ISOLATE_ABOVE_BYTES: process.env.INGEST_ISOLATE_ABOVE_BYTES }
      : {}),
    ...localMailEnv,
  });
  const tenant = { id: tenantId };
  let proxy: LatencyProxy | null = null;
  try {
    // --rtt N: the backlog reaches Dovecot with N ms of round trip, as a server in another network would.
    proxy = opts.rttMs > 0 ? await startLatencyProxy(dovecot, opts.rttMs / 2) : null;
    const idle = opts.backlogOnly
      ? { timeToTicketMs: null, idleNotifyMs: null, loginsPerMail: null }
      : await timeToTicket(c, tenant.id, dovecot, sink, opts);
    // An untimed small backlog first, so the timed runs measure warm code (JIT, pools, caches),
    // as a long-running worker is when a backlog arrives.
    if (opts.runs > 0)
      await backlogRun(
        c,
        tenant.id,
        dovecot,
        sink,
        clamd,
        Math.min(200, opts.backlog),
        proxy?.port ?? null,
      );
    const backlog: BacklogRun[] = [];
    for (let i = 0; i < opts.runs; i++)
      backlog.push(
        await backlogRun(c, tenant.id, dovecot, sink, clamd, opts.backlog, proxy?.port ?? null),
      );
    return { ...idle, backlog };
  } finally {
    await proxy?.close();
    await close();
    await sink.close();
    await clamd?.dispose();
    await dovecot.stop();
  }
}

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? undefined : (process.argv[i + 1] ?? '');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const figures = await runImapBench({
    ...(flag('runs') ? { runs: Number(flag('runs')) } : {}),
    ...(flag('backlog') ? { backlog: Number(flag('backlog')) } : {}),
    backlogOnly: process.argv.includes('--backlog-only'),
    ...(flag('rtt') ? { rttMs: Number(flag('rtt')) } : {}),
  });
  if (!figures) {
    console.log('imap-bench skipped: dovecot not installed');
  } else {
    const t = figures.timeToTicketMs;
    if (t && figures.idleNotifyMs) {
      console.log(
        `time to ticket (APPEND → message stored via IDLE + sync job), ${t.n} messages over ${t.mailboxes} mailboxes:`,
      );
      console.log(`  p50 ${t.p50} ms   p95 ${t.p95} ms   p99 ${t.p99} ms   max ${t.max} ms`);
      console.log(
        `  of which APPEND → IDLE notification: p50 ${figures.idleNotifyMs.p50} ms, p95 ${figures.idleNotifyMs.p95} ms (n=${figures.idleNotifyMs.n})`,
      );
      console.log(`  IMAP logins by Inlet per new mail: ${figures.loginsPerMail}`);
    }
    const runs = figures.backlog;
    if (runs.length === 0) process.exit(0);
    const mmm = (xs: (number | null)[]) => {
      const v = xs.filter((x): x is number => x !== null).sort((a, b) => a - b);
      return v.length === 0
        ? 'n/a'
        : `${v[0]} / ${v[Math.floor((v.length - 1) / 2)]} / ${v.at(-1)}`;
    };
    console.log(
      `backlog of ${runs[0]?.messages} messages in one mailbox (600 new, 400 replies, 5% with 200 KB), round trip to Dovecot +${flag('rtt') ?? 0} ms, min / median / max of ${runs.length}:`,
    );
    console.log(
      `  seconds ${mmm(runs.map((r) => r.seconds))}   mis-threaded ${mmm(runs.map((r) => r.misThreaded))}   Node main thread busy ${mmm(runs.map((r) => r.nodeBusy))} of the time`,
    );
    for (const k of ['node', 'postgres', 'dovecot', 'clamd'] as const)
      console.log(`  CPU ms/message ${k.padEnd(8)} ${mmm(runs.map((r) => r.cpuMsPerMessage[k]))}`);
    const totals = runs.map((r) =>
      Object.values(r.cpuMsPerMessage).reduce<number>((a, b) => a + (b ?? 0), 0),
    );
    console.log(`  CPU ms/message all      ${mmm(totals.map((x) => Math.round(x * 100) / 100))}`);
    console.log(
      `  (uptime load when done: ${(await import('node:os'))
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')})`,
    );
  }
}
