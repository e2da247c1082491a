// Text parts that cannot be read as text reach the agent as a downloadable attachment with the bytes
// as sent, not as body text full of U+FFFD and control characters.
import { describe, expect, it } from 'vitest';

import { parseMessage } from './parse.js';

const head =
  'From: a@example.com\r\nTo: s@example.com\r\nSubject: Printer log\r\nMessage-ID: <u1@example.com>\r\nMIME-Version: 1.0\r\n';
const mixed = (partHeaders: string, body: Buffer) =>
  Buffer.concat([
    Buffer.from(
      `${head}Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe printer log is below.\r\n--b\r\n${partHeaders}\r\n\r\n`,
      'latin1',
    ),
    body,
    Buffer.from('\r\n--b--\r\n', 'latin1'),
  ]);
// Bytes of a small binary file (a PNG signature, NULs, length fields).
const binary = Buffer.from([
  0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
  0x00, 0x00, 0x01, 0x00, 0x08, 0x06, 0x00, 0x00, 0x00, 0x5c, 0x72, 0xa8, 0x66,
]);

describe('undecodable text parts', () => {
  it('keeps binary bytes declared text/plain as an attachment with the bytes as sent', async () => {
    const m = await parseMessage(
      mixed(
        'Content-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: base64',
        Buffer.from(binary.toString('base64'), 'latin1'),
      ),
    );
    expect(m.text?.trim()).toBe('The printer log is below.');
    expect(m.attachments).toHaveLength(1);
    expect(m.attachments[0]!.content.equals(binary)).toBe(true);
  });

  it('keeps 8-bit text under a charset no decoder knows as an attachment', async () => {
    const bytes = Buffer.from('Fehler: Papierstau in F\xe4cher 2, Gr\xfc\xdfe \x8f\x9a', 'latin1');
    const m = await parseMessage(
      mixed(
        'Content-Type: text/plain; charset="x-printer-8bit"\r\nContent-Transfer-Encoding: 8bit',
        bytes,
      ),
    );
    expect(m.text).not.toContain('\uFFFD');
    expect(m.text?.trim()).toBe('The printer log is below.');
    expect(m.attachments.map((a) => a.content.equals(bytes))).toEqual([true]);
  });

  it('keeps readable text under an unknown label, a known charset and a stray NUL as body text', async () => {
    const unknownAscii = await parseMessage(
      mixed(
        'Content-Type: text/plain; charset="x-printer-8bit"',
        Buffer.from('Paper jam in tray 2.', 'latin1'),
      ),
    );
    expect(unknownAscii.text).toContain('Paper jam in tray 2.');
    const latin1 = await parseMessage(
      mixed(
        'Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit',
        Buffer.from('Papierstau in F\xe4cher 2.', 'latin1'),
      ),
    );
    expect(latin1.text).toContain('Papierstau in Fächer 2.');
    const nul = await parseMessage(
      mixed(
        'Content-Type: text/plain',
        Buffer.from(`${'The tray is empty again. '.repeat(4)}\x00`, 'latin1'),
      ),
    );
    expect(nul.text).toContain('The tray is empty again.');
    expect([unknownAscii, latin1, nul].map((m) => m.attachments.length)).toEqual([0, 0, 0]);
  });

  it("reads text under a charset spelled as mailparser's decoder knows it ('latin-1', ms936)", async () => {
    const latin = await parseMessage(
      mixed(
        'Content-Type: text/plain; charset="latin-1"\r\nContent-Transfer-Encoding: 8bit',
        Buffer.from('Papierstau in F\xe4cher 2.', 'latin1'),
      ),
    );
    const gbk = await parseMessage(
      mixed(
        'Content-Type: text/plain; charset=ms936\r\nContent-Transfer-Encoding: 8bit',
        Buffer.from('\xc4\xe3\xba\xc3', 'latin1'),
      ),
    );
    expect(latin.text).toContain('Papierstau in Fächer 2.');
    expect(gbk.text).toContain('你好');
    expect([latin, gbk].map((m) => m.attachments.length)).toEqual([0, 0]);
  });

  it('keeps a short note with a stray NUL or BEL as body text, as mail clients show it', async () => {
    const nul = await parseMessage(
      mixed('Content-Type: text/plain', Buffer.from('Tray 2\x00', 'latin1')),
    );
    const bel = await parseMessage(
      Buffer.from(`${head}Content-Type: text/plain\r\n\r\nCall me\x07 back.\r\n`, 'latin1'),
    );
    expect(nul.text).toContain('Tray 2');
    expect(bel.text).toContain('Call me');
    expect([nul, bel].map((m) => m.attachments.length)).toEqual([0, 0]);
  });

  it('keeps a single-part message whose body is binary as an attachment, with no garbage body', async () => {
    const raw = Buffer.concat([
      Buffer.from(
        `${head}Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n${binary.toString('base64')}\r\n`,
        'latin1',
      ),
    ]);
    const m = await parseMessage(raw);
    expect(m.text ?? '').toBe('');
    expect(m.attachments.map((a) => a.content.equals(binary))).toEqual([true]);
  });
});

describe('text without a charset label over 8-bit bytes', () => {
  const latin1 = Buffer.from('Gr\xfc\xdfe aus K\xf6ln, die T\xfcr klemmt.\r\n', 'latin1');

  it('reads a pre-MIME body in the likeliest charset, not as U+FFFD', async () => {
    const raw = Buffer.concat([
      Buffer.from('From: a@example.com\r\nTo: s@example.com\r\nSubject: Tür\r\n\r\n', 'latin1'),
      latin1,
    ]);
    const m = await parseMessage(raw);
    expect(m.text).toBe('Grüße aus Köln, die Tür klemmt.\n');
    expect(m.warnings).toContain('charset_fallback');
  });

  it('reads a part labelled US-ASCII that holds Latin-1, in quoted-printable too', async () => {
    const m = await parseMessage(
      mixed(
        'Content-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: quoted-printable',
        Buffer.from('Gr=FC=DFe aus K=F6ln.', 'latin1'),
      ),
    );
    expect(m.text).toContain('Grüße aus Köln.');
    expect(m.attachments).toEqual([]);
  });

  it('leaves UTF-8 without a label as it is', async () => {
    const raw = Buffer.concat([
      Buffer.from('From: a@example.com\r\nTo: s@example.com\r\nSubject: x\r\n\r\n', 'latin1'),
      Buffer.from('Grüße aus Köln.\r\n', 'utf8'),
    ]);
    expect((await parseMessage(raw)).text).toBe('Grüße aus Köln.\n');
  });
});
