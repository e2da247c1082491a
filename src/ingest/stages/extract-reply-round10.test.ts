// Reply extraction on mail of our own for the classes round 9's fresh sets showed (issue #16): a
// message that only forwards an earlier one (quoted whole by Apple Mail with its caption in the
// user's language, a quoted "Original Message", or a plain header over a quoted text) gave an
// empty reply; header labels of Gmail, Apple Mail and HubSpot in Turkish, Romanian, Russian,
// Ukrainian, Norwegian and Japanese were not read as a header block.
import { describe, expect, it } from 'vitest';

import { extractReply } from './extract-reply.js';

const reply = (text: string) => extractReply(text).reply;

// Apple Mail quotes a forward whole, its caption in the user's language (here Swedish).
const swedish = [
  '> Vidarebefordrat mejl:',
  '>',
  '> Från: Pat Lee <pat@example.org>',
  '> Ämne: Faktura 2231',
  '> Datum: 3 mars 2025 09:12:44 CET',
  '> Till: billing@example.com',
  '>',
  '> Fakturan tar upp routern två gånger.',
].join('\n');

describe('reply extraction, round 10: forwards', () => {
  it("a message that only forwards a '>'-quoted earlier message shows that message's text", () => {
    const english = [
      '> Begin forwarded message:',
      '>',
      '> From: Pat Lee <pat@example.org>',
      '> Subject: Invoice 2231',
      '> Date: 3 March 2025 at 09:12:44 CET',
      '> To: billing@example.com',
      '>',
      '> The invoice lists the router twice.',
      '> Could you send a corrected one?',
    ].join('\n');
    expect(reply(english)).toBe(
      'The invoice lists the router twice.\nCould you send a corrected one?',
    );
    expect(extractReply(english).hasQuote).toBe(true);

    // The caption in the user's language: no list of captions holds every one of them.
    expect(reply(swedish)).toBe('Fakturan tar upp routern två gånger.');
  });

  it('a quoted "Original Message" or a plain header over quoted text is the forwarded text too', () => {
    expect(
      reply(
        [
          '> ---------- Original Message ----------',
          '> From: Pat Lee <pat@example.org>',
          '> To: "billing@example.com" <billing@example.com>',
          '> Date: 03/03/2025 9:12 AM EST',
          '> Subject: Invoice 2231',
          '>  ',
          '> The router is listed twice.',
        ].join('\n'),
      ),
    ).toBe('The router is listed twice.');
    expect(
      reply(
        [
          '---------- Forwarded message ----------',
          'From: Pat Lee <pat@example.org>',
          'Date: March 3, 2025 at 9:12 AM',
          'To: billing@example.com',
          'Subject: Invoice 2231',
          '',
          '> The router is listed twice.',
          '> Please fix it.',
        ].join('\n'),
      ),
    ).toBe('The router is listed twice.\nPlease fix it.');
  });

  it("a comment above a quoted forward with a caption in the user's language keeps only the comment", () => {
    expect(reply(`Kan ni titta på den här?\n\n${swedish}`)).toBe('Kan ni titta på den här?');
  });

  it('reads the header labels of Turkish, Romanian, Russian, Ukrainian, Norwegian and Japanese clients', () => {
    // Apple Mail quotes what it forwards, caption and all; Gmail and HubSpot do not.
    const forward = (caption: string, headers: string[]) => {
      const lines = [caption, ...headers, '', 'Printer 4 jams on every job.'];
      return reply((caption.startsWith('-') ? lines : lines.map((l) => `> ${l}`)).join('\n'));
    };
    const gmail = '---------- Forwarded message ---------';
    expect(
      forward(gmail, [
        'Gönderen: Pat Lee <pat@example.org>',
        'Date: 3 Mar 2025 Pzt, 09:12',
        'Subject: Printer',
        'To: <help@example.com>',
      ]),
    ).toBe('Printer 4 jams on every job.');
    expect(
      forward('Începe mesajul redirecționat:', [
        'Expeditorul: Pat Lee <pat@example.org>',
        'Subiectul: Printer',
        'Dată: 3 martie 2025, 09:12:44 EET',
        'Destinatarul: help@example.com',
      ]),
    ).toBe('Printer 4 jams on every job.');
    expect(
      forward('Начало переадресованного сообщения:', [
        'Отправитель: Pat Lee <pat@example.org>',
        'Тема: Printer',
        'Дата: 3 марта 2025 г. в 09:12:44 GMT+3',
        'Кому: help@example.com',
        'Копия: Sam Roe <sam@example.org>',
      ]),
    ).toBe('Printer 4 jams on every job.');
    expect(
      forward('Початок листа, що пересилається:', [
        'Від кого: Pat Lee <pat@example.org>',
        'Тема: Printer',
        'Дата: 3 березня 2025 р. о 09:12:44 GMT+2',
        'Кому: help@example.com',
        'Копія: Sam Roe <sam@example.org>',
      ]),
    ).toBe('Printer 4 jams on every job.');
    expect(
      forward('Videresendt melding:', [
        'Fra: Pat Lee <pat@example.org>',
        'Emne: Printer',
        'Dato: 3. mars 2025 kl. 09:12:44 CET',
        'Til: help@example.com',
        'Kopi: Sam Roe <sam@example.org>',
      ]),
    ).toBe('Printer 4 jams on every job.');
    expect(
      forward('---------- メッセージを転送 ---------', [
        '送信元：Pat Lee <pat@example.org>',
        '日付：2025年3月3日月曜日 09:12:44 +0900',
        '件名：Printer',
        '送信先：help@example.com',
      ]),
    ).toBe('Printer 4 jams on every job.');
  });

  it('leaves the whole header block out when its copy and date lines are labelled in other languages', () => {
    const body = 'Printer 4 jams on every job.';
    const forward = (caption: string, headers: string[]) =>
      reply([caption, ...headers.map((h) => h.replace(': ', ':\t')), '', '', body].join('\n'));
    // Thunderbird puts the subject first and a tab after each label.
    expect(
      forward('-------- Message transféré --------', [
        'Sujet : Printer',
        'Date : Mon, 3 Mar 2025 09:12:44 +0100',
        'De : Pat Lee <pat@example.org>',
        'Pour : help@example.com',
        'Copie à : Sam Roe <sam@example.org>',
      ]),
    ).toBe(body);
    expect(
      forward('-------- Encaminhada --------', [
        'Assunto: Printer',
        'Data: Mon, 3 Mar 2025 09:12:44 -0300',
        'De: Pat Lee <pat@example.org>',
        'Para: help@example.com',
        'Cópia: Sam Roe <sam@example.org>',
      ]),
    ).toBe(body);
    expect(
      forward('________________________________', [
        'Feladó: Pat Lee <pat@example.org>',
        'Elküldve: 2025. március 3. 9:12',
        'Címzett: help@example.com',
        'Másolatot kap: Sam Roe <sam@example.org>',
        'Tárgy: Printer',
      ]),
    ).toBe(body);
    expect(
      forward('----- Iletilen Mesaj -----', [
        'Kimden: Pat Lee <pat@example.org>',
        'Kime: help@example.com',
        'Gönderilme: 3 Mart 2025 Pazartesi 09:12:44 GMT+3',
        'Konu: Printer',
      ]),
    ).toBe(body);
    expect(
      forward('----- Preposlaná správa -----', [
        'Od: Pat Lee <pat@example.org>',
        'Komu: help@example.com',
        'Kópia: Sam Roe <sam@example.org>',
        'Odoslané: pondelok 3. marca 2025 9:12:44 SEČ',
        'Predmet: Printer',
      ]),
    ).toBe(body);
    expect(
      forward('________________________________', [
        'Šalje: Pat Lee <pat@example.org>',
        'Poslano: 3. ožujka 2025. 9:12',
        'Prima: help@example.com',
        'Kopija: Sam Roe <sam@example.org>',
        'Predmet: Printer',
      ]),
    ).toBe(body);
  });

  it("keeps the person's own line above an unquoted header block, and a quote-only reply as before", () => {
    expect(
      reply(
        'See below:\n\nFrom: Pat Lee <pat@example.org>\nSent: 3 March 2025 09:12\nTo: help@example.com\nSubject: Printer\n\nPrinter 4 jams.',
      ),
    ).toBe('See below:');
    // Not a forward: an attribution over a quote is a reply with nothing new, as before.
    expect(
      reply('On Mon, 3 Mar 2025 at 09:12, Pat <pat@example.org> wrote:\n> Printer 4 jams.'),
    ).toBe('');
  });
});

describe('reply extraction, round 10: signatures without a delimiter', () => {
  it('reads a phone number written in pairs of digits as a contact line', () => {
    expect(
      reply(
        'Merci pour votre aide.\n\n\n*Marie Dupont*\nResponsable commerciale\n06 98 76 54 32\nhttps://example.fr/',
      ),
    ).toBe('Merci pour votre aide.');
    expect(
      reply('Danke, passt.\n\nJonas Berg\nVertrieb\n+ 49 30 12 34 56 78\nwww.example.de'),
    ).toBe('Danke, passt.');
  });

  it("leaves a logo placeholder above the name out with the block, but not the person's phone line", () => {
    expect(
      reply(
        'Thanks, that fixed it.\n\n[image: ACME logo] <https://acme.example/>\n*Jane Roe*\nSupport lead\njane@acme.example\n+1 555 010 2030',
      ),
    ).toBe('Thanks, that fixed it.');
    expect(
      reply('Call me at 06 12 34 56 78 tomorrow\nJane Roe\nwww.acme.example\njane@acme.example'),
    ).toBe('Call me at 06 12 34 56 78 tomorrow');
  });
});
