// Plain-text bounces read by their wording, each rebuilt from mail of our own: contractions and
// typographic apostrophes (Gmail, Outlook), the server's answer given paragraphs below the address,
// several recipients listed in one paragraph each with its own reason, and delays that mention how
// a failure would look.
import { describe, expect, it } from 'vitest';

import { classify } from '../../../test/helpers/bounce-mail.js';

const gmail = (
  subject: string,
  body: string,
) => `From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>
To: support@inlet.test
Subject: ${subject}
Date: Mon, 1 Jan 2024 10:00:00 +0000
Message-ID: <dsn-1@mail.example>
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: 8bit

${body}`;

describe('contractions and typographic apostrophes', () => {
  it('reads "wasn’t delivered to" and takes the code the server gave two paragraphs below', async () => {
    const c = await classify(
      gmail(
        'Delivery Status Notification (Failure)',
        `** Address not found **

Your message wasn’t delivered to lou@client.example because the address couldn’t be found, or is unable to receive mail.

Learn more at https://help.example/no-such-user

The response from the remote server was:
550 5.1.1 The account you tried to reach does not exist. x1-gsmtp
`,
      ),
    );
    expect(c.kind).toBe('bounce');
    expect(c.bounce?.recipients).toEqual([
      {
        address: 'lou@client.example',
        action: 'failed',
        status: '5.1.1',
        hard: true,
        diagnostic: '550 5.1.1 The account you tried to reach does not exist. x1-gsmtp',
      },
    ]);
  });

  it('a message that "hasn’t been delivered yet" is delayed, though the notice says how a permanent failure would be told', async () => {
    const c = await classify(
      gmail(
        'Delivery Status Notification (Delay)',
        `** Message not delivered yet **

Your message to hank@client.example hasn’t been delivered yet. The mail service will retry for 46 more hours. You’ll be told if delivery fails permanently.

The response from the remote server was:
421 4.7.0 Try again later, closing connection.
`,
      ),
    );
    expect(c.bounce?.recipients).toEqual([
      expect.objectContaining({
        address: 'hank@client.example',
        action: 'delayed',
        status: '4.7.0',
        hard: false,
      }),
    ]);
  });
});

describe("the server's answer as the diagnostic", () => {
  it('prefers the line with the code to a phrase above it', async () => {
    const c = await classify(
      gmail(
        'Delivery Status Notification (Failure)',
        `** Message blocked **

Your message to iris@client.example has been blocked. See the technical details below.

The response from the remote server was:
552 5.7.0 Message refused: the attachment type is not allowed here.
`,
      ),
    );
    expect(c.bounce?.recipients).toEqual([
      expect.objectContaining({
        address: 'iris@client.example',
        status: '5.7.0',
        diagnostic: '552 5.7.0 Message refused: the attachment type is not allowed here.',
      }),
    ]);
  });
});

describe('several recipients in one paragraph', () => {
  it("gives each the reason under its own address, never a neighbour's code", async () => {
    const c = await classify(`From: Mail Delivery System <Mailer-Daemon@mx.host.example>
To: support@inlet.test
Subject: Mail delivery failed: returning message to sender
Date: Mon, 1 Jan 2024 10:00:00 +0000

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  bea@client.example
    Mailbox quota exceeded
  cal@client.example
    SMTP error from remote mail server after RCPT TO:<cal@client.example>:
    550 5.1.1 unknown user
  dan@other.example
    Unrouteable address
`);
    expect(c.bounce?.recipients).toEqual([
      expect.objectContaining({
        address: 'bea@client.example',
        status: null,
        hard: true,
        diagnostic: 'Mailbox quota exceeded',
      }),
      expect.objectContaining({
        address: 'cal@client.example',
        status: '5.1.1',
        diagnostic: '550 5.1.1 unknown user',
      }),
      expect.objectContaining({
        address: 'dan@other.example',
        status: null,
        diagnostic: 'Unrouteable address',
      }),
    ]);
  });
});

describe('failure or delay', () => {
  it('a message that "was undeliverable" failed, even when the reason is a temporary one', async () => {
    const c = await classify(`From: Mail Administrator <Postmaster@mail.example.com>
To: support@inlet.test
Subject: Mail System Error - Returned Mail
Date: Mon, 1 Jan 2024 10:00:00 +0000

This Message was undeliverable due to the following reason:

The user's account is temporarily over quota.

<sam@mail.example.com>

Please reply to Postmaster@mail.example.com
if you feel this message to be in error.
`);
    expect(c.bounce?.recipients).toEqual([
      expect.objectContaining({ address: 'sam@mail.example.com', action: 'failed' }),
    ]);
  });
});

const localised = (subject: string, body: string) => `From: MAILER-DAEMON@mx.provider.example
To: support@inlet.test
Subject: ${subject}
Date: Mon, 1 Jan 2024 10:00:00 +0000
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

${body}
`;

