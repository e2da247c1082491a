// Abuse reports, SES complaints and challenge notices about a reply join its ticket (by the original
// they carry) as machine mail, the abuse reports with a reply.complained event; the reply stays sent.
import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { abuseReport } from '../../helpers/abuse-report.js';
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

describe('complaints about a reply', () => {
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

  test("SES's notice that a reply was delivered joins the reply's ticket as machine mail; nothing else changes", async () => {
    const r = await sentReply();
    const notice = JSON.stringify({
      notificationType: 'Delivery',
      mail: { messageId: '0100018c-ses-delivered', commonHeaders: { messageId: r.rfcId } },
      delivery: { recipients: ['pat@client.example'], smtpResponse: '250 2.0.0 OK' },
    });
    const raw = `From: AWS Notifications <no-reply@sns.amazonaws.com>
To: support@acme.example
Subject: AWS Notification Message
Message-ID: <${randomUUID()}@sns.amazonaws.com>

${notice}
`;
    const ticketsBefore = await owner<{ n: number }>('SELECT count(*)::int AS n FROM tickets', []);
    const out = await f.ingest(Buffer.from(raw.replace(/\n/g, '\r\n')), { mailboxId });
    expect(out).toMatchObject({ status: 'stored', kind: 'auto_reply', ticketId: r.ticketId });
    if (out.status !== 'stored') return;
    const [row] = await owner<{ kind_reasons: string[]; thread_rule: string }>(
      'SELECT kind_reasons, thread_rule FROM messages WHERE id = $1',
      [out.messageId],
    );
    expect(row).toMatchObject({ thread_rule: 'bounce_original' });
    expect(row!.kind_reasons).toContain('ses_delivery');
    expect(await owner('SELECT count(*)::int AS n FROM tickets', [])).toEqual(ticketsBefore);
    const view = await f.api<View>('GET', `/v1/tickets/${r.ticketId}`);
    expect(view.body.messages.find((m) => m.id === r.replyId)).toMatchObject({
      reply_state: 'sent',
      bounce: null,
    });
    expect(
      await owner("SELECT 1 FROM events WHERE type = 'reply.complained' AND resource_id = $1", [
        r.replyId,
      ]),
    ).toHaveLength(0);
  });
});
