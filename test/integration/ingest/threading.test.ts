import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { type IngestFixture, makeIngestFixture, signedMessageId } from '../../helpers/ingest.js';
import { mail } from '../../helpers/mail.js';

let f: IngestFixture;
beforeAll(async () => {
  f = await makeIngestFixture();
});
afterAll(async () => {
  await f?.t.close();
});

const stored = (o: Awaited<ReturnType<IngestFixture['ingest']>>) => {
  if (o.status !== 'stored') throw new Error(`expected stored, got ${JSON.stringify(o)}`);
  return o;
};

describe('threading', () => {
  test('a first message opens a ticket; In-Reply-To joins it; References alone joins it', async () => {
    const first = stored(
      await f.ingest(mail({ messageId: 'm1@client.example', subject: 'Printer on fire' })),
    );
    expect(first).toMatchObject({ newTicket: true, threadRule: 'new_ticket', kind: 'human' });
    expect(first.ticketNumber).toBeGreaterThanOrEqual(1001);
    const reply = stored(
      await f.ingest(
        mail({
          messageId: 'm2@client.example',
          subject: 'Re: Printer on fire',
          inReplyTo: '<m1@client.example>',
        }),
      ),
    );
    expect(reply).toMatchObject({
      newTicket: false,
      threadRule: 'in_reply_to',
      ticketId: first.ticketId,
    });
    const refs = stored(
      await f.ingest(
        mail({
          messageId: 'm3@client.example',
          subject: 'another',
          references: '<unknown@x> <m2@client.example>',
        }),
      ),
    );
    expect(refs).toMatchObject({ threadRule: 'references', ticketId: first.ticketId });
    const ticket = await f.api<{ messages: { thread_rule: string }[] }>(
      'GET',
      `/v1/tickets/${first.ticketId}`,
    );
    expect(ticket.body.messages.map((m) => m.thread_rule)).toEqual([
      'new_ticket',
      'in_reply_to',
      'references',
    ]);
  });

  test('a provider thread id (Gmail threadId / Graph conversationId) joins the mapped ticket', async () => {
    const a = stored(
      await f.ingest(mail({ subject: 'Thread A' }), { providerThreadId: 'gmail-thread-77' }),
    );
    const b = stored(
      await f.ingest(mail({ subject: 'unrelated subject' }), {
        providerThreadId: 'gmail-thread-77',
      }),
    );
    expect(b).toMatchObject({ ticketId: a.ticketId, threadRule: 'provider_thread' });
  });

  test('a subject token is honoured from a participant and ignored from a stranger (new ticket)', async () => {
    const t = stored(
      await f.ingest(mail({ from: 'alice@client.example', subject: 'Invoice question' })),
    );
    const fromAlice = stored(
      await f.ingest(
        mail({ from: 'alice@client.example', subject: `Re: Invoice [#${t.ticketNumber}]` }),
      ),
    );
    expect(fromAlice).toMatchObject({ ticketId: t.ticketId, threadRule: 'subject_token' });
    const fromMallory = stored(
      await f.ingest(
        mail({ from: 'mallory@evil.example', subject: `Re: Invoice [#${t.ticketNumber}]` }),
      ),
    );
    expect(fromMallory).toMatchObject({ newTicket: true, threadRule: 'new_ticket' });
    expect(fromMallory.ticketId).not.toBe(t.ticketId);
  });

  test('the same message delivered to two mailboxes of the tenant is stored once', async () => {
    const second = await f.addMailbox('billing@acme.example');
    const raw = mail({
      messageId: 'twice@client.example',
      to: 'support@acme.example, billing@acme.example',
    });
    const a = stored(await f.ingest(raw));
    const b = await f.ingest(raw, { mailboxId: second });
    expect(b).toEqual({ status: 'duplicate', messageId: a.messageId });
    // Replaying the same delivery is also a duplicate, not a second message.
    const { rows } = await f.t.database.db.tx((c) =>
      c.query('SELECT count(*)::int AS n FROM messages WHERE id = $1', [a.messageId]),
    );
    expect(rows[0].n).toBe(1);
  });

  test("Inlet's own outbound message coming back is recognised and does not open a ticket", async () => {
    const t = stored(
      await f.ingest(mail({ messageId: 'orig@client.example', subject: 'Need help' })),
    );
    const ourId = await signedMessageId(f, '7b0e4f7e-5f37-4a55-9a7e-3c8f9d0b1a2c');
    const echo = stored(
      await f.ingest(
        mail({
          from: 'support@acme.example',
          messageId: ourId.slice(1, -1),
          subject: 'Re: Need help',
          inReplyTo: '<orig@client.example>',
        }),
      ),
    );
    expect(echo).toMatchObject({ kind: 'own_echo', ticketId: t.ticketId, newTicket: false });
  });

  test('a bounce joins the ticket of the message it returns and does not reopen it', async () => {
    const t = stored(
      await f.ingest(mail({ messageId: 'bounced-orig@acme.example', subject: 'Your order' })),
    );
    expect((await f.api('PATCH', `/v1/tickets/${t.ticketId}`, { status: 'solved' })).status).toBe(
      200,
    );
    const dsn = Buffer.from(
      [
        'From: Mail Delivery System <MAILER-DAEMON@mx.client.example>',
        'To: support@acme.example',
        'Subject: Undelivered Mail Returned to Sender',
        'Message-ID: <dsn-1@mx.client.example>',
        'Auto-Submitted: auto-replied',
        'MIME-Version: 1.0',
        'Content-Type: multipart/report; report-type=delivery-status; boundary="rpt"',
        '',
        '--rpt',
        'Content-Type: text/plain',
        '',
        'Delivery failed.',
        '--rpt',
        'Content-Type: message/delivery-status',
        '',
        'Reporting-MTA: dns; mx.client.example',
        '',
        'Final-Recipient: rfc822; gone@client.example',
        'Action: failed',
        'Status: 5.1.1',
        '--rpt',
        'Content-Type: text/rfc822-headers',
        '',
        'Message-ID: <bounced-orig@acme.example>',
        'Subject: Your order',
        '--rpt--',
        '',
      ].join('\r\n'),
    );
    const b = stored(await f.ingest(dsn));
    expect(b).toMatchObject({
      kind: 'bounce',
      ticketId: t.ticketId,
      threadRule: 'bounce_original',
    });
    expect((await f.api<{ status: string }>('GET', `/v1/tickets/${t.ticketId}`)).body.status).toBe(
      'solved',
    );
  });

  test('an auto-reply never reopens a closed ticket; a human answer does', async () => {
    const t = stored(
      await f.ingest(mail({ messageId: 'ooo-orig@client.example', subject: 'Question' })),
    );
    await f.api('PATCH', `/v1/tickets/${t.ticketId}`, { status: 'closed' });
    const ooo = stored(
      await f.ingest(
        mail({
          subject: 'Out of office: Question',
          inReplyTo: '<ooo-orig@client.example>',
          headers: { 'Auto-Submitted': 'auto-replied' },
        }),
      ),
    );
    expect(ooo).toMatchObject({ kind: 'auto_reply', ticketId: t.ticketId });
    expect((await f.api<{ status: string }>('GET', `/v1/tickets/${t.ticketId}`)).body.status).toBe(
      'closed',
    );
    stored(
      await f.ingest(mail({ subject: 'Re: Question', inReplyTo: '<ooo-orig@client.example>' })),
    );
    expect((await f.api<{ status: string }>('GET', `/v1/tickets/${t.ticketId}`)).body.status).toBe(
      'open',
    );
    // Nothing was queued to be sent for any of this (Inlet never answers mail automatically).
    const { rows } = await f.t.database.db.tx((c) =>
      c.query(
        `SELECT count(*)::int AS n FROM graphile_worker.jobs WHERE task_identifier NOT IN ('attachments.rescan')`,
      ),
    );
    expect(rows[0].n).toBe(0);
  });

  test('a burst from one sender on one ticket is recorded as a mail loop and does not reopen it', async () => {
    const t = stored(
      await f.ingest(
        mail({ from: 'robot@loop.example', messageId: 'loop-0@loop.example', subject: 'Ping' }),
      ),
    );
    let last;
    for (let i = 1; i <= 9; i++)
      last = stored(
        await f.ingest(
          mail({
            from: 'robot@loop.example',
            subject: 'Re: Ping',
            inReplyTo: `<loop-${i - 1}@loop.example>`,
            messageId: `loop-${i}@loop.example`,
          }),
        ),
      );
    expect(last).toMatchObject({ kind: 'loop', ticketId: t.ticketId });
  });
});
