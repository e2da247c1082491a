// More than one process, as a scaled deployment runs Inlet: 2 `inlet serve` (API) and 2 `inlet worker`
// processes on one database, 100 IMAP mailboxes on Dovecot with mail arriving on all of them, and
// one worker killed with SIGKILL in the middle. Checked:
//   exactly once   every APPENDed message stored once (messages, deliveries, distinct Message-IDs)
//   leases         each mailbox's IDLE lease split between the live workers; all go to the survivor
//                  after the kill, and a worker that joins gets its share back
//   no stuck job   nothing locked by the dead worker, nothing ready but not picked up, nothing failed
// Kept light for CI on 2 cores: 100 mailboxes × 3 messages, no attachments (clamd not started).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { freePort } from '../../src/lib/free-port.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { type CliProcess, killAll, localProcessEnv, runCli, waitForHttp } from '../helpers/cli.js';
import { startDovecot } from '../helpers/dovecot.js';
import { pollUntil } from '../helpers/fault.js';
import { connectBody, customerMessage, newImapUser } from '../helpers/imap-mailbox.js';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp-sink.js';
import { createTenant, operatorKey, testKeyring } from '../helpers/tenants.js';

const dovecot = await startDovecot();
const reason = dovecot ? '' : ' (skipped: dovecot not installed)';
const keyring = testKeyring();
const MAILBOXES = 100;
const ROUNDS = 3;

let t: TestApp;
let sink: SmtpSink;
const procs: CliProcess[] = [];

afterAll(async () => {
  await killAll(procs);
  await t?.close();
  await sink?.close();
  await dovecot?.stop();
});

function spawn(role: 'serve' | 'worker', port = 0): CliProcess {
  const p = runCli(
    [role],
    localProcessEnv(keyring, {
      DATABASE_URL: t.database.url,
      ...(port ? { PORT: String(port) } : {}),
      SYNC_LEASE_SECONDS: '3',
      WORKER_CONCURRENCY: '4',
    }),
  );
  procs.push(p);
  return p;
}

const rows = async <T>(sql: string, params: unknown[] = []): Promise<T[]> =>
  (await t.database.db.tx((ex) => ex.query(sql, params))).rows as T[];

/** Live IDLE leases per holding process id (holders are named host:pid:random). */
async function leasesByPid(): Promise<Map<number, number>> {
  const r = await rows<{ holder: string; n: number }>(
    `SELECT holder, count(*)::int AS n FROM mailbox_leases WHERE expires_at > now() GROUP BY holder`,
  );
  return new Map(r.map((x) => [Number(x.holder.split(':').at(-2)), x.n]));
}

async function storedTotals(): Promise<{ messages: number; deliveries: number; distinct: number }> {
  const [r] = await rows<{ messages: number; deliveries: number; distinct: number }>(
    `SELECT (SELECT count(*)::int FROM messages) AS messages,
            (SELECT count(*)::int FROM message_deliveries) AS deliveries,
            (SELECT count(DISTINCT message_id_bidx)::int FROM messages) AS distinct`,
  );
  return r!;
}

