import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { CryptoError, MissingKeyError } from './crypto-error.js';
import {
  dataKeyContext,
  formatKeyringSpec,
  generateKek,
  makeLocalKeyProvider,
  parseKeyringSpec,
  rewrapKey,
} from './key-provider.js';

const ctx = dataKeyContext('tenant-a', 'key-row-1');

async function rejectsWith<T extends Error>(
  p: Promise<unknown>,
  cls: new (...a: never[]) => T,
): Promise<T> {
  const outcome = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(outcome).toBeInstanceOf(cls);
  return outcome as T;
}

describe('local key provider', () => {
  it('rotation: wrap with k1, read with [k1,k2], rewrap to k2, then retire k1', async () => {
    const k1 = generateKek('k1');
    const k2 = generateKek('k2');
    const dek = randomBytes(32);
    const w1 = await makeLocalKeyProvider([k1]).wrap(dek, ctx);
    expect(w1.kekId).toBe('k1');

    const both = makeLocalKeyProvider([k1, k2]);
    expect(both.activeKeyId).toBe('k2');
    expect(both.keyIds()).toEqual(['k1', 'k2']);
    expect((await both.unwrap(w1, ctx)).equals(dek)).toBe(true);

    const w2 = await rewrapKey(both, w1, ctx);
    expect(w2.kekId).toBe('k2');
    expect(w2.wrapped.equals(w1.wrapped)).toBe(false);
    expect(await rewrapKey(both, w2, ctx)).toBe(w2);

    const onlyK2 = makeLocalKeyProvider([k2]);
    expect((await onlyK2.unwrap(w2, ctx)).equals(dek)).toBe(true);
    const missing = await rejectsWith(onlyK2.unwrap(w1, ctx), MissingKeyError);
    expect(missing.keyId).toBe('k1');
    expect(missing.code).toBe('decryption_failed');
  });

  it('an explicit active id overrides "last entry is active"', async () => {
    const p = makeLocalKeyProvider([generateKek('a'), generateKek('b')], 'a');
    expect(p.activeKeyId).toBe('a');
    expect((await p.wrap(randomBytes(32), ctx)).kekId).toBe('a');
    expect(() => makeLocalKeyProvider([generateKek('a')], 'zz')).toThrow(/active key id/);
  });

  it('refuses an empty keyring, duplicates and bad keys', () => {
    expect(() => makeLocalKeyProvider([])).toThrow(/empty/);
    const k = generateKek('a');
    expect(() => makeLocalKeyProvider([k, { id: 'a', key: randomBytes(32) }])).toThrow(/#2/);
    expect(() => makeLocalKeyProvider([{ id: 'a', key: randomBytes(16) }])).toThrow(/#1/);
    expect(() => makeLocalKeyProvider([{ id: 'A B', key: randomBytes(32) }])).toThrow(/#1/);
  });

  it('binds the context: a wrapped key copied to another row fails to unwrap', async () => {
    const p = makeLocalKeyProvider([generateKek('k1')]);
    const w = await p.wrap(randomBytes(32), ctx);
    const e = await rejectsWith(p.unwrap(w, dataKeyContext('tenant-a', 'key-row-2')), CryptoError);
    expect(e).not.toBeInstanceOf(MissingKeyError);
    await rejectsWith(p.unwrap(w, dataKeyContext('tenant-b', 'key-row-1')), CryptoError);
  });

  it('binds the kek id: relabelling a wrapped key with another ring key fails', async () => {
    const p = makeLocalKeyProvider([generateKek('k1'), generateKek('k2')], 'k1');
    const w = await p.wrap(randomBytes(32), ctx);
    await rejectsWith(p.unwrap({ kekId: 'k2', wrapped: w.wrapped }, ctx), CryptoError);
  });

  it('any flipped bit in a wrapped key → CryptoError', async () => {
    const p = makeLocalKeyProvider([generateKek('k1')]);
    const w = await p.wrap(randomBytes(32), ctx);
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: w.wrapped.length * 8 - 1 }), async (bit) => {
        const t = Buffer.from(w.wrapped);
        t[bit >> 3] = (t[bit >> 3] as number) ^ (1 << (bit & 7));
        await rejectsWith(p.unwrap({ kekId: 'k1', wrapped: t }, ctx), CryptoError);
      }),
      { numRuns: 500 },
    );
    await rejectsWith(
      p.unwrap({ kekId: 'k1', wrapped: w.wrapped.subarray(0, 20) }, ctx),
      CryptoError,
    );
  });

  it('keeps its own copy of the keys and never shows them', async () => {
    const k = generateKek('k1');
    const copy = Buffer.from(k.key);
    const p = makeLocalKeyProvider([k]);
    const dek = randomBytes(32);
    const w = await p.wrap(dek, ctx);
    k.key.fill(0); // the caller wiping its config buffer must not break the provider
    expect((await p.unwrap(w, ctx)).equals(dek)).toBe(true);
    const shown = `${inspect(p, { depth: 10, showHidden: true })} ${JSON.stringify(p)}`;
    expect(shown).not.toContain(copy.toString('base64'));
    expect(shown).not.toContain(copy.toString('hex'));
  });
});

