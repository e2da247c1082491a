// Reply extraction on mail of our own for the classes issue #16's round 7 found by writing the
// attribution, header and sign-off forms of many clients and languages around one short reply
// (the tune halves had no misses left): a "reply above this line" marker's words in ordinary
// prose; a sentence glued above an attribution that opens with its date and has no verb, or
// glued before one on the same line; a CJK verb glued to the time; speech verbs and a weekday
// first over an unquoted original; a header block of a machine date without a sender; Outlook's
// rule over a lone From line; a delimiter left empty; answers between questions; phone sign-offs;
// thanks as a closing; a confidentiality notice under a closing and name.
import { describe, expect, it } from 'vitest';

import { extractReply } from './extract-reply.js';

const reply = (text: string) => extractReply(text).reply;
const QUOTE = '> Please try resetting it from the login page.\n> Support\n';

describe('reply extraction, round 7', () => {
  it('keeps prose that mentions "above this line" without asking for a reply', () => {
    for (const text of [
      'The error shows up right above this line in the log:\n\n  disk full\n\nCan you help?',
      'I wrote my note above this line on the form.\nThen I signed below.\nWhat next?',
      'Hi,\n\nThe sticker is just above this line of screws, see photo.\n\nThanks,\nJane',
      'Der Aufkleber klebt über dieser Zeile von Schrauben.\nWas nun?',
    ])
      expect(reply(text)).toBe(text);
  });

  it('still cuts at a marker that asks for the reply, framed or not, in other languages too', () => {
    for (const marker of [
      'Please reply above this line',
      '-- Reply above this line to add a comment --',
      '[--- above this line ---]',
      'Bitte antworten Sie oberhalb dieser Zeile',
      'Veuillez répondre au-dessus de cette ligne',
      'Typ uw antwoord boven deze regel',
      'この行より上に返信してください',
    ])
      expect(reply(`Done, thanks.\n\n${marker}\n\nTicket 12 was updated by Agent.\n`)).toBe(
        'Done, thanks.',
      );
  });

  it('keeps the sentence right above an attribution that opens with its date and has no verb', () => {
    for (const attribution of [
      'пн, 1 янв. 2024 г. в 10:00, Agent Smith <agent@example.com>:',
      '2024年1月1日(月) 10:00 Agent Smith <agent@example.com>:',
      'man. 1. jan. 2024 kl. 10:00 skrev Agent Smith <agent@example.com>:',
      '2024-01-02 08:30 GMT+01:00 Agent Smith <agent@example.com>:',
      '2024-01-02 08:30 GMT+01:00 Agent Smith <\nagent@example.com>:',
      '1 Jan 2024 10:00 Agent Smith <agent@example.com>:',
      '01.01.2024, 10:00, "Agent Smith" <agent@example.com>:',
      'Понедельник, 1 января 2024, 10:00 +03:00 от Agent Smith <agent@example.com>:',
    ])
      expect(reply(`The new password works.\n${attribution}\n${QUOTE}`)).toBe(
        'The new password works.',
      );
  });

  it('still joins an attribution wrapped after its opening onto a line that starts with a digit', () => {
    expect(
      reply(
        `Done.\n\nOn Monday,\n1 January 2024 at 10:00, Agent <agent@example.com> wrote:\n${QUOTE}`,
      ),
    ).toBe('Done.');
    expect(
      reply(`Done.\n\nAgent Smith <agent@example.com> wrote on\n2024-01-01 10:00:\n${QUOTE}`),
    ).toBe('Done.');
  });

  it('reads a Chinese attribution whose verb follows the time without a space', () => {
    for (const attribution of [
      'Agent Smith <agent@example.com> 于2024年1月1日周一 10:00写道：',
      'Agent Smith <agent@example.com> 於 2024年1月1日 週一 上午10:00寫道：',
    ])
      expect(reply(`The new password works.\n\n${attribution}\n${QUOTE}`)).toBe(
        'The new password works.',
      );
  });

  it('keeps a closing and name, and leaves out the title and confidentiality notice under them', () => {
    const r = extractReply(
      'The printer works again.\n\nRegards,\nJane Roe\nSenior Engineer\n\nThis email and any attachments are confidential and intended solely for the addressee.\n',
    );
    expect(r.reply).toBe('The printer works again.\n\nRegards,\nJane Roe');
    expect(r.signature).toBe(
      'Senior Engineer\n\nThis email and any attachments are confidential and intended solely for the addressee.',
    );
    expect(
      reply(
        'The printer works again.\n\nMit freundlichen Grüßen\nJana Rot\n\nDiese E-Mail ist vertraulich und nur für den Empfänger bestimmt.\n',
      ),
    ).toBe('The printer works again.\n\nMit freundlichen Grüßen\nJana Rot');
  });

  it("keeps a closing with a person's own long last paragraph under the name", () => {
    const text =
      'The printer works again.\n\nThanks,\nJane\n\nPS: the toner in the second tray is nearly empty, could you order a new one before Friday?';
    expect(reply(text)).toBe(text);
  });

  it('cuts at attributions over an original that is not quoted: speech verbs, "schrieben Sie", a weekday first', () => {
    for (const attribution of [
      'On Tue, Jan 2, 2024 at 10:00 AM, Agent Smith said:',
      'On Tue, Jan 2, 2024 at 10:00 AM, Agent Smith says:',
      'Le 2 janv. 2024 à 10:00, Agent Smith nous a dit :',
      'Am 02.01.2024 um 10:00 schrieben Sie:',
      'вторник, 2 января 2024 г. пользователь Agent Smith написал:',
      'Tuesday, 2 January 2024, Agent Smith wrote:',
    ])
      expect(
        reply(`The new password works.\n\n${attribution}\n\nTry resetting it.\nSupport\n`),
      ).toBe('The new password works.');
  });

  it('keeps prose in which someone said something on a day', () => {
    for (const text of [
      'On Monday the technician said:\nrestart the router every week.\nIs that right?',
      'On the phone, your colleague says:\n\nwait for the update.',
    ])
      expect(reply(text)).toBe(text);
  });

  it('leaves out more phone sign-offs and the tracking mark some Gmail add-ons put last', () => {
    for (const signOff of [
      'Sent by Outlook for Android',
      'Enviado con Mail de Windows',
      'From my iPhone',
      'Från min iPhone',
      'Jane from mobile',
      '\u1427',
    ]) {
      const r = extractReply(`The new password works.\n\n${signOff}\n`);
      expect(r.reply).toBe('The new password works.');
      expect(r.signature).toBe(signOff);
    }
  });

  it('keeps a last line that only opens like a sign-off', () => {
    for (const text of [
      'The new password works.\n\nFrom my side everything is fine now',
      'The parcel arrived.\n\nSent by courier on Monday, as agreed.',
    ])
      expect(reply(text)).toBe(text);
  });

  it('drops a signature delimiter left with nothing under it once the quote is gone', () => {
    for (const text of [
      'The new password works.\n\n-- \nOn Tue, Jan 2, 2024 at 10:00 AM, Agent Smith wrote:\n> Try again\n',
      'The new password works.\n-- \nOn Tue, Jan 2, 2024 at 10:00 AM, Agent Smith wrote:\n\nTry again\n',
    ]) {
      const r = extractReply(text);
      expect(r.reply).toBe('The new password works.');
      expect(r.replyWithSignature).toBe('The new password works.');
    }
    // With text under it the delimiter stays where the signature starts.
    expect(extractReply('Works now.\n\n--\nJane').replyWithSignature).toBe(
      'Works now.\n\n--\nJane',
    );
  });

  it("cuts at Outlook's rule with only a From line under it", () => {
    expect(
      reply(
        'The new password works.\n\n________________________________\nFrom: Agent Smith\nTry again\n',
      ),
    ).toBe('The new password works.');
    const text = 'Totals:\n\n__________\n\n42 items';
    expect(reply(text)).toBe(text);
  });

  it('keeps the first quoted question, with its attribution, when answers are written between questions', () => {
    const text =
      'Hi,\n\nOn Tue, Jan 2, 2024 at 10:00 AM, Agent <agent@example.com> wrote:\n> Which version?\n\n2.1\n\n> Which OS?\n\nWindows 11\n';
    expect(reply(text)).toBe(text.trimEnd());
    // One answer under the whole quote still leaves the quote out.
    expect(
      reply(
        'Hi,\n\nOn Tue, Jan 2, 2024 at 10:00 AM, Agent <agent@example.com> wrote:\n> Which version?\n\n2.1\n',
      ),
    ).toBe('Hi,\n\n2.1');
  });

  it('splits an attribution glued to a reply without a sentence end at its capitalised opening', () => {
    expect(
      reply('Thanks On Tue, Jan 2, 2024 at 10:00 AM, agent@example.com wrote:\n> Try again\n'),
    ).toBe('Thanks');
    const text = 'We meet on Tuesday at 10:00 in room 4.\nSee you';
    expect(reply(text)).toBe(text);
  });

  it('cuts at a header block that opens with a date a mail program wrote and has no sender', () => {
    expect(
      reply(
        'The new password works.\n\nDate: Tue, 2 Jan 2024 10:00:00 -0600\nTo: jane@example.com\n\nTry again\n',
      ),
    ).toBe('The new password works.');
    const memo =
      'Meeting notes\n\nDate: Tuesday 2 January\nTo: all staff\n\nThe office closes early.';
    expect(reply(memo)).toBe(memo);
  });

  it('reads thanks in other languages as a closing: the name stays, the title block under it goes', () => {
    for (const closing of [
      'Danke,',
      'Merci beaucoup,',
      'Gracias',
      'Bedankt,',
      'Tack',
      'Kiitos',
      'Dzięki,',
      'Thanks and regards,',
      'Vielen Dank und viele Grüße',
      'Herzliche Grüße',
    ]) {
      const r = extractReply(
        `The printer works again.\n\n${closing}\nJane Roe\nIT Manager\nACME Ltd\nPhone +1 555 123 4567\n`,
      );
      expect(r.reply).toBe(`The printer works again.\n\n${closing}\nJane Roe`);
      expect(r.signature).toBe('IT Manager\nACME Ltd\nPhone +1 555 123 4567');
    }
  });

  it('keeps a sentence that opens with thanks under the text', () => {
    const text = 'The printer works again.\n\nThanks and see you on Monday\nJane Roe\nIT';
    expect(reply(text)).toBe(text);
  });
});
