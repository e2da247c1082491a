// Bounce leftovers of issue #16 (round 8), each rebuilt from mail of our own: an MTA's own X.5.0
// status over the remote server's answer it quotes (Exchange 2003's "#5.5.0 smtp;550 5.2.2"), a
// Sendmail delay warning's diagnostic, a quoted local part with a space in Final-Recipient.
import { describe, expect, it } from 'vitest';

import { classify } from '../../../test/helpers/bounce-mail.js';

const bounceOf = async (raw: string) => (await classify(raw)).bounce;

/** A plain-text notice, and the same notice as a multipart/report with the given DSN fields. */
const plainNotice = (head: string, text: string) => `${head}Content-Type: text/plain

${text}`;
const reportNotice = (
  head: string,
  text: string,
  fields: string,
) => `${head}Content-Type: multipart/report; report-type=delivery-status; boundary="r8"

--r8
Content-Type: text/plain

${text}
--r8
Content-Type: message/delivery-status

${fields.trim()}
--r8--
`;

// Exchange 2003's wording: the recipient, the reason in words, then "<host #local smtp;remote>".
const exchangeText = `Your message did not reach some or all of the intended recipients.

      Subject:	Invoice 7781
      Sent:	11/2/2026 9:40 AM

The following recipient(s) could not be reached:

      kim@client.example on 11/2/2026 9:40 AM
            The recipient's mailbox is full and can't accept messages now.
            <gw1.client.example #5.5.0 smtp;550 5.2.2 Mailbox quota exceeded>

      lou@client.example on 11/2/2026 9:40 AM
            The message could not be delivered.
            <gw1.client.example #5.5.0 smtp;250 2.1.5 ok, then 451 4.3.0 try later>
`;

describe('bounce leftovers (round 8)', () => {
  it("takes the remote server's code over the MTA's own X.5.0, within the same class", async () => {
    const head = `From: postmaster@client.example
To: support@inlet.test
Subject: Undeliverable: Invoice 7781
`;
    const plain = plainNotice(head, exchangeText);
    const report = reportNotice(
      head,
      exchangeText,
      `Reporting-MTA: dns;gw1.client.example

Final-Recipient: rfc822;kim@client.example
Action: failed
Status: 5.5.0
Diagnostic-Code: smtp;550 5.2.2 Mailbox quota exceeded

Final-Recipient: rfc822;lou@client.example
Action: failed
Status: 5.5.0
Diagnostic-Code: smtp;451 4.3.0 try later`,
    );
    for (const raw of [plain, report]) {
      const statuses = (await bounceOf(raw))?.recipients.map((r) => [r.address, r.status]);
      // A 4.x.x answer under a 5.5.0: the MTA gave up; its own failure class stands.
      expect(statuses).toEqual([
        ['kim@client.example', '5.2.2'],
        ['lou@client.example', '5.5.0'],
      ]);
    }
  });

  it("gives a Sendmail delay warning's transcript line as the diagnostic, not its caption", async () => {
    const warning = `    **********************************************
    **      THIS IS A WARNING MESSAGE ONLY      **
    **  YOU DO NOT NEED TO RESEND YOUR MESSAGE  **
    **********************************************

The original message was received at Tue, 3 Nov 2026 07:15:02 +0100
from desk.inlet.test [192.0.2.44]

   ----- The following addresses had transient non-fatal errors -----
<pat@slow.example>

   ----- Transcript of session follows -----
<pat@slow.example>... Deferred: Connection refused by mx.slow.example.
Warning: message still undelivered after 4 hours
Will keep trying until message is 5 days old
`;
    const head = `From: Mail Delivery Subsystem <MAILER-DAEMON@relay.inlet.test>
To: support@inlet.test
Subject: Warning: could not send message for past 4 hours
`;
    const plain = plainNotice(head, warning);
    // The same warning as a DSN whose delivery-status part gives no Diagnostic-Code.
    const report = reportNotice(
      head,
      warning,
      `Reporting-MTA: dns; relay.inlet.test

Final-Recipient: RFC822; pat@slow.example
Action: delayed
Status: 4.4.1
Will-Retry-Until: Sun, 8 Nov 2026 07:15:02 +0100`,
    );
    for (const raw of [plain, report]) {
      const [r] = (await bounceOf(raw))?.recipients ?? [];
      expect(r?.action).toBe('delayed');
      expect(r?.hard).toBe(false);
      expect(r?.diagnostic).toBe(
        '<pat@slow.example>... Deferred: Connection refused by mx.slow.example.',
      );
    }
  });

  it('keeps a Final-Recipient whose quoted local part holds a space', async () => {
    const raw = reportNotice(
      `From: MAILER-DAEMON@mx.inlet.test
To: support@inlet.test
Subject: Undelivered Mail Returned to Sender
`,
      'Your message could not be delivered to two recipients.',
      `Reporting-MTA: dns; mx.inlet.test

Final-Recipient: rfc822; "john doe"@client.example
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 No such mailbox

Final-Recipient: rfc822; <"a\\"b c"@client.example>
Action: failed
Status: 5.1.1

Final-Recipient: rfc822; jane roe@client.example
Action: failed
Status: 5.1.1`,
    );
    // An unquoted local part with a space is no address (RFC 5321 4.1.2): left out, as before.
    expect((await bounceOf(raw))?.recipients.map((r) => [r.address, r.status])).toEqual([
      ['"john doe"@client.example', '5.1.1'],
      ['"a\\"b c"@client.example', '5.1.1'],
    ]);
  });
});
