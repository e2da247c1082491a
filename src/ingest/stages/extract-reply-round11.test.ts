// Reply extraction on forwards of our own in the forms Outlook, Thunderbird and Yahoo Mail write
// them (issue #16, round 11): a message that is nothing but a forward must show the forwarded text,
// and a comment above a forward must be the reply. Yahoo glues its header labels to the values
// before them, Thunderbird frames its caption in two languages and labels the copy "Kopie (CC)",
// and Outlook in Dutch, Finnish and Norwegian words its attribution in ways no rule read.
import { describe, expect, it } from 'vitest';

import { extractReply } from './extract-reply.js';

const BODY = [
  'The badge reader at the loading dock rejects every card since Friday.',
  'Security says the controller needs a firmware reset.',
  '',
  'Can facilities book a technician for Tuesday?',
];
const body = BODY.join('\n');
const indented = BODY.map((l) => (l === '' ? '' : `    ${l}`));
const reply = (lines: string[]) => extractReply(lines.join('\n')).reply;

describe('reply extraction, round 11: Yahoo Mail forwards', () => {
  it('reads a header whose labels are glued to the value before them', () => {
    const english = [
      '----- Forwarded Message -----',
      'From: Ravi Menon <ravi@example.org>To: Facilities <facilities@example.com>; Ops <ops@example.net>Cc: Lina <lina@example.net>Sent: Monday, March 2, 2026, 09:14:00 AM GMT+1Subject: Badge reader',
      ...BODY,
    ];
    expect(reply(english)).toBe(body);
    const german = [
      '----- Weitergeleitete Nachricht -----',
      'Von: Ravi Menon <ravi@example.org>An: Facilities <facilities@example.com>CC: Lina <lina@example.net>Gesendet: Montag, 2. März 2026, 09:14:00 MEZBetreff: Kartenleser',
      ...BODY,
    ];
    expect(reply(german)).toBe(body);
    const russian = [
      '----- Пересылаемое сообщение -----',
      'От: Ravi Menon <ravi@example.org>Кому: Facilities <facilities@example.com>Отправлено: понедельник, 2 марта 2026 г., 09:14:00 GMT+1Тема: Считыватель',
      ...BODY,
    ];
    expect(reply(russian)).toBe(body);
  });

  it('keeps the comment written above a glued header, not the forward', () => {
    const text = [
      'Forwarding this one from the tenant, see below.',
      '',
      '----- Message transmis -----',
      'De : Ravi Menon <ravi@example.org>À : Facilities <facilities@example.com>Envoyé : lundi 2 mars 2026 à 09:14:00 UTC+1Objet : Lecteur de badge',
      ...BODY,
    ];
    expect(reply(text)).toBe('Forwarding this one from the tenant, see below.');
  });

  it('does not read a sentence that starts with "From:" as a header', () => {
    const text = 'From: the lobby to the dock the signs point the wrong way.\nPlease fix them.';
    expect(extractReply(text).reply).toBe(text);
  });
});

describe('reply extraction, round 11: Thunderbird forwards', () => {
  it('reads the German "Kopie (CC)" label in the header table', () => {
    const text = [
      '-------- Weitergeleitete Nachricht --------',
      'Betreff: \tKartenleser',
      'Datum: \tMon, 2 Mar 2026 09:14:00 +0100',
      'Von: \tRavi Menon <ravi@example.org>',
      'An: \tFacilities <facilities@example.com>',
      'Kopie (CC): \tLina <lina@example.net>',
      '',
      '',
      ...BODY,
    ];
    expect(reply(text)).toBe(body);
  });

  it('reads a caption framed in two languages', () => {
    const text = [
      '-------- Preposlaná správa --- Forwarded Message --------',
      'Predmet: \tČítačka kariet',
      'Dátum: \tMon, 2 Mar 2026 09:14:00 +0100',
      'Od: \tRavi Menon <ravi@example.org>',
      'Pre: \tFacilities <facilities@example.com>',
      '',
      ...BODY,
    ];
    expect(reply(text)).toBe(body);
  });
});

