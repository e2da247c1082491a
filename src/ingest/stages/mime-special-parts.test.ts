// Parts a mail client does not list as files: an AppleDouble header, the PGP/MIME version part,
// a message/external-body pointer.
import { describe, expect, it } from 'vitest';

import { parseMessage } from './parse.js';

const mail = (text: string) => Buffer.from(text.replace(/\r?\n/g, '\r\n'), 'latin1');
const head =
  'From: a@example.com\nTo: s@example.com\nMessage-ID: <m1@example.com>\nDate: Mon, 1 Jan 2024 10:00:00 +0000\nSubject: s\nMIME-Version: 1.0\n';
const files = (m: Awaited<ReturnType<typeof parseMessage>>) =>
  m.attachments.map((a) => [a.filename, a.declaredType]);

describe('parts that are no file', () => {
  it('lists only the data fork of an AppleDouble pair, as Mac mail clients send it', async () => {
    const m = await parseMessage(
      mail(
        `${head}Content-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: text/plain\n\nSee the file.\n--b\nContent-Type: multipart/appledouble; boundary="a"\n\n--a\nContent-Type: application/applefile; name="report.pdf"\nContent-Transfer-Encoding: base64\n\nAAUWBwACAAAAAAAAAAAAAAAAAAAAAAAAAAEAAAAJAAAAMgAAAAo=\n--a\nContent-Type: application/pdf; name="report.pdf"\nContent-Disposition: attachment; filename="report.pdf"\nContent-Transfer-Encoding: base64\n\nJVBERi0xLjQKJcfsj6IK\n--a--\n--b--\n`,
      ),
    );
    expect(m.text).toBe('See the file.');
    expect(files(m)).toEqual([['report.pdf', 'application/pdf']]);
    expect(m.attachments[0]!.content.toString('latin1')).toMatch(/^%PDF-1\.4/);
  });

  it('keeps the payload of a PGP/MIME message as its one attachment and says it is encrypted', async () => {
    const m = await parseMessage(
      mail(
        `${head}Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="e"\n\nThis is an OpenPGP/MIME encrypted message\n--e\nContent-Type: application/pgp-encrypted\nContent-Description: PGP/MIME version identification\n\nVersion: 1\n\n--e\nContent-Type: application/octet-stream; name="encrypted.asc"\nContent-Disposition: inline; filename="encrypted.asc"\n\n-----BEGIN PGP MESSAGE-----\n\nhQEMA1234567890ABCDEF\n-----END PGP MESSAGE-----\n\n--e--\n`,
      ),
    );
    expect(files(m)).toEqual([['encrypted.asc', 'application/octet-stream']]);
    expect(m.warnings).toContain('body_encrypted');
  });

  it('shows a message/external-body as a note naming where the file is, with no file', async () => {
    const m = await parseMessage(
      mail(
        `${head}Content-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: text/plain\n\nThe log is on the server.\n--b\nContent-Type: message/external-body; access-type="URL";\n URL="https://files.example.com/log.txt"\n\nContent-Type: text/plain\n\n--b\nContent-Type: message/external-body; access-type=anon-ftp; site="ftp.example.org";\n directory="/pub"; name="big.tar"\n\nContent-Type: application/x-tar\n\n--b--\n`,
      ),
    );
    expect(m.attachments).toEqual([]);
    expect(m.text).toBe(
      'The log is on the server.\n\n' +
        '[File not included in the message, stored at: https://files.example.com/log.txt]\n' +
        '[File not included in the message, stored at: ftp://ftp.example.org/pub/big.tar]',
    );
  });

  it('still lists a lone application/applefile (AppleSingle carries the file itself)', async () => {
    const m = await parseMessage(
      mail(
        `${head}Content-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: text/plain\n\nHere.\n--b\nContent-Type: application/applefile; name="notes"\nContent-Transfer-Encoding: base64\n\nAAUWAAACAAAAAAAAAAAAAAAAAAAAAAAAAAEAAAABAAAAJgAAAAVoZWxsbw==\n--b--\n`,
      ),
    );
    expect(files(m)).toEqual([['notes', 'application/applefile']]);
  });
});
