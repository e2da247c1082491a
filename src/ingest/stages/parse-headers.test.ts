// parseMessage on hand-made messages with the header faults real mail has: raw 8-bit headers in a
// CJK charset, encoded words whose bytes contradict their label, a repeated From, an address that
// only appears in a comment, and a uuencoded attachment.
import { createHash } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { parseMessage } from './parse.js';

const crlf = (s: string) => s.replace(/\r?\n/g, '\r\n');
const bytes = (...parts: (string | Buffer)[]) =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(crlf(p), 'latin1') : p)));
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const GBK_SUBJECT = hex('d7aa b7a2 a3ba d5fb cce5'); // "转发：整体"
const GBK_NAME = hex('cee4 c0bc b3c9'); // "武兰成"
const SJIS = hex('8363 815b 838b'); // "ツール"

describe('raw 8-bit headers', () => {
  // A spam report: the report part is Latin-1, the raw GBK subject is only explained by the
  // attached original, whose parts declare gb2312.
  const attachedHead = bytes(
    'From: "',
    GBK_NAME,
    '" <sender@example.cn>\nSubject: ',
    GBK_SUBJECT,
    '\nContent-Type: multipart/alternative; boundary="in"\n',
  );
  const attached = bytes(
    attachedHead,
    '\n--in\nContent-Type: text/plain; charset="gb2312"\n\nhello\n--in--\n',
  );
  const report = bytes(
    'From: "',
    GBK_NAME,
    '" <sender@example.cn>\nTo: <info@example.de>\nSubject: ',
    GBK_SUBJECT,
    '\nDate: Wed, 15 Mar 2017 20:00:44 +0800\n',
    'Content-Type: multipart/mixed; boundary="out"\n\n--out\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: 8bit\n\n',
    'Die Nachricht wurde als m\xf6glicher Spam erkannt.\n--out\nContent-Type: message/rfc822\nContent-Disposition: attachment\nContent-Transfer-Encoding: 8bit\n\n',
    attached,
    '\n--out--\n',
  );

  it('decodes them with the CJK charset the message declares, not as Latin-1 mojibake', async () => {
    const m = await parseMessage(report);
    expect(m.subject).toBe('转发：整体');
    expect(m.headers.get('subject')).toEqual(['转发：整体']);
    expect(m.from).toEqual({ name: '武兰成', address: 'sender@example.cn' });
    expect(m.text).toContain('möglicher');
    expect(m.warnings).toContain('charset_fallback');
  });

  it('keeps an attached message byte for byte and names it after its decoded subject', async () => {
    const m = await parseMessage(report);
    expect(m.attachments).toHaveLength(1);
    const a = m.attachments[0]!;
    expect(a.filename).toBe('转发：整体.eml');
    expect(a.sha256).toBe(createHash('sha256').update(attached).digest('hex'));
  });

  it('finds Shift_JIS in raw headers and in words labelled ISO-2022-JP', async () => {
    const word = `=?ISO-2022-JP?B?${Buffer.concat([SJIS, Buffer.from(' EXAMPLE')]).toString('base64')}?=`;
    const m = await parseMessage(
      bytes(
        `From: ${word} <bar@example.org>\nTo: foo@example.com\nSubject: `,
        SJIS,
        '\nContent-Type: text/plain; charset=iso-2022-jp\n\nhi\n',
      ),
    );
    expect(m.from).toEqual({ name: 'ツール EXAMPLE', address: 'bar@example.org' });
    expect(m.subject).toBe('ツール');
  });

  it('reads Latin-1 bytes in words labelled UTF-8 as Latin-1 instead of U+FFFD', async () => {
    const m = await parseMessage(
      bytes(
        'From: =?utf-8?Q?J=FCrgen?= <j@example.com>\nSubject: =?UTF-8?Q?Gr=FC=DFe?= aus =?utf-8?B?S/Zsbg==?=\n\nhi\n',
      ),
    );
    expect(m.subject).toBe('Grüße aus Köln');
    expect(m.headers.get('subject')).toEqual(['Grüße aus Köln']);
    expect(m.from?.name).toBe('Jürgen');
  });

  it('leaves plain UTF-8 and ASCII messages unflagged', async () => {
    const m = await parseMessage(
      Buffer.from(
        crlf(
          'From: Jürgen <j@example.com>\nSubject: Grüße 你好\nContent-Type: text/plain; charset=utf-8\n\nhi\n',
        ),
        'utf8',
      ),
    );
    expect(m.subject).toBe('Grüße 你好');
    expect(m.from?.name).toBe('Jürgen');
    expect(m.warnings).toEqual(['date_missing']);
  });
});

