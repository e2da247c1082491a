import { describe, expect, it } from 'vitest';

import { classifyMessage, suppressesAutoResponse } from './classify.js';
import { parseMessage } from './parse.js';

const ctx = {
  ownAddresses: ['Support@Inlet.test'],
  isOwnMessageId: (id: string) => id.startsWith('inlet.') && id.endsWith('@inlet.test'),
};
const msg = (headers: string, body = 'Hello, my printer is broken.') =>
  parseMessage(
    Buffer.from(
      `${headers.trim()}\r\nContent-Type: text/plain\r\n\r\n${body}\r\n`.replace(/\r?\n/g, '\r\n'),
    ),
  );
const classify = async (headers: string, body?: string) =>
  classifyMessage(await msg(headers, body), ctx);

const dsn = (
  status: string,
  action: string,
) => `From: Mail Delivery System <MAILER-DAEMON@mx.example.com>
To: support@inlet.test
Subject: Undelivered Mail Returned to Sender
Return-Path: <>
Content-Type: multipart/report; report-type=delivery-status; boundary="r"

--r
Content-Type: text/plain

Your message could not be delivered.
--r
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com

Final-Recipient: rfc822; gone@example.org
Action: ${action}
Status: ${status}
Diagnostic-Code: smtp; 550 5.1.1 user unknown

Final-Recipient: rfc822; <other@example.org>
Action: ${action}
Status: ${status}
--r
Content-Type: message/rfc822

From: support@inlet.test
To: gone@example.org
Message-ID: <inlet.ack-42@inlet.test>
Subject: [#42] We got your request

Thanks
--r--
`;

