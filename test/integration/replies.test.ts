// Agents' replies end to end: the API stores and queues them, the send job delivers them through a
// real SMTP server (sink) and files them in a real Dovecot's Sent folder, and the customer's answer
// threads back. Faults (dropped connection, crash after sending, refusal, disconnect) never send twice.
import { randomUUID } from 'node:crypto';

import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import {
  emailBlindIndex,
  generateDataKey,
  mailboxAad,
  seal,
  verifyOutboundMessageId,
} from '../../src/crypto/index.js';
import { type SendOutcome, sendReply } from '../../src/outbound/send-reply.js';
import { sealCredentials } from '../../src/providers/open-mailbox.js';
import { insertMailbox } from '../../src/store/mailbox-store.js';
import { startDovecot } from '../helpers/dovecot.js';
import { type IngestFixture, makeIngestFixture } from '../helpers/ingest.js';
import { localMailEnv } from '../helpers/local-mail.js';
import { mail } from '../helpers/mail.js';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp-sink.js';
import { createTenant } from '../helpers/tenants.js';

const dovecot = await startDovecot();
const d = dovecot ? describe : describe.skip;

let f: IngestFixture;
let sink: SmtpSink;
let seq = 0;

beforeAll(async () => {
  if (!dovecot) return;
  f = await makeIngestFixture({ ...localMailEnv });
  sink = await startSmtpSink();
});
afterAll(async () => {
  await f?.t.close();
  await sink?.close();
  await dovecot?.stop();
});

/** An IMAP mailbox (own Dovecot user) with one customer ticket in it. */
async function mailboxWithTicket(subject = 'Printer on fire') {
  const n = ++seq;
  const user = `support${n}@acme${n}.example`;
  const password = `pw-${randomUUID()}`;
  await dovecot!.addUser(user, password);
  const tenantId = f.tenant.id;
  const { db, keys } = f.t.container;
  const mailboxId = randomUUID();
  await db.tenantTx(tenantId, async (ex) => {
    const dek = generateDataKey();
    await insertMailbox(ex, {
      id: mailboxId,
      tenantId,
      provider: 'imap',
      addressCt: seal(dek, user, mailboxAad('mailboxes.address', tenantId, mailboxId)),
      addressBidx: emailBlindIndex((await keys.tenantKey(ex, tenantId, 'index')).key, user),
      displayNameCt: seal(
        dek,
        'Acme Support',
        mailboxAad('mailboxes.display_name', tenantId, mailboxId),
      ),
      credentialsCt: sealCredentials(dek, tenantId, mailboxId, {
        imap: {
          host: dovecot!.host,
          port: dovecot!.port,
          secure: false,
          plaintext: true,
          auth: { user, password },
        },
        smtp: {
          host: sink.host,
          port: sink.port,
          secure: false,
          plaintext: true,
          auth: { user: 'sender', password: 'sender-pass' },
        },
      }),
    });
    await keys.createMailboxKey(ex, tenantId, mailboxId, dek);
  });
  const customerId = `${randomUUID()}@client.example`;
  const out = await f.ingest(
    mail({ messageId: customerId, to: user, subject, references: '<root@client.example>' }),
    { mailboxId },
  );
  if (out.status !== 'stored') throw new Error(`ingest: ${out.status}`);
  return { user, mailboxId, ticketId: out.ticketId, ticketNumber: out.ticketNumber, customerId };
}

const post = (
  ticketId: string,
  body: unknown,
  key: string | null = randomUUID(),
  token = f.tenant.token,
) =>
  f.t.app.inject({
    method: 'POST',
    url: `/v1/tickets/${ticketId}/replies`,
    payload: body as never,
    headers: {
      authorization: `Bearer ${token}`,
      ...(key === null ? {} : { 'idempotency-key': key }),
    },
  });

const owner = async <T extends object>(sql: string, params: unknown[]): Promise<T[]> =>
  (await f.t.container.db.tx((ex) => ex.query<T>(sql, params))).rows;
