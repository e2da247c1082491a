import { describe, expect, it } from 'vitest';

import { AppError } from '../../errors.js';
import { defaultIngestLimits } from '../types.js';
import { parseEnvelopeOnly, parseMessage } from './parse.js';

const eml = (s: string) => Buffer.from(s.replace(/\r?\n/g, '\r\n'), 'utf8');
const limits = (over: Partial<typeof defaultIngestLimits>) => ({ ...defaultIngestLimits, ...over });

const simple = eml(`From: =?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <Juergen.Mueller@EXAMPLE.com>
To: "Support" <support@inlet.test>, b@example.org
Cc: c@example.org
Reply-To: replies@example.com
Subject: =?UTF-8?B?UHLDvGZ1bmc=?= of the order
Date: Tue, 14 Oct 2025 12:28:17 +0200 (CEST)
Message-ID: <abc.123@mail.example.com>
In-Reply-To: <root@inlet.test>
References: <root@inlet.test> <mid@example.com>
Delivered-To: support@inlet.test
Auto-Submitted: no
Received: from x by y
Content-Type: text/plain; charset=utf-8

Hallo, grüße!
`);

async function limitOf(
  p: Promise<unknown>,
): Promise<{ code: string; status: number; limit: unknown }> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(AppError);
  const err = e as AppError;
  return { code: err.code, status: err.status, limit: err.extra?.limit };
}

