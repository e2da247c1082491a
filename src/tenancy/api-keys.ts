// API key format: `inl_<prefix>_<secret>`. The prefix (10 chars) is stored in clear for lookup and
// display; the secret (32 random bytes) is never stored — only SHA-256 of the whole token. A fast
// hash is right here: the token has 256 bits of entropy, so there is nothing to brute-force.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const scopes = [
  'tickets:read',
  'tickets:write',
  'mailboxes:manage',
  'audit:read',
  'api_keys:manage',
  'webhooks:manage',
  'privacy:manage',
] as const;
export type Scope = (typeof scopes)[number];

export interface NewApiKey {
  prefix: string;
  token: string;
  hash: Buffer;
}

const tokenPattern = /^inl_([a-z0-9]{10})_([A-Za-z0-9_-]{43})$/;

export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

export function generateApiKey(): NewApiKey {
  const prefix = randomBytes(10)
    .toString('base64url')
    .replace(/[^a-z0-9]/gi, '')
    .toLowerCase()
    .padEnd(10, '0')
    .slice(0, 10);
  const token = `inl_${prefix}_${randomBytes(32).toString('base64url')}`;
  return { prefix, token, hash: hashToken(token) };
}

/** The lookup prefix of a well-formed token, or null (malformed tokens never reach the database). */
export function tokenPrefix(token: string): string | null {
  return tokenPattern.exec(token)?.[1] ?? null;
}

export function tokenMatches(token: string, storedHash: Buffer): boolean {
  const h = hashToken(token);
  return h.length === storedHash.length && timingSafeEqual(h, storedHash);
}
