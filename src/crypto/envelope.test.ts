import { createDecipheriv, randomBytes } from 'node:crypto';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { encodeFields } from './aad.js';
import { CryptoError } from './crypto-error.js';
import {
  type Aad,
  dataKeyIdOf,
  ENVELOPE_OVERHEAD,
  generateDataKey,
  open,
  openText,
  seal,
} from './envelope.js';
import type { SealedField } from './sealed-fields.js';

const aad: Aad = {
  tenantId: 'f3b1c2d4-0000-4000-8000-000000000001',
  scope: 'mbx-1',
  field: 'messages.body_text',
  rowId: 'row-1',
};

function expectCryptoError(f: () => unknown): CryptoError {
  let result: unknown;
  try {
    result = f();
  } catch (e) {
    expect(e).toBeInstanceOf(CryptoError);
    expect((e as CryptoError).code).toBe('decryption_failed');
    expect((e as CryptoError).status).toBe(500);
    return e as CryptoError;
  }
  throw new Error(
    `expected a CryptoError, got a result of ${String((result as Buffer)?.length)} bytes`,
  );
}

describe('seal / open round trips', () => {
  const dek = generateDataKey();

  it.each([
    ['empty string', ''],
    ['ascii', 'Hello, world'],
    ['unicode', 'Grüße, 世界 — 🚀 naïve café\u0000nul'],
  ])('%s', (_name, text) => {
    const sealed = seal(dek, text, aad);
    expect(sealed.length).toBe(Buffer.byteLength(text) + ENVELOPE_OVERHEAD);
    expect(openText(dek, sealed, aad)).toBe(text);
  });

  it('5 MB of random bytes', () => {
    const data = randomBytes(5 * 1024 * 1024);
    const sealed = seal(dek, data, aad);
    expect(sealed.subarray(30, 30 + 4096).equals(data.subarray(0, 4096))).toBe(false);
    expect(open(dek, sealed, aad).equals(data)).toBe(true);
  });

  it('records the data key id so callers can find the key', () => {
    expect(dataKeyIdOf(seal(dek, 'x', aad))).toBe(dek.id);
  });

  it('follows a DataKey object whose id changes between calls', () => {
    const k = generateDataKey();
    seal(k, 'x', aad);
    const other = generateDataKey().id;
    k.id = other;
    expect(dataKeyIdOf(seal(k, 'x', aad))).toBe(other);
    k.id = 'not-a-uuid';
    expect(() => seal(k, 'x', aad)).toThrow(TypeError);
  });

  it('generates distinct 256-bit data keys with UUID ids', () => {
    const a = generateDataKey();
    const b = generateDataKey();
    expect(a.key.length).toBe(32);
    expect(a.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a.id).not.toBe(b.id);
    expect(a.key.equals(b.key)).toBe(false);
  });
});

describe('format v1 is plain AES-256-GCM with the documented layout', () => {
  it.each([0, 17, 256 * 1024 + 3])('decrypts with bare node:crypto (%i bytes)', (size) => {
    const dek = generateDataKey();
    const data = randomBytes(size);
    const sealed = seal(dek, data, aad);
    expect(sealed[0]).toBe(0x01);
    expect(sealed[1]).toBe(0x01);
    expect(sealed.subarray(2, 18).toString('hex')).toBe(dek.id.replaceAll('-', ''));
    const header = sealed.subarray(0, 30);
    const d = createDecipheriv('aes-256-gcm', dek.key, sealed.subarray(18, 30));
    d.setAAD(
      encodeFields(['inlet.envelope.v1', aad.tenantId, aad.scope, aad.field, aad.rowId], header),
    );
    d.setAuthTag(sealed.subarray(sealed.length - 16));
    const pt = Buffer.concat([d.update(sealed.subarray(30, sealed.length - 16)), d.final()]);
    expect(pt.equals(data)).toBe(true);
  });
});