describe('parseMessage', () => {
  it('decodes and normalises the header fields threading and display need', async () => {
    const m = await parseMessage(simple);
    expect(m.from).toEqual({ name: 'Jürgen Müller', address: 'Juergen.Mueller@example.com' });
    expect(m.to.map((a) => a.address)).toEqual(['support@inlet.test', 'b@example.org']);
    expect(m.cc).toEqual([{ name: '', address: 'c@example.org' }]);
    expect(m.replyTo.map((a) => a.address)).toEqual(['replies@example.com']);
    expect(m.subject).toBe('Prüfung of the order');
    expect(m.messageId).toBe('abc.123@mail.example.com');
    expect(m.inReplyTo).toEqual(['root@inlet.test']);
    expect(m.references).toEqual(['root@inlet.test', 'mid@example.com']);
    expect(m.deliveredTo).toEqual(['support@inlet.test']);
    expect(m.date?.toISOString()).toBe('2025-10-14T10:28:17.000Z');
    expect(m.text).toContain('grüße');
    expect(m.html).toBeNull();
    expect(m.headers.get('auto-submitted')).toEqual(['no']);
    expect(m.headers.has('received')).toBe(false);
    expect(m.warnings).toEqual([]);
  });

  it('gives null and a warning for a date that does not parse, instead of "now"', async () => {
    const m = await parseMessage(
      eml('From: a@example.com\nDate: yesterday-ish\nSubject: x\n\nbody\n'),
    );
    expect(m.date).toBeNull();
    expect(m.warnings).toContain('date_invalid');
  });

  it('decodes unknown charsets as best it can and records charset_fallback', async () => {
    const m = await parseMessage(
      eml(
        'From: a@example.com\nSubject: x\nContent-Type: text/plain; charset=x-unknown\n\nplain words\n',
      ),
    );
    expect(m.text).toContain('plain words');
    expect(m.warnings).toContain('charset_fallback');
  });

  it('reads raw 8-bit Latin-1 headers as Latin-1, not as broken UTF-8', async () => {
    const raw = Buffer.concat([
      Buffer.from('From: =?iso-8859-1?Q?J=FCrgen?= <j@example.com>\r\nSubject: Gr', 'latin1'),
      Buffer.from([0xfc, 0xdf, 0x65]),
      Buffer.from('\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\nhi\r\n', 'latin1'),
    ]);
    const m = await parseMessage(raw);
    expect(m.subject).toBe('Grüße');
    expect(m.warnings).toContain('charset_fallback');
  });

  it('keeps attachments with hashes, the declared and the sniffed type', async () => {
    const pdf = Buffer.from('%PDF-1.4\n%fake\n').toString('base64');
    const m = await parseMessage(
      eml(`From: a@example.com
Subject: file
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/plain

see attached
--b1
Content-Type: application/octet-stream; name="../../etc/passwd.pdf"
Content-Disposition: attachment; filename="../../etc/passwd.pdf"
Content-Transfer-Encoding: base64

${pdf}
--b1--
`),
    );
    expect(m.attachments).toHaveLength(1);
    const a = m.attachments[0]!;
    expect(a).toMatchObject({
      filename: 'passwd.pdf',
      declaredType: 'application/octet-stream',
      sniffedType: 'application/pdf',
      inline: false,
    });
    expect(a.flags).toContain('filename_path');
    expect(a.content.toString()).toBe('%PDF-1.4\n%fake\n');
  });

  it('captures the delivery-status and returned headers of a DSN', async () => {
    const m = await parseMessage(
      eml(`From: MAILER-DAEMON@mx.example.com
Subject: Undelivered Mail Returned to Sender
Content-Type: multipart/report; report-type=delivery-status; boundary="r"

--r
Content-Type: text/plain

failed
--r
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com

Final-Recipient: rfc822; gone@example.org
Action: failed
Status: 5.1.1
--r
Content-Type: text/rfc822-headers

Message-ID: <orig-1@inlet.test>
Subject: hello
--r--
`),
    );
    expect(m.isMultipartReport).toBe(true);
    expect(m.reportParts.deliveryStatus).toContain('Final-Recipient: rfc822; gone@example.org');
    expect(m.reportParts.originalHeaders).toContain('<orig-1@inlet.test>');
  });

  it('refuses an oversized message with message_too_large (422)', async () => {
    expect(await limitOf(parseMessage(simple, limits({ maxMessageBytes: 100 })))).toEqual({
      code: 'message_too_large',
      status: 422,
      limit: 'size',
    });
  });

  it('refuses a part bomb, a nesting bomb and a huge header block quickly', async () => {
    const parts = Array.from(
      { length: 600 },
      (_, i) => `--b\r\nContent-Type: text/plain\r\n\r\n${i}\r\n`,
    ).join('');
    const bomb = Buffer.from(
      `From: a@example.com\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n${parts}--b--\r\n`,
    );
    expect(await limitOf(parseMessage(bomb))).toEqual({
      code: 'message_limit_exceeded',
      status: 422,
      limit: 'parts',
    });

    let nested = 'leaf\r\n';
    for (let i = 40; i > 0; i--)
      nested = `Content-Type: multipart/mixed; boundary="n${i}"\r\n\r\n--n${i}\r\n${nested}--n${i}--\r\n`;
    expect(
      await limitOf(parseMessage(Buffer.from(`From: a@example.com\r\n${nested}`))),
    ).toMatchObject({ limit: 'depth' });

    const header = Buffer.from(
      `From: a@example.com\r\nX-Junk: ${'a'.repeat(5000)}\r\n\r\nbody\r\n`,
    );
    expect(await limitOf(parseMessage(header, limits({ maxHeaderBytes: 1000 })))).toMatchObject({
      code: 'message_limit_exceeded',
      limit: 'headers',
    });
  });

  it('parseEnvelopeOnly gives a stub with sender, subject and the limit that was hit', () => {
    const m = parseEnvelopeOnly(simple, 'parts');
    expect(m.from?.address).toBe('Juergen.Mueller@example.com');
    expect(m.subject).toBe('Prüfung of the order');
    expect(m.messageId).toBe('abc.123@mail.example.com');
    expect(m.warnings).toContain('limit_exceeded:parts');
    expect(m.attachments).toEqual([]);
  });
});

describe('large messages', () => {
  it('parses a message over 1 MB (fed to the parser in chunks) byte-exactly', async () => {
    const { createHash, randomBytes } = await import('node:crypto');
    const blob = randomBytes(3 * 1024 * 1024 + 17);
    const raw = Buffer.from(
      [
        'From: Big <big@client.example>',
        'To: support@acme.example',
        'Subject: large',
        'Message-ID: <large@client.example>',
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="zz"',
        '',
        '--zz',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'see attached ✓',
        '--zz',
        'Content-Type: application/octet-stream; name="blob.bin"',
        'Content-Disposition: attachment; filename="blob.bin"',
        'Content-Transfer-Encoding: base64',
        '',
        blob.toString('base64').replace(/.{76}/g, '$&\r\n'),
        '--zz--',
        '',
      ].join('\r\n'),
    );
    const msg = await parseMessage(raw);
    expect(msg.text?.trim()).toBe('see attached ✓');
    expect(msg.attachments).toHaveLength(1);
    expect(msg.attachments[0]!.sha256).toBe(createHash('sha256').update(blob).digest('hex'));
    expect(msg.attachments[0]!.size).toBe(blob.length);
  });
});
