import { randomBytes } from 'node:crypto';

// The keyring config string: `id1:BASE64,id2:BASE64` (base64 or base64url, 32-byte keys).
// Error messages name the entry by its 1-based position and never echo any part of the entry,
// because a malformed entry may be nothing but key text.

export interface KeyringEntry {
  id: string;
  key: Buffer;
}

export const KEK_ID_RE = /^[a-z0-9_-]{1,32}$/;
const KEY_BYTES = 32;
// 32 bytes = 43 base64 characters plus an optional '=' pad.
const KEY_TEXT_RE = /^[A-Za-z0-9+/_-]{43}=?$/;

export function parseKeyringSpec(spec: string): KeyringEntry[] {
  if (typeof spec !== 'string' || spec.trim() === '') throw new Error('keyring spec is empty');
  const entries = spec.split(',').map((s) => s.trim());
  const seen = new Map<string, number>();
  return entries.map((entry, i) => {
    const where = `keyring entry #${i + 1}`;
    const colon = entry.indexOf(':');
    if (colon < 0) throw new Error(`${where} is not of the form id:BASE64KEY`);
    const id = entry.slice(0, colon).trim();
    const keyText = entry.slice(colon + 1).trim();
    if (!KEK_ID_RE.test(id))
      throw new Error(`${where} has an invalid id (expected [a-z0-9_-]{1,32})`);
    if (!KEY_TEXT_RE.test(keyText)) {
      throw new Error(`${where} (id "${id}") does not hold a 32-byte key in base64 or base64url`);
    }
    const key = Buffer.from(keyText, 'base64'); // Node's decoder reads both alphabets
    if (key.length !== KEY_BYTES) {
      key.fill(0);
      throw new Error(`${where} (id "${id}") does not hold a 32-byte key in base64 or base64url`);
    }
    const earlier = seen.get(id);
    if (earlier !== undefined)
      throw new Error(`${where} repeats the id "${id}" of entry #${earlier}`);
    seen.set(id, i + 1);
    return { id, key };
  });
}

export function formatKeyringSpec(keys: readonly KeyringEntry[]): string {
  return keys
    .map(({ id, key }, i) => {
      if (!KEK_ID_RE.test(id)) throw new Error(`keyring entry #${i + 1} has an invalid id`);
      if (!Buffer.isBuffer(key) || key.length !== KEY_BYTES)
        throw new Error(`keyring entry #${i + 1} is not a 32-byte key`);
      return `${id}:${key.toString('base64')}`;
    })
    .join(',');
}

/** A new random KEK. The default id ('k' + UTC yyyymmddHHMMSS) sorts by creation time. */
export function generateKek(id?: string, now: Date = new Date()): KeyringEntry {
  const kekId = id ?? `k${now.toISOString().replace(/[-:T]/g, '').slice(0, 14)}`;
  if (!KEK_ID_RE.test(kekId)) throw new Error('key id must match [a-z0-9_-]{1,32}');
  return { id: kekId, key: randomBytes(KEY_BYTES) };
}