async function inParallel<T>(items: T[], width: number, fn: (x: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

describe.skipIf(!dovecot)(`2 API + 2 worker processes, 100 mailboxes${reason}`, () => {
  beforeAll(async () => {
    t = await makeTestApp({ INLET_OPERATOR_KEY: operatorKey, INLET_MASTER_KEYS: keyring });
    sink = await startSmtpSink({ users: { sender: 'sender-pass' } });
  });

  it('stores every message exactly once across a worker SIGKILL; leases go to the survivor and back to a new worker; no job stuck', async () => {
    const tenant = await createTenant(t, 'Acme');
    const ports = [await freePort(), await freePort()];
    for (const port of ports) spawn('serve', port);
    await Promise.all(ports.map((p) => waitForHttp(`http://127.0.0.1:${p}/healthz`, 120_000)));

    // Mailboxes connected through both API processes, alternately.
    const users: { user: string; password: string }[] = [];
    for (let i = 0; i < MAILBOXES; i++) users.push(await newImapUser(dovecot!, 'mp'));
    await inParallel(
      users.map((u, i) => ({ u, port: ports[i % 2]! })),
      4,
      async ({ u, port }) => {
        const res = await fetch(`http://127.0.0.1:${port}/v1/mailboxes`, {
          method: 'POST',
          headers: { authorization: `Bearer ${tenant.token}`, 'content-type': 'application/json' },
          body: JSON.stringify(connectBody(dovecot!, sink, u)),
        });
        expect(res.status, await res.clone().text()).toBe(201);
      },
    );

    const a = spawn('worker');
    const b = spawn('worker');
    const pidOf = (p: CliProcess) => p.child.pid!;
    // Both hold their share (50 each; a lease round every second).
    await pollUntil(
      'leases split between the two workers',
      async () => {
        const l = await leasesByPid();
        return l.get(pidOf(a)) === MAILBOXES / 2 && l.get(pidOf(b)) === MAILBOXES / 2;
      },
      120_000,
      250,
    );

    const append = (round: number) =>
      inParallel(users, 8, async (u) => {
        await dovecot!.append(u.user, 'INBOX', customerMessage(`mp${round}`).raw);
      });
    await append(1);
    // Round 2 arrives while worker A dies.
    const round2 = append(2);
    await pollUntil(
      'some of round 1 stored',
      async () => (await storedTotals()).messages >= MAILBOXES / 2,
      120_000,
      100,
    );
    a.child.kill('SIGKILL');
    await a.exited;
    const killedAt = Date.now();
    await round2;
    await append(3);

    // The survivor takes over every lease once the dead worker's run out.
    await pollUntil(
      'all leases on the survivor',
      async () => (await leasesByPid()).get(pidOf(b)) === MAILBOXES,
      60_000,
      250,
    );
    console.log(
      `survivor held all ${MAILBOXES} leases ${Date.now() - killedAt} ms after the kill (rounds 2 and 3 appended meanwhile)`,
    );

    // A worker that joins gets its share back from the survivor.
    const c = spawn('worker');
    const rebalance = await pollUntil(
      'leases rebalanced to the new worker',
      async () => {
        const l = await leasesByPid();
        return l.get(pidOf(c)) === MAILBOXES / 2 && l.get(pidOf(b)) === MAILBOXES / 2;
      },
      120_000,
      250,
    );
    console.log(`new worker got its ${MAILBOXES / 2} leases in ${rebalance} ms`);

    const total = MAILBOXES * ROUNDS;
    await pollUntil(
      `all ${total} messages stored`,
      async () => (await storedTotals()).messages >= total,
      180_000,
      250,
    ).catch(async (err: unknown) => {
      throw new Error(
        `${String(err)}: ${JSON.stringify(await storedTotals())}\n${procs.map((p) => p.output().slice(-1500)).join('\n----\n')}`,
      );
    });
    // Syncs still queued (IDLE catch-ups after takeover and rebalance) run to the end first.
    await pollUntil(
      'no sync job ready or running',
      async () =>
        (
          await rows(
            `SELECT 1 FROM graphile_worker.jobs WHERE task_identifier = 'mailbox.sync'
               AND (locked_at IS NOT NULL OR run_at <= now()) AND attempts < max_attempts`,
          )
        ).length === 0,
      60_000,
      250,
    );

    expect(await storedTotals()).toEqual({ messages: total, deliveries: total, distinct: total });
    const perMailbox = await rows<{ n: number }>(
      `SELECT count(*)::int AS n FROM messages GROUP BY mailbox_id HAVING count(*) <> $1`,
      [ROUNDS],
    );
    expect(perMailbox).toEqual([]);
    // No job stuck: none held for long (the dead worker's included), none failed for good. A job
    // counts its attempt when fetched, so a one-attempt cron job (provider.poll) running right now
    // has attempts = max_attempts while it is locked: only an unlocked one has failed for good.
    const stuck = await rows(
      `SELECT task_identifier, attempts, max_attempts, locked_by, left(last_error, 200) AS last_error
         FROM graphile_worker.jobs
        WHERE locked_at < now() - interval '20 seconds'
           OR (attempts >= max_attempts AND locked_at IS NULL)
           OR (run_at < now() - interval '30 seconds' AND attempts < max_attempts)`,
    );
    expect(stuck).toEqual([]);
    const statuses = await rows<{ status: string; n: number }>(
      `SELECT status, count(*)::int AS n FROM mailboxes GROUP BY status`,
    );
    expect(statuses).toEqual([{ status: 'active', n: MAILBOXES }]);
  }, 600_000);
});
