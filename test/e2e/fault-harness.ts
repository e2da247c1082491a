// The fault suite's harness (fault-suite.test.ts): `inlet start` as a child process on a pausable
// PostgreSQL, Dovecot, clamd and an SMTP sink; the state the faults share (one mailbox, one
// ticket, the accepted replies); and the invariant checks run after each fault, whose rows make
// the table printed at the end.
import { randomUUID } from 'node:crypto';

import { expect } from 'vitest';

import { freePort } from '../../src/lib/free-port.js';
import { type ClamdHandle, startClamd } from '../helpers/clamd.js';
import { type CliProcess, runCli } from '../helpers/cli.js';
import { type DovecotHandle, startDovecot } from '../helpers/dovecot.js';
import { logLines, pollUntil, readyz } from '../helpers/fault.js';
import { appendMany, connectBody, customerMessage, newImapUser } from '../helpers/imap-mailbox.js';
import { localMailEnv } from '../helpers/local-mail.js';
import {
  type PausablePostgres,
  query,
  startPausablePostgres,
} from '../helpers/pausable-postgres.js';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp-sink.js';
import { operatorKey, testKeyring } from '../helpers/tenants.js';
import { httpApi, sampleReadyz, storedCounts, stuckJobs } from './fault-probes.js';
import { printFaultTable, type Row } from './fault-table.js';

