// Boundary parameters RFC 2046's bchars forbid but senders still write. One that ends in spaces:
// the delimiter lines are the boundary without them, as mailparser and Python read it, and the
// pre-scan must find the same lines, or the text and the files come out wrong. One with a non-ASCII
// byte (a header written in UTF-8 or Latin-1): mailparser splits by none, and the text and files
// were lost; the message is split by its delimiter lines as sent.
import { describe, expect, it } from 'vitest';

import { scanMime } from './mime-scan.js';
import { parseMessage } from './parse.js';

const message = (boundary: string, crlf: boolean) => {
  const text = `From: a@example.com\nTo: s@example.com\nMessage-ID: <sp1@example.com>\nDate: Mon, 1 Jan 2024 10:00:00 +0000\nSubject: the key file\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="${boundary}"\n\n--pp42\nContent-Type: text/plain; charset=utf-8\n\nThe key is attached.\n--pp42\nContent-Type: application/octet-stream; name="key.bin"\nContent-Disposition: attachment; filename="key.bin"\nContent-Transfer-Encoding: base64\n\nAQIDBA==\n--pp42\nContent-Type: application/octet-stream; name="empty.bin"\nContent-Disposition: attachment; filename="empty.bin"\n\n\n--pp42   \nContent-Type: text/plain; name="note.txt"\nContent-Disposition: inline; filename="note.txt"\n\nsecond\n--pp42--\n`;
  return Buffer.from(crlf ? text.replace(/\n/g, '\r\n') : text, 'latin1');
};

describe('a boundary parameter with trailing spaces', () => {
  it.each([false, true])('splits on the boundary without them (CRLF %s)', async (crlf) => {
    const m = await parseMessage(message('pp42   ', crlf));
    expect(m.text).toBe('The key is attached.');
    expect(m.attachments.map((a) => [a.filename, a.content.length])).toEqual([
      ['key.bin', 4],
      ['empty.bin', 0],
      ['note.txt', 6],
    ]);
  });

  it('counts the parts the way the parser splits them', () => {
    expect(scanMime(message('pp42   ', false)).parts).toBe(5);
  });
});

describe('a boundary with a non-ASCII byte', () => {
  const nested = (crlf: boolean, outer: string, inner: string) => {
    const text = `From: a@example.com\nTo: s@example.com\nMessage-ID: <nb1@example.com>\nDate: Mon, 1 Jan 2024 10:00:00 +0000\nSubject: Messwerte\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="${outer}"\n\n--${outer}\nContent-Type: multipart/alternative; boundary="${inner}"\n\n--${inner}\nContent-Type: text/plain; charset=utf-8\n\nDie Messwerte von heute.\n--${inner}\nContent-Type: text/html; charset=utf-8\n\n<p>Die Messwerte von heute.</p>\n--${inner}--\n--${outer}\nContent-Type: text/csv; name="werte.csv"\nContent-Disposition: attachment; filename="werte.csv"\n\na;b\n1;2\n--${outer}--\n`;
    return Buffer.from(crlf ? text.replace(/\n/g, '\r\n') : text, 'latin1');
  };
  // "grün" written in UTF-8 (the header as sent) and in Latin-1.
  const utf8 = Buffer.from('grün', 'utf8').toString('latin1');

  it.each([false, true])(
    'shows the text and lists the file of nested multiparts (CRLF %s)',
    async (crlf) => {
      const m = await parseMessage(nested(crlf, `${utf8}-1`, 'blau-\xe4-2'));
      expect(m.text).toBe('Die Messwerte von heute.');
      expect(m.html).toContain('Die Messwerte von heute.');
      expect(m.attachments.map((a) => [a.filename, a.content.toString()])).toEqual([
        ['werte.csv', crlf ? 'a;b\r\n1;2' : 'a;b\n1;2'],
      ]);
    },
  );

  it('keeps an attached message that carries one byte for byte', async () => {
    const inner = nested(false, `${utf8}-1`, 'blau-2');
    const raw = Buffer.concat([
      Buffer.from(
        'From: b@example.com\nTo: s@example.com\nMessage-ID: <nb2@example.com>\nDate: Mon, 1 Jan 2024 11:00:00 +0000\nSubject: Fwd\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="o"\n\n--o\nContent-Type: text/plain\n\nSee the attached mail.\n--o\nContent-Type: message/rfc822\nContent-Disposition: attachment; filename="fwd.eml"\n\n',
      ),
      inner,
      Buffer.from('--o--\n'),
    ]);
    const m = await parseMessage(raw);
    expect(m.text).toBe('See the attached mail.');
    expect(m.attachments.map((a) => a.filename)).toEqual(['fwd.eml']);
    expect(m.attachments[0]!.content.equals(inner.subarray(0, inner.length - 1))).toBe(true);
  });
});
