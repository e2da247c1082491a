// Per-recipient status, action and diagnostic of bounces in forms found on public sets (issue #16,
// class 7), each rebuilt here from mail of our own: several recipients in one paragraph, a DSN without
// its Status field, delay warnings, indented SMTP transcripts, terse failure lines, SES notifications.
import { describe, expect, it } from 'vitest';

import { classify, recipients } from '../../../test/helpers/bounce-mail.js';

/** A multipart/report whose delivery-status part holds the given per-recipient blocks. */
const dsn = (blocks: string) => `From: MAILER-DAEMON@mx.inlet.test
To: agent@inlet.test
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b"

--b
Content-Type: text/plain

Your message could not be delivered.
--b
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.inlet.test
${blocks}
--b--
`;

describe('bounced recipients: status and diagnostic of each', () => {
  it('gives each recipient of one paragraph its own status and the line with its code', async () => {
    const raw = `From: Mail Delivery System <Mailer-Daemon@mx.inlet.test>
To: agent@inlet.test
Subject: Mail delivery failed: returning message to sender
X-Failed-Recipients: ann@client.example, bo@client.example

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:
  ann@client.example
    SMTP error from remote mail server after RCPT TO:<ann@client.example>:
    host mx.client.example [192.0.2.7]: 550 5.1.1 <ann@client.example>: no such user
  bo@client.example
    SMTP error from remote mail server after RCPT TO:<bo@client.example>:
    host mx.client.example [192.0.2.7]: 552 5.2.2 <bo@client.example>: mailbox full
`;
    const got = (await classify(raw)).bounce?.recipients.map((r) => [
      r.address,
      r.status,
      r.diagnostic,
    ]);
    expect(got).toEqual([
      [
        'ann@client.example',
        '5.1.1',
        'host mx.client.example [192.0.2.7]: 550 5.1.1 <ann@client.example>: no such user',
      ],
      [
        'bo@client.example',
        '5.2.2',
        'host mx.client.example [192.0.2.7]: 552 5.2.2 <bo@client.example>: mailbox full',
      ],
    ]);
    // Without the header the report alone gives the same.
    const plain = raw.replace(/^X-Failed-Recipients:.*\n/m, '');
    expect((await classify(plain)).bounce?.recipients.map((r) => r.status)).toEqual([
      '5.1.1',
      '5.2.2',
    ]);
  });

  it('takes the status from the diagnostic when a DSN leaves the Status field out', async () => {
    const raw = dsn(`
Final-Recipient: rfc822; uma@client.example
Action: failed
Diagnostic-Code: smtp; 550 5.1.1 <uma@client.example>... User unknown`);
    expect((await classify(raw)).bounce?.recipients).toEqual([
      expect.objectContaining({ address: 'uma@client.example', status: '5.1.1', hard: true }),
    ]);
  });

  it("takes the server's code over a Status field that says only X.0.0, within the same class", async () => {
    const raw = dsn(`
Final-Recipient: rfc822; ada@client.example
Action: failed
Status: 5.0.0
Diagnostic-Code: smtp; 550 5.7.1 Relaying denied for this sender

Final-Recipient: rfc822; ben@client.example
Action: failed
Status: 5.0.0
Diagnostic-Code: smtp; 451 4.3.0 Temporary lookup failure

Final-Recipient: rfc822; cy@client.example
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.7.1 Rejected by policy
`);
    expect(
      (await classify(raw)).bounce?.recipients.map((r) => [r.address, r.status, r.hard]),
    ).toEqual([
      ['ada@client.example', '5.7.1', true],
      // A 4.x.x answer under a 5.0.0 field: the MTA gave up, the field is kept.
      ['ben@client.example', '5.0.0', true],
      // A specific field is the report's own word.
      ['cy@client.example', '5.1.1', true],
    ]);
  });

  it('a warning that the mail could not be delivered yet, and will be retried, is a delay', async () => {
    const raw = `From: MAILER-DAEMON@mx.inlet.test (Mail Delivery System)
To: agent@inlet.test
Subject: Delayed Mail (still being retried)

This is the mail system at host mx.inlet.test.

####################################################################
# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #
####################################################################

Your message could not be delivered for more than 4 hour(s).
It will be retried until it is 5 day(s) old.

<vic@client.example>: connect to mx.client.example[192.0.2.9]:25: Connection timed out
`;
    expect((await classify(raw)).bounce?.recipients).toEqual([
      expect.objectContaining({ address: 'vic@client.example', action: 'delayed', hard: false }),
    ]);
  });

  it('reads the recipient from an indented SMTP transcript whose MAIL FROM spans two lines', async () => {
    const raw = `From: MAILER-DAEMON@mx.inlet.test (Mail Delivery System)
To: postmaster@mx.inlet.test
Subject: Postfix SMTP server: errors from relay.inlet.test

Transcript of session follows.

 Out: 220 mx.inlet.test ESMTP
 In:  MAIL
     FROM:<agent@inlet.test>
 Out: 250 2.1.0 Ok
 In:  RCPT TO:<noor@client.example>
 Out: 250 2.1.5 Ok
 In:  DATA
 Out: 451 4.3.0 Error: queue file write error
`;
    expect(await recipients(raw)).toEqual(['noor@client.example']);
  });

  it('reads "Invalid final delivery userid" as a failure naming its recipient', async () => {
    const raw = `From: "Postmaster" <postmaster@mail.client.example>
To: agent@inlet.test
Subject: Undeliverable Mail

Invalid final delivery userid: omar@client.example

Original message follows.

From: agent@inlet.test
To: omar@client.example
Subject: Re: parts
`;
    expect(await recipients(raw)).toEqual(['omar@client.example']);
  });

  it('takes an SES bounce notification at its word', async () => {
    const note = JSON.stringify({
      notificationType: 'Bounce',
      bounce: {
        bounceType: 'Permanent',
        bouncedRecipients: [
          {
            emailAddress: 'max@client.example',
            action: 'failed',
            status: '5.1.1',
            diagnosticCode: 'smtp; 550 5.1.1 unknown',
          },
        ],
      },
      mail: {
        source: 'agent@inlet.test',
        sourceArn: 'arn:aws:ses:eu-west-1:1:identity/agent@inlet.test',
        destination: ['max@client.example'],
      },
    });
    const raw = `From: AWS Notifications <no-reply@sns.amazonaws.com>
To: agent@inlet.test
Subject: AWS Notification Message

${note}

--
To unsubscribe: https://sns.example/unsubscribe?Endpoint=agent@inlet.test
`;
    const c = await classify(raw);
    expect(c.kind).toBe('bounce');
    expect(c.bounce?.recipients).toEqual([
      {
        address: 'max@client.example',
        action: 'failed',
        status: '5.1.1',
        hard: true,
        diagnostic: '550 5.1.1 unknown',
      },
    ]);
  });
});