describe('addresses', () => {
  it('takes a repeated From with an address over a first one without, and flags the duplicate', async () => {
    const m = await parseMessage(
      bytes(
        'From: [??????]\nReply-To: other@example.net\nFrom: =?utf-8?B?6YO955C5?= <real@example.cn>\nSubject: x\n\nhi\n',
      ),
    );
    expect(m.from).toEqual({ name: '都琹', address: 'real@example.cn' });
    expect(m.replyTo.map((a) => a.address)).toEqual(['other@example.net']);
    expect(m.warnings).toContain('from_duplicate');
    expect(m.warnings).not.toContain('from_fallback');
  });

  it('reads "Name (address)" as that address instead of losing the recipient', async () => {
    const m = await parseMessage(
      bytes(
        'From: a@example.com\nTo: =?iso-8859-2?Q?Namedy=F1ski?= (hans@example.com)\nCc: Eve (eve@example.org), bob@example.org\nSubject: x\n\nhi\n',
      ),
    );
    expect(m.to).toEqual([{ name: 'Namedyński', address: 'hans@example.com' }]);
    expect(m.cc.map((a) => a.address)).toEqual(['eve@example.org', 'bob@example.org']);
  });

  it('keeps the real address when a comment beside it holds another one', async () => {
    const m = await parseMessage(
      bytes(
        'From: a@example.com\nTo: Hans (old@example.com) <new@example.com>, Just A Name\nSubject: x\n\nhi\n',
      ),
    );
    expect(m.to.map((a) => a.address)).toEqual(['new@example.com']);
  });
});

describe('transfer encodings', () => {
  it('decodes an x-uuencode attachment', async () => {
    const m = await parseMessage(
      bytes(
        'From: a@example.com\nSubject: x\nContent-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: text/plain\n\nsee file\n',
        '--b\nContent-Type: application/msword; name="notes.txt"\nContent-Disposition: attachment; filename="notes.txt"\nContent-Transfer-Encoding: x-uuencode\n\n',
        '+2&5L;&\\@26YL970`\n`\n--b--\n',
      ),
    );
    expect(m.attachments.map((a) => [a.filename, a.content.toString()])).toEqual([
      ['notes.txt', 'Hello Inlet'],
    ]);
  });
});

describe('blank lines above the header', () => {
  const mail =
    'From: Jane <jane@example.com>\nTo: s@example.com\nSubject: Printer jammed\nMessage-ID: <p1@example.com>\n\nThe printer on floor 2 is jammed.\n';

  it('reads the header under blank lines and indentation left by pasting or saving', async () => {
    for (const lead of ['\n', '\r\n\r\n', '\n\t', '  ']) {
      const m = await parseMessage(bytes(lead + mail));
      expect([m.from?.address, m.subject, m.text?.trim()]).toEqual([
        'jane@example.com',
        'Printer jammed',
        'The printer on floor 2 is jammed.',
      ]);
    }
  });

  it('still reads a message with no header under a blank line as body text', async () => {
    const m = await parseMessage(bytes('\nJust a note, no header here.\n'));
    expect(m.subject).toBe('');
    expect(m.text?.trim()).toBe('Just a note, no header here.');
  });
});
