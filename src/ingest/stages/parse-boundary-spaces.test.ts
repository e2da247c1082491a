// A boundary parameter that ends in spaces (RFC 2046's bchars forbid it; some senders still write
// one): the delimiter lines are the boundary without them, as mailparser and Python read it, and
// the pre-scan must find the same lines, or the text and the file sizes come out wrong.
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
