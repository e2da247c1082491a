// The fake's stand-in for Google's signing keys. One RS256 key signs both ID tokens and Pub/Sub
// push OIDC tokens (Google uses the same certs for both); a second key of the same `kid` exists
// only to forge tokens in tests. Public halves are served as JWKS (/oauth2/v3/certs) and as a
// kid → PEM map (/oauth2/v1/certs, the format google-auth-library's Node path fetches).
import { randomBytes } from 'node:crypto';

import type { CryptoKey, JWK, JWTPayload } from 'jose';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT } from 'jose';

export interface SigningKeys {
  kid: string;
  jwks: { keys: JWK[] };
  pemCerts: Record<string, string>;
  sign(claims: JWTPayload, which?: 'google' | 'forged', kid?: string): Promise<string>;
}

export async function makeSigningKeys(): Promise<SigningKeys> {
  const kid = randomBytes(20).toString('hex');
  const real = await generateKeyPair('RS256', { extractable: true });
  const forged = await generateKeyPair('RS256', { extractable: true });
  const jwk = await exportJWK(real.publicKey);
  // Real Google certs are X.509; a SubjectPublicKeyInfo PEM verifies identically with
  // node:crypto, which is all google-auth-library does with the value.
  const pem = await exportSPKI(real.publicKey);
  const keyFor = (which: 'google' | 'forged'): CryptoKey =>
    which === 'google' ? real.privateKey : forged.privateKey;
  return {
    kid,
    jwks: { keys: [{ ...jwk, kid, alg: 'RS256', use: 'sig' }] },
    pemCerts: { [kid]: pem },
    async sign(claims, which = 'google', useKid = kid) {
      return new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid: useKid, typ: 'JWT' })
        .sign(keyFor(which));
    },
  };
}