describe('tampering fails closed', () => {
  const dek = generateDataKey();
  const secret = 'refresh-token-1//0gABCDEF';
  const sealed = seal(dek, secret, aad);

  it('any flipped bit → CryptoError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(), (bytes, pick) => {
        const s = seal(dek, Buffer.from(bytes), aad);
        const bit = pick % (s.length * 8);
        const t = Buffer.from(s);
        t[bit >> 3] = (t[bit >> 3] as number) ^ (1 << (bit & 7));
        expectCryptoError(() => open(dek, t, aad));
      }),
      { numRuns: 2000 },
    );
  });

  it.each<[string, Partial<Aad>]>([
    ['another row', { rowId: 'row-2' }],
    ['another field', { field: 'messages.subject' }],
    ['another tenant', { tenantId: 'f3b1c2d4-0000-4000-8000-000000000002' }],
    ['another scope', { scope: 'tenant' }],
  ])('ciphertext moved to %s → CryptoError', (_name, change) => {
    expectCryptoError(() => open(dek, sealed, { ...aad, ...change }));
  });

  it('AAD fields are length-prefixed, not joined (("ab","c") ≠ ("a","bc"))', () => {
    const s = seal(dek, 'x', { ...aad, field: 'ab' as SealedField, rowId: 'c' });
    expectCryptoError(() => open(dek, s, { ...aad, field: 'a' as SealedField, rowId: 'bc' }));
    const s2 = seal(dek, 'x', { ...aad, field: 'a:b' as SealedField, rowId: 'c' });
    expectCryptoError(() => open(dek, s2, { ...aad, field: 'a' as SealedField, rowId: 'b:c' }));
  });

  it('every truncation and an extension → CryptoError', () => {
    for (let len = 0; len < sealed.length; len++)
      expectCryptoError(() => open(dek, sealed.subarray(0, len), aad));
    expectCryptoError(() => open(dek, Buffer.concat([sealed, Buffer.of(0)]), aad));
    expectCryptoError(() => dataKeyIdOf(sealed.subarray(0, 20)));
  });

  it('wrong data key → CryptoError', () => {
    const other = generateDataKey();
    expect(expectCryptoError(() => open(other, sealed, aad)).reason).toBe('wrong_key');
    // Same id, different key bytes (e.g. a corrupted key row).
    expect(expectCryptoError(() => open({ id: dek.id, key: other.key }, sealed, aad)).reason).toBe(
      'authentication_failed',
    );
  });

  it('the header is authenticated: a rewritten key id fails even under a key with that id', () => {
    const other = generateDataKey();
    const t = Buffer.from(sealed);
    t.write(other.id.replaceAll('-', ''), 2, 16, 'hex');
    expect(dataKeyIdOf(t)).toBe(other.id);
    expectCryptoError(() => open({ id: other.id, key: dek.key }, t, aad));
  });

  it('unknown version or algorithm → CryptoError', () => {
    for (const [at, value, reason] of [
      [0, 0x02, 'unsupported_version'],
      [1, 0x02, 'unsupported_algorithm'],
    ] as const) {
      const t = Buffer.from(sealed);
      t[at] = value;
      expect(expectCryptoError(() => open(dek, t, aad)).reason).toBe(reason);
      expectCryptoError(() => dataKeyIdOf(t));
    }
  });

  it('error messages carry no plaintext or key material', () => {
    const errors = [
      expectCryptoError(() => open(dek, sealed, { ...aad, rowId: 'row-9' })),
      expectCryptoError(() => open(generateDataKey(), sealed, aad)),
      expectCryptoError(() => open(dek, sealed.subarray(0, 40), aad)),
    ];
    for (const e of errors) {
      const text = `${e.message} ${e.stack ?? ''} ${JSON.stringify(e)}`;
      expect(text).not.toContain(secret);
      expect(text).not.toContain(dek.key.toString('hex'));
      expect(text).not.toContain(dek.key.toString('base64'));
    }
  });

  it('rejects missing context and malformed keys as programming errors', () => {
    expect(() => seal(dek, 'x', { ...aad, rowId: '' })).toThrow(TypeError);
    expect(() => seal({ id: dek.id, key: randomBytes(16) }, 'x', aad)).toThrow(TypeError);
    expect(() => seal({ id: 'not-a-uuid', key: dek.key }, 'x', aad)).toThrow(TypeError);
    expect(() => open(dek, sealed, { ...aad, tenantId: '' })).toThrow(TypeError);
  });
});

describe('nonces', () => {
  it('10k seals of the same plaintext use distinct nonces and ciphertexts', () => {
    const dek = generateDataKey();
    const nonces = new Set<string>();
    const bodies = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const s = seal(dek, 'same plaintext every time', aad);
      nonces.add(s.toString('hex', 18, 30));
      bodies.add(s.toString('hex', 30));
    }
    expect(nonces.size).toBe(10_000);
    expect(bodies.size).toBe(10_000);
  });
});
