// Bounce classes found on the round-8 tune halves of issue #16 (sets never scored before), each
// rebuilt from mail of our own: a delivery report that names nobody but says "failure" in its
// subject, whose returned copy also went to its own sender (Cc to self).
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
    const two = `From: agent@helpdesk.example\nTo: customer@client.example, buyer@client.example`;
    const several = await classify(
      emptyReport('Delivery Status Notification (Failure)', 'See the attached message.', two),
    );
    expect(several.bounce?.recipients ?? []).toEqual([]);
  });
});
