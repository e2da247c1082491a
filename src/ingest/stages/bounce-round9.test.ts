// Bounce classes found on the round-8 tune halves of issue #16 (sets never scored before), each
// rebuilt from mail of our own: a delivery report that names nobody but says "failure" in its
// subject, whose returned copy also went to its own sender (Cc to self); an address the remote
// server echoes in the answer Postfix folds under a recipient; an MTA's "other" code of a subject
// (X.Y.0) over the remote server's code it quotes.
import { describe, expect, it } from 'vitest';

import { classify } from '../../../test/helpers/bounce-mail.js';

/** A DSN whose delivery-status part is empty, with a copy of the returned message. */
const emptyReport = (
  subject: string,
  note: string,
  returnedHead: string,
) => `From: MAILER-DAEMON@relay.example
Return-Path: <>
To: agent@helpdesk.example
Subject: ${subject}
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="e9"

--e9
Content-Type: text/plain

${note}
--e9
Content-Type: message/delivery-status


--e9
Content-Type: message/rfc822

${returnedHead}
Subject: Your order 5512

We shipped it today.
--e9--
`;

const toCustomerCcSelf = `From: agent@helpdesk.example
To: customer@client.example
Cc: agent@helpdesk.example`;

describe('bounce classes (round 9)', () => {
  it('fails the one address the returned copy went to when the subject says the delivery failed', async () => {
    for (const subject of [
      'Delivery Status Notification (Failure)',
      'Undelivered Mail Returned to Sender',
      'Unzustellbar: Your order 5512',
    ]) {
      const c = await classify(emptyReport(subject, 'See the attached message.', toCustomerCcSelf));
      expect(c.kind).toBe('bounce');
      expect(c.bounce?.recipients.map((r) => [r.address, r.action])).toEqual([
        ['customer@client.example', 'failed'],
      ]);
    }
  });

  it('never counts the returned copy sent to its own sender as a second recipient', async () => {
    const note = 'Your message could not be delivered.';
    const c = await classify(emptyReport('Returned mail', note, toCustomerCcSelf));
    expect(c.bounce?.recipients.map((r) => r.address)).toEqual(['customer@client.example']);
  });

  it('names nobody when neither the subject nor the words say failure, or several could have failed', async () => {
    const delay = await classify(
      emptyReport(
        'Delivery Status Notification (Delay)',
        'See the attached message.',
        toCustomerCcSelf,
      ),
    );
    expect(delay.bounce?.recipients ?? []).toEqual([]);
    for (const subject of [
      'Delivery Status Notification (Success)',
      'Delivered: Your order 5512',
    ]) {
      const notice = await classify(
        emptyReport(subject, 'See the attached message.', toCustomerCcSelf),
      );
      expect(notice.bounce?.recipients ?? []).toEqual([]);
    }
    const two = `From: agent@helpdesk.example\nTo: customer@client.example, buyer@client.example`;
    const several = await classify(
      emptyReport('Delivery Status Notification (Failure)', 'See the attached message.', two),
    );
    expect(several.bounce?.recipients ?? []).toEqual([]);
  });

  it("reads an address in the server's answer Postfix folds under a recipient as that recipient's echo", async () => {
    const report = `From: MAILER-DAEMON@relay.example (Mail Delivery System)
To: agent@helpdesk.example
Subject: Undelivered Mail Returned to Sender
Content-Type: text/plain

This is the mail system at host relay.example.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<ana@shop.example>: host mx.shop.example[192.0.2.7] said: 550
    5.1.1 <ana.b@shop.example>... User unknown (in reply to RCPT TO
    command)

<bo@shop.example>: host mx.shop.example[192.0.2.7] said: 452 4.2.2
    <bo@shop.example>: Mailbox full (in reply to RCPT TO command)
`;
    const c = await classify(report);
    expect(c.bounce?.recipients.map((r) => [r.address, r.status, r.hard])).toEqual([
      ['ana@shop.example', '5.1.1', true],
      ['bo@shop.example', '4.2.2', false],
    ]);
  });

  it("gives the remote server's code over the MTA's own X.Y.0 of the same class", async () => {
    const plain = `From: postmaster@gw.shop.example
To: agent@helpdesk.example
Subject: Undeliverable: Your order 5512
Content-Type: text/plain

The following message to <ana@shop.example> was undeliverable.
The reason for the problem:
5.1.0 - Unknown address error 550-'5.2.1 Mailbox disabled for this recipient'
`;
    const c = await classify(plain);
    expect(c.bounce?.recipients.map((r) => [r.address, r.status])).toEqual([
      ['ana@shop.example', '5.2.1'],
    ]);
    const dsn = (status: string, diagnostic: string) => `From: MAILER-DAEMON@relay.example
To: agent@helpdesk.example
Subject: Delivery Status Notification (Failure)
Content-Type: multipart/report; report-type=delivery-status; boundary="s9"

--s9
Content-Type: text/plain

Delivery to ana@shop.example failed.
--s9
Content-Type: message/delivery-status

Reporting-MTA: dns; relay.example

Final-Recipient: rfc822; ana@shop.example
Action: failed
Status: ${status}
Diagnostic-Code: smtp; ${diagnostic}
--s9--
`;
    const status = async (s: string, d: string) =>
      (await classify(dsn(s, d))).bounce?.recipients.map((r) => r.status);
    expect(await status('5.1.0', '550 5.1.1 <ana@shop.example>: user unknown')).toEqual(['5.1.1']);
    // Another class is another event; a precise code of the MTA's own stays.
    expect(await status('5.1.0', '451 4.3.0 try again later')).toEqual(['5.1.0']);
    expect(await status('5.1.2', '550 5.1.1 user unknown')).toEqual(['5.1.2']);
  });
});
