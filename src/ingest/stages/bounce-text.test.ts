// Bounced recipients a helpdesk can act on: the address that failed, never the list, the sender or
// a Message-ID that happens to look like an address; a delay is not a failure.
import { describe, expect, it } from 'vitest';

import { classify, recipients } from '../../../test/helpers/bounce-mail.js';
import { classifyMessage } from './classify.js';
import { parseMessage } from './parse.js';

describe('plain-text bounce recipients', () => {
  it('names the failed address, not the list, the sender or Message-ID fragments of the returned copy', async () => {
    const raw = `From: MAILER-DAEMON@mx.example.net
To: support-bounces@lists.example.com
Subject: failure notice
Message-ID: <bounce.77@mx.example.net>

Hi. This is the mail program at mx.example.net.
I could not deliver your message to the following addresses.

<pat@example.net>:
Sorry, no mailbox here by that name.

--- Below this line is a copy of the message.

Return-Path: <support-bounces@lists.example.com>
From: support@lists.example.com
To: support@lists.example.com
List-Post: <mailto:support@lists.example.com>
Message-ID: <list.4711.1234.support@lists.example.com>

Weekly digest.
`;
    expect(await recipients(raw)).toEqual(['pat@example.net']);
  });

  it('keeps an address written on its own line after "the following recipient failed"', async () => {
    const raw = `From: Mail Delivery Subsystem <mailer-daemon@mail.example.org>
To: agent@example.com
Subject: Delivery Status Notification (Failure)

Delivery to the following recipient failed permanently:

     robin@example.org

Technical details of permanent failure: the account does not exist.

----- Original message -----
From: Agent <agent@example.com>
To: robin@example.org
Cc: team@example.com
Subject: Re: your order
`;
    const c = await classify(raw);
    expect(c.kind).toBe('bounce');
    expect(c.bounce?.recipients.map((r) => [r.address, r.hard])).toEqual([
      ['robin@example.org', true],
    ]);
  });

  it('names the address the mail was sent to, not the alias it expanded to', async () => {
    const raw = `From: Mail Delivery Subsystem <MAILER-DAEMON@relay.example.org>
To: support@inlet.test
Subject: Returned mail: User unknown
Message-ID: <alias.5@relay.example.org>

The original message was received at Mon, 1 Jan 2024 10:00:00 +0100
from inlet.test [192.0.2.1]

   ----- The following addresses had permanent fatal errors -----
kim@mailhost.example.org
    (expanded from: kim.lee@example.org)

   ----- Transcript of session follows -----
550 5.1.1 kim@mailhost.example.org... User unknown
`;
    const r = (await classify(raw)).bounce?.recipients ?? [];
    expect(r.map((x) => x.address)).toEqual(['kim.lee@example.org']);
    expect(r[0]).toMatchObject({ action: 'failed', hard: true });
  });

  it('leaves out the sender a report names after "mail from"', async () => {
    const raw = `From: "Mail Delivery Subsystem" <MAILER-DAEMON@mail.example.net>
To: <news-bounces@lists.example.com>
Subject: Mail Delivery Problem
Message-ID: <refused.9@mail.example.net>

Your mail to the following recipients could not be delivered because they are not accepting mail from news@lists.example.com:
\tpat@example.net
`;
    expect(await recipients(raw)).toEqual(['pat@example.net']);
  });

  it('reads a prose failure notice: the address in the failing sentence, not the examples around it', async () => {
    const raw = `From: postmaster@example.org (Automated response from the postmaster)
To: support@inlet.test
Subject: FAILED MAIL to "kim" regarding "Your ticket"
Message-ID: <prose.3@example.org>

Addresses here have the form firstname.lastname@example.org, though some people
choose another one. The address your message was sent to, kim@example.org, did not
match any mailbox here.

You might reach the person through the front desk, desk@example.org.
`;
    const c = await classify(raw);
    expect(c.kind).toBe('bounce');
    expect(c.bounce?.recipients.map((r) => r.address)).toEqual(['kim@example.org']);
  });

  it('a delay warning with a malformed From is machine mail, and its recipient is delayed, not failed', async () => {
    const raw = `From: <Postmaster\\@example.net@example.net>
To: agent@example.com
Subject: Mail Delivery Warning

This is an advisory-only email.

Delivery of email to this address

"kim@example.net"

has been postponed because the mailbox is full.

We will continue to try to deliver your message over the next few days.
`;
    const c = await classify(raw);
    expect(c.kind).toBe('bounce');
    expect(c.bounce?.recipients).toEqual([
      expect.objectContaining({ address: 'kim@example.net', action: 'delayed', hard: false }),
    ]);
  });
});

