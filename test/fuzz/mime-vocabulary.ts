// The words hostile generated mail is made of: charsets real and invented, transfer encodings,
// content types, file names from security.md's bad-input list, and header values (control
// characters, RFC 2047 words well- and ill-formed, injection classics, huge and folded values).
import fc from 'fast-check';

import { hostileHtml } from '../xss/hostile-html.js';

export const CHARSETS = [
  'utf-8',
  'UTF-8',
  'iso-8859-1',
  'windows-1252',
  'us-ascii',
  'utf-7',
  'utf-16',
  'iso-2022-jp',
  'gb2312',
  'koi8-r',
  'x-user-defined',
  'text/html',
  'X-UNKNOWN',
  '',
  '"utf-8',
  'utf-8\u0000',
];
export const ENCODINGS = [
  null,
  '7bit',
  '8bit',
  'binary',
  'base64',
  'quoted-printable',
  'x-uuencode',
  'BASE64',
  'x-bogus',
];
export const TYPES = [
  'text/plain',
  'text/html',
  'text/enriched',
  'application/octet-stream',
  'application/pdf',
  'image/png',
  'image/svg+xml',
  'message/delivery-status',
  'message/rfc822',
  'text/rfc822-headers',
  'application/ms-tnef',
  '',
  'text',
  'text/plain; name',
];
export const FILENAMES = [
  '../../../../srv/app/.env',
  '..\\..\\win.ini',
  'CON',
  'report\u0000.pdf.exe',
  'invoice\u202Efdp.exe',
  'x'.repeat(10_000),
  '=?utf-8?B?Li4vLi4vZXRjL3Bhc3N3ZA==?=',
  '=?utf-8?Q?a=0D=0Ab.txt?=',
  'résumé.doc',
  '"quoted".txt',
  '',
  ' ',
  '.htaccess',
  'a\r\nContent-Type: text/html.txt',
];

export const hostile = hostileHtml();

/** Header text: plain, unicode, control characters, RFC 2047 words (well- and ill-formed), huge. */
export const headerValue: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({
    unit: fc.constantFrom(
      'a',
      ' ',
      '\r',
      '\n',
      '\t',
      '\u0000',
      '=',
      '?',
      '"',
      '<',
      '>',
      ',',
      ';',
      '\\',
      '\u2028',
      '\u202e',
    ),
    maxLength: 60,
  }),
  fc
    .tuple(
      fc.constantFrom('utf-8', 'iso-8859-1', 'utf-7', 'x-bogus', '', 'utf-8*en'),
      fc.constantFrom('Q', 'B', 'q', 'X'),
      fc.string({
        unit: fc.constantFrom(
          'a',
          '=',
          '0',
          'A',
          'D',
          '_',
          '?',
          '\r',
          '\n',
          '/',
          '+',
          '\u00ff',
          '=0A',
          '=0D',
          '=00',
          '=01',
          '=7F',
          '=C2=85',
          '=E2=80=A8',
        ),
        maxLength: 30,
      }),
    )
    .map(([cs, enc, text]) => `=?${cs}?${enc}?${text}?=`),
  fc.constantFrom(
    '=?UTF-8?Q?Hello=0ABcc:_victim@evil.example?=',
    '=?UTF-8?B?' + Buffer.from('x\r\nBcc: a@b.example').toString('base64') + '?=',
    "'> <script>alert(1)</script>",
    '"victim@corp.example x"@evil.example',
    '"ceo@corp.example" <attacker@evil.example>',
    '<' + 'a'.repeat(5000) + '@example.com>',
    '(((((((((((((((((((((((((((((((((((((((((((((((((((a',
    '"'.repeat(3000),
    '<'.repeat(3000),
    'a@b, '.repeat(2000),
  ),
  fc.nat({ max: 200_000 }).map((n) => 'y'.repeat(n)),
  fc.nat({ max: 20_000 }).map((n) => Array.from({ length: n }, () => 'w').join('\r\n ')),
);