describe('classifyMessage', () => {
  it('treats an ordinary message as human', async () => {
    expect(
      await classify(
        'From: Ann <ann@example.com>\nTo: support@inlet.test\nSubject: Printer broken',
      ),
    ).toEqual({ kind: 'human', reasons: [] });
  });

  it('honours RFC 3834 Auto-Submitted except "no"', async () => {
    expect(
      (
        await classify(
          'From: a@example.com\nSubject: hi\nAuto-Submitted: auto-replied; owner-email="a@example.com"',
        )
      ).reasons,
    ).toContain('auto_submitted:auto-replied');
    expect((await classify('From: a@example.com\nSubject: hi\nAuto-Submitted: no')).kind).toBe(
      'human',
    );
  });

  it.each([
    ['X-Autoreply: yes', 'x_autoreply'],
    ['X-Autorespond: Out of office', 'x_autorespond'],
    ['Precedence: bulk', 'precedence:bulk'],
    ['Precedence: junk', 'precedence:junk'],
    ['Precedence: list', 'precedence:list'],
  ])('marks %s as an automatic reply', async (header, reason) => {
    const c = await classify(`From: a@example.com\nSubject: Status\n${header}`);
    expect(c.kind).toBe('auto_reply');
    expect(c.reasons).toContain(reason);
  });

  it('keeps a person posting through a real mailing list human, but never auto-acknowledged', async () => {
    const c = await classify(
      'From: a@example.com\nSubject: Help please\nPrecedence: list\nList-Id: <support.groups.example.com>',
    );
    expect(c).toEqual({ kind: 'human', reasons: ['list_traffic'] });
    expect(suppressesAutoResponse(c)).toBe(true);
    expect(suppressesAutoResponse({ kind: 'human', reasons: [] })).toBe(false);
  });

  it.each([
    'Automatic reply: Your ticket',
    'Out of Office: Re: [#12] invoice',
    'Abwesenheitsnotiz: AW: Rechnung',
    'Réponse automatique : facture',
    'Respuesta automática: pedido',
    '自動応答: お問い合わせ',
  ])('recognises the out-of-office subject %j', async (subject) => {
    expect((await classify(`From: a@example.com\nSubject: ${subject}`)).kind).toBe('auto_reply');
  });

  it('does not take ordinary subjects about offices or deliveries for automatic mail', async () => {
    expect(
      (await classify('From: a@example.com\nSubject: Question about the office move')).kind,
    ).toBe('human');
    expect(
      (await classify('From: a@example.com\nSubject: My delivery failed to arrive')).kind,
    ).toBe('human');
  });

  it('recognises a DSN, its hard failures and the message it returns', async () => {
    const [head, body] = dsn('5.1.1', 'failed').split('\n\n--r\n');
    const c = await classify(head!, `--r\n${body}`);
    expect(c.kind).toBe('bounce');
    expect(c.reasons).toContain('multipart_report:delivery-status');
    expect(c.bounce).toEqual({
      originalMessageId: 'inlet.ack-42@inlet.test',
      recipients: [
        {
          address: 'gone@example.org',
          action: 'failed',
          status: '5.1.1',
          hard: true,
          diagnostic: '550 5.1.1 user unknown',
        },
        {
          address: 'other@example.org',
          action: 'failed',
          status: '5.1.1',
          hard: true,
          diagnostic: null,
        },
      ],
    });
  });

  it('reports a delayed DSN as a soft bounce', async () => {
    const [head, body] = dsn('4.4.7', 'delayed').split('\n\n--r\n');
    const c = await classify(head!, `--r\n${body}`);
    expect(c.kind).toBe('bounce');
    expect(c.bounce?.recipients.every((r) => !r.hard && r.status === '4.4.7')).toBe(true);
  });

  it('recognises a plain-text bounce from MAILER-DAEMON and finds the recipient and the original id', async () => {
    const c = await classify(
      'From: MAILER-DAEMON@mail.example.net\nTo: support@inlet.test\nSubject: failure notice\nX-Failed-Recipients: gone@example.org',
      'Hi. This is the qmail-send program.\r\n\r\n<gone@example.org>:\r\n550 5.1.1 mailbox unavailable\r\n\r\n--- Below this line is a copy of the message.\r\n\r\nMessage-ID: <inlet.ack-7@inlet.test>\r\nSubject: hi',
    );
    expect(c.kind).toBe('bounce');
    expect(c.bounce?.recipients).toEqual([
      {
        address: 'gone@example.org',
        action: 'failed',
        status: '5.1.1',
        hard: true,
        diagnostic: '550 5.1.1 mailbox unavailable',
      },
    ]);
    expect(c.bounce?.originalMessageId).toBe('inlet.ack-7@inlet.test');
  });

  it('reads mail from the null sender ("<@>", as Courier writes it) as machine mail, never a person', async () => {
    const notice = await classify(
      'From: Courier mail server at relay.example.net <@>\nTo: support@inlet.test\nSubject: NOTICE: mail delivery status.',
      'This is a delivery status notification from relay.example.net.\r\n\r\nYour message to pat@example.org could not be delivered: 550 mailbox does not exist.\r\n',
    );
    expect(notice.kind).toBe('bounce');
    expect(notice.bounce?.recipients.map((r) => [r.address, r.hard])).toEqual([
      ['pat@example.org', true],
    ]);
    // A null-sender notice with no failure in it is still nobody to acknowledge.
    const quota = await classify(
      'From: <@>\nTo: support@inlet.test\nSubject: Mailbox almost full',
      'Your mailbox is 90% full. Please delete old messages.',
    );
    expect(quota.kind).toBe('auto_reply');
    expect(suppressesAutoResponse(quota)).toBe(true);
    // A bare name with no address is a broken client, and still a person.
    expect((await classify('From: Jane Roe\nTo: support@inlet.test\nSubject: printer')).kind).toBe(
      'human',
    );
  });

  it('reads "From: <>" (RFC 5321\'s null reverse-path) as the null sender, and no From as before', async () => {
    for (const from of ['<>', 'Mail Delivery Subsystem <>', '"relay.example.net" < >']) {
      const quota = await classify(
        `From: ${from}\nTo: support@inlet.test\nSubject: Mailbox almost full`,
        'Your mailbox is 90% full. Please delete old messages.',
      );
      expect(quota.kind).toBe('auto_reply');
      expect(suppressesAutoResponse(quota)).toBe(true);
    }
    const notice = await classify(
      'From: <>\nTo: support@inlet.test\nSubject: Warning: could not send message',
      'Your message to lee@example.org could not be delivered: 550 5.1.1 user unknown.\r\n',
    );
    expect(notice.kind).toBe('bounce');
    expect(notice.bounce?.recipients.map((r) => r.address)).toEqual(['lee@example.org']);
    // No From header at all is a broken client, not the null sender: still a person writing.
    const bare = await msg('To: support@inlet.test\nSubject: printer');
    expect(bare.warnings).toContain('from_missing');
    expect(bare.warnings).not.toContain('from_null_sender');
    expect(classifyMessage(bare, ctx).kind).toBe('human');
  });

  it('recognises its own mail coming back, but not a forged X-Inlet header from outside', async () => {
    expect(
      await classify('From: x@example.com\nSubject: hi\nMessage-ID: <inlet.abc@inlet.test>'),
    ).toEqual({ kind: 'own_echo', reasons: ['own_message_id'] });
    expect(
      (await classify('From: support@inlet.test\nSubject: hi\nX-Inlet-Ticket: 42')).reasons,
    ).toEqual(['inlet_header_own_address']);
    expect((await classify('From: evil@example.com\nSubject: hi\nX-Inlet-Ticket: 42')).kind).toBe(
      'human',
    );
  });
});
