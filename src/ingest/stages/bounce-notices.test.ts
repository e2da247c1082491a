// Machine notices that look like bounces but are none (issue #16, class 7), from mail of our own:
// SES complaints, challenge-response and sender-screening notices; a person stays a person.
import { describe, expect, it } from 'vitest';

import { classify } from '../../../test/helpers/bounce-mail.js';

describe('notices that are no bounce', () => {
  it('an SES complaint notification is an abuse report, not a bounce', async () => {
    const raw = `From: AWS Notifications <no-reply@sns.amazonaws.com>
To: agent@inlet.test
Subject: AWS Notification Message

{"notificationType":"Complaint","complaint":{"complainedRecipients":[{"emailAddress":"max@client.example"}],"complaintFeedbackType":"abuse"},"mail":{"source":"agent@inlet.test"}}
`;
    const c = await classify(raw);
    expect(c.kind).toBe('auto_reply');
    expect(c.reasons).toContain('ses_complaint');
  });

  it('an SES delivery notification (the message arrived) is machine mail, not a person writing', async () => {
    const notice = JSON.stringify({
      notificationType: 'Delivery',
      mail: {
        timestamp: '2026-12-07T10:00:00.000Z',
        source: 'agent@inlet.test',
        messageId: '0100018c-delivered-1',
        destination: ['robin@client.example'],
        headers: [{ name: 'Message-ID', value: '<reply-9@inlet.test>' }],
      },
      delivery: {
        timestamp: '2026-12-07T10:00:01.000Z',
        recipients: ['robin@client.example'],
        processingTimeMillis: 812,
        smtpResponse: '250 2.0.0 OK',
        reportingMTA: 'a8-1.smtp-out.amazonses.com',
      },
    });
    const direct = `From: AWS Notifications <no-reply@sns.amazonaws.com>
To: agent@inlet.test
Subject: AWS Notification Message

${notice}
`;
    // The same notice wrapped in SNS's own envelope, which escapes it as a JSON string.
    const wrapped = direct.replace(
      notice,
      JSON.stringify({ Type: 'Notification', TopicArn: 'arn:aws:sns:x', Message: notice }),
    );
    for (const raw of [direct, wrapped]) {
      const c = await classify(raw);
      expect(c.kind).toBe('auto_reply');
      expect(c.reasons).toContain('ses_delivery');
    }
  });

  it('SES event publishing ("eventType", from a configuration set) is read like a notification', async () => {
    const mail = {
      timestamp: '2026-12-07T10:00:00.000Z',
      source: 'agent@inlet.test',
      messageId: '0100018c-event-1',
      destination: ['robin@client.example'],
      headers: [{ name: 'Message-ID', value: '<reply-7@inlet.test>' }],
      tags: { 'ses:configuration-set': ['inlet-events'] },
    };
    // Sent as is, or inside SNS's own envelope, which escapes it as a JSON string.
    for (const wrap of [JSON.stringify, (v: object) => JSON.stringify(JSON.stringify(v))]) {
      const event = (e: object) => `From: AWS Notifications <no-reply@sns.amazonaws.com>
To: agent@inlet.test
Subject: AWS Notification Message

${wrap({ ...e, mail })}
`;
      const bounce = await classify(
        event({
          eventType: 'Bounce',
          bounce: {
            bounceType: 'Permanent',
            bounceSubType: 'General',
            bouncedRecipients: [
              { emailAddress: 'Robin@client.example', action: 'failed', status: '5.1.1' },
            ],
          },
        }),
      );
      expect(bounce.kind).toBe('bounce');
      expect(bounce.bounce).toEqual({
        originalMessageId: 'reply-7@inlet.test',
        recipients: [
          {
            address: 'robin@client.example',
            action: 'failed',
            status: '5.1.1',
            hard: true,
            diagnostic: null,
          },
        ],
      });
      const complaint = await classify(
        event({
          eventType: 'Complaint',
          complaint: { complainedRecipients: [{ emailAddress: 'robin@client.example' }] },
        }),
      );
      expect([complaint.kind, complaint.reasons]).toEqual([
        'auto_reply',
        expect.arrayContaining(['ses_complaint']),
      ]);
      const delivery = await classify(
        event({ eventType: 'Delivery', delivery: { recipients: ['robin@client.example'] } }),
      );
      expect([delivery.kind, delivery.reasons]).toEqual([
        'auto_reply',
        expect.arrayContaining(['ses_delivery']),
      ]);
    }
  });

  it('a person pasting a JSON log with an "eventType" is still a person', async () => {
    const c = await classify(`From: Robin <robin@client.example>
To: support@inlet.test
Subject: webhook question

Our logger shows {"eventType":"Delivery","id":42} for every order. Is that from you?
`);
    expect(c.kind).toBe('human');
  });

  it('a challenge-response "please verify" notice is machine mail but not a bounce', async () => {
    const raw = `From: Guard Service <notify@guard.example>
To: agent@inlet.test
Subject: Your message could not be delivered until you confirm
Return-Path: <>

Hello,

Your message to dana@client.example has not been delivered yet. Dana uses a
challenge-response filter: please verify that you are a person by clicking the
link below, and your message will be delivered.

https://guard.example/verify?id=8812
`;
    const c = await classify(raw);
    expect(c.kind).toBe('auto_reply');
    expect(c.reasons[0]).toBe('challenge_response');
    expect(c.bounce).toBeUndefined();
  });

  it('a "join my guest list" notice from a sender-screening service is not a bounce', async () => {
    const raw = `From: Screening Service <mailer-daemon@screen.example>
To: agent@inlet.test
Subject: Returned mail: waiting for approval

Your message to lou@client.example was not delivered yet. Lou screens mail from
new senders: request to join Lou's guest list at https://screen.example/r/55 and
the message will be delivered.
`;
    const c = await classify(raw);
    expect(c.kind).toBe('auto_reply');
    expect(c.reasons[0]).toBe('challenge_response');
  });

  it('an HTML-only "add yourself to my guest list" notice, and a "verify you are a real live human" one, are not bounces', async () => {
    const html = `From: MAILER-DAEMON@screen.example
To: agent@inlet.test
Subject: Returned mail: see below
MIME-Version: 1.0
Content-Type: text/html; charset=utf-8

<html><body><p>Hello,</p><p>Your message about "Re: parts" was waitlisted.
<a href="https://screen.example/g/4">Add yourself to my Guest List</a> so your
messages reach my inbox.</p></body></html>
`;
    const human = `From: Mail Delivery Subsystem <MAILER-DAEMON@relay.example>
To: agent@inlet.test
Subject: Undeliverable: Re: parts

The message you sent requires that you verify that you are a real live human
being and not a spam source. Reply to this message with the subject intact.
`;
    for (const raw of [html, human]) {
      const c = await classify(raw);
      expect(c.kind).toBe('auto_reply');
      expect(c.reasons[0]).toBe('challenge_response');
    }
  });

  it('a person writing about a verification mail stays a person', async () => {
    const raw = `From: Dana <dana@client.example>
To: support@inlet.test
Subject: cannot log in

Your site said "please verify your email address" but the link is broken.
`;
    expect((await classify(raw)).kind).toBe('human');
  });
});
