// S/MIME bodies as an agent needs them: an encrypted one is flagged (its payload stays the one
// file), an opaque-signed one shows the text and files it wraps (the signed object stays a file). The CMS objects are built here,
// in DER and in the BER with indefinite lengths and a chunked content that Outlook writes.
import { describe, expect, it } from 'vitest';

import { parseMessage } from './parse.js';

const mail = (text: string) => Buffer.from(text.replace(/\r?\n/g, '\r\n'), 'latin1');
const head =
  'From: a@example.com\nTo: s@example.com\nMessage-ID: <m1@example.com>\nDate: Mon, 1 Jan 2024 10:00:00 +0000\nSubject: s\nMIME-Version: 1.0\n';
const files = (m: Awaited<ReturnType<typeof parseMessage>>) =>
  m.attachments.map((a) => [a.filename, a.declaredType]);

const hex = (h: string) => Buffer.from(h, 'hex');
const lengthOf = (n: number) =>
  n < 0x80
    ? Buffer.from([n])
    : n < 0x100
      ? Buffer.from([0x81, n])
      : Buffer.from([0x82, n >> 8, n & 0xff]);
const der = (tag: number, ...content: Buffer[]) => {
  const c = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), lengthOf(c.length), c]);
};
const ber = (tag: number, ...content: Buffer[]) =>
  Buffer.concat([Buffer.from([tag, 0x80]), ...content, Buffer.from([0, 0])]);
const ENVELOPED = hex('06092a864886f70d010703');
const AUTH_ENVELOPED = hex('060b2a864886f70d0109100117');
const SIGNED = hex('06092a864886f70d010702');
const SIGNED_HEAD = Buffer.concat([hex('3080'), SIGNED, hex('a080')]);
const DATA = hex('06092a864886f70d010701');
const SHA256 = der(0x30, hex('0609608648016503040201'), hex('0500'));
const FAKE_SIGNER = der(
  0x31,
  der(0x30, hex('020101'), der(0x04, Buffer.from('not a real signature'))),
);

/** ContentInfo { signed-data, [0] SignedData { 1, {sha256}, { data, [0] entity }, signers } }. */
const signedDer = (entity: Buffer) =>
  der(
    0x30,
    SIGNED,
    der(
      0xa0,
      der(
        0x30,
        hex('020101'),
        der(0x31, SHA256),
        der(0x30, DATA, der(0xa0, der(0x04, entity))),
        FAKE_SIGNER,
      ),
    ),
  );
const signedBer = (entity: Buffer) =>
  ber(
    0x30,
    SIGNED,
    ber(
      0xa0,
      ber(
        0x30,
        hex('020101'),
        der(0x31, SHA256),
        ber(
          0x30,
          DATA,
          ber(0xa0, ber(0x24, der(0x04, entity.subarray(0, 20)), der(0x04, entity.subarray(20)))),
        ),
        FAKE_SIGNER,
      ),
    ),
  );
// Encrypted objects cut after their content type: all that tells them apart.
const envelopedBer = ber(0x30, ENVELOPED, hex('a080deadbeef'));
const authEnveloped = der(0x30, AUTH_ENVELOPED, hex('a003010203'));

const smime = (type: string, object: Buffer) =>
  mail(
    `${head}Content-Type: ${type}; name="smime.p7m"\nContent-Disposition: attachment; filename="smime.p7m"\nContent-Transfer-Encoding: base64\n\n${object.toString('base64').replace(/.{76}/g, '$&\n')}\n`,
  );

const entity = Buffer.from(
  'Content-Type: multipart/mixed; boundary="x"\r\n\r\n--x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe badge reader at the north door is dead.\r\n--x\r\nContent-Type: application/pdf; name="photo.pdf"\r\nContent-Disposition: attachment; filename="photo.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--x--\r\n',
  'latin1',
);

