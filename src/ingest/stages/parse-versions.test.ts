// Versions of one body and charsets declared one level up: an alternative's other renderings of the
// text (enriched, Apple Watch HTML) are not files, and a text part without a charset of its own is
// read in the charset its enclosing multipart declares.
import { describe, expect, it } from 'vitest';

import { parseMessage } from './parse.js';

const mail = (text: string) => Buffer.from(text.replace(/\r?\n/g, '\r\n'), 'latin1');
const head =
  'From: a@example.com\nTo: s@example.com\nSubject: s\nMessage-ID: <m1@example.com>\nDate: Mon, 1 Jan 2024 10:00:00 +0000\n';
const alternative = (versions: string[]) =>
  mail(
    `${head}Content-Type: multipart/alternative; boundary="v"\n\n${versions.map((v) => `--v\n${v}\n`).join('')}--v--\n`,
  );

describe('renderings of the body in an alternative', () => {
  it('lists no text/enriched version as an attachment', async () => {
    const m = await parseMessage(
      alternative([
        'Content-Type: text/plain; charset=us-ascii\n\nThe scanner is offline.',
        'Content-Type: text/enriched; charset=us-ascii\n\nThe scanner is <bold>offline</bold>.',
        'Content-Type: text/html; charset=us-ascii\n\n<p>The scanner is <b>offline</b>.</p>',
      ]),
    );
    expect(m.attachments).toEqual([]);
    expect(m.text?.trim()).toBe('The scanner is offline.');
    expect(m.html).toContain('<b>offline</b>');
  });

  it('lists no Apple Watch HTML version (text/watch-html) as an attachment', async () => {
    const m = await parseMessage(
      alternative([
        'Content-Type: text/plain; charset=utf-8\n\nSent from my watch: call me.',
        'Content-Type: text/watch-html; charset=utf-8\n\n<b>Sent from my watch: call me.</b>',
        'Content-Type: text/html; charset=utf-8\n\n<p>Sent from my watch: call me.</p>',
      ]),
    );
    expect(m.attachments).toEqual([]);
    expect(m.text?.trim()).toBe('Sent from my watch: call me.');
  });

  it('keeps a calendar invitation beside the versions as an attachment (it holds the event)', async () => {
    const m = await parseMessage(
      alternative([
        'Content-Type: text/plain\n\nMeeting at 10.',
        'Content-Type: text/calendar; method=REQUEST\n\nBEGIN:VCALENDAR\nEND:VCALENDAR',
      ]),
    );
    expect(m.attachments.map((a) => a.declaredType)).toEqual(['text/calendar']);
  });

  it('shows an enriched version that is the only one as text', async () => {
    const m = await parseMessage(
      alternative(['Content-Type: text/enriched\n\nOnly <bold>this</bold> version.']),
    );
    expect(m.attachments).toEqual([]);
    expect(m.text?.trim()).toBe('Only this version.');
  });
});

describe('enriched and richtext bodies', () => {
  it('shows a text/enriched message as its text (RFC 1896: one line break is a space, << is <)', async () => {
    const m = await parseMessage(
      mail(
        `${head}Content-Type: text/enriched; charset=us-ascii\n\nThe <bold>printer</bold> on floor 2\nis down.\n\n<<Ticket> <italic>again</italic>.\n`,
      ),
    );
    expect(m.attachments).toEqual([]);
    expect(m.text?.trim()).toBe('The printer on floor 2 is down.\n<Ticket> again.');
  });

  it('shows an inline enriched piece after the plain one, and a text/richtext message', async () => {
    const mixed = await parseMessage(
      mail(
        `${head}Content-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: text/plain\n\nFirst piece.\n--b\nContent-Type: text/enriched\nContent-Transfer-Encoding: quoted-printable\n\n<bold>Second</bold> pi=\nece.\n--b--\n`,
      ),
    );
    expect(mixed.attachments).toEqual([]);
    expect(mixed.text?.replace(/\s+/g, ' ').trim()).toBe('First piece. Second piece.');
    const rich = await parseMessage(
      mail(`${head}Content-Type: text/richtext\n\nLine <bold>one</bold><nl>line<lt>two\n`),
    );
    expect(rich.text?.trim()).toBe('Line one\nline<two');
  });

  it('keeps an enriched part sent as an attachment as one', async () => {
    const m = await parseMessage(
      mail(
        `${head}Content-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: text/plain\n\nSee the file.\n--b\nContent-Type: text/enriched\nContent-Disposition: attachment; filename="notes.etx"\n\n<bold>notes</bold>\n--b--\n`,
      ),
    );
    expect(m.attachments.map((a) => a.filename)).toEqual(['notes.etx']);
    expect(m.text?.trim()).toBe('See the file.');
  });
});

describe('charset declared on the enclosing multipart', () => {
  const polish = 'Zażółć gęślą jaźń, drukarka nie działa.';
  // The same sentence in ISO-8859-2 bytes.
  const latin2 = Buffer.from(
    'Za\xbf\xf3\xb3\xe6 g\xea\xb6l\xb1 ja\xbc\xf1, drukarka nie dzia\xb3a.',
    'latin1',
  );

  it('reads a signed text part without a charset in the charset of its multipart/signed', async () => {
    const body = latin2.toString('base64');
    const m = await parseMessage(
      mail(
        `${head}Content-Type: multipart/signed; charset="ISO-8859-2"; protocol="application/pkcs7-signature"; boundary="s"\n\n--s\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\n${body}\n--s\nContent-Type: application/pkcs7-signature; name=smime.p7s\nContent-Disposition: attachment; filename=smime.p7s\nContent-Transfer-Encoding: base64\n\nAAEC\n--s--\n`,
      ),
    );
    expect(m.text?.trim()).toBe(polish);
  });

  it('reads ISO-2022-JP (7-bit escapes) the multipart declares', async () => {
    // こんにちは in JIS X 0208 between the escapes that switch to it and back to ASCII.
    const body = '\x1b$B$3$s$K$A$O\x1b(B, printer';
    const m = await parseMessage(
      mail(
        `${head}Content-Type: multipart/mixed; charset="iso-2022-jp"; boundary="b"\n\n--b\nContent-Type: text/plain\nContent-Transfer-Encoding: 7bit\n\n${body}\n--b--\n`,
      ),
    );
    expect(m.text?.trim()).toBe('こんにちは, printer');
  });

  it('reads UTF-8 bytes as UTF-8 under a multipart that declares a single-byte charset', async () => {
    const m = await parseMessage(
      mail(
        `${head}Content-Type: multipart/mixed; charset="iso-8859-2"; boundary="b"\n\n--b\nContent-Type: text/plain\n\nGr\xc3\xbc\xc3\x9fe\n--b--\n`,
      ),
    );
    expect(m.text?.trim()).toBe('Grüße');
  });

  it("keeps a part's own charset over the multipart's", async () => {
    const m = await parseMessage(
      mail(
        `${head}Content-Type: multipart/mixed; charset="iso-8859-2"; boundary="b"\n\n--b\nContent-Type: text/plain; charset=iso-8859-1\n\nGr\xfc\xdfe\n--b--\n`,
      ),
    );
    expect(m.text?.trim()).toBe('Grüße');
  });
});
