// An away subject counts in the forms auto-responders write (the whole subject, the head before a
// colon, a bracketed tag, the tail after a dash); a person writing ABOUT auto-replies to an IT
// helpdesk ("Auto-reply not working") keeps a person's mail: it reopens a solved ticket and is answered.
import { describe, expect, it } from 'vitest';

import { classify as classifyMail } from '../../../test/helpers/bounce-mail.js';
import type { Classification } from '../types.js';
import { suppressesAutoResponse } from './classify.js';

const classify = (headers: string, body: string) =>
  classifyMail(
    `${headers.trim()}\nTo: support@inlet.test\nContent-Type: text/plain; charset=utf-8\n\n${body}\n`,
  );
const answered = (c: Classification) => !suppressesAutoResponse(c);
const person = 'From: Noor Haddad <noor@example.net>';
const asking =
  'Since Monday it does nothing when I switch it on. Can you have a look? Thanks, Noor';
const away = 'I am out of the office until 14 December and will answer your message then.';

describe('a person writing about auto-replies', () => {
  it.each([
    'Auto-reply not working',
    'How do I set up an out of office?',
    'Problem with automatic reply rules',
    'Abwesenheitsnotiz einrichten',
    'Automatische Antwort wird nicht gesendet',
    'Comment activer la réponse automatique dans Outlook ?',
    'La respuesta automática no se activa',
    'Automatisch antwoord instellen lukt niet',
    'Не работает автоответ в почте',
    '自動返信の設定方法を教えてください',
    'Outlook out of office rules disappear after restart',
    'Mailbox rules (out of office and forwarding) are gone',
  ])("keeps %j a person's mail, answered", async (subject) => {
    const c = await classify(`${person}\nSubject: ${subject}`, asking);
    expect([subject, c.kind, answered(c)]).toEqual([subject, 'human', true]);
  });

  it('keeps a person answering an auto-reply a person', async () => {
    for (const subject of [
      'Re: Automatic reply: Invoice 2231',
      'AW: Abwesenheitsnotiz: Rechnung',
    ]) {
      const c = await classify(`${person}\nSubject: ${subject}`, asking);
      expect([subject, c.kind]).toEqual([subject, 'human']);
    }
  });
});

describe('the forms auto-responders write', () => {
  it.each([
    'Out of office',
    'Auto-Reply',
    'Automatic reply: Invoice 2231',
    'Out of Office AutoReply: Invoice 2231',
    'Out of office RE: Invoice 2231',
    'Abwesenheitsnotiz: Rechnung 2231',
    'Automatische Antwort: AW: Rechnung 2231',
    'Réponse automatique : facture 2231',
    'Respuesta automática: pedido 2231',
    'Автоматический ответ: Счёт 2231',
    '自動応答：お問い合わせ',
    '[Auto-Reply] Invoice 2231',
    '【自動返信】ご注文の件',
    'Invoice 2231 (Out of office)',
    'Thanks for your mail (Out of Office - back on 14 December)',
    '[Abwesenheitsnotiz: bis Freitag] Rechnung 2231',
    'Invoice 2231 - Out of office',
    'Rechnung 2231 – Abwesend',
  ])('reads %j as an auto-reply', async (subject) => {
    const c = await classify(`${person}\nSubject: ${subject}`, asking);
    expect([subject, c.kind, c.reasons]).toEqual([
      subject,
      'auto_reply',
      ['out_of_office_subject'],
    ]);
  });

  it('reads a mention as an auto-reply when the body says the writer is away', async () => {
    for (const [subject, body] of [
      ['Away from the office until Monday', away],
      ['Ich bin nicht im Büro', 'Ich bin bis Freitag abwesend und antworte danach.'],
      ['Je suis en absence du bureau', 'Je suis absent jusqu’au 14 décembre.'],
    ] as const) {
      const c = await classify(`${person}\nSubject: ${subject}`, body);
      expect([subject, c.kind]).toEqual([subject, 'auto_reply']);
    }
  });

  it('reads German away words around a date written with full stops', async () => {
    for (const body of [
      'Ich bin bis zum 14. Dezember abwesend und antworte danach.',
      'Ich bin vom 10.12. bis 14.12.2026 nicht im Büro.',
      'Ich bin ab dem 3. Januar im Urlaub.',
    ]) {
      const c = await classify(`${person}\nSubject: Abwesenheit von Noor Haddad`, body);
      expect([body, c.kind]).toEqual([body, 'auto_reply']);
    }
    // A sentence that ends before the away word is no away message.
    const c = await classify(
      `${person}\nSubject: Abwesenheit im Kalender`,
      'Ich bin bis jetzt nicht weitergekommen. Abwesend ist der Eintrag trotzdem nicht.',
    );
    expect(c.kind).toBe('human');
  });

  it('reads Notes\' "AUTO:" over a mention as an auto-reply', async () => {
    const c = await classify(
      `${person}\nSubject: AUTO: Noor Haddad is out of the office (returning 14/12/2026)`,
      asking,
    );
    expect(c.kind).toBe('auto_reply');
  });

  it('reads a mention from an auto-responder header as an auto-reply', async () => {
    const c = await classify(
      `${person}\nX-Autoreply: yes\nSubject: Auto-reply not working`,
      asking,
    );
    expect(c.kind).toBe('auto_reply');
  });

  it("does not take a quoted away line for the writer's own", async () => {
    const c = await classify(
      `${person}\nSubject: Question about the out of office you sent`,
      `Who else can help me while you are away?\n\n> ${away}`,
    );
    expect(c.kind).toBe('human');
  });
});
