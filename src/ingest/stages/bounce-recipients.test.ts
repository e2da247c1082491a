// Bounced recipients in forms found on public sets (issue #16, class 7), each rebuilt here from mail
// of our own: typed address prefixes, Exim's "(generated from)", list and VERP addresses, old AOL
// screen names, DSN fields pasted into text, forwarded bounces.
import { describe, expect, it } from 'vitest';

import {
  classify,
  classifyParsed,
  parseMail,
  recipients,
} from '../../../test/helpers/bounce-mail.js';
import { parseBounce } from './bounce.js';

describe('bounced recipients', () => {
  it('drops an "smtp;" or "SMTP=" type written before the address', async () => {
    const text = `From: postmaster@relay.example.net
To: agent@inlet.test
Subject: Undeliverable: Re: printer
X-Failed-Recipients: smtp;lee@client.example

Delivery has failed to these recipients:

SMTP=lee@client.example
550 5.1.1 mailbox unknown
`;
    expect(await recipients(text)).toEqual(['lee@client.example']);
    const plain = text.replace(/^X-Failed-Recipients:.*\n/m, '');
    expect(await recipients(plain)).toEqual(['lee@client.example']);
    const dsn = `From: MAILER-DAEMON@relay.example.net
To: agent@inlet.test
Subject: Delivery Status Notification (Failure)
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b"

--b
Content-Type: text/plain

Your message could not be delivered.
--b
Content-Type: message/delivery-status

Reporting-MTA: dns; relay.example.net

Final-Recipient: rfc822;smtp=lee@client.example
Action: failed
Status: 5.1.1
--b--
`;
    expect(await recipients(dsn)).toEqual(['lee@client.example']);
  });

  it('names the address Exim says a failed one was generated from, once', async () => {
    const exim = (target: string) => `From: Mail Delivery System <Mailer-Daemon@mx.example.org>
To: agent@inlet.test
Subject: Mail delivery failed: returning message to sender

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  ${target}
    (generated from sam@client.example)
    SMTP error from remote mail server after RCPT TO:<box17@hosting.example>:
    550 5.1.1 no such mailbox

------ This is a copy of the message, including all the headers. ------

From: agent@inlet.test
To: sam@client.example
Subject: Re: invoice
`;
    expect(await recipients(exim('box17@hosting.example'))).toEqual(['sam@client.example']);
    expect(await recipients(exim('an undisclosed address'))).toEqual(['sam@client.example']);
  });

  it('never reports the mailing list the returned copy was sent through', async () => {
    const raw = `From: MAILER-DAEMON@mx.example.net
To: team-bounces@lists.example.org
Subject: Undelivered Mail Returned to Sender

The message to pat@example.net, posted to team@lists.example.org, could not be
delivered: user unknown.

------ original message ------
From: chris@example.com
To: team@lists.example.org
List-Id: Team talk <team.lists.example.org>
Subject: Friday

See you.
`;
    expect(await recipients(raw)).toEqual(['pat@example.net']);
  });

  it('never reports a list or sender VERP return address, which carries the recipient encoded', async () => {
    const raw = `From: MAILER-DAEMON@mx.example.net
To: team-bounces+pat=example.net@lists.example.org
Subject: failure notice

Hi. This is the mail program at mx.example.net.
I could not deliver your message to the following addresses.

<pat@example.net>:
Sorry, no mailbox here by that name. (#5.1.1)
Return address was team-bounces+pat=example.net@lists.example.org and
bounces+7781-pat=example.net@mail.example.com.
`;
    expect(await recipients(raw)).toEqual(['pat@example.net']);
  });

  it('reads a DSN pasted into the text, not the address quoted in its diagnostic', async () => {
    const raw = `From: MAILER-DAEMON@mail.example.com
To: agent@inlet.test
Subject: Delivery Status Notification (Failure)

An error occurred while trying to deliver the mail to the following recipients:
kim@client.example

Technical report:

Reporting-MTA: dsn; out.mail.example.com

Action: failed
Final-Recipient: rfc822; kim@client.example
Diagnostic-Code: smtp; 550 5.1.1 <k.m@backend.client.example>... unknown
Status: 5.1.1
`;
    const c = await classify(raw);
    expect(c.bounce?.recipients).toEqual([
      expect.objectContaining({ address: 'kim@client.example', status: '5.1.1', hard: true }),
    ]);
  });

  it('in a bounce forwarded by a person, stops at the quoted copy of the original', async () => {
    // The forward itself is the person's question (classify keeps it human, bounce-lists.test.ts);
    // read as a report, its quoted copy still gives only the failed address.
    const raw = `From: Agent <agent@inlet.test>
To: it@inlet.test
Subject: Fwd: Returned mail: see transcript for details

Can you look at this?

> From: Mail Delivery Subsystem <MAILER-DAEMON@mx.inlet.test>
> Subject: Returned mail: see transcript for details
>
>    ----- The following addresses had permanent fatal errors -----
> <ola@client.example>
>     (reason: 550 5.1.1 User unknown)
>
> Return-Path: <agent@inlet.test>
> Received: from mx.inlet.test by mx.client.example
> Message-ID: <9b1e77c2-55aa-4f0e-8a61-1d2c3b4a5f60@inlet.test>
> From: agent@inlet.test
> To: ola@client.example
> Subject: Re: delivery date
`;
    const msg = await parseMail(raw);
    expect(classifyParsed(msg).kind).toBe('human');
    expect(parseBounce(msg).recipients.map((r) => r.address)).toEqual(['ola@client.example']);
  });

  it('names an old AOL screen name with the aol.com domain', async () => {
    const raw = `From: Mail Delivery Subsystem <MAILER-DAEMON@aol.com>
To: agent@inlet.test
Subject: Returned mail: User unknown

The original message was received from mail.inlet.test

    ----- The following addresses had permanent fatal errors -----
    Robin77jazz

    ----- Transcript of session follows -----
... while talking to air-xx.mail.aol.com:
550 MAILBOX NOT FOUND
`;
    expect(await recipients(raw)).toEqual(['robin77jazz@aol.com']);
    // The same words from anyone else: a bare word is no address.
    expect(
      await recipients(raw.replace('MAILER-DAEMON@aol.com', 'MAILER-DAEMON@mx.example.net')),
    ).toEqual([]);
  });
});
