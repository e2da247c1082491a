import { randomBytes, randomUUID } from 'node:crypto';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { base32Decode, base32Encode } from './base32.js';
import { makeOutboundMessageId, verifyOutboundMessageId } from './message-id.js';

const secret = randomBytes(32);
const tenantA = randomUUID();
const tenantB = randomUUID();

describe('outbound Message-IDs', () => {
  const outboundId = randomUUID();
  const id = makeOutboundMessageId(secret, tenantA, outboundId, 'Support.Example.com');

  it('has the documented shape and verifies for its tenant', () => {
    expect(id).toMatch(/^<inlet\.[a-z2-7]{26}\.[a-z2-7]{24}@support\.example\.com>$/);
    expect(verifyOutboundMessageId(secret, tenantA, id)).toEqual({ outboundId });
  });

  it('still verifies after re-casing, without brackets, with whitespace', () => {
    expect(verifyOutboundMessageId(secret, tenantA, id.toUpperCase())).toEqual({ outboundId });
    expect(verifyOutboundMessageId(secret, tenantA, ` ${id.slice(1, -1)}\r\n`)).toEqual({
      outboundId,
    });
  });

  it('fails for another tenant or another secret', () => {
    expect(verifyOutboundMessageId(secret, tenantB, id)).toBeNull();
    expect(verifyOutboundMessageId(randomBytes(32), tenantA, id)).toBeNull();
  });

  it('fails when any character of the id or mac is changed', () => {
    const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
    const start = '<inlet.'.length;
    const end = id.indexOf('@');
    fc.assert(
      fc.property(
        fc.integer({ min: start, max: end - 1 }),
        fc.integer({ min: 1, max: 31 }),
        (pos, shift) => {
          const ch = id[pos] as string;
          if (ch === '.') return;
          const swapped = alphabet[(alphabet.indexOf(ch) + shift) % 32] as string;
          const forged = id.slice(0, pos) + swapped + id.slice(pos + 1);
          expect(verifyOutboundMessageId(secret, tenantA, forged)).toBeNull();
        },
      ),
      { numRuns: 500 },
    );
  });

  it('an id signed for tenant B cannot be passed off as tenant A', () => {
    const forged = makeOutboundMessageId(secret, tenantB, outboundId, 'support.example.com');
    expect(verifyOutboundMessageId(secret, tenantA, forged)).toBeNull();
  });

  it('returns null (never throws) for arbitrary input', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        expect(verifyOutboundMessageId(secret, tenantA, s)).toBeNull();
      }),
    );
    expect(verifyOutboundMessageId(secret, tenantA, '<abc@mail.gmail.com>')).toBeNull();
  });

  it('refuses domains that could inject into a header, non-UUID ids and short secrets', () => {
    for (const bad of [
      'example.com\r\nBcc: x@evil.example',
      'a b.example',
      'x>@evil',
      '',
      '[127.0.0.1]',
    ]) {
      expect(() => makeOutboundMessageId(secret, tenantA, outboundId, bad)).toThrow(TypeError);
    }
    expect(() => makeOutboundMessageId(secret, tenantA, '42', 'example.com')).toThrow(TypeError);
    expect(() =>
      makeOutboundMessageId(randomBytes(16), tenantA, outboundId, 'example.com'),
    ).toThrow(TypeError);
  });
});

describe('base32', () => {
  it('round-trips and accepts only the canonical encoding', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 40 }), (bytes) => {
        const text = base32Encode(bytes);
        expect(base32Decode(text, bytes.length)?.equals(Buffer.from(bytes))).toBe(true);
      }),
    );
    expect(base32Encode(Buffer.from('foobar'))).toBe('mzxw6ytboi'); // RFC 4648 test vector, lower-cased
    expect(base32Decode('mzxw6ytboj', 6)).toBeNull(); // non-zero padding bits
    expect(base32Decode('mzxw6ytbo1', 6)).toBeNull();
  });
});