export async function startFaultHarness() {
  const dovecot: DovecotHandle | null = await startDovecot();
  const clamd: ClamdHandle | null = dovecot ? await startClamd() : null;
  const reason = !dovecot
    ? ' (skipped: dovecot not installed)'
    : !clamd
      ? ' (skipped: clamd not installed)'
      : '';
  /** What the faults share; set by setup(). */
  const st = {
    pgs: undefined as unknown as PausablePostgres,
    sink: undefined as unknown as SmtpSink,
    app: null as CliProcess | null,
    port: 0,
    token: '',
    mailboxId: '',
    user: undefined as unknown as { user: string; password: string },
    appended: 0,
    ticketId: '',
  };
  const logs: string[] = [];
  const keyring = testKeyring();
  const accepted = new Set<string>(); // Message-IDs of accepted replies
  const table: Row[] = [];

  async function startApp(): Promise<void> {
    st.app = runCli(['start'], {
      DATABASE_URL: st.pgs.url,
      DATABASE_OWNER_URL: st.pgs.ownerUrl,
      INLET_MASTER_KEYS: keyring,
      INLET_OPERATOR_KEY: operatorKey,
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      PORT: String(st.port),
      CLAMD_PORT: String(clamd!.port),
      CLAMD_TIMEOUT_MS: '5000',
      WORKER_STALL_ALERT_SECONDS: '2',
      WORKER_CONCURRENCY: '4',
      SYNC_LEASE_SECONDS: '3',
      MAIL_ALLOW_PLAINTEXT: 'true',
      ...localMailEnv,
    });
    const ms = await pollUntil(
      'inlet ready',
      async () => (await readyz(st.port, 3000)).status === 200,
      180_000,
      250,
    );
    console.log(`inlet start: ready in ${ms} ms`);
  }

  async function killApp(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const a = st.app!;
    a.child.kill(signal);
    await a.exited;
    logs.push(a.output());
    st.app = null;
  }

  const api = <T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => httpApi<T>(st.port, st.token, method, path, body, headers);
  const stored = () => storedCounts(st.pgs.url, st.mailboxId);

  const sentCount = (messageId: string) =>
    st.sink.messages.filter((m) => m.raw.toString('latin1').includes(messageId)).length;

  async function append(n: number, tag: string): Promise<void> {
    await appendMany(
      dovecot!,
      st.user,
      Array.from({ length: n }, () => customerMessage(tag).raw),
    );
    st.appended += n;
  }

  async function reply(key = randomUUID()): Promise<{ status: number; messageId: string | null }> {
    try {
      const res = await api<{ message_id: string }>(
        'POST',
        `/v1/tickets/${st.ticketId}/replies`,
        { text: `Reply ${key}` },
        { 'idempotency-key': key },
      );
      if (res.status === 201 || res.status === 202 || res.status === 200) {
        accepted.add(res.body.message_id);
        return { status: res.status, messageId: res.body.message_id };
      }
      return { status: res.status, messageId: null };
    } catch {
      return { status: 0, messageId: null };
    }
  }

  async function pausePg(ms: number): Promise<{ samples: number; ready: number }> {
    // Stop every PostgreSQL process: established connections hang too (a frozen primary).
    st.pgs.pause('all');
    const pause = new Promise((r) => setTimeout(r, ms));
    // Sampling starts after a grace second: the request in flight may have been answered before the pause.
    await new Promise((r) => setTimeout(r, 1000));
    const s = await sampleReadyz(st.port, pause);
    st.pgs.resume();
    return s;
  }

  function alertsSince(mark: number): number {
    return logLines(currentOutput().slice(mark)).filter(
      (l) => l.level >= 50 && /cannot run jobs/.test(String(l.msg)),
    ).length;
  }
  const currentOutput = () => logs.join('') + (st.app?.output() ?? '');

  /** RFC Message-IDs of the replies that ended failed with delivery_unknown (at-most-once's answer to
   *  a transmission cut short: possibly delivered, never sent a second time). */
  async function unknownReplies(): Promise<Set<string>> {
    const res = await api<{
      items?: { message_id: string; state: string; failure_reason: string | null }[];
    }>('GET', `/v1/tickets/${st.ticketId}/replies`);
    return new Set(
      (res.body.items ?? [])
        .filter((r) => r.state === 'failed' && r.failure_reason === 'delivery_unknown')
        .map((r) => r.message_id),
    );
  }

  async function settle(fault: string, extra: Partial<Row> = {}): Promise<void> {
    await pollUntil(
      `${fault}: all ${st.appended} messages stored`,
      async () => (await stored()).messages >= st.appended,
      120_000,
      250,
    );
    let unknown = new Set<string>();
    await pollUntil(
      `${fault}: all ${accepted.size} replies sent (or reported delivery_unknown)`,
      async () => {
        if ([...accepted].every((id) => sentCount(id) >= 1)) return true;
        unknown = await unknownReplies();
        return [...accepted].every((id) => sentCount(id) >= 1 || unknown.has(id));
      },
      120_000,
      250,
    );
    unknown = await unknownReplies();
    const s = await stored();
    // At most once always; exactly once unless the reply says its delivery is unknown.
    const dupSends = [...accepted].filter(
      (id) => sentCount(id) > 1 || (sentCount(id) === 0 && !unknown.has(id)),
    );
    const stuck = await stuckJobs(st.pgs.url);
    table.push({
      fault,
      appended: st.appended,
      stored: s.messages,
      replies: accepted.size,
      sent: [...accepted].filter((id) => sentCount(id) === 1).length,
      unknown: [...accepted].filter((id) => unknown.has(id)).length,
      stuck,
      readyzDown: 'n/a',
      alert: 'n/a',
      ...extra,
    });
    expect(s).toEqual({ messages: st.appended, distinct: st.appended, deliveries: st.appended });
    expect(dupSends).toEqual([]);
    expect(stuck).toBe(0);
  }

  async function setup(): Promise<void> {
    st.pgs = await startPausablePostgres();
    st.sink = await startSmtpSink({ users: { sender: 'sender-pass' } });
    st.port = await freePort();
    await startApp();
    const t = await fetch(`http://127.0.0.1:${st.port}/v1/tenants`, {
      method: 'POST',
      headers: { authorization: `Bearer ${operatorKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Faults' }),
    });
    st.token = ((await t.json()) as { api_key: { token: string } }).api_key.token;
    st.user = await newImapUser(dovecot!);
    const created = await api<{ id: string }>(
      'POST',
      '/v1/mailboxes',
      connectBody(dovecot!, st.sink, st.user),
    );
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    st.mailboxId = created.body.id;
    await append(10, 'base');
    await settle('baseline');
    const [row] = await query<{ ticket_id: string }>(
      st.pgs.url,
      'SELECT ticket_id FROM messages WHERE mailbox_id = $1 LIMIT 1',
      [st.mailboxId],
    );
    st.ticketId = row!.ticket_id;
  }

  async function teardown(): Promise<void> {
    st.pgs?.resume();
    if (st.app) await killApp();
    printFaultTable(table);
    await st.sink?.close();
    await st.pgs?.stop();
    await clamd?.dispose();
    await dovecot?.stop();
  }

  return {
    dovecot,
    clamd,
    reason,
    st,
    setup,
    teardown,
    startApp,
    killApp,
    stored,
    sentCount,
    append,
    reply,
    pausePg,
    alertsSince,
    currentOutput,
    settle,
  };
}