const outboxOf = async (messageId: string) =>
  (
    await owner<{
      id: string;
      state: string;
      attempts: number;
      last_error_class: string | null;
      failure_reason: string | null;
    }>(
      'SELECT id, state, attempts, last_error_class, failure_reason FROM outbox WHERE message_id = $1',
      [messageId],
    )
  )[0]!;
const runJob = async (messageId: string, attempt = 1, maxAttempts = 10): Promise<SendOutcome> =>
  sendReply(
    f.t.container,
    { tenantId: f.tenant.id, outboxId: (await outboxOf(messageId)).id },
    { attempt, maxAttempts },
  );
const delivered = (messageId: string) =>
  sink.messages.filter((m) => m.raw.toString('latin1').includes(messageId));
const counts = async () =>
  (
    await owner<{ outbox: number; outbound: number }>(
      `SELECT (SELECT count(*)::int FROM outbox) AS outbox, (SELECT count(*)::int FROM messages WHERE direction = 'outbound') AS outbound`,
      [],
    )
  )[0]!;

d('replies', () => {
  test('a reply reaches the customer from the mailbox, threaded, signed, filed in Sent; the answer joins the ticket', async () => {
    const m = await mailboxWithTicket();
    const pdf = Buffer.from('%PDF-1.4 invoice');
    const res = await post(m.ticketId, {
      text: 'We are on it.',
      html: '<p>We are <b>on it</b>.</p>',
      cc: ['Boss <boss@client.example>'],
      attachments: [
        {
          filename: 'invoice.pdf',
          content_type: 'application/pdf',
          content_base64: pdf.toString('base64'),
        },
      ],
    });
    expect(res.statusCode).toBe(202);
    const reply = res.json();
    expect(reply).toMatchObject({ ticket_id: m.ticketId, state: 'queued' });

    const outboxId = (await outboxOf(reply.id)).id;
    expect(
      await owner('SELECT queue_name, max_attempts FROM graphile_worker.jobs WHERE key = $1', [
        `reply:${outboxId}`,
      ]),
    ).toEqual([{ queue_name: `send:${m.mailboxId}`, max_attempts: 10 }]);
    expect(
      await owner(
        `SELECT actor FROM audit_log WHERE action = 'reply.create' AND resource_id = $1`,
        [m.ticketId],
      ),
    ).toEqual([{ actor: expect.stringMatching(/^key:/) }]);

    expect(await runJob(reply.id)).toBe('sent');
    const [sent, ...more] = delivered(reply.message_id);
    expect(more).toHaveLength(0);
    expect(sent!.envelope.rcptTo.sort()).toEqual([
      'boss@client.example',
      'customer@client.example',
    ]);
    const parsed = await simpleParser(sent!.raw);
    expect(parsed.from?.value).toEqual([{ name: 'Acme Support', address: m.user }]);
    expect(parsed.to && !Array.isArray(parsed.to) ? parsed.to.value : null).toEqual([
      { name: 'Customer', address: 'customer@client.example' },
    ]);
    expect(parsed.subject).toBe(`Re: Printer on fire [#${m.ticketNumber}]`);
    expect(parsed.inReplyTo).toBe(`<${m.customerId}>`);
    expect(parsed.references).toEqual(['<root@client.example>', `<${m.customerId}>`]);
    expect(parsed.messageId).toBe(reply.message_id);
    expect(parsed.headers.get('auto-submitted')).toBe('no');
    expect(
      parsed.attachments.map((a) => [a.filename, a.contentType, a.content.equals(pdf)]),
    ).toEqual([['invoice.pdf', 'application/pdf', true]]);
    const signingKey = await f.t.container.db.tenantTx(
      f.tenant.id,
      async (ex) => (await f.t.container.keys.tenantKey(ex, f.tenant.id, 'signing')).key,
    );
    expect(verifyOutboundMessageId(signingKey, f.tenant.id, reply.message_id)).toEqual({
      outboundId: outboxId,
    });
    const other = await createTenant(f.t, 'Other');
    expect(verifyOutboundMessageId(signingKey, other.id, reply.message_id)).toBeNull();
    expect(
      (await dovecot!.list(m.user, 'Sent')).filter((s) => s.raw.includes(reply.message_id)),
    ).toHaveLength(1);
    expect(await outboxOf(reply.id)).toMatchObject({ state: 'sent', attempts: 1 });
    expect(
      await owner('SELECT 1 FROM events WHERE type = $1 AND resource_id = $2', [
        'reply.sent',
        reply.id,
      ]),
    ).toHaveLength(1);

    const answer = await f.ingest(
      mail({
        to: m.user,
        subject: 'Thanks!',
        inReplyTo: reply.message_id,
        references: `<${m.customerId}> ${reply.message_id}`,
      }),
      { mailboxId: m.mailboxId },
    );
    expect(answer).toMatchObject({
      status: 'stored',
      ticketId: m.ticketId,
      threadRule: 'in_reply_to',
      kind: 'human',
    });
    const ticket = await f.api<{
      messages: { direction: string; kind: string; thread_rule: string }[];
    }>('GET', `/v1/tickets/${m.ticketId}`);
    expect(ticket.body.messages.map((x) => [x.direction, x.kind, x.thread_rule])).toEqual([
      ['inbound', 'human', 'new_ticket'],
      ['outbound', 'agent_reply', 'outbound'],
      ['inbound', 'human', 'in_reply_to'],
    ]);
  });

  test('line breaks or control characters in anything that becomes a header are refused, and nothing is stored', async () => {
    const m = await mailboxWithTicket();
    const before = await counts();
    const attempts: [string, unknown][] = [
      ['cc[0]', { text: 'x', cc: ['a@client.example\r\nBcc: victim@evil.example'] }],
      ['cc[0]', { text: 'x', cc: ['"Evil\rName" <a@client.example>'] }],
      [
        'attachments[0].filename',
        {
          text: 'x',
          attachments: [
            { filename: 'report\n.txt', content_type: 'text/plain', content_base64: 'aGk=' },
          ],
        },
      ],
      [
        'attachments[0].content_type',
        {
          text: 'x',
          attachments: [
            {
              filename: 'a.txt',
              content_type: 'text/plain\r\nBcc: v@evil.example',
              content_base64: 'aGk=',
            },
          ],
        },
      ],
    ];
    for (const [field, body] of attempts) {
      const res = await post(m.ticketId, body);
      expect(res.statusCode, field).toBe(400);
      expect(res.json()).toMatchObject({ code: 'header_injection', field });
    }
    // NUL is refused for every field of every request before it reaches a route.
    const nul = await post(m.ticketId, {
      text: 'x',
      attachments: [
        { filename: 'a\u0000b.txt', content_type: 'text/plain', content_base64: 'aGk=' },
      ],
    });
    expect(nul.statusCode).toBe(400);
    expect(nul.json().errors[0].path).toBe('body/attachments/0/filename');
    expect(await counts()).toEqual(before);
    // The inbound subject is attacker data: an RFC 2047-encoded newline must not become a Bcc, and
    // must not make the ticket unanswerable either: the reply's subject carries it on one line.
    const evil = await mailboxWithTicket('=?UTF-8?Q?Hello=0ABcc:_victim@evil.example?=');
    const res = await post(evil.ticketId, { text: 'x' });
    expect(res.statusCode).toBe(202);
    // (src/tickets/ticket-token.test.ts shows the subject it gets.)
    // Not an injection, but not one plain address either: a group, a quoted local part with '@', two addresses.
    for (const cc of [
      'friends: a@b.example;',
      '"victim@corp.example x"@evil.example',
      'a@b.example, c@d.example',
    ]) {
      expect((await post(m.ticketId, { text: 'x', cc: [cc] })).json()).toMatchObject({
        code: 'validation_failed',
        field: 'cc[0]',
      });
    }
  });

  test('the same Idempotency-Key: same body → same reply, one delivery; different body → 409', async () => {
    const m = await mailboxWithTicket();
    const key = `reply-${randomUUID()}`;
    const first = await post(m.ticketId, { text: 'Once only' }, key);
    const again = await post(m.ticketId, { text: 'Once only' }, key);
    expect([first.statusCode, again.statusCode]).toEqual([202, 202]);
    expect(again.json()).toEqual(first.json());
    expect(again.headers['idempotent-replayed']).toBe('true');
    const changed = await post(m.ticketId, { text: 'Once only!' }, key);
    expect(changed.statusCode).toBe(409);
    expect(changed.json().code).toBe('idempotency_conflict');
    expect(await owner('SELECT 1 FROM outbox WHERE idempotency_key = $1', [key])).toHaveLength(1);
    const id = first.json().id as string;
    expect(await runJob(id)).toBe('sent');
    expect(await runJob(id, 2)).toBe('nothing_to_do');
    expect((await post(m.ticketId, { text: 'Once only' }, key)).json()).toMatchObject({
      id,
      state: 'sent',
    });
    expect(delivered(first.json().message_id)).toHaveLength(1);
    // Racing twins: one row, both answered with it.
    const twinKey = randomUUID();
    const twins = await Promise.all([
      post(m.ticketId, { text: 'twin' }, twinKey),
      post(m.ticketId, { text: 'twin' }, twinKey),
    ]);
    expect(twins.map((r) => r.statusCode)).toEqual([202, 202]);
    expect(twins[0]!.json().id).toBe(twins[1]!.json().id);
    expect(await owner('SELECT 1 FROM outbox WHERE idempotency_key = $1', [twinKey])).toHaveLength(
      1,
    );
    expect((await post(m.ticketId, { text: 'x' }, null)).json().code).toBe('validation_failed');
    expect((await post(m.ticketId, { text: 'x' }, 'bad\tkey')).json().code).toBe(
      'validation_failed',
    );
  });

  test('a dropped SMTP connection is retried and delivered exactly once', async () => {
    const m = await mailboxWithTicket();
    const { id, message_id } = (await post(m.ticketId, { text: 'Through a flaky link' })).json();
    sink.dropNextConnections(1);
    await expect(runJob(id, 1)).rejects.toMatchObject({ kind: 'transient' });
    expect(await outboxOf(id)).toMatchObject({
      state: 'sending',
      attempts: 1,
      last_error_class: 'provider_transient',
    });
    expect(delivered(message_id)).toHaveLength(0);
    expect(await runJob(id, 2)).toBe('sent');
    expect(delivered(message_id)).toHaveLength(1);
    expect(
      (await dovecot!.list(m.user, 'Sent')).filter((s) => s.raw.includes(message_id)),
    ).toHaveLength(1);
  });

  test('a crash after sending: the retry finds the reply in Sent and does not send it again', async () => {
    const m = await mailboxWithTicket();
    const { id, message_id } = (
      await post(m.ticketId, { text: 'Sent, then the worker died' })
    ).json();
    expect(await runJob(id)).toBe('sent');
    await owner(`UPDATE outbox SET state = 'sending', sent_at = NULL WHERE message_id = $1`, [id]);
    expect(await runJob(id, 2)).toBe('found_in_sent');
    expect(delivered(message_id)).toHaveLength(1);
    expect(await outboxOf(id)).toMatchObject({ state: 'sent', attempts: 2 });
  });

  test('a crash after the point of no return: not in Sent, so the reply is never sent a second time', async () => {
    const m = await mailboxWithTicket();
    const { id, message_id } = (
      await post(m.ticketId, { text: 'Bytes left, no Sent copy' })
    ).json();
    // The worker died after the server had the message and before anything else was recorded: the
    // customer got it, the Sent folder has no copy (our APPEND never ran).
    sink.dropAfterData(1);
    expect(await runJob(id)).toBe('failed');
    expect(delivered(message_id)).toHaveLength(1);
    expect(await outboxOf(id)).toMatchObject({
      state: 'failed',
      failure_reason: 'delivery_unknown',
    });
    expect(
      await owner('SELECT data FROM events WHERE type = $1 AND resource_id = $2', [
        'reply.failed',
        id,
      ]),
    ).toEqual([{ data: expect.objectContaining({ reason: 'delivery_unknown' }) as unknown }]);
    expect(await runJob(id, 2)).toBe('nothing_to_do');

    // The same after a SIGKILL: 'sending' with the transmission recorded and no outcome.
    const second = (await post(m.ticketId, { text: 'Killed mid-send' })).json();
    await owner(
      `UPDATE outbox SET state = 'sending', attempts = 1, transmit_started_at = now() WHERE message_id = $1`,
      [second.id],
    );
    expect(await runJob(second.id, 2)).toBe('failed');
    expect(delivered(second.message_id)).toHaveLength(0);
    expect(await outboxOf(second.id)).toMatchObject({ failure_reason: 'delivery_unknown' });

    // Killed before the transmission: nothing can have left, so the retry sends it, once.
    const third = (await post(m.ticketId, { text: 'Killed while connecting' })).json();
    await owner(`UPDATE outbox SET state = 'sending', attempts = 1 WHERE message_id = $1`, [
      third.id,
    ]);
    expect(await runJob(third.id, 2)).toBe('sent');
    expect(delivered(third.message_id)).toHaveLength(1);
  });

  test('refusals, exhausted retries and disconnected mailboxes end the reply without sending it', async () => {
    const m = await mailboxWithTicket();
    const refused = (await post(m.ticketId, { text: 'refused' })).json();
    sink.failNext(550);
    expect(await runJob(refused.id)).toBe('failed');
    expect(await outboxOf(refused.id)).toMatchObject({
      state: 'failed',
      failure_reason: 'rejected_by_provider',
    });
    expect(
      await owner('SELECT 1 FROM events WHERE type = $1 AND resource_id = $2', [
        'reply.failed',
        refused.id,
      ]),
    ).toHaveLength(1);

    const tired = (await post(m.ticketId, { text: 'last try' })).json();
    sink.failNext(451);
    expect(await runJob(tired.id, 10, 10)).toBe('failed');
    expect(await outboxOf(tired.id)).toMatchObject({
      state: 'failed',
      failure_reason: 'attempts_exhausted',
      last_error_class: 'provider_transient',
    });

    const orphan = (await post(m.ticketId, { text: 'never' })).json();
    expect((await f.api('DELETE', `/v1/mailboxes/${m.mailboxId}`)).status).toBe(200);
    expect(await runJob(orphan.id)).toBe('cancelled');
    expect(await outboxOf(orphan.id)).toMatchObject({
      state: 'cancelled',
      failure_reason: 'mailbox_disconnected',
    });
    for (const r of [refused, tired, orphan]) expect(delivered(r.message_id)).toHaveLength(0);
    expect((await post(m.ticketId, { text: 'after disconnect' })).statusCode).toBe(410);
  });

  test('unknown tickets, other tenants’ tickets and import-only mailboxes', async () => {
    const m = await mailboxWithTicket();
    expect((await post(randomUUID(), { text: 'x' })).statusCode).toBe(404);
    const other = await createTenant(f.t, `Other ${randomUUID()}`);
    expect((await post(m.ticketId, { text: 'x' }, randomUUID(), other.token)).statusCode).toBe(404);
    const local = await f.ingest(mail({ subject: 'via import' }));
    if (local.status !== 'stored') throw new Error('ingest');
    const res = await post(local.ticketId, { text: 'x' });
    expect([res.statusCode, res.json().code]).toEqual([422, 'mailbox_cannot_send']);
    expect((await post(m.ticketId, {})).json().code).toBe('validation_failed');
    const big = Buffer.alloc(6 * 1024 * 1024, 1).toString('base64');
    const tooBig = await post(m.ticketId, {
      text: 'x',
      attachments: [1, 2].map((i) => ({
        filename: `${i}.bin`,
        content_type: 'application/octet-stream',
        content_base64: big,
      })),
    });
    expect([tooBig.statusCode, tooBig.json().code]).toEqual([413, 'payload_too_large']);
  });
});