describe('keyring spec', () => {
  it('parses base64 and base64url entries in order, tolerating whitespace', () => {
    const a = randomBytes(32);
    const b = Buffer.from('fb'.repeat(32), 'hex'); // encodes with '-'/'_' in base64url
    const parsed = parseKeyringSpec(
      ` old:${a.toString('base64')} , new_2:${b.toString('base64url')}\n`,
    );
    expect(parsed.map((e) => e.id)).toEqual(['old', 'new_2']);
    expect(parsed[0]?.key.equals(a)).toBe(true);
    expect(parsed[1]?.key.equals(b)).toBe(true);
  });

  it('format → parse round-trips', () => {
    const keys = [generateKek('k1'), generateKek('k2')];
    expect(parseKeyringSpec(formatKeyringSpec(keys))).toEqual(keys);
  });

  it('generateKek ids default to k + UTC yyyymmddHHMMSS', () => {
    expect(generateKek(undefined, new Date('2025-03-04T05:06:07.890Z')).id).toBe('k20250304050607');
    expect(generateKek().id).toMatch(/^k\d{14}$/);
    expect(generateKek().key.length).toBe(32);
    expect(() => generateKek('Bad Id')).toThrow();
  });

  it('names the bad entry by index and never echoes key text', () => {
    const good = randomBytes(32).toString('base64');
    const cases: [string, string, string[]][] = [
      [`a:${good},${good}`, '#2', [good]],
      [`a:${good},b:${randomBytes(31).toString('base64')}`, '#2', []],
      [`a:${good},b:${randomBytes(33).toString('base64')}`, '#2', []],
      [`a:${good.slice(0, 40)}!!!=`, '#1', [good.slice(0, 40)]],
      [`BAD:${good}`, '#1', [good]],
      [`a:${good},a:${good}`, '#2', [good]],
    ];
    for (const [spec, where, secrets] of cases) {
      const keyTexts = [...secrets, ...spec.split(',').map((e) => e.slice(e.indexOf(':') + 1))];
      let message = '';
      try {
        parseKeyringSpec(spec);
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).toContain(where);
      for (const t of keyTexts) expect(message).not.toContain(t);
    }
    expect(() => parseKeyringSpec('')).toThrow(/empty/);
  });

  it('never echoes key text for arbitrary malformed specs', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 8 }).filter((s) => s.trim().length >= 8),
        (junk) => {
          try {
            parseKeyringSpec(`k1:${junk}`);
          } catch (e) {
            expect((e as Error).message).not.toContain(junk.trim());
          }
        },
      ),
    );
  });
});