describe('S/MIME encrypted bodies', () => {
  it('says an enveloped-data body is encrypted and keeps it as its one attachment', async () => {
    const m = await parseMessage(
      smime('application/pkcs7-mime; smime-type=enveloped-data', envelopedBer),
    );
    expect(files(m)).toEqual([['smime.p7m', 'application/pkcs7-mime']]);
    expect(m.warnings).toContain('body_encrypted');
  });

  it('reads the CMS content type when an older client names no smime-type', async () => {
    const enveloped = await parseMessage(smime('application/x-pkcs7-mime', envelopedBer));
    expect(enveloped.warnings).toContain('body_encrypted');
    const authenticated = await parseMessage(smime('application/pkcs7-mime', authEnveloped));
    expect(authenticated.warnings).toContain('body_encrypted');
  });

  it('reads an application/octet-stream named .p7m as S/MIME (RFC 8551 3.2.2)', async () => {
    const encrypted = await parseMessage(smime('application/octet-stream', envelopedBer));
    expect(encrypted.warnings).toContain('body_encrypted');
    const signed = await parseMessage(smime('application/octet-stream', signedDer(entity)));
    expect(signed.text).toBe('The badge reader at the north door is dead.');
    const otherFile = await parseMessage(
      mail(
        `${head}Content-Type: application/octet-stream; name="data.bin"\nContent-Transfer-Encoding: base64\n\n${envelopedBer.toString('base64')}\n`,
      ),
    );
    expect(otherFile.warnings).not.toContain('body_encrypted');
  });
});

describe('S/MIME opaque-signed bodies (readable by anyone, so not encrypted)', () => {
  it.each([
    ['DER, declared signed-data', 'application/pkcs7-mime; smime-type=signed-data', signedDer],
    ['BER with a chunked content, no smime-type', 'application/x-pkcs7-mime', signedBer],
  ])('shows the text and files the signature wraps (%s)', async (_, type, build) => {
    const m = await parseMessage(smime(type, build(entity)));
    expect(m.text).toBe('The badge reader at the north door is dead.');
    expect(files(m)).toEqual([
      ['photo.pdf', 'application/pdf'],
      ['smime.p7m', type.split(';')[0]],
    ]);
    expect(m.attachments[0]!.content.toString('latin1')).toMatch(/^%PDF-1\.4/);
    expect(m.warnings).not.toContain('body_encrypted');
  });

  it('flags an encrypted body found inside the signature (encrypt, then sign)', async () => {
    const inner = Buffer.from(
      `Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"\r\nContent-Transfer-Encoding: base64\r\n\r\n${envelopedBer.toString('base64')}\r\n`,
      'latin1',
    );
    const m = await parseMessage(
      smime('application/pkcs7-mime; smime-type=signed-data', signedDer(inner)),
    );
    expect(files(m)).toEqual([
      ['smime.p7m', 'application/pkcs7-mime'],
      ['smime.p7m', 'application/pkcs7-mime'],
    ]);
    expect(m.warnings).toContain('body_encrypted');
  });

  it('unwraps a body signed twice (the inner signature is a file of the outer) to its text', async () => {
    const inner = Buffer.from(
      `Content-Type: application/pkcs7-mime; smime-type=signed-data\r\nContent-Transfer-Encoding: base64\r\n\r\n${signedBer(entity).toString('base64')}\r\n`,
      'latin1',
    );
    const m = await parseMessage(
      smime('application/pkcs7-mime; smime-type=signed-data', signedDer(inner)),
    );
    expect(m.text).toBe('The badge reader at the north door is dead.');
    expect(files(m)).toEqual([
      ['photo.pdf', 'application/pdf'],
      ['smime.p7m', 'application/pkcs7-mime'],
    ]);
  });

  it('keeps a signed object that does not unwrap as its one attachment', async () => {
    const cut = signedDer(entity).subarray(0, 60);
    const m = await parseMessage(smime('application/pkcs7-mime; smime-type=signed-data', cut));
    expect(m.text).toBeNull();
    expect(files(m)).toEqual([['smime.p7m', 'application/pkcs7-mime']]);
    expect(m.warnings).not.toContain('body_encrypted');
  });

  it('keeps a hostile object (100,000 nested indefinite lengths) as its one file', async () => {
    const nested = Buffer.concat([SIGNED_HEAD, Buffer.from('3080'.repeat(100_000), 'hex')]);
    const m = await parseMessage(smime('application/pkcs7-mime; smime-type=signed-data', nested));
    expect(m.text).toBeNull();
    expect(files(m)).toEqual([['smime.p7m', 'application/pkcs7-mime']]);
  });
});
