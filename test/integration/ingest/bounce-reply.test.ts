// A bounce a helpdesk can act on: the ticket view shows the failed recipients of a bounce, and the
// agent's reply it returns reads 'bounced' with the same recipients and a reply.bounced event. A
// delay warning for a reply leaves it 'sent'; a list refusing it bounces it.
import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { type IngestFixture, makeIngestFixture } from '../../helpers/ingest.js';
import {
  addSendingMailbox,
  ownerRows,
  sentReplyOn,
  type View,
} from '../../helpers/reply-bounce.js';

let f: IngestFixture;
let mailboxId: string;
beforeAll(async () => {
  f = await makeIngestFixture();
  // The send job never runs here: sentReply records the sent state the way the job does.
  mailboxId = await addSendingMailbox(f);
});
afterAll(async () => {
  await f?.t.close();
});

const owner = <T extends object>(sql: string, params: unknown[]) => ownerRows<T>(f, sql, params);
const sentReply = () => sentReplyOn(f, mailboxId);

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
