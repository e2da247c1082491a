// Reply extraction on forwards of our own (issue #16, round 12): Yahoo Mail's HTML without line
// breaks renders its caption and the header under it as ONE line, and Thunderbird's header table
// adds rows ("Organization:", "Newsgroups:", "Reply-To:") after the usual ones. A forward-only
// message must show the forwarded text, a comment above a forward must be the reply, and a
// person's sentence that merely mentions a caption or "From:" stays whole.
import { describe, expect, it } from 'vitest';

import { extractReply } from './extract-reply.js';

const BODY = [
  'The boiler in block C trips its breaker every night around two.',
  '',
  'Could maintenance look at it this week?',
];
const body = BODY.join('\n');
const reply = (lines: string[]) => extractReply(lines.join('\n')).reply;

describe('reply extraction, round 12: Yahoo caption and header on one line', () => {
  it('reads the caption and a spaced header on one line, in several languages', () => {
    const lines = [
      '----- Forwarded Message ----- From: Ravi Menon <ravi@example.org> To: Desk <desk@example.com> Sent: Monday, March 2, 2026, 09:14:00 AM GMT+1 Subject: Boiler',
      '----- Weitergeleitete Nachricht ----- Von: Ravi Menon <ravi@example.org> An: Desk <desk@example.com> Gesendet: Montag, 2. März 2026, 09:14:00 MEZ Betreff: Heizung',
      '----- Mensaje reenviado ----- De: Ravi Menon <ravi@example.org> Para: Desk <desk@example.com> Enviado: lunes, 2 de marzo de 2026 09:14:00 GMT+1 Asunto: Caldera',
      '----- Doorgestuurd bericht ----- Van: Ravi Menon <ravi@example.org> Aan: Desk <desk@example.com> Verzonden: maandag 2 maart 2026 09:14:00 CET Onderwerp: Ketel',
      '----- Пересылаемое сообщение ----- От: Ravi Menon <ravi@example.org> Кому: Desk <desk@example.com> Отправлено: понедельник, 2 марта 2026 г., 09:14:00 GMT+1 Тема: Котёл',
    ];
    for (const line of lines) expect(reply([line, ...BODY])).toBe(body);
  });

  it('reads the caption and a glued header on one line', () => {
    const text = [
      '----- Message transmis -----De : Ravi Menon <ravi@example.org>À : Desk <desk@example.com>Envoyé : lundi 2 mars 2026 à 09:14:00 UTC+1Objet : Chaudière',
      ...BODY,
    ];
    expect(reply(text)).toBe(body);
  });

  it('reads a one-line header whose sender address broke onto the next line', () => {
    const text = [
      '----- Forwarded Message ----- From: Ravi Menon',
      '<ravi@example.org>To: Desk <desk@example.com>Sent: Monday, March 2, 2026, 09:14:00 AM GMT+1Subject: Boiler',
      ...BODY,
    ];
    expect(reply(text)).toBe(body);
  });

  it('keeps the comment above a one-line caption and header', () => {
    const text = [
      'Passing this on from the tenant in C-12.',
      '',
      '----- Messaggio inoltrato ----- Da: Ravi Menon <ravi@example.org> A: Desk <desk@example.com> Inviato: lunedì 2 marzo 2026, 09:14:00 CET Oggetto: Caldaia',
      ...BODY,
    ];
    expect(reply(text)).toBe('Passing this on from the tenant in C-12.');
  });

  it('keeps a sentence that mentions the caption or "From:"', () => {
    const sentences = [
      '----- Forwarded message ----- is all I see, then From: and nothing else.\nPlease advise.',
      '-- Forwarded message -- From: my landlord, who says the heating is fine.\nIt is not.',
      'I got a forwarded message from: the landlord. Subject: heating. To: be fixed soon.\n\nThanks',
    ];
    for (const text of sentences) expect(extractReply(text).reply).toBe(text);
  });
});

describe('reply extraction, round 12: Thunderbird header rows after CC', () => {
  it('reads "Organization:" and "Newsgroups:" rows as part of the header table', () => {
    const english = [
      '-------- Forwarded Message --------',
      'Subject: \tBoiler',
      'Date: \tMon, 2 Mar 2026 09:14:00 +0100',
      'From: \tRavi Menon <ravi@example.org>',
      'Reply-To: \tRavi <ravi@example.org>',
      'To: \tDesk <desk@example.com>',
      'CC: \tLina <lina@example.net>',
      'Newsgroups: \tlocal.facilities',
      'Organization: \tExample Housing',
      '',
      '',
      ...BODY,
    ];
    expect(reply(english)).toBe(body);
    const german = [
      '-------- Weitergeleitete Nachricht --------',
      'Betreff: \tHeizung',
      'Datum: \tMon, 2 Mar 2026 09:14:00 +0100',
      'Von: \tRavi Menon <ravi@example.org>',
      'An: \tDesk <desk@example.com>',
      'Newsgruppen: \tlocal.facilities',
      'Organisation: \tBeispiel GmbH',
      '',
      ...BODY,
    ];
    expect(reply(german)).toBe(body);
    const french = [
      '-------- Message transféré --------',
      'Sujet : \tChaudière',
      'Date : \tMon, 2 Mar 2026 09:14:00 +0100',
      'De : \tRavi Menon <ravi@example.org>',
      'Pour : \tDesk <desk@example.com>',
      'Groupes de discussion : \tlocal.facilities',
      'Organisation : \tExemple SA',
      '',
      ...BODY,
    ];
    expect(reply(french)).toBe(body);
  });

  it('reads the extra rows in a table rendered label over value', () => {
    const text = [
      '-------- Forwarded Message --------',
      'Subject:',
      'Boiler',
      'Date:',
      'Mon, 2 Mar 2026 09:14:00 +0100',
      'From:',
      'Ravi Menon <ravi@example.org>',
      'To:',
      'Desk <desk@example.com>',
      'Organization:',
      'Example Housing',
      '',
      ...BODY,
    ];
    expect(reply(text)).toBe(body);
  });

  it('does not read a signature with "Organization:" under a "From:" sentence as a header', () => {
    const text = [
      'From: the second floor up, every radiator is cold.',
      'Organization: Example Housing tenants committee',
      '',
      'Please send someone.',
    ].join('\n');
    expect(extractReply(text).reply).toBe(text);
  });
});