describe('reports written in other languages', () => {
  it.each([
    ['de', 'Ihre Nachricht an rcpt@client.example konnte nicht zugestellt werden: Postfach voll.'],
    ['fr', "Votre message à rcpt@client.example n'a pas pu être distribué : adresse inconnue."],
    ['es', 'Su mensaje para rcpt@client.example no pudo ser entregado: la dirección no existe.'],
    ['pt', 'A mensagem para rcpt@client.example não pôde ser entregue: usuário desconhecido.'],
    ['it', 'Il messaggio per rcpt@client.example non può essere recapitato: utente sconosciuto.'],
    ['nl', 'Uw bericht aan rcpt@client.example kon niet worden bezorgd: onbekende gebruiker.'],
    ['pl', 'Wiadomość do rcpt@client.example nie mogła zostać dostarczona: nieznany adres.'],
    ['ru', 'Сообщение для rcpt@client.example не может быть доставлено: адрес не найден.'],
    ['ja', 'rcpt@client.example 宛のメールは配信できませんでした。宛先が存在しません。'],
    ['zh', '您发送给 rcpt@client.example 的邮件无法投递：收件人不存在。'],
  ])('names the recipient of a failure told in a sentence (%s)', async (_lang, sentence) => {
    const c = await classify(localised('Undeliverable', sentence));
    expect(c.bounce?.recipients).toEqual([
      {
        address: 'rcpt@client.example',
        action: 'failed',
        status: null,
        hard: true,
        diagnostic: sentence,
      },
    ]);
  });

  it.each([
    [
      'de',
      'Dies ist nur eine Warnung. Ihre Nachricht an rcpt@client.example wurde noch nicht zugestellt.',
    ],
    [
      'fr',
      "Votre message à rcpt@client.example n'a pas encore été remis. Nouvelle tentative plus tard.",
    ],
    [
      'es',
      'Su mensaje para rcpt@client.example todavía no ha sido entregado. Se seguirá intentando.',
    ],
    ['ja', 'rcpt@client.example 宛のメールはまだ配信されていません。再試行します。'],
  ])('a message "not delivered yet" is delayed, not failed (%s)', async (_lang, sentence) => {
    const c = await classify(localised('Delayed', sentence));
    expect(c.bounce?.recipients).toEqual([
      expect.objectContaining({ address: 'rcpt@client.example', action: 'delayed', hard: false }),
    ]);
  });

  it('takes the reason written under the address in its own language as the diagnostic', async () => {
    const c = await classify(
      localised(
        'Unzustellbar',
        `Ihre Nachricht konnte an folgende Empfänger nicht zugestellt werden:

  rcpt@client.example
    Postfach des Empfängers ist voll

------ Kopie der Nachricht ------

Hallo, bitte schreiben Sie auch an kollegin@client.example, die Zahlung ist fehlgeschlagen.`,
      ),
    );
    expect(c.bounce?.recipients).toEqual([
      expect.objectContaining({
        address: 'rcpt@client.example',
        action: 'failed',
        diagnostic: 'Postfach des Empfängers ist voll',
      }),
    ]);
  });
});

describe('a report that names nobody', () => {
  const gateway = (to: string) => `From: Gateway Admin <sysadmin@mms.example.net>
To: support@inlet.test
Subject: Undeliverable Message
Date: Mon, 1 Jan 2024 10:00:00 +0000

Message could not be delivered to mobile.
Error: No valid recipients for this message


Original Message:
From: Support <support@inlet.test>
To: ${to}
Subject: Your repair is ready
`;

  it('failed the one address the returned copy was sent to', async () => {
    const c = await classify(gateway('5550100@mms.example.net'));
    expect(c.kind).toBe('bounce');
    expect(c.bounce?.recipients).toEqual([
      expect.objectContaining({ address: '5550100@mms.example.net', action: 'failed', hard: true }),
    ]);
  });

  it('names nobody when the copy went to several addresses', async () => {
    const c = await classify(gateway('5550100@mms.example.net, 5550101@mms.example.net'));
    expect(c.kind).toBe('bounce');
    expect(c.bounce?.recipients).toEqual([]);
  });
});

describe('a reason in its own paragraph', () => {
  it('takes the paragraph under "because:" as the diagnostic (Lotus Domino)', async () => {
    const c = await classify(`From: Postmaster@notes.example.com
To: support@inlet.test
Subject: DELIVERY FAILURE: User jo not listed in the directory
Date: Mon, 1 Jan 2024 10:00:00 +0000

Your message

  Subject: Re: Invoice question

was not delivered to:

  jo@notes.example.com

because:

  User jo (jo@notes.example.com) not listed in the public directory
`);
    expect(c.bounce?.recipients).toEqual([
      expect.objectContaining({
        address: 'jo@notes.example.com',
        action: 'failed',
        diagnostic: 'User jo (jo@notes.example.com) not listed in the public directory',
      }),
    ]);
  });
});
