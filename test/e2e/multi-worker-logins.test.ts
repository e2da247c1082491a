// IMAP logins with two `inlet worker` processes. Each mailbox's IDLE connection lives in one worker
// (its lease); its sync and send jobs are routed there (src/sync/lease-routing.ts), so they borrow
// that logged-in session wherever the job was enqueued. Counted with Dovecot's own log:
//   new mail      3 rounds of one mail per mailbox, half the mailboxes in each worker: 0 logins
//   replies       one reply per mailbox through the API: 0 IMAP logins (the Sent copy goes over
//                 the IDLE session; SMTP is the sink's business)
//   holder killed replies routed to a worker that is then SIGKILLed are sent by the other one
//                 once its heartbeat is stale; every reply sent once, every mail stored once,
//                 no job left routed to the dead worker, none stuck
import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { makeTestApp, type TestApp } from '../helpers/app.js';
import { type CliProcess, killAll, localProcessEnv, runCli } from '../helpers/cli.js';
import { startDovecot } from '../helpers/dovecot.js';
import { pollUntil } from '../helpers/fault.js';
import {
  connectBody,
  customerMessage,
  imapLogins,
  imapSessions,
  newImapUser,
} from '../helpers/imap-mailbox.js';
import { localMailEnv } from '../helpers/local-mail.js';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp-sink.js';
import { createTenant, operatorKey, testKeyring } from '../helpers/tenants.js';

const dovecot = await startDovecot();
const reason = dovecot ? '' : ' (skipped: dovecot not installed)';
const keyring = testKeyring();
const MAILBOXES = 8;
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

function spawnWorker(): CliProcess {
  const p = runCli(
    ['worker'],
    localProcessEnv(keyring, {
      DATABASE_URL: t.database.url,
      // Long enough that replies made right after the kill are still routed to the dead worker, and
      // that a worker slowed down by a busy machine is not taken for dead (its jobs then run
      // elsewhere, on a login of their own: correct, but not what this test counts).
      SYNC_LEASE_SECONDS: '15',
      WORKER_CONCURRENCY: '4',
    }),
  );
  procs.push(p);
  return p;
}

const rows = async <T>(sql: string, params: unknown[] = []): Promise<T[]> =>
  (await t.database.db.tx((ex) => ex.query(sql, params))).rows as T[];

/** Live leases: mailbox id → holder. */
async function leases(): Promise<Map<string, string>> {
  const r = await rows<{ mailbox_id: string; holder: string }>(
    'SELECT mailbox_id, holder FROM mailbox_leases WHERE expires_at > now()',
  );
  return new Map(r.map((x) => [x.mailbox_id, x.holder]));
}
const pidOf = (holder: string) => Number(holder.split(':').at(-2));

const syncsPending = async () =>
  (
    await rows(
      `SELECT 1 FROM graphile_worker.jobs WHERE task_identifier IN ('mailbox.sync', 'reply.send')
         AND (locked_at IS NOT NULL OR run_at <= now()) AND attempts < max_attempts`,
    )
  ).length;
const storedMessages = async () =>
  (
    await rows<{ n: number }>(`SELECT count(*)::int AS n FROM messages WHERE direction = 'inbound'`)
  )[0]!.n;

