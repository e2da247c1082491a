// The push token is verified once per push: the route checks it before reading the body and the
// receiver checks it again, and the second check must not cost another RS256 verification. Only
// the identical token string is remembered, and only until it expires.
import { createLocalJWKSet, exportJWK, generateKeyPair, type JWTVerifyGetKey, SignJWT } from 'jose';
import { describe, expect, test } from 'vitest';

import type { GoogleConfig } from '../../config.js';
import { makeLogger } from '../../lib/logger.js';
import type { Db } from '../../store/db.js';
import type { KeyService } from '../../tenancy/key-service.js';
import { makeGmailPushReceiver } from './gmail-push-receiver.js';

const account = 'push@inlet-unit.iam.gserviceaccount.com';
const audience = 'https://inlet.unit/v1/webhooks/google/pubsub';

async function setup() {
  const google = await generateKeyPair('RS256');
  const stranger = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(google.publicKey)), kid: 'k1', alg: 'RS256' };
  const local = createLocalJWKSet({ keys: [jwk] });
  let lookups = 0;
  const jwks: JWTVerifyGetKey = (header, token) => {
    lookups++;
    return local(header, token);
  };
  const receiver = makeGmailPushReceiver({
    db: null as unknown as Db, // authentic() reads no database
    keys: null as unknown as KeyService,
    logger: makeLogger({ level: 'silent' }),
    google: { pushAudience: audience, pushServiceAccount: account } as GoogleConfig,
    jwks,
  });
  const sign = (key: Parameters<SignJWT['sign']>[0], expSeconds: number, email = account) =>
    new SignJWT({ email, email_verified: true })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1', typ: 'JWT' })
      .setIssuer('https://accounts.google.com')
      .setAudience(audience)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + expSeconds)
      .sign(key);
  return { receiver, sign, google, stranger, lookups: () => lookups };
}

describe('gmail push token', () => {
  test('a token checked by the route is not verified again by the receiver', async () => {
    const s = await setup();
    const token = await s.sign(s.google.privateKey, 3600);
    expect(await s.receiver.authentic(`Bearer ${token}`)).toBe(true);
    expect(await s.receiver.authentic(`Bearer ${token}`)).toBe(true);
    expect(s.lookups()).toBe(1);
    // Another genuine token is verified on its own.
    const other = await s.sign(s.google.privateKey, 1800);
    expect(await s.receiver.authentic(`Bearer ${other}`)).toBe(true);
    expect(s.lookups()).toBe(2);
  });

  test('a forged or foreign token is refused every time, and a remembered one only until it expires', async () => {
    const s = await setup();
    const forged = await s.sign(s.stranger.privateKey, 3600);
    expect(await s.receiver.authentic(`Bearer ${forged}`)).toBe(false);
    expect(await s.receiver.authentic(`Bearer ${forged}`)).toBe(false);
    const foreign = await s.sign(s.google.privateKey, 3600, 'someone@else.iam.gserviceaccount.com');
    expect(await s.receiver.authentic(`Bearer ${foreign}`)).toBe(false);
    expect(await s.receiver.authentic(`Bearer ${foreign}`)).toBe(false);
    // Valid for one more second: remembered, then verified again (and refused past the tolerance).
    const short = await s.sign(s.google.privateKey, 1);
    expect(await s.receiver.authentic(`Bearer ${short}`)).toBe(true);
    const before = s.lookups();
    await new Promise((r) => setTimeout(r, 1100));
    expect(await s.receiver.authentic(`Bearer ${short}`)).toBe(true); // within jose's 30 s tolerance
    expect(s.lookups()).toBe(before + 1);
  });
});
