// Reply extraction on mail of our own for the failure classes of issue #16's round 4: header
// blocks in more languages and shapes, right-to-left attributions, localised phone and Outlook
// sign-offs, external-sender banners, more closings, attributions wrapped or decorated differently,
// and a signature block under a rule.
import { describe, expect, it } from 'vitest';

import { extractReply } from './extract-reply.js';

const reply = (text: string) => extractReply(text).reply;

describe('reply extraction, round 4', () => {
  it('cuts at header blocks labelled in more languages, whatever field opens them', () => {
    const blocks = [
      'Nadawca: Agent <agent@example.com>\nData: 2 stycznia 2024 10:00\nDo: jan@example.com\nTemat: Zgłoszenie',
      'Temat: Zgłoszenie\nNadawca: Agent <agent@example.com>\nOdbiorca: jan@example.com',
      'Date: Tue, 2 Jan 2024 10:00\nTo: jane@example.com\nSubject: Your ticket',
      'Odesílatel: Agent <agent@example.com>\nOdesláno: 2. ledna 2024 10:00\nKomu: jan@example.com\nPředmět: Tiket',
      'Kimden: Agent <agent@example.com>\nTarih: 2 Ocak 2024 10:00\nKime: jan@example.com\nKonu: Talep',
      'Від: Agent <agent@example.com>\nНадіслано: 2 січня 2024 р. 10:00\nКому: jan@example.com\nТема: Запит',
      'من: Agent <agent@example.com>\nالتاريخ: 2 يناير 2024 10:00\nإلى: jan@example.com\nالموضوع: طلب',
      'Dari: Agent <agent@example.com>\nTanggal: 2 Januari 2024 10:00\nKepada: jan@example.com\nPerihal: Tiket',
    ];
    for (const block of blocks)
      expect(reply(`It works again.\n\n${block}\n\nPlease restart the router.\n`)).toBe(
        'It works again.',
      );
  });

  it('cuts at an Outlook header written on one line', () => {
    expect(
      reply(
        'Thanks, fixed.\n\nFrom: Agent <agent@example.com> Sent: Tuesday, January 2, 2024 10:00 AM To: Jane <jane@example.com> Subject: Ticket\n\nPlease restart the router.\n',
      ),
    ).toBe('Thanks, fixed.');
    expect(
      reply(
        'Danke.\n\nVon: Agent <agent@example.com> Gesendet: Dienstag, 2. Januar 2024 10:00 An: jan@example.com Betreff: Ticket\n\nBitte neu starten.\n',
      ),
    ).toBe('Danke.');
  });

  it('removes right-to-left attributions, with or without the direction marks Gmail adds', () => {
    const quote = '\n> Please restart the router.\n';
    for (const attribution of [
      '\u202bفي الثلاثاء، 2 يناير 2024 في 10:00 ص تمت كتابة ما يلي بواسطة \u202aAgent\u202c\u200f <\u202aagent@example.com\u202c\u200f>:\u202c',
      'في 2 يناير 2024، الساعة 10:00 ص، كتب Agent <agent@example.com>:',
      'ב-2 בינו׳ 2024, בשעה 10:00, \u200fAgent <agent@example.com> כתב/ה:',
      'در تاریخ ۲ ژانویه ۲۰۲۴، ساعت ۱۰:۰۰، Agent <agent@example.com> نوشت:',
    ])
      expect(reply(`It works again.\n\n${attribution}${quote}`)).toBe('It works again.');
    // Without a quote marker under it, the Arabic verb and a name are enough.
    expect(
      reply(
        'شكرا، يعمل الآن.\n\nفي الثلاثاء، 2 يناير 2024 10:00 ص، كتب أحمد:\nأعد تشغيل الجهاز.\n',
      ),
    ).toBe('شكرا، يعمل الآن.');
  });

  it('recognises the Outlook app and phone sign-offs in more languages', () => {
    for (const device of [
      'Verzonden vanuit Outlook voor iOS',
      'Outlook für iOS beziehen <https://aka.ms/o0ukef>',
      'Obtenir Outlook pour Android',
      'Hämta Outlook för iOS',
      'Pobierz aplikację Outlook dla systemu Android',
      'Надіслано з iPhone',
      'Poslano s mog iPhonea',
      'Dikirim dari iPhone saya',
      'Enviat des del meu iPhone',
      'נשלח מה-iPhone שלי',
    ]) {
      const r = extractReply(`Yes, Tuesday works.\n\n${device}\n`);
      expect(r.reply).toBe('Yes, Tuesday works.');
      expect(r.signature).toBe(device);
    }
    // A sentence about the app is the person's text.
    expect(reply('The Outlook app for Android crashes.\nCan you help?\n')).toBe(
      'The Outlook app for Android crashes.\nCan you help?',
    );
  });

  it("drops an external-sender banner above the person's text", () => {
    for (const banner of [
      'CAUTION: This email originated from outside of the organization. Do not click links or open attachments unless you recognize the sender.',
      '[EXTERNAL] This message came from outside your organization.',
      'ACHTUNG: Diese E-Mail stammt von einem externen Absender. Öffnen Sie keine Anhänge.',
      'LET OP: Deze e-mail is afkomstig van buiten de organisatie.',
      "You don't often get email from jane@example.com. Learn why this is important",
    ])
      expect(reply(`${banner}\n\nHi,\n\nThe printer is broken again.\n`)).toBe(
        'Hi,\n\nThe printer is broken again.',
      );
    // A person writing about an external sender keeps the text.
    expect(reply('Caution: the external drive is full.\n')).toBe(
      'Caution: the external drive is full.',
    );
  });

  it('keeps "Sincerely" and other closings with the name, and cuts the block under them', () => {
    for (const closing of [
      'Sincerely,',
      'Yours sincerely,',
      'Yours truly,',
      'Respectfully,',
      'Z poważaniem',
      'Cordialement,',
      'Vänliga hälsningar',
      'Saludos cordiales,',
      'Με εκτίμηση,',
      'Trân trọng,',
      'Met vriendelijke groet / Kind regards,',
    ]) {
      const r = extractReply(
        `The invoice is attached.\n\n${closing}\nJane Roe\nAccounts Payable\nACME Ltd.\n+1 555 0100\n`,
      );
      expect(r.reply).toBe(`The invoice is attached.\n\n${closing}\nJane Roe`);
      expect(r.signature).toBe('Accounts Payable\nACME Ltd.\n+1 555 0100');
    }
  });

  it('removes attributions decorated, continued on the next line or without an address', () => {
    const quote = '\n> Please restart the router.\n';
    for (const attribution of [
      '*On 2024-01-02, Agent wrote:*',
      '_On Tue, 2 Jan 2024 at 10:00, Agent wrote:_',
      'Op di 2 jan. 2024 om 10:00 schreef\nAgent <agent@example.com>:\n',
      '2024/1/2 Agent <\nagent@example.com>\n',
      'Quoting Agent <agent@example.com>:',
      'Zitat von Agent <agent@example.com>:',
    ])
      expect(reply(`It works again.\n\n${attribution}${quote}`)).toBe('It works again.');
    // Dated by the verb and closed by a colon, with plain text under it.
    expect(
      reply('It works again.\n\nAgent wrote on 2024-01-02:\nPlease restart the router.\n'),
    ).toBe('It works again.');
    // An answer under a quote opened by such an attribution (bottom-posting).
    expect(
      reply(
        'Op di 2 jan. 2024 om 10:00 schreef\nAgent <agent@example.com>:\n\n> Please restart the router.\n\nIt works again.\n',
      ),
    ).toBe('It works again.');
  });

  it('cuts at Lotus Notes quote headers', () => {
    expect(
      reply(
        'It works again.\n\n-----Agent <agent@example.com> wrote: -----\n\nPlease restart the router.\n',
      ),
    ).toBe('It works again.');
    expect(
      reply(
        'It works again.\n\nAgent/Support/ACME@ACME\n02.01.2024 10:00\n\nTo\njane@example.com\ncc\n\nSubject\nTicket\n\nPlease restart the router.\n',
      ),
    ).toBe('It works again.');
    // A list of recipients in the person's text is not a header.
    expect(reply('Send it to\nto\njane@example.com\nSubject\nInvoice\n')).toBe(
      'Send it to\nto\njane@example.com\nSubject\nInvoice',
    );
  });

  it('leaves out a contact block under the text, and a confidentiality notice under it', () => {
    const r = extractReply(
      'Works now, thanks.\n\n*Jane Roe* | *Office Manager*\nT: +44 20 7946 0000\n\n[image: ACME logo]\n\nwww.example.com\n',
    );
    expect(r.reply).toBe('Works now, thanks.');
    expect(r.signature).toContain('Jane Roe');
    expect(
      reply(
        'Works now.\n\nJan de Vries\nACME B.V.\nTel: +31 20 123 4567\njan@example.com\n\nDit bericht is vertrouwelijk en alleen bestemd voor de geadresseerde. This e-mail is confidential.\n',
      ),
    ).toBe('Works now.');
    // Under a closing, the name stays with it.
    expect(
      reply(
        'Works now.\n\nRegards,\nJane Roe\nACME Ltd., 1 Long Street, Springfield, Some County, Example Kingdom, EX1 2MP\nTel: +44 20 7946 0000\nwww.example.com\n',
      ),
    ).toBe('Works now.\n\nRegards,\nJane Roe');
    // An address the person gives is their text.
    const ship =
      'Please ship it to the address below.\n\nJane Roe\nMain Street 2\n1234 AB Amsterdam\n+31 6 1234 5678\n';
    expect(reply(ship)).toBe(ship.trim());
  });

  it("cuts at a helpdesk's reply-above-this-line marker, in several languages", () => {
    for (const marker of [
      '##- Please type your reply above this line -##',
      '-- Reply above this line --',
      '##- Bitte geben Sie Ihre Antwort über dieser Zeile ein -##',
      '## Veuillez répondre au-dessus de cette ligne ##',
      '##- Escriba su respuesta por encima de esta línea -##',
    ])
      expect(reply(`Thanks, fixed.\n\n${marker}\n\nYour request (123) was updated.\n`)).toBe(
        'Thanks, fixed.',
      );
  });

  it('leaves out a signature under a rule that ends with a phone line', () => {
    expect(
      reply(
        'The parcel arrived damaged.\n\nThanks - Jan\n__________________\n\nJan Kowalski\nWarsaw\n\nSent via mobile device\n',
      ),
    ).toBe('The parcel arrived damaged.\n\nThanks - Jan');
  });
});
