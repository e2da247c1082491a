// Plain-text reports (no message/delivery-status part), each rebuilt from mail of our own: DSN
// fields written into the text, and SMTP transcripts, give the recipient, action and status.
import { describe, expect, it } from 'vitest';

import { classify } from '../../../test/helpers/bounce-mail.js';

describe('DSN fields pasted into a plain-text report', () => {
  it("reads them past Postfix's X-Postfix-* extension fields, which look like a copied header block", async () => {
    const c = await classify(`From: MAILER-DAEMON@mx.example.org (Mail Delivery System)
To: support@inlet.test
Subject: Delayed Mail (still being retried)

This is the mail system at host mx.example.org.

THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE.

<dana@client.example>: connect to mail.client.example[192.0.2.7]:25: Connection timed out

Reporting-MTA: dns; mx.example.org
X-Postfix-Queue-ID: 4AB12C3D4E
X-Postfix-Sender: rfc822; support@inlet.test
Arrival-Date: Mon, 1 Jan 2024 10:00:00 +0000 (UTC)

Final-Recipient: rfc822; dana@client.example
Action: delayed
Status: 4.4.1
Diagnostic-Code: X-Postfix; connect to mail.client.example[192.0.2.7]:25: Connection timed out
`);
    expect(c.kind).toBe('bounce');
    expect(c.bounce?.recipients).toEqual([
      expect.objectContaining({
        address: 'dana@client.example',
        action: 'delayed',
        status: '4.4.1',
        hard: false,
      }),
    ]);
  });

  it('reads the delivery-status part of a whole bounce relayed as text, not the desk it names for help', async () => {
    const c = await classify(`From: MAILER-DAEMON@desk.example.net
To: support@inlet.test
Subject: Undelivered Mail Returned to Sender

The message returned below could not be delivered to one or more destinations.

For further assistance, please contact <help@desk.example.net>

From MAILER-DAEMON  Mon Jan  1 10:00:00 2024
Return-Path: <>
X-Original-To: relay-admin@desk.example.net
Date: Mon, 1 Jan 2024 10:00:00 +0000
From: MAILER-DAEMON@relay.example.net (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
Content-Type: multipart/report; report-type=delivery-status; boundary="b1"

--b1
Content-Type: text/plain

<lee@client.example>: mailbox unavailable

--b1
Content-Type: message/delivery-status

Reporting-MTA: dns; relay.example.net

Final-Recipient: rfc822; lee@client.example
Action: failed
Status: 5.2.1
Diagnostic-Code: smtp; 550 5.2.1 mailbox disabled

--b1--
`);
    expect(c.bounce?.recipients).toEqual([
      expect.objectContaining({ address: 'lee@client.example', action: 'failed', status: '5.2.1' }),
    ]);
  });
});

describe('postmaster addresses', () => {
  const report = (to: string) => `From: MAILER-DAEMON@mx.example.org
To: support@inlet.test
Subject: Returned mail: see transcript for details
Content-Type: multipart/mixed; boundary="m"

--m
Content-Type: text/plain

   ----- The following addresses had delivery problems -----
postmaster@client.example

   ----- Non-delivered information -----
The recipient's mailbox is full.

--m
Content-Type: message/rfc822

From: Support <support@inlet.test>
To: ${to}
Subject: Your report
Message-ID: <r9@inlet.test>

Thanks for the report.
--m--
`;

  it('names a postmaster the returned message was sent to', async () => {
    const c = await classify(report('<postmaster@client.example>'));
    expect(c.bounce?.recipients.map((r) => r.address)).toEqual(['postmaster@client.example']);
  });

  it('but not one the message was not sent to', async () => {
    const c = await classify(report('<jo@client.example>'));
    expect(c.bounce?.recipients.map((r) => r.address)).not.toContain('postmaster@client.example');
  });
});

describe('SMTP transcripts', () => {
  it('gives the code that refused the mail, not the one that accepted its recipient', async () => {
    const c = await classify(`From: MAILER-DAEMON@mx.example.org (Mail Delivery System)
To: support@inlet.test
Subject: Undelivered Mail Returned to Sender

I'm sorry to have to inform you that your message could not be delivered.

Transcript of session follows.

 Out: 220 mx.example.org ESMTP
 In:  MAIL FROM:<support@inlet.test>
 Out: 250 2.1.0 Ok
 In:  RCPT TO:<kai@client.example>
 Out: 250 2.1.5 Ok
 In:  DATA
 Out: 354 End data with <CR><LF>.<CR><LF>
 Out: 452 4.3.1 Insufficient system storage
 In:  QUIT
 Out: 221 2.0.0 Bye
`);
    expect(c.bounce?.recipients).toEqual([
      expect.objectContaining({ address: 'kai@client.example', status: '4.3.1', hard: false }),
    ]);
    expect(c.bounce?.recipients[0]?.diagnostic).toContain('Insufficient system storage');
  });
});
