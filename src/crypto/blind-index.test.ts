import { createHash, createHmac, randomBytes } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import {
  BLIND_INDEX_DOMAINS,
  blindIndex,
  emailBlindIndex,
  messageIdBlindIndex,
  normaliseEmailAddress,
  normaliseMessageId,
} from './blind-index.js';

const key = randomBytes(32);

describe('blind index', () => {
  it('matches differently written forms of one email address', () => {
    const forms = [
      'Alice.Smith@Example.COM',
      '  alice.smith@example.com ',
      '<ALICE.SMITH@example.com>',
    ];
    const hexes = new Set(forms.map((f) => emailBlindIndex(key, f).toString('hex')));
    expect(hexes.size).toBe(1);
    expect(
      emailBlindIndex(key, 'alice.smith@example.org').equals(
        emailBlindIndex(key, forms[0] as string),
      ),
    ).toBe(false);
  });

  it('is HMAC-SHA256(key, domain || 0x00 || value), not a plain hash', () => {
    const expected = createHmac('sha256', key)
      .update(`${BLIND_INDEX_DOMAINS.emailAddress}\u0000a@b.example`)
      .digest();
    expect(emailBlindIndex(key, 'a@b.example').equals(expected)).toBe(true);
    expect(
      emailBlindIndex(key, 'a@b.example').equals(
        createHash('sha256').update('a@b.example').digest(),
      ),
    ).toBe(false);
  });

  it('differs across domains for the same value', () => {
    const v = 'abc@example.com';
    expect(
      blindIndex(key, BLIND_INDEX_DOMAINS.emailAddress, v).equals(
        blindIndex(key, BLIND_INDEX_DOMAINS.messageId, v),
      ),
    ).toBe(false);
    expect(emailBlindIndex(key, v).equals(messageIdBlindIndex(key, `<${v}>`))).toBe(false);
  });

  it('differs across index keys (tenants)', () => {
    expect(
      emailBlindIndex(key, 'a@b.example').equals(emailBlindIndex(randomBytes(32), 'a@b.example')),
    ).toBe(false);
  });

  it('keeps domain and value apart (domain may not contain NUL)', () => {
    expect(() => blindIndex(key, 'a\u0000b', 'c')).toThrow(TypeError);
    expect(blindIndex(key, 'ab', 'c').equals(blindIndex(key, 'a', 'bc'))).toBe(false);
  });

  it('refuses short keys and empty values', () => {
    expect(() => blindIndex(randomBytes(16), 'd', 'v')).toThrow(TypeError);
    expect(() => emailBlindIndex(key, '  <> ')).toThrow(TypeError);
    expect(() => messageIdBlindIndex(key, '')).toThrow(TypeError);
  });
});

describe('normalisation', () => {
  it('email: trim, strip <>, lower-case the whole address, NFC', () => {
    expect(normaliseEmailAddress(' <Bob@Example.Com> ')).toBe('bob@example.com');
    expect(normaliseEmailAddress('Jose\u0301@example.com')).toBe(
      normaliseEmailAddress('JOSÉ@example.com'),
    );
  });

  it('Message-ID: trim, strip <>, drop folding whitespace, case-insensitive', () => {
    expect(normaliseMessageId(' <CAF=abc.DEF@Mail.Gmail.com>\r\n')).toBe(
      'caf=abc.def@mail.gmail.com',
    );
    expect(normaliseMessageId('<abc\r\n @example.com>')).toBe('abc@example.com');
    expect(
      messageIdBlindIndex(key, '<ABC@x.example>').equals(messageIdBlindIndex(key, 'abc@X.example')),
    ).toBe(true);
  });
});
