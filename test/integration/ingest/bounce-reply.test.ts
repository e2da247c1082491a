// A bounce a helpdesk can act on: the ticket view shows the failed recipients of a bounce, and the
// agent's reply it returns reads 'bounced' with the same recipients and a reply.bounced event. A
// delay warning for a reply leaves it 'sent'. Abuse reports, SES complaints and challenge notices about
// a reply join its ticket (by the original they carry) as machine mail, the abuse reports with a
// reply.complained event; a list refusing it bounces it.
import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { emailBlindIndex, generateDataKey, mailboxAad, seal } from '../../../src/crypto/index.js';
import { sealCredentials } from '../../../src/providers/open-mailbox.js';
import { insertMailbox } from '../../../src/store/mailbox-store.js';
import { abuseReport } from '../../helpers/abuse-report.js';
import { type IngestFixture, makeIngestFixture } from '../../helpers/ingest.js';
import { mail } from '../../helpers/mail.js';

let f: IngestFixture;
let mailboxId: string;
beforeAll(async () => {
  f = await makeIngestFixture();
  // A mailbox that can send (IMAP/SMTP credentials); the send job never runs here: the test
  // records the sent state the way the job does.
  mailboxId = randomUUID();
  const tenantId = f.tenant.id;
  const { db, keys } = f.t.container;
  await db.tenantTx(tenantId, async (ex) => {
    const dek = generateDataKey();
    const a = (field: 'address' | 'display_name') =>
      mailboxAad(`mailboxes.${field}`, tenantId, mailboxId);
    await insertMailbox(ex, {
      id: mailboxId,
      tenantId,
      provider: 'imap',
      addressCt: seal(dek, 'help@acme.example', a('address')),
      addressBidx: emailBlindIndex(
        (await keys.tenantKey(ex, tenantId, 'index')).key,
        'help@acme.example',
      ),
      displayNameCt: seal(dek, 'Acme Help', a('display_name')),
      credentialsCt: sealCredentials(dek, tenantId, mailboxId, {
        imap: { host: '127.0.0.1', port: 1, secure: false, auth: { user: 'u', password: 'p' } },
        smtp: { host: '127.0.0.1', port: 1, secure: false, auth: { user: 'u', password: 'p' } },
      }),
    });
    await keys.createMailboxKey(ex, tenantId, mailboxId, dek);
  });
});
afterAll(async () => {
  await f?.t.close();
});

const owner = async <T extends object>(sql: string, params: unknown[]): Promise<T[]> =>
  (await f.t.container.db.tx((ex) => ex.query<T>(sql, params))).rows;

/** A customer ticket and an agent reply on it that the send job has delivered. */
async function sentReply(): Promise<{ ticketId: string; replyId: string; rfcId: string }> {
  const out = await f.ingest(
    mail({
      from: 'Pat <pat@client.example>',
      to: 'help@acme.example',
      subject: 'Printer on fire',
      text: 'Help!',
    }),
    { mailboxId },
  );
  if (out.status !== 'stored') throw new Error(out.status);
  const res = await f.t.app.inject({
    method: 'POST',
    url: `/v1/tickets/${out.ticketId}/replies`,
    payload: { text: 'We are on it.' },
    headers: { authorization: `Bearer ${f.tenant.token}`, 'idempotency-key': randomUUID() },
  });
  expect(res.statusCode, res.body).toBe(202);
  const body = res.json<{ id: string; message_id: string }>();
  // What the send job records once the provider took the mail (outbox-store markSent).
  const [row] = await owner<{ message_id: string }>(
    `UPDATE outbox SET state = 'sent', sent_at = now() WHERE message_id = $1 RETURNING message_id`,
    [body.id],
  );
  return { ticketId: out.ticketId, replyId: row!.message_id, rfcId: body.message_id };
}

