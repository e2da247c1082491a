// Machine mail that was classed wrongly (issue #16, class 7), from mail of our own: a mailing list's
// notices about a post, an SES complaint's original Message-ID, and people or auto-responders whose
// words mention delivery.
import { describe, expect, it } from 'vitest';

import { classify, classifyParsed, parseMail as parse } from '../../../test/helpers/bounce-mail.js';
import { originalMessageId } from './bounce.js';

const original = `From: Acme Support <support@inlet.test>
To: pat@client.example
Cc: printers@lists.client.example
Message-ID: <reply-7@inlet.test>
Subject: Re: Printer on fire

We are on it.`;

describe('a mailing list refusing or holding a post', () => {
  it('a "you are not a member" rejection is a failed delivery to the list, naming the list', async () => {
    const raw = `From: printers-owner@lists.client.example
To: support@inlet.test
Subject: Your message to Printers was rejected
List-Id: <printers.lists.client.example>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="m"

--m
Content-Type: text/plain

You are not a member of the mailing list <printers@lists.client.example>, and
only members may post. Your message has been rejected.

Questions go to printers-owner@lists.client.example.
--m
Content-Type: message/rfc822

${original}
--m--
`;
    const c = await classify(raw);
    expect(c.kind).toBe('bounce');
    expect(c.reasons[0]).toBe('list_rejection');
    expect(c.bounce?.originalMessageId).toBe('reply-7@inlet.test');
    expect(c.bounce?.recipients).toEqual([
      expect.objectContaining({
        address: 'printers@lists.client.example',
        action: 'failed',
        diagnostic: expect.stringContaining('not a member'),
      }),
    ]);
  });

  it('a post held for the moderator is machine mail that failed nothing', async () => {
    const raw = `From: printers-bounces@lists.client.example
To: support@inlet.test
Subject: Your message to Printers awaits moderator approval
X-Mailman-Version: 2.1.39

Your mail to 'Printers' with the subject

    Re: Printer on fire

Is being held until the list moderator can review it for approval.
`;
    const c = await classify(raw);
    expect(c).toMatchObject({ kind: 'auto_reply', reasons: ['list_notice'] });
  });

  it('a member writing to the list about a rejection stays a person', async () => {
    const raw = `From: Pat <pat@client.example>
To: printers@lists.client.example
List-Id: <printers.lists.client.example>
Subject: my post was rejected?

I am not a member yet, is that why my post was rejected?
`;
    expect(await classify(raw)).toMatchObject({ kind: 'human', reasons: ['list_traffic'] });
  });
});

describe('people and auto-responders that mention delivery', () => {
  it('a person forwarding a bounce with a question is a person', async () => {
    const raw = `From: Pat <pat@client.example>
To: support@inlet.test
Subject: Fwd: Undelivered Mail Returned to Sender

Why can I not write to your sales team?

> From: Mail Delivery System <MAILER-DAEMON@mx.client.example>
> Subject: Undelivered Mail Returned to Sender
>
> <sales@acme.example>: host mx.acme.example said: 550 5.1.1 user unknown
`;
    expect((await classify(raw)).kind).toBe('human');
  });

  it('an out-of-office reply sent with an empty Return-Path that says mail cannot be delivered is an auto-reply', async () => {
    const raw = `From: Kim <kim@client.example>
To: support@inlet.test
Subject: Automatic reply: Printer on fire
Auto-Submitted: auto-replied
Return-Path: <>

I have left the company. Mail to this address could not be delivered to a
person any more; please write to office@client.example.
`;
    expect(await classify(raw)).toMatchObject({
      kind: 'auto_reply',
      reasons: expect.arrayContaining(['out_of_office_subject']),
    });
  });

  it('an out-of-office subject in Polish word order is an auto-reply', async () => {
    const raw = `From: Ola <ola@client.example>
To: support@inlet.test
Subject: Odpowiedź automatyczna: Printer on fire

Jestem na urlopie do poniedziałku.
`;
    expect((await classify(raw)).kind).toBe('auto_reply');
  });
});

describe('the message a notice is about', () => {
  it("an SES complaint names the original's Message-ID in its copied headers", async () => {
    const raw = `From: AWS Notifications <no-reply@sns.amazonaws.com>
To: support@inlet.test
Subject: AWS Notification Message

{"notificationType":"Complaint","complaint":{"complainedRecipients":[{"emailAddress":"pat@client.example"}]},"mail":{"messageId":"0100018c-ses-id","headers":[{"name":"From","value":"support@inlet.test"},{"name":"Message-ID","value":"<reply-7@inlet.test>"}],"commonHeaders":{"messageId":"<reply-7@inlet.test>"}}}
`;
    const msg = await parse(raw);
    expect(classifyParsed(msg).reasons).toContain('ses_complaint');
    expect(originalMessageId(msg)).toBe('reply-7@inlet.test');
  });
});

describe('an away notice without auto-responder headers', () => {
  it('sent with an empty Return-Path and a delivery phrase, is an auto-reply by its own words', async () => {
    const raw = `From: Rui <rui@client.example>
To: support@inlet.test
Subject: Re: Printer on fire
Return-Path: <>

I am out of the office until 14 March with limited access to email. Messages
sent to this address could not be delivered to my deputy; for urgent matters
call the front desk.
`;
    expect(await classify(raw)).toMatchObject({ kind: 'auto_reply', reasons: ['away_text'] });
  });
});

describe('auto-replies and holds that come dressed as delivery reports', () => {
  it('an out-of-office reply a mail service sends as MAILER-DAEMON is an auto-reply', async () => {
    const raw = `From: MAILER-DAEMON@mail.client.example
To: support@inlet.test
Subject: Auto-Reply: Re: Printer on fire
X-Autoreply: yes
Return-Path: <>

I am on vacation until Monday and cannot read mail; it will not be delivered
to anyone else meanwhile.
`;
    expect((await classify(raw)).kind).toBe('auto_reply');
  });

  it('a challenge system whose hold notice is a DSN saying only "delayed" holds, nothing failed', async () => {
    const raw = `From: Guard Service <postmaster@guard.example>
To: support@inlet.test
Subject: Delivery Status Notification (Delay)
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="d"

--d
Content-Type: text/plain

Your message to dana@client.example is held. Dana uses a challenge-response
filter: please verify that you are a person at https://guard.example/v/3
--d
Content-Type: message/delivery-status

Reporting-MTA: dns; guard.example

Final-Recipient: rfc822; dana@client.example
Action: delayed
Status: 4.7.0
--d--
`;
    expect(await classify(raw)).toMatchObject({
      kind: 'auto_reply',
      reasons: expect.arrayContaining(['challenge_response']),
    });
    // The same report without the request to verify is a delay warning, a bounce as before.
    const delay = raw.replace(/ Dana uses[\s\S]*?v\/3/, '');
    expect((await classify(delay)).kind).toBe('bounce');
  });
});
