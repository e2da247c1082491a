// Base64 text with blanks inside its lines: RFC 2045 6.8 says a decoder ignores every character
// outside the alphabet, spaces and tabs too. A part whose lines were broken into groups (a gateway
// or a hand-made mail) was taken for prose and shown as the base64 characters.
import { describe, expect, it } from 'vitest';

import { parseMessage } from './parse.js';

const mail = (body: string) =>
  Buffer.from(
    `From: a@example.com\r\nTo: s@example.com\r\nSubject: s\r\nMessage-ID: <m1@example.com>\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n${body}\r\n`,
  );

/** `text` in base64, 76 characters a line, with `gap` between the 4-character groups of each line. */
const spaced = (text: string, gap: string): string =>
  (
    Buffer.from(text)
      .toString('base64')
      .match(/.{1,76}/g) ?? []
  )
    .map((line) => line.match(/.{1,4}/g)!.join(gap))
    .join('\r\n');

describe('base64 text with blanks between its groups', () => {
  it('decodes one line with two spaces or a tab between the groups', async () => {
    for (const gap of ['  ', '\t']) {
      const m = await parseMessage(mail(spaced('The VPN drops every hour', gap)));
      expect(m.text?.trim()).toBe('The VPN drops every hour');
    }
  });

  it('decodes several lines of it, in Latin, Cyrillic and Japanese script', async () => {
    for (const text of [
      'Die Rechnung für März fehlt noch, bitte schicken Sie sie erneut.\n'.repeat(3),
      'Принтер на втором этаже снова не печатает.\n'.repeat(3),
      'プリンターがまた動きません。確認をお願いします。\n'.repeat(3),
    ]) {
      const m = await parseMessage(mail(spaced(text, ' ')));
      expect(m.text).toBe(text);
    }
  });

  it('still shows prose without punctuation labelled base64 as the prose', async () => {
    for (const prose of [
      'Ok thanks a lot',
      'Please call me back tomorrow morning',
      'Please call me back tomorrow morning\r\nthe printer on floor two does not print',
    ]) {
      const m = await parseMessage(mail(prose));
      expect(m.text?.trim()).toBe(prose.replace(/\r\n/g, '\n'));
    }
  });
});
