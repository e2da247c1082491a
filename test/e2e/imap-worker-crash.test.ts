// A real `inlet worker` process killed with SIGKILL in the middle of syncing 500 messages, then
// started again: every message ends up stored exactly once (messages and delivery records), and the
// restarted worker still stops cleanly on SIGTERM.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { makeTestApp, type TestApp } from '../helpers/app.js';
import { type CliProcess, killAll, localProcessEnv, runCli } from '../helpers/cli.js';
import { startDovecot } from '../helpers/dovecot.js';
import {
  appendMany,
  connectBody,
  counts,
  customerMessage,
  newImapUser,
  waitFor,
} from '../helpers/imap-mailbox.js';
import { localMailEnv } from '../helpers/local-mail.js';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp-sink.js';
import { bearer, createTenant, operatorKey, testKeyring } from '../helpers/tenants.js';

const dovecot = await startDovecot();
const reason = dovecot ? '' : ' (skipped: dovecot not installed)';
const keyring = testKeyring();
const total = 500;

let t: TestApp;
let sink: SmtpSink;
const workers: CliProcess[] = [];
let firstOut = () => '';

afterAll(async () => {
  await killAll(workers);
  await t?.close();
  await sink?.close();
  await dovecot?.stop();
});

function worker(): CliProcess {
  const w = runCli(
    ['worker'],
    localProcessEnv(keyring, {
      DATABASE_URL: t.database.url,
      LOG_LEVEL: 'info',
      SYNC_LEASE_SECONDS: '3',
      WORKER_CONCURRENCY: '2',
    }),
  );
  workers.push(w);
  return w;
}

describe.skipIf(!dovecot)(`inlet worker killed mid-sync${reason}`, () => {
  beforeAll(async () => {
    t = await makeTestApp({
      INLET_OPERATOR_KEY: operatorKey,
      INLET_MASTER_KEYS: keyring,
      ...localMailEnv,
    });
    sink = await startSmtpSink({ users: { sender: 'sender-pass' } });
  });

  it('stores every one of 500 messages exactly once across a SIGKILL and a restart', async () => {
    const tenant = await createTenant(t, 'Acme');
    const u = await newImapUser(dovecot!);
    await appendMany(
      dovecot!,
      u,
      Array.from({ length: total }, () => customerMessage('crash').raw),
    );
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/mailboxes',
      headers: bearer(tenant.token),
      payload: connectBody(dovecot!, sink, u),
    });
    expect(res.statusCode).toBe(201);
    const id: string = res.json().id;

    const first = worker();
    firstOut = () => first.output();
    await waitFor(
      'sync under way',
      async () => (await counts(t.database.db, id)).messages >= 40,
      60_000,
      10,
    );
    first.child.kill('SIGKILL');
    await first.exited;
    const atKill = await counts(t.database.db, id);
    console.log(`killed the worker with ${atKill.messages}/${total} messages stored`);
    expect(atKill.messages).toBeLessThan(total);

    const second = worker();
    const restarted = Date.now();
    await waitFor(
      'all messages',
      async () => (await counts(t.database.db, id)).messages >= total,
      120_000,
      100,
    ).catch(async (err) => {
      const jobs = (
        await t.database.db.tx((ex) =>
          ex.query(
            `SELECT task_identifier, attempts, max_attempts, locked_by, locked_at, run_at, last_error, key FROM graphile_worker.jobs`,
          ),
        )
      ).rows;
      const extra = (
        await t.database.db.tx((ex) =>
          ex.query(
            `SELECT (SELECT json_agg(q) FROM graphile_worker._private_job_queues q) AS queues, (SELECT json_agg(h) FROM worker_heartbeats h) AS hb`,
          ),
        )
      ).rows;
      throw new Error(
        `${err}: ${JSON.stringify(await counts(t.database.db, id))}\n${JSON.stringify(jobs)}\n${JSON.stringify(extra)}\n${firstOut().slice(-3000)}\n----\n${second.output().slice(-3000)}`,
      );
    });
    console.log(
      `restarted worker finished the sync in ${Date.now() - restarted} ms (lease/heartbeat expiry 3 s)`,
    );
    // Let any sync still queued (IDLE catch-up, the dead worker's released job) run to completion.
    await new Promise((r) => setTimeout(r, 4000));
    expect(await counts(t.database.db, id)).toEqual({
      messages: total,
      deliveries: total,
      tickets: total,
      distinctIds: total,
    });
    const view = (
      await t.app.inject({
        method: 'GET',
        url: `/v1/mailboxes/${id}`,
        headers: bearer(tenant.token),
      })
    ).json();
    expect(view.sync.progress).toEqual({ done: total, total });

    const stopAt = Date.now();
    second.child.kill('SIGTERM');
    const exit = await second.exited;
    expect(exit.code, second.output()).toBe(0);
    expect(Date.now() - stopAt).toBeLessThan(10_000);
  }, 240_000);
});
