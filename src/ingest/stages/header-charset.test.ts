import { describe, expect, it } from 'vitest';

import { decodeUnknownBytes } from './header-charset.js';
import { fixMislabelledWords, hasMislabelledWords } from './header-charset-words.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
// Hand-encoded samples: "转发：整体" (GBK), "ツール" (Shift_JIS), "日本語の件名" (EUC-JP), "中文標題" (Big5).
const GBK = hex('d7aa b7a2 a3ba d5fb cce5');
const SJIS = hex('8363 815b 838b');
const EUCJP = hex('c6fc cbdc b8ec a4ce b7ef ccbe');
const BIG5 = hex('a4a4 a4e5 bcd0 c344');

describe('decodeUnknownBytes', () => {
  it('prefers the declared CJK charset over a declared Latin-1 that would give mojibake', () => {
    expect(decodeUnknownBytes(GBK, ['iso-8859-1', 'gb2312'])).toMatchObject({
      text: '转发：整体',
      guessed: true,
    });
  });

  it('finds Shift_JIS, EUC-JP and Big5 when the message declares nothing', () => {
    expect(decodeUnknownBytes(SJIS).text).toBe('ツール');
    expect(decodeUnknownBytes(EUCJP).text).toBe('日本語の件名');
    expect(decodeUnknownBytes(BIG5).text).toBe('中文標題');
  });

  it('keeps Latin-1 text Latin-1 even when a CJK charset is declared elsewhere', () => {
    expect(
      decodeUnknownBytes(Buffer.from('Müller, Grüße aus Köln', 'latin1'), ['gb2312']).text,
    ).toBe('Müller, Grüße aus Köln');
    expect(decodeUnknownBytes(Buffer.from('Müßig', 'latin1'), ['shift_jis', 'gb2312']).text).toBe(
      'Müßig',
    );
  });

  it('uses a declared single-byte charset other than Latin-1', () => {
    const cyrillic = Buffer.from([0xcf, 0xf0, 0xe8, 0xe2, 0xe5, 0xf2]); // "Привет" in windows-1251
    expect(decodeUnknownBytes(cyrillic, ['windows-1251']).text).toBe('Привет');
  });

  it('returns valid UTF-8 as is, unflagged', () => {
    expect(decodeUnknownBytes(Buffer.from('Grüße 你好', 'utf8'), ['iso-8859-1'])).toEqual({
      text: 'Grüße 你好',
      charset: 'utf-8',
      guessed: false,
    });
  });
});

describe('mislabelled encoded words', () => {
  const sjisWord = `=?ISO-2022-JP?B?${Buffer.concat([SJIS, Buffer.from(' EXAMPLE')]).toString('base64')}?=`;

  it("reads 8-bit bytes under a 7-bit label (Shift_JIS labelled ISO-2022-JP) as the label's sibling", () => {
    expect(hasMislabelledWords(`From: ${sjisWord} <a@example.com>`)).toBe(true);
    const fixed = fixMislabelledWords(`From: ${sjisWord} <a@example.com>`);
    const word = /=\?UTF-8\?B\?([^?]+)\?=/.exec(fixed)?.[1] ?? '';
    expect(Buffer.from(word, 'base64').toString('utf8')).toBe('ツール EXAMPLE');
    expect(fixed.endsWith(' <a@example.com>')).toBe(true);
  });

  it('reads Latin-1 bytes labelled UTF-8 as Latin-1, when asked to check UTF-8 words', () => {
    expect(fixMislabelledWords('Subject: =?utf-8?Q?Gr=FC=DFe?=')).toBe(
      'Subject: =?utf-8?Q?Gr=FC=DFe?=',
    );
    const fixed = fixMislabelledWords('Subject: =?utf-8?Q?Gr=FC=DFe?=', [], true);
    expect(Buffer.from(/\?B\?([^?]+)\?=/.exec(fixed)?.[1] ?? '', 'base64').toString('utf8')).toBe(
      'Grüße',
    );
  });

  it('leaves correct words alone, also UTF-8 characters split across two words', () => {
    const ue = Buffer.from('ü', 'utf8');
    const split = `Subject: =?UTF-8?B?${Buffer.from([0x47, 0x72, ue[0]!]).toString('base64')}?= =?UTF-8?B?${Buffer.from([ue[1]!, 0x6e]).toString('base64')}?=`;
    const ok = [
      split,
      'Subject: =?iso-2022-jp?B?GyRCJEskWxsoQg==?=',
      'Subject: =?iso-8859-1?Q?Gr=FC=DFe?=',
    ];
    for (const h of ok) {
      expect(hasMislabelledWords(h, true)).toBe(false);
      expect(fixMislabelledWords(h, [], true)).toBe(h);
    }
  });
});