describe.skipIf(!dovecot)(`two worker processes, ${MAILBOXES} IMAP mailboxes${reason}`, () => {
  beforeAll(async () => {
    t = await makeTestApp({
      INLET_OPERATOR_KEY: operatorKey,
      INLET_MASTER_KEYS: keyring,
      ...localMailEnv,
    });
    sink = await startSmtpSink({ users: { sender: 'sender-pass' } });
  });

  it('new mail and replies cost no IMAP login in either worker; jobs routed to a killed worker run on the other', async () => {
    const tenant = await createTenant(t, 'Acme');
    const api = (method: 'POST', url: string, payload: object, headers = {}) =>
      t.app.inject({
        method,
        url,
        payload,
        headers: { authorization: `Bearer ${tenant.token}`, ...headers },
      });
    const users: { user: string; password: string; id: string }[] = [];
    for (let i = 0; i < MAILBOXES; i++) {
      const u = await newImapUser(dovecot!, 'mw');
      const res = await api('POST', '/v1/mailboxes', connectBody(dovecot!, sink, u));
      expect(res.statusCode, res.body).toBe(201);
      users.push({ ...u, id: res.json<{ id: string }>().id });
    }
    const total = async () =>
      (await Promise.all(users.map((u) => imapLogins(dovecot!, u.user)))).reduce((a, b) => a + b);

    const a = spawnWorker();
    const b = spawnWorker();
    await pollUntil(
      'leases split between the two workers',
      async () => {
        const pids = [...(await leases()).values()].map(pidOf);
        const on = (p: CliProcess) => pids.filter((x) => x === p.child.pid).length;
        return on(a) === MAILBOXES / 2 && on(b) === MAILBOXES / 2;
      },
      120_000,
      250,
    );
    // First syncs done, and each mailbox down to its one IDLE session.
    await pollUntil(
      'first syncs done, one session per mailbox',
      async () =>
        (await syncsPending()) === 0 &&
        (await Promise.all(users.map((u) => imapSessions(dovecot!, u.user)))).every((n) => n === 1),
      120_000,
      250,
    );

    // New mail: the bench-style count — Dovecot's logins minus the test's own APPENDs (one each),
    // from when Dovecot has seen no login for 3 s (every IDLE connection up).
    let before = await total();
    await pollUntil(
      'no new login for 3 s',
      async () => {
        await new Promise((r) => setTimeout(r, 3000));
        const now = await total();
        const quiet = now === before;
        before = now;
        return quiet;
      },
      60_000,
      0,
    );
    for (let round = 1; round <= ROUNDS; round++) {
      for (const u of users) await dovecot!.append(u.user, 'INBOX', customerMessage('mw').raw);
      await pollUntil(
        `round ${round} stored`,
        async () => (await storedMessages()) === round * MAILBOXES,
        60_000,
        100,
      );
    }
    const mailLogins = (await total()) - before - ROUNDS * MAILBOXES;
    console.log(`IMAP logins by Inlet for ${ROUNDS * MAILBOXES} new mails: ${mailLogins}`);
    expect(mailLogins).toBe(0);

    // Replies: one per mailbox, sent over SMTP, their Sent copies APPENDed over the IDLE session.
    const ticketOf = new Map(
      (
        await rows<{ id: string; mailbox_id: string }>(
          'SELECT DISTINCT ON (mailbox_id) id, mailbox_id FROM tickets ORDER BY mailbox_id, created_at',
        )
      ).map((r) => [r.mailbox_id, r.id]),
    );
    const reply = async (mailboxId: string) => {
      const res = await api(
        'POST',
        `/v1/tickets/${ticketOf.get(mailboxId)}/replies`,
        { text: 'Thanks, we are on it.' },
        { 'idempotency-key': randomUUID() },
      );
      expect([201, 202], res.body).toContain(res.statusCode);
    };
    const beforeReplies = await total();
    for (const u of users) await reply(u.id);
    await pollUntil('replies sent', async () => sink.messages.length === MAILBOXES, 60_000, 100);
    await pollUntil('send jobs done', async () => (await syncsPending()) === 0, 60_000, 100);
    const replyLogins = (await total()) - beforeReplies;
    console.log(`IMAP logins by Inlet for ${MAILBOXES} replies: ${replyLogins}`);
    expect(replyLogins).toBe(0);

    // The holder dies with jobs routed to it: replies made while its leases are still live, and
    // one more mail on every mailbox.
    const held = await leases();
    const aHolder = [...held.values()].find((h) => pidOf(h) === a.child.pid)!;
    const aMailboxes = [...held].filter(([, h]) => h === aHolder).map(([id]) => id);
    a.child.kill('SIGKILL');
    await a.exited;
    for (const id of aMailboxes) await reply(id);
    const routed = await rows(
      `SELECT 1 FROM graphile_worker.jobs WHERE task_identifier = 'reply.send' AND flags ? $1`,
      [`lease:${aHolder}`],
    );
    const stillLive = [...(await leases()).values()].filter((h) => h === aHolder).length;
    console.log(
      `${routed.length} of ${aMailboxes.length} replies routed to the killed worker (its leases live: ${stillLive})`,
    );
    if (stillLive === aMailboxes.length) expect(routed).toHaveLength(aMailboxes.length);
    for (const u of users) await dovecot!.append(u.user, 'INBOX', customerMessage('mw').raw);

    const replies = MAILBOXES + aMailboxes.length;
    await pollUntil(
      'every reply sent, every mail stored',
      async () =>
        sink.messages.length >= replies && (await storedMessages()) >= (ROUNDS + 1) * MAILBOXES,
      120_000,
      250,
    );
    await pollUntil('no job ready or running', async () => (await syncsPending()) === 0, 60_000);
    const ids = sink.messages.map((m) => /^Message-ID:\s*(\S+)/im.exec(m.raw.toString())?.[1]);
    expect(new Set(ids).size).toBe(replies);
    expect(sink.messages).toHaveLength(replies);
    const [counts] = await rows<{ messages: number; distinct: number }>(
      `SELECT count(*)::int AS messages, count(DISTINCT message_id_bidx)::int AS distinct
         FROM messages WHERE direction = 'inbound'`,
    );
    expect(counts).toEqual({
      messages: (ROUNDS + 1) * MAILBOXES,
      distinct: (ROUNDS + 1) * MAILBOXES,
    });
    const leftover = await rows(
      `SELECT task_identifier, flags, locked_by, attempts, max_attempts FROM graphile_worker.jobs
        WHERE flags ? $1 OR locked_at < now() - interval '20 seconds' OR attempts >= max_attempts`,
      [`lease:${aHolder}`],
    );
    expect(leftover).toEqual([]);
  }, 600_000);
});
