// The consent flow's `state` parameter: `<payload>.<mac>`, payload = base64url JSON {t: tenant,
// s: state row id, e: expiry (s)}, mac = HMAC-SHA256 under a key derived from the tenant's signing
// key (domain-separated from outbound Message-IDs). The signature proves Inlet issued it for that
// tenant; the server-side row (oauth_states) makes it single use and holds the PKCE verifier.
import { createHmac, timingSafeEqual } from 'node:crypto';

const LABEL = 'inlet.oauth-state.v1';
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface StateClaims {
  tenantId: string;
  stateId: string;
  expiresAt: number;
}

const subKey = (signingKey: Buffer) => createHmac('sha256', signingKey).update(LABEL).digest();
const mac = (signingKey: Buffer, payload: string) =>
  createHmac('sha256', subKey(signingKey)).update(payload).digest();

export function signState(signingKey: Buffer, c: StateClaims): string {
  const payload = Buffer.from(
    JSON.stringify({ t: c.tenantId, s: c.stateId, e: Math.floor(c.expiresAt / 1000) }),
  ).toString('base64url');
  return `${payload}.${mac(signingKey, payload).toString('base64url')}`;
}

/** Claims read WITHOUT checking the signature — only to learn which tenant's key to check it with. */
export function peekState(state: string): StateClaims | null {
  if (typeof state !== 'string' || state.length > 400) return null;
  const m = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{43})$/.exec(state);
  if (!m) return null;
  try {
    const p = JSON.parse(Buffer.from(m[1]!, 'base64url').toString('utf8')) as {
      t?: unknown;
      s?: unknown;
      e?: unknown;
    };
    if (
      typeof p.t !== 'string' ||
      !UUID_RE.test(p.t) ||
      typeof p.s !== 'string' ||
      !UUID_RE.test(p.s) ||
      typeof p.e !== 'number'
    )
      return null;
    return { tenantId: p.t, stateId: p.s, expiresAt: p.e * 1000 };
  } catch {
    return null;
  }
}

export function verifyStateMac(signingKey: Buffer, state: string): boolean {
  const [payload, sig] = state.split('.');
  if (!payload || !sig) return false;
  const given = Buffer.from(sig, 'base64url');
  const want = mac(signingKey, payload);
  return given.length === want.length && timingSafeEqual(given, want);
}