describe('RFC 3464 delivery-status recipients', () => {
  const dsn = (fields: string) => `From: Mail Delivery System <MAILER-DAEMON@mx.example.com>
To: agent@example.com
Subject: Delivery Status Notification
Content-Type: multipart/report; report-type=delivery-status; boundary="r"

--r
Content-Type: text/plain

Report.
--r
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com

${fields}
--r--
`;

  it('reports the address the sender wrote (Original-Recipient), the status and the diagnostic', async () => {
    const c = await classify(
      dsn(
        'Original-Recipient: rfc822; sam@example.org\nFinal-Recipient: rfc822; s.jones@mail.example.org\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 no such user',
      ),
    );
    expect(c.bounce?.recipients).toEqual([
      {
        address: 'sam@example.org',
        action: 'failed',
        status: '5.1.1',
        hard: true,
        diagnostic: '550 5.1.1 no such user',
      },
    ]);
  });

  it('a delayed DSN is not a failure', async () => {
    const c = await classify(
      dsn(
        'Final-Recipient: rfc822; sam@example.org\nAction: delayed\nStatus: 4.4.7\nDiagnostic-Code: smtp; 451 try again later',
      ),
    );
    expect(c.kind).toBe('bounce');
    expect(c.bounce?.recipients[0]).toMatchObject({ action: 'delayed', hard: false });
  });
});

describe('abuse reports', () => {
  const report = (from: string, subject: string, head: string, attached: string) => `From: ${from}
To: agent@example.com
Subject: ${subject}
${head}
--a
Content-Type: text/plain

We received a complaint about a message from your network.
--a
Content-Type: ${attached}

From: agent@example.com
To: customer@example.net
Message-ID: <r1@example.com>
Subject: Your ticket

Hello.
--a--
`;

  it('recognises an ARF feedback report as machine mail', async () => {
    const c = await classify(
      report(
        'Feedback Loop <fbl@isp.example>',
        'Complaint',
        'Content-Type: multipart/report; report-type=feedback-report; boundary="a"\n',
        'message/rfc822',
      ),
    );
    expect(c).toMatchObject({
      kind: 'auto_reply',
      reasons: expect.arrayContaining(['feedback_report']),
    });
  });

  it('recognises a complaint sent as a plain message with the offending mail attached', async () => {
    const c = await classify(
      report(
        'Abuse Desk <abuse@isp.example>',
        'Abuse report for 192.0.2.1',
        'Content-Type: multipart/mixed; boundary="a"\n',
        'message/rfc822',
      ),
    );
    expect(c).toMatchObject({ kind: 'auto_reply', reasons: ['abuse_complaint'] });
  });

  it("recognises Outlook.com's feedback loop, which returns our own mail marked with the complainer", async () => {
    // JMRP sends no report part: the complained-about mail itself, with our own Message-ID.
    const raw = `Return-Path: staff@hotmail.example
X-HmXmrOriginalRecipient: kim@hotmail.example
From: Support <support@inlet.test>
To: kim@hotmail.example
Subject: Re: Your ticket
Message-ID: <inlet.42@inlet.test>
X-Inlet-Ticket: 42
Content-Type: text/plain

We reset your password.
`;
    const c = classifyMessage(await parseMessage(Buffer.from(raw.replace(/\n/g, '\r\n'))), {
      ownAddresses: ['support@inlet.test'],
      isOwnMessageId: (id) => id.endsWith('@inlet.test'),
    });
    expect(c).toMatchObject({
      kind: 'auto_reply',
      reasons: expect.arrayContaining(['feedback_report']),
    });
  });

  it('a person forwarding a mail is still a person', async () => {
    const c = await classify(
      report(
        'Kim <kim@example.net>',
        'Fwd: Your ticket',
        'Content-Type: multipart/mixed; boundary="a"\n',
        'message/rfc822',
      ),
    );
    expect(c.kind).toBe('human');
  });
});