const dsn = (rfcId: string, action: string, status: string) =>
  Buffer.from(
    `From: Mail Delivery System <MAILER-DAEMON@mx.client.example>
To: support@acme.example
Subject: Undelivered Mail Returned to Sender
Message-ID: <${randomUUID()}@mx.client.example>
Content-Type: multipart/report; report-type=delivery-status; boundary="r"

--r
Content-Type: text/plain

Your message could not be delivered to pat@client.example.
--r
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.client.example

Final-Recipient: rfc822; pat@client.example
Action: ${action}
Status: ${status}
Diagnostic-Code: smtp; 550 5.1.1 <pat@client.example>: user unknown

--r
Content-Type: text/rfc822-headers

From: Acme Support <support@acme.example>
To: pat@client.example
List-Id: <announce.acme.example>
Message-ID: ${rfcId}
Subject: Re: Printer on fire
--r--
`.replace(/\n/g, '\r\n'),
  );

type View = {
  messages: {
    id: string;
    kind: string;
    direction: string;
    bounce: unknown;
    reply_state: string | null;
  }[];
};

describe('bounces answering a reply', () => {
  test('the bounce lists its failed recipient, the reply reads bounced with it, and reply.bounced is recorded', async () => {
    const r = await sentReply();
    const out = await f.ingest(dsn(r.rfcId, 'failed', '5.1.1'), { mailboxId });
    expect(out).toMatchObject({ status: 'stored', kind: 'bounce', ticketId: r.ticketId });

    const view = await f.api<View>('GET', `/v1/tickets/${r.ticketId}`);
    expect(view.status).toBe(200);
    const recipients = [
      {
        address: 'pat@client.example',
        status: '5.1.1',
        action: 'failed',
        diagnostic: '550 5.1.1 <pat@client.example>: user unknown',
      },
    ];
    const bounce = view.body.messages.find((m) => m.kind === 'bounce')!;
    expect(bounce.bounce).toEqual({ recipients });
    const reply = view.body.messages.find((m) => m.id === r.replyId)!;
    expect(reply).toMatchObject({
      direction: 'outbound',
      reply_state: 'bounced',
      bounce: { recipients },
    });
    expect(view.body.messages.find((m) => m.kind === 'human')).toMatchObject({
      bounce: null,
      reply_state: null,
    });

    const events = await owner<{
      type: string;
      resource_id: string;
      data: Record<string, unknown>;
    }>(
      `SELECT type, resource_id, data FROM events WHERE tenant_id = $1 AND type = 'reply.bounced' AND resource_id = $2`,
      [f.tenant.id, r.replyId],
    );
    expect(events).toEqual([
      {
        type: 'reply.bounced',
        resource_id: r.replyId,
        data: expect.objectContaining({
          ticket_id: r.ticketId,
          bounce_message_id: out.status === 'stored' ? out.messageId : '',
          recipients: 1,
        }),
      },
    ]);
    // Ids and counts only: no address in the event.
    expect(JSON.stringify(events[0]!.data)).not.toContain('@');
  });

  test('a delay warning for a reply leaves it sent and records no reply.bounced', async () => {
    const r = await sentReply();
    const out = await f.ingest(dsn(r.rfcId, 'delayed', '4.4.7'), { mailboxId });
    expect(out).toMatchObject({ status: 'stored', kind: 'bounce' });
    const view = await f.api<View>('GET', `/v1/tickets/${r.ticketId}`);
    expect(view.body.messages.find((m) => m.id === r.replyId)).toMatchObject({
      reply_state: 'sent',
      bounce: null,
    });
    expect(view.body.messages.find((m) => m.kind === 'bounce')!.bounce).toEqual({
      recipients: [expect.objectContaining({ address: 'pat@client.example', action: 'delayed' })],
    });
    expect(
      await owner(
        `SELECT 1 FROM events WHERE tenant_id = $1 AND type = 'reply.bounced' AND resource_id = $2`,
        [f.tenant.id, r.replyId],
      ),
    ).toEqual([]);
  });

  test('a plain-text Exim bounce names the address the reply went to and marks the reply bounced', async () => {
    const r = await sentReply();
    const raw = `From: Mail Delivery System <Mailer-Daemon@mx.client.example>
To: support@acme.example
Subject: Mail delivery failed: returning message to sender
Message-ID: <${randomUUID()}@mx.client.example>

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  pat.h@mailstore.client.example
    (generated from pat@client.example)
    SMTP error from remote mail server after RCPT TO:<pat.h@mailstore.client.example>:
    550 5.2.1 mailbox disabled

------ This is a copy of the message, including all the headers. ------

From: Acme Support <support@acme.example>
To: pat@client.example
Message-ID: ${r.rfcId}
Subject: Re: Printer on fire

We are on it.
`.replace(/\n/g, '\r\n');
    const out = await f.ingest(Buffer.from(raw), { mailboxId });
    expect(out).toMatchObject({ status: 'stored', kind: 'bounce', ticketId: r.ticketId });
    const view = await f.api<View>('GET', `/v1/tickets/${r.ticketId}`);
    expect(view.body.messages.find((m) => m.id === r.replyId)).toMatchObject({
      reply_state: 'bounced',
      bounce: {
        recipients: [
          {
            address: 'pat@client.example',
            status: '5.2.1',
            action: 'failed',
            diagnostic: '550 5.2.1 mailbox disabled',
          },
        ],
      },
    });
  });

  test('abuse reports (ARF, SES, a plain complaint with the reply attached, JMRP) and a challenge-response notice about a reply join its ticket as machine mail and leave the reply sent', async () => {
    const r = await sentReply();
    const original = `From: Acme Support <support@acme.example>
To: pat@client.example
Message-ID: ${r.rfcId}
Subject: Re: Printer on fire`;
    const arf = abuseReport('support@acme.example', original);
    const ses = `From: AWS Notifications <no-reply@sns.amazonaws.com>
To: support@acme.example
Subject: AWS Notification Message
Message-ID: <${randomUUID()}@sns.amazonaws.com>

{"notificationType":"Complaint","complaint":{"complainedRecipients":[{"emailAddress":"pat@client.example"}],"complaintFeedbackType":"abuse"},"mail":{"messageId":"0100018c-ses","commonHeaders":{"messageId":"${r.rfcId}"}}}
`;
    // No In-Reply-To: only the quoted original names the reply.
    const challenge = `From: Screening Service <mailer-daemon@screen.example>
To: support@acme.example
Subject: Returned mail: please verify your message
Message-ID: <${randomUUID()}@screen.example>

Your message to pat@client.example has not been delivered yet: please verify
that you are a person by clicking the link below.

https://screen.example/verify/91

--- Original message follows ---
${original}
`;
    // A complaint sent as a plain message with the reply attached, and Outlook.com's JMRP, which
    // returns the reply itself (its Message-ID ours) marked with the complaining address.
    const attached = `From: Abuse Desk <abuse@isp.example>
To: support@acme.example
Subject: Abuse report for 192.0.2.1
Message-ID: <${randomUUID()}@isp.example>
Content-Type: multipart/mixed; boundary="a"

--a
Content-Type: text/plain

We received a complaint about the attached message.
--a
Content-Type: message/rfc822

${original}

We are on it.
--a--
`;
    const jmrp = `X-HmXmrOriginalRecipient: pat@client.example
${original}
In-Reply-To: <unknown-${randomUUID()}@client.example>

We are on it.
`;
    const tickets = async () =>
      (
        await owner<{ n: number }>(`SELECT count(*)::int AS n FROM tickets WHERE tenant_id = $1`, [
          f.tenant.id,
        ])
      )[0]!.n;
    const ticketsBefore = await tickets();
    const stored: string[] = [];
    for (const [raw, reason] of [
      [arf, 'feedback_report'],
      [ses, 'ses_complaint'],
      [challenge, 'challenge_response'],
      [attached, 'abuse_complaint'],
      [jmrp, 'feedback_report'],
    ] as const) {
      const out = await f.ingest(Buffer.from(raw.replace(/\n/g, '\r\n')), { mailboxId });
      expect(out).toMatchObject({ status: 'stored', kind: 'auto_reply', ticketId: r.ticketId });
      if (out.status !== 'stored') continue;
      stored.push(out.messageId);
      const [row] = await owner<{ kind_reasons: string[]; thread_rule: string }>(
        `SELECT kind_reasons, thread_rule FROM messages WHERE id = $1`,
        [out.messageId],
      );
      expect(row).toMatchObject({ thread_rule: 'bounce_original' });
      expect(row!.kind_reasons).toContain(reason);
    }
    const view = await f.api<View>('GET', `/v1/tickets/${r.ticketId}`);
    expect(view.body.messages.filter((m) => stored.includes(m.id))).toHaveLength(5);
    expect(view.body.messages.find((m) => m.id === r.replyId)).toMatchObject({
      reply_state: 'sent',
      bounce: null,
    });
    // The helpdesk hears of each on the ticket: message.received and ticket.updated, no new ticket.
    const events = await owner<{
      type: string;
      resource_id: string;
      data: Record<string, unknown>;
    }>(
      `SELECT type, resource_id, data FROM events WHERE tenant_id = $1
          AND (resource_id = ANY($2::uuid[]) OR data->>'message_id' = ANY($3::text[]))`,
      [f.tenant.id, [...stored, r.ticketId], stored],
    );
    for (const id of stored) {
      expect(events).toContainEqual({
        type: 'message.received',
        resource_id: id,
        data: expect.objectContaining({
          ticket_id: r.ticketId,
          kind: 'auto_reply',
          thread_rule: 'bounce_original',
        }),
      });
      expect(events).toContainEqual({
        type: 'ticket.updated',
        resource_id: r.ticketId,
        data: { change: 'message', message_id: id },
      });
    }
    expect(await tickets()).toBe(ticketsBefore);
    // The four abuse reports name the reply: reply.complained each, ids only; the challenge does not.
    const complained = await owner<{ data: Record<string, unknown> }>(
      `SELECT data FROM events WHERE tenant_id = $1 AND type = 'reply.complained' AND resource_id = $2`,
      [f.tenant.id, r.replyId],
    );
    expect(complained.map((e) => e.data.complaint_message_id).sort()).toEqual(
      [stored[0], stored[1], stored[3], stored[4]].sort(),
    );
    expect(complained[0]!.data).toMatchObject({ ticket_id: r.ticketId });
    expect(JSON.stringify(complained)).not.toContain('@');
  });

  test("a mailing list refusing a reply ('not a member') marks it bounced for the list's address", async () => {
    const r = await sentReply();
    const raw = `From: printers-owner@lists.client.example
To: support@acme.example
Subject: Your message to Printers was rejected
Message-ID: <${randomUUID()}@lists.client.example>
List-Id: <printers.lists.client.example>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="m"

--m
Content-Type: text/plain

You are not a member of the mailing list <printers@lists.client.example>,
and only members may post. Your message has been rejected.
--m
Content-Type: message/rfc822

From: Acme Support <support@acme.example>
To: pat@client.example
Cc: printers@lists.client.example
Message-ID: ${r.rfcId}
Subject: Re: Printer on fire

We are on it.
--m--
`.replace(/\n/g, '\r\n');
    const out = await f.ingest(Buffer.from(raw), { mailboxId });
    expect(out).toMatchObject({ status: 'stored', kind: 'bounce', ticketId: r.ticketId });
    const view = await f.api<View>('GET', `/v1/tickets/${r.ticketId}`);
    expect(view.body.messages.find((m) => m.id === r.replyId)).toMatchObject({
      reply_state: 'bounced',
      bounce: {
        recipients: [
          expect.objectContaining({ address: 'printers@lists.client.example', action: 'failed' }),
        ],
      },
    });
  });
});