describe('reply extraction, round 11: Outlook attributions over a forwarded text', () => {
  it('reads the date after the verb (Finnish, Norwegian) and the Dutch participle', () => {
    for (const attribution of [
      'Ravi Menon <ravi@example.org> kirjoitti 2.3.2026 kello 9.14:',
      'Ravi Menon <ravi@example.org> skrev følgende den 2. mars 2026 09:14:',
      'Op 2 mrt. 2026 om 09:14 heeft Ravi Menon <ravi@example.org> geschreven:',
      'Am Montag, 2. März 2026, 09:14:00 MEZ hat Ravi Menon <ravi@example.org> Folgendes geschrieben:',
    ]) {
      expect(reply([attribution, '', ...indented])).toBe(indented.join('\n'));
      expect(reply(['Please book it.', '', attribution, '', ...indented])).toBe('Please book it.');
    }
  });
});

describe('reply extraction, round 11: header blocks as clients lay them out', () => {
  it('reads the whole Outlook header under its rule, in labels only some languages use', () => {
    const croatian = [
      '________________________________',
      'Od: Ravi Menon <ravi@example.org>',
      'Poslano: ponedjeljak, 2. ožujka 2026. 9:14',
      'Za: Facilities <facilities@example.com>',
      'Kopija: Lina <lina@example.net>',
      'Predmet: Čitač kartica',
      '',
      ...BODY,
    ];
    expect(reply(croatian)).toBe(body);
  });

  it('reads header rows that text rendered from HTML keeps apart with blank lines', () => {
    const text = [
      'From: Ravi Menon <ravi@example.org>',
      '',
      'Sent: Monday, March 2, 2026 9:14 AM',
      '',
      'To: Facilities <facilities@example.com>',
      '',
      'Cc: Lina <lina@example.net>',
      '',
      'Subject: Badge reader',
      '',
      ...BODY,
    ];
    expect(reply(text)).toBe(body);
  });

  it("reads Yahoo's one-line header broken after the sender's name", () => {
    const text = [
      '----- Forwarded Message -----',
      'From: Ravi Menon',
      '<ravi@example.org>To: Facilities <facilities@example.com>Sent: Monday, March 2, 2026, 09:14:00 AM GMT+1Subject: Badge reader',
      ...BODY,
    ];
    expect(reply(text)).toBe(body);
  });

  it('keeps a comment between two forwarded headers as the text under the first', () => {
    const text = [
      'From: Ravi Menon <ravi@example.org>',
      'Sent: Monday, March 2, 2026 9:14 AM',
      'To: Facilities <facilities@example.com>',
      'Subject: FW: Badge reader',
      '',
      'The reader at gate B does the same.',
      '',
      'From: Lina Park <lina@example.net>',
      'Sent: Monday, March 2, 2026 8:02 AM',
      'To: Ravi Menon <ravi@example.org>',
      'Subject: Badge reader',
      '',
      ...BODY,
    ];
    expect(reply(text)).toBe('The reader at gate B does the same.');
  });
});

describe('reply extraction, round 11: a header table rendered as text', () => {
  it('reads labels whose values stand on the line under them', () => {
    const text = [
      '-------- Forwarded Message --------',
      '',
      'Subject:',
      'Badge reader',
      'Date:',
      'Mon, 2 Mar 2026 09:14:00 +0100',
      'From:',
      'Ravi Menon <ravi@example.org> <mailto:ravi@example.org>',
      'To:',
      'Facilities <facilities@example.com>',
      'CC:',
      'Lina <lina@example.net>',
      '',
      '',
      ...BODY,
    ];
    expect(reply(text)).toBe(body);
    expect(reply(['Please book it.', '', ...text])).toBe('Please book it.');
  });

  it('leaves a label the person wrote above their own list alone', () => {
    const text = 'Items to order:\nTo:\nthe loading dock, two readers\n\nThanks';
    expect(reply(text.split('\n'))).toBe(text);
  });
});
