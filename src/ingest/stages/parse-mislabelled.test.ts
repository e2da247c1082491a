// Parts whose labels lie, read as a mail client shows them: UTF-8 under a national charset label.
import { describe, expect, it } from 'vitest';

import { parseMessage } from './parse.js';

const head =
  'From: a@example.com\r\nTo: s@example.com\r\nSubject: s\r\nMessage-ID: <m1@example.com>\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\n';
const mail = (headers: string, body: Buffer) =>
  Buffer.concat([Buffer.from(`${head}${headers.replace(/\r?\n/g, '\r\n')}\r\n\r\n`), body]);

describe('UTF-8 under a national charset label', () => {
  it('reads a text part labelled ISO-8859-1 whose 8-bit bytes are all UTF-8 as UTF-8', async () => {
    const m = await parseMessage(
      mail(
        'Content-Type: text/plain; charset=ISO-8859-1\nContent-Transfer-Encoding: 8bit',
        Buffer.from('It’s in the café – see ~jane/notes.\r\n', 'utf8'),
      ),
    );
    expect(m.text?.trim()).toBe('It’s in the café – see ~jane/notes.');
  });

  it('does so inside a multipart and under windows-1252 in quoted-printable', async () => {
    const m = await parseMessage(
      mail(
        'Content-Type: multipart/mixed; boundary="b"',
        Buffer.from(
          '--b\r\nContent-Type: text/plain; charset=windows-1252\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nGr=C3=BC=C3=9Fe aus K=C3=B6ln\r\n--b--\r\n',
        ),
      ),
    );
    expect(m.text?.trim()).toBe('Grüße aus Köln');
  });

  it('keeps the label when one 8-bit byte is not UTF-8', async () => {
    const m = await parseMessage(
      mail(
        'Content-Type: text/plain; charset=ISO-8859-1\nContent-Transfer-Encoding: 8bit',
        Buffer.concat([Buffer.from('caf\xe9 and ', 'latin1'), Buffer.from('café', 'utf8')]),
      ),
    );
    expect(m.text?.trim()).toBe('café and cafÃ©');
  });
});

describe('base64 text with stray characters (RFC 2045 6.8: characters outside the alphabet are ignored)', () => {
  const encoded = Buffer.from(
    'Hello, the printer on floor 2 is jammed again.\nThanks, Jane\n',
  ).toString('base64');

  it('decodes a base64 text part with stray characters in it', async () => {
    const stray = `${encoded.slice(0, 10)}!${encoded.slice(10, 30)}.${encoded.slice(30)}!`;
    const m = await parseMessage(
      mail(
        'Content-Type: text/plain\nContent-Transfer-Encoding: base64',
        Buffer.from(`${stray}\r\n`),
      ),
    );
    expect(m.text).toBe('Hello, the printer on floor 2 is jammed again.\nThanks, Jane\n');
  });

  it('still shows prose labelled base64 as the prose', async () => {
    for (const prose of [
      'Thanks, that fixed it!',
      'Confirmed.',
      'https://example.com/ticket/1042',
    ]) {
      const m = await parseMessage(
        mail(
          'Content-Type: text/plain\nContent-Transfer-Encoding: base64',
          Buffer.from(`${prose}\r\n`),
        ),
      );
      expect(m.text?.trim()).toBe(prose);
    }
  });
});

describe('a message whose whole body is a message/rfc822', () => {
  it('shows the enclosed message as its body and keeps it as an .eml attachment', async () => {
    const m = await parseMessage(
      mail(
        'Content-Type: message/rfc822',
        Buffer.from(
          'From: Jane <jane@example.org>\r\nSubject: Printer jammed\r\nContent-Type: text/plain\r\n\r\nThe printer on floor 2 is jammed.\r\n',
        ),
      ),
    );
    expect(m.text?.trim()).toBe('The printer on floor 2 is jammed.');
    expect(m.attachments.map((a) => [a.filename, a.declaredType])).toEqual([
      ['Printer jammed.eml', 'message/rfc822'],
    ]);
  });
});

describe('names of attached files that name none', () => {
  it('gives an unnamed file of a known type its extension', async () => {
    const m = await parseMessage(
      mail(
        'Content-Type: multipart/mixed; boundary="b"',
        Buffer.from(
          '--b\r\nContent-Type: text/plain\r\n\r\nSee the invitation.\r\n--b\r\nContent-Type: text/calendar; method=REQUEST\r\n\r\nBEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n--b\r\nContent-Type: application/x-unknown\r\n\r\nbytes\r\n--b--\r\n',
        ),
      ),
    );
    expect(m.attachments.map((a) => a.filename)).toEqual(['attachment.ics', 'attachment']);
  });
});

describe('encoded words cut by a line fold', () => {
  it('joins a word a mailer folded in the middle, in the subject and a display name', async () => {
    const raw = Buffer.from(
      'From: =?utf-8?Q?J=C3=B6rg_M=C3=BC\r\n ller?= <j@example.com>\r\nTo: s@example.com\r\nSubject: =?utf-8?Q?Gr=C3=BC=C3=9Fe_aus_K\r\n =C3=B6ln?= =?utf-8?B?w6k=?=\r\nMessage-ID: <m1@example.com>\r\n\r\nbody\r\n',
    );
    const m = await parseMessage(raw);
    expect(m.subject).toBe('Grüße aus Kölné');
    expect(m.from?.name).toBe('Jörg Müller');
    // Joining a fold guesses no charset.
    expect(m.warnings).not.toContain('charset_fallback');
  });
});

describe('an enclosed message the parser refuses', () => {
  it('keeps a whole-body message/rfc822 with a header past the limits as an attachment', async () => {
    const inner = `From: w\r\n${' w\r\n'.repeat(40_000)}Subject: x\r\n\r\nbody\r\n`;
    const m = await parseMessage(mail('Content-Type: message/rfc822', Buffer.from(inner)));
    expect(m.text ?? '').toBe('');
    expect(m.attachments.map((a) => a.declaredType)).toEqual(['message/rfc822']);
  });
});
