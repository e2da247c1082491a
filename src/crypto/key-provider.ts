import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject } from 'node:crypto';

import { encodeFields } from './aad.js';
import { CryptoError, MissingKeyError } from './crypto-error.js';
import { KEK_ID_RE, type KeyringEntry } from './keyring-spec.js';
import { writeNonce } from './nonce.js';

export {
  formatKeyringSpec,
  generateKek,
  type KeyringEntry,
  parseKeyringSpec,
} from './keyring-spec.js';

// Key-encryption keys (KEKs) wrap data keys. The interface is small on purpose so a cloud KMS or
// Vault transit can replace the local keyring: the active key wraps, every key in the ring unwraps.

export interface WrappedKey {
  kekId: string;
  wrapped: Buffer;
}

export interface KeyProvider {
  /** 'keyring' (INLET_MASTER_KEYS: the operator adds and removes keys) or 'vault' (Inlet rotates and destroys). */
  readonly kind: 'keyring' | 'vault';
  readonly activeKeyId: string;
  keyIds(): readonly string[];
  /** `context` is bound as AAD (e.g. dataKeyContext(tenantId, keyRowId)): a copy on another row fails to unwrap. */
  wrap(plainKey: Buffer, context: string): Promise<WrappedKey>;
  /** MissingKeyError if `w.kekId` is not in the ring; CryptoError on any other failure. */
  unwrap(w: WrappedKey, context: string): Promise<Buffer>;
  /** A new KEK becomes active (providers Inlet can rotate itself). Returns its id. */
  rotate?(): Promise<string>;
  /** Destroys a retired KEK for good: nothing wrapped under it opens again, backups included. */
  destroy?(kekId: string): Promise<void>;
  /** True when the provider knows `kekId` was destroyed (a restored backup older than the window). */
  isDestroyed?(kekId: string): boolean;
}

// Local wrapped-key format v1: 0x01 version | 0x01 AES-256-GCM | 12-byte nonce | ciphertext | 16-byte tag.
// AAD = the 2 format bytes || length-prefixed ('inlet.kek-wrap.v1', kekId, context), so the stored
// kek_id cannot be swapped either.
const WRAP_VERSION = 0x01;
const WRAP_ALG = 0x01;
const WRAP_NONCE_AT = 2;
const WRAP_HEADER = 14;
const TAG_BYTES = 16;
const WRAP_LABEL = 'inlet.kek-wrap.v1';

/** The conventional wrap context for a data key row. */
export function dataKeyContext(tenantId: string, keyRowId: string): string {
  for (const part of [tenantId, keyRowId]) {
    if (typeof part !== 'string' || part === '' || part.includes(':')) {
      throw new TypeError('tenantId and keyRowId must be non-empty and contain no ":"');
    }
  }
  return `data-key:${tenantId}:${keyRowId}`;
}

export function makeLocalKeyProvider(
  keys: readonly KeyringEntry[],
  activeKeyId?: string,
): KeyProvider {
  if (!Array.isArray(keys) || keys.length === 0)
    throw new Error('keyring is empty: at least one key-encryption key is required');
  // KeyObjects keep the bytes out of anything that gets inspected or logged, and copy them, so the
  // caller may wipe its buffers.
  const ring = new Map<string, KeyObject>();
  keys.forEach(({ id, key }, i) => {
    if (typeof id !== 'string' || !KEK_ID_RE.test(id))
      throw new Error(`keyring entry #${i + 1} has an invalid id`);
    if (!Buffer.isBuffer(key) || key.length !== 32)
      throw new Error(`keyring entry #${i + 1} is not a 32-byte key`);
    if (ring.has(id)) throw new Error(`keyring entry #${i + 1} repeats an earlier id`);
    ring.set(id, createSecretKey(Buffer.from(key)));
  });
  const ids = Object.freeze([...ring.keys()]);
  const active = activeKeyId ?? (ids[ids.length - 1] as string);
  const activeKey = ring.get(active);
  if (!activeKey) throw new Error('the active key id is not in the keyring');

  return Object.freeze({
    kind: 'keyring' as const,
    activeKeyId: active,
    keyIds: () => ids,

    async wrap(plainKey: Buffer, context: string): Promise<WrappedKey> {
      if (!Buffer.isBuffer(plainKey) || plainKey.length === 0)
        throw new TypeError('plainKey must be a non-empty Buffer');
      requireContext(context);
      const out = Buffer.allocUnsafe(WRAP_HEADER + plainKey.length + TAG_BYTES);
      out[0] = WRAP_VERSION;
      out[1] = WRAP_ALG;
      writeNonce(out, WRAP_NONCE_AT);
      const cipher = createCipheriv(
        'aes-256-gcm',
        activeKey,
        out.subarray(WRAP_NONCE_AT, WRAP_HEADER),
        { authTagLength: TAG_BYTES },
      );
      cipher.setAAD(encodeFields([WRAP_LABEL, active, context], out.subarray(0, WRAP_NONCE_AT)));
      let at = WRAP_HEADER + cipher.update(plainKey).copy(out, WRAP_HEADER);
      at += cipher.final().copy(out, at);
      cipher.getAuthTag().copy(out, at);
      return { kekId: active, wrapped: out };
    },

    async unwrap(w: WrappedKey, context: string): Promise<Buffer> {
      requireContext(context);
      if (
        typeof w !== 'object' ||
        w === null ||
        typeof w.kekId !== 'string' ||
        !Buffer.isBuffer(w.wrapped)
      ) {
        throw new CryptoError('malformed', 'The wrapped key is malformed.');
      }
      const kek = ring.get(w.kekId);
      if (!kek) throw new MissingKeyError(w.kekId);
      const { wrapped } = w;
      if (wrapped.length <= WRAP_HEADER + TAG_BYTES)
        throw new CryptoError('malformed', 'The wrapped key is malformed.');
      if (wrapped[0] !== WRAP_VERSION)
        throw new CryptoError(
          'unsupported_version',
          'The wrapped key has an unsupported format version.',
        );
      if (wrapped[1] !== WRAP_ALG)
        throw new CryptoError(
          'unsupported_algorithm',
          'The wrapped key names an unsupported algorithm.',
        );
      const tagAt = wrapped.length - TAG_BYTES;
      let plain: Buffer | undefined;
      try {
        const decipher = createDecipheriv(
          'aes-256-gcm',
          kek,
          wrapped.subarray(WRAP_NONCE_AT, WRAP_HEADER),
          { authTagLength: TAG_BYTES },
        );
        decipher.setAAD(
          encodeFields([WRAP_LABEL, w.kekId, context], wrapped.subarray(0, WRAP_NONCE_AT)),
        );
        decipher.setAuthTag(wrapped.subarray(tagAt));
        plain = decipher.update(wrapped.subarray(WRAP_HEADER, tagAt));
        decipher.final();
        return plain;
      } catch {
        plain?.fill(0);
        throw new CryptoError('authentication_failed', 'The wrapped key could not be unwrapped.');
      }
    },
  });
}

/**
 * Re-wraps `w` under the provider's active key (key rotation). Returns `w` itself when it already
 * uses the active key. The plaintext key exists only inside this call and is wiped afterwards.
 */
export async function rewrapKey(
  provider: KeyProvider,
  w: WrappedKey,
  context: string,
): Promise<WrappedKey> {
  if (w.kekId === provider.activeKeyId) return w;
  const plain = await provider.unwrap(w, context);
  try {
    return await provider.wrap(plain, context);
  } finally {
    plain.fill(0);
  }
}

function requireContext(context: string): void {
  if (typeof context !== 'string' || context === '')
    throw new TypeError('context must be a non-empty string');
}
