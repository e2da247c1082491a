// Inlet behind a transaction-mode PgBouncer, the way managed PostgreSQL is usually offered: real
// `inlet serve` and `inlet worker` processes whose DATABASE_URL points at PgBouncer, a real Dovecot
// and an SMTP sink. What must hold there (docs/scaling.md): migrations take no session lock, every
// tenant-scoped statement runs inside a transaction (SET LOCAL), and jobs still run although
// LISTEN/NOTIFY cannot cross a transaction pool (graphile-worker falls back to its poll).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';

import { freePort } from '../../src/lib/free-port.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { type CliProcess, killAll, localProcessEnv, runCli, waitForHttp } from '../helpers/cli.js';
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
import { type PgBouncerHandle, startPgBouncer } from '../helpers/pgbouncer.js';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp-sink.js';
import { operatorKey, testKeyring } from '../helpers/tenants.js';

const dovecot = await startDovecot();
const bouncer = await startPgBouncer(inject('pgAdminUrl'));
const reason = !dovecot
  ? ' (skipped: dovecot not installed)'
  : !bouncer
    ? ' (skipped: pgbouncer not installed)'
    : '';
const keyring = testKeyring();
const total = 120;

let t: TestApp;
let sink: SmtpSink;
const procs: CliProcess[] = [];

afterAll(async () => {
  await killAll(procs);
  await t?.close();
  await sink?.close();
  await bouncer?.stop();
  await dovecot?.stop();
});

function start(role: 'serve' | 'worker', env: Record<string, string>): CliProcess {
  const p = runCli(
    [role],
    localProcessEnv(keyring, { LOG_LEVEL: 'info', WORKER_CONCURRENCY: '4', ...env }),
  );
  procs.push(p);
  return p;
}

describe.skipIf(reason !== '')(`Inlet through PgBouncer in transaction mode${reason}`, () => {
  let base: string;
  beforeAll(async () => {
    t = await makeTestApp({
      INLET_OPERATOR_KEY: operatorKey,
      INLET_MASTER_KEYS: keyring,
      ...localMailEnv,
    });
    sink = await startSmtpSink({ users: { sender: 'sender-pass' } });
    const url = (bouncer as PgBouncerHandle).url(t.database.url);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    // serve applies (here: re-checks) migrations through the pooler before it listens.
    const api = start('serve', {
      DATABASE_URL: url,
      DATABASE_POOL_MODE: 'transaction',
      PORT: String(port),
      HOST: '127.0.0.1',
    });
    await waitForHttp(`${base}/healthz`, 180_000).catch((err) => {
      throw new Error(`${err}\n${api.output()}`);
    });
    start('worker', { DATABASE_URL: url, DATABASE_POOL_MODE: 'transaction' });
  });

  const call = async (
    method: string,
    path: string,
    token: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };

  it('takes in IMAP mail exactly once and sends a reply once, every statement through the pool', async () => {
    const tenant = await call('POST', '/v1/tenants', operatorKey, { name: 'Pooled' });
    expect(tenant.status).toBe(201);
    const token: string = tenant.body.api_key.token;
    const u = await newImapUser(dovecot!);
    const mailbox = await call('POST', '/v1/mailboxes', token, connectBody(dovecot!, sink, u));
    expect(mailbox.status, JSON.stringify(mailbox.body)).toBe(201);
    const id: string = mailbox.body.id;

    const started = Date.now();
    await appendMany(
      dovecot!,
      u,
      Array.from({ length: total }, () => customerMessage('pooled').raw),
    );
    await waitFor(
      'all messages',
      async () => (await counts(t.database.db, id)).messages >= total,
      180_000,
      200,
    ).catch(async (err) => {
      throw new Error(
        `${err}: ${JSON.stringify(await counts(t.database.db, id))}\n${procs.map((p) => p.output()).join('\n')}`,
      );
    });
    const ms = Date.now() - started;
    console.log(
      `through PgBouncer (transaction mode): ${total} IMAP messages to tickets in ${ms} ms (${((total * 1000) / ms).toFixed(0)} msg/s, LISTEN/NOTIFY unavailable)`,
    );
    expect(await counts(t.database.db, id)).toEqual({
      messages: total,
      deliveries: total,
      tickets: total,
      distinctIds: total,
    });

    const list = await call('GET', '/v1/tickets?limit=5', token);
    expect(list.status).toBe(200);
    const ticketId: string = list.body.items[0].id;
    const reply = () =>
      call(
        'POST',
        `/v1/tickets/${ticketId}/replies`,
        token,
        { text: 'Sent through the pool.' },
        { 'idempotency-key': 'pooled-1' },
      );
    const [a, b] = await Promise.all([reply(), reply()]);
    for (const r of [a, b]) expect([200, 202], JSON.stringify(r.body)).toContain(r.status);
    expect(a.body.id).toBe(b.body.id);
    await waitFor('reply sent', async () => sink.messages.length >= 1, 60_000, 100).catch((err) => {
      throw new Error(`${err}\n${procs.map((p) => p.output()).join('\n')}`);
    });
    // A retry or a second pickup would show up as a second delivery within a few poll intervals.
    await new Promise((r) => setTimeout(r, 5000));
    expect(
      sink.messages.filter((m) => m.raw.toString('utf8').includes('Sent through the pool.')),
    ).toHaveLength(1);
    const view = await call('GET', `/v1/tickets/${ticketId}`, token);
    expect(view.status).toBe(200);
  }, 400_000);
});
