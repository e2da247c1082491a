// Bounce leftovers of issue #16 (round 8), each rebuilt from mail of our own: an MTA's own X.5.0
// status over the remote server's answer it quotes (Exchange 2003's "#5.5.0 smtp;550 5.2.2"), a
// Sendmail delay warning's diagnostic, a quoted local part with a space in Final-Recipient.
import { describe, expect, it } from 'vitest';

import { classifyMessage } from './classify.js';
import { parseMessage } from './parse.js';

const ctx = { ownAddresses: ['support@inlet.test'], isOwnMessageId: () => false };
const bounceOf = async (raw: string) =>
  (await classifyMessage(await parseMessage(Buffer.from(raw.replace(/\r?\n/g, '\r\n'))), ctx))
    .bounce;

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
    const plain = `From: postmaster@client.example
To: support@inlet.test
Subject: Undeliverable: Invoice 7781
Content-Type: text/plain

${exchangeText}`;
    const report = `From: postmaster@client.example
To: support@inlet.test
Subject: Undeliverable: Invoice 7781
Content-Type: multipart/report; report-type=delivery-status; boundary="nd"

--nd
Content-Type: text/plain

${exchangeText}
--nd
Content-Type: message/delivery-status

Reporting-MTA: dns;gw1.client.example

Final-Recipient: rfc822;kim@client.example
Action: failed
Status: 5.5.0
Diagnostic-Code: smtp;550 5.2.2 Mailbox quota exceeded

Final-Recipient: rfc822;lou@client.example
Action: failed
Status: 5.5.0
Diagnostic-Code: smtp;451 4.3.0 try later
--nd--
`;
    for (const raw of [plain, report]) {
      const statuses = (await bounceOf(raw))?.recipients.map((r) => [r.address, r.status]);
      // A 4.x.x answer under a 5.5.0: the MTA gave up; its own failure class stands.
      expect(statuses).toEqual([
        ['kim@client.example', '5.2.2'],
        ['lou@client.example', '5.5.0'],
      ]);
    }
  });
});
