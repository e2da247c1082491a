import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';

import { encodeFields, requireNonEmpty } from './aad.js';
import { CryptoError } from './crypto-error.js';
import { writeNonce } from './nonce.js';
import type { SealedField } from './sealed-fields.js';

// Envelope encryption of one stored value under a per-mailbox / per-tenant data key (DEK).
//
// Sealed format v1 (all offsets in bytes):
//   0      1  version         0x01
//   1      1  algorithm       0x01 = AES-256-GCM (96-bit nonce, 128-bit tag)
//   2     16  data key id     the DEK's UUID as 16 raw bytes
//   18    12  nonce           random per value
//   30     n  ciphertext      same length as the plaintext
//   30+n  16  tag
//
// GCM additional data = the 30 header bytes || length-prefixed fields
//   ('inlet.envelope.v1', tenantId, scope, field, rowId)
// so editing the header (version, algorithm, key id, nonce) or moving the value to another
// tenant, scope (mailbox id or 'tenant'), field or row makes authentication fail. The construction
// is plain AES-256-GCM from node:crypto; nothing here is a home-made cipher.

export interface DataKey {
  /** UUID of the key row; recorded in every value sealed with it. */
  id: string;
  /** 32 random bytes. */
  key: Buffer;
}

export interface Aad {
  tenantId: string;
  /** The mailbox id, or 'tenant' for tenant-wide values. */
  scope: string;
  /** Logical column, from the registry in sealed-fields.ts. */
  field: SealedField;
  rowId: string;
}

export const ENVELOPE_VERSION = 0x01;
export const ALG_AES_256_GCM = 0x01;
const KEY_ID_OFFSET = 2;
const NONCE_OFFSET = 18;
export const ENVELOPE_HEADER_BYTES = 30;
const TAG_BYTES = 16;
/** Bytes a sealed value adds to its plaintext. */
export const ENVELOPE_OVERHEAD = ENVELOPE_HEADER_BYTES + TAG_BYTES;
/**
 * NIST SP 800-38D limit for random 96-bit nonces under one key. Nothing counts seals per data key
 * yet, and a mailbox keeps one data key for life (epochs re-wrap it, they do not replace it): at the
 * tens of seals a message takes, a mailbox reaches this after some hundred million messages.
 */
export const MAX_SEALS_PER_DATA_KEY = 2 ** 32;
const AAD_LABEL = 'inlet.envelope.v1';
const KEY_BYTES = 32;
// Large values are encrypted in slices copied into the output, so the only big allocation is the
// output itself; a one-shot update() would allocate a second full-size buffer and then copy it.
const SEAL_SLICE = 256 * 1024;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function generateDataKey(): DataKey {
  return { id: randomUUID(), key: randomBytes(KEY_BYTES) };
}

export function seal(dek: DataKey, plaintext: Buffer | string, aad: Aad): Buffer {
  const keyIdHex = dataKeyIdHex(dek);
  if (keyIdHex === undefined) throw new TypeError('data key must have a UUID id and a 32-byte key');
  checkAad(aad);
  const input = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
  if (!(input instanceof Uint8Array)) throw new TypeError('plaintext must be a Buffer or a string');
  const n = input.length;
  const out = Buffer.allocUnsafe(ENVELOPE_OVERHEAD + n);
  out[0] = ENVELOPE_VERSION;
  out[1] = ALG_AES_256_GCM;
  out.write(keyIdHex, KEY_ID_OFFSET, 16, 'hex');
  writeNonce(out, NONCE_OFFSET);
  const header = out.subarray(0, ENVELOPE_HEADER_BYTES);

  const cipher = createCipheriv(
    'aes-256-gcm',
    dek.key,
    out.subarray(NONCE_OFFSET, ENVELOPE_HEADER_BYTES),
    {
      authTagLength: TAG_BYTES,
    },
  );
  cipher.setAAD(buildAad(header, aad));
  let at = ENVELOPE_HEADER_BYTES;
  for (let from = 0; from < n; from += SEAL_SLICE) {
    at += cipher.update(input.subarray(from, Math.min(from + SEAL_SLICE, n))).copy(out, at);
  }
  at += cipher.final().copy(out, at); // always empty for GCM; copied rather than assumed
  if (at !== ENVELOPE_HEADER_BYTES + n)
    throw new Error('AES-GCM produced an unexpected ciphertext length');
  cipher.getAuthTag().copy(out, at);
  return out;
}

/** Decrypts and authenticates a sealed value. Any failure is a CryptoError; no partial plaintext escapes. */
export function open(dek: DataKey, sealed: Buffer, aad: Aad): Buffer {
  checkAad(aad);
  const sealedKeyIdHex = readHeader(sealed);
  const keyIdHex = dataKeyIdHex(dek);
  if (keyIdHex === undefined)
    throw new CryptoError('wrong_key', 'The data key given is not a valid data key.');
  if (sealedKeyIdHex !== keyIdHex) {
    throw new CryptoError('wrong_key', 'The value was sealed under a different data key.');
  }
  const header = sealed.subarray(0, ENVELOPE_HEADER_BYTES);
  const tagAt = sealed.length - TAG_BYTES;
  let plaintext: Buffer | undefined;
  try {
    const decipher = createDecipheriv(
      'aes-256-gcm',
      dek.key,
      sealed.subarray(NONCE_OFFSET, ENVELOPE_HEADER_BYTES),
      {
        authTagLength: TAG_BYTES,
      },
    );
    decipher.setAAD(buildAad(header, aad));
    decipher.setAuthTag(sealed.subarray(tagAt));
    // One-shot: the buffer update() returns is the result, no copy. It is not released to the
    // caller (and is wiped) unless final() verifies the tag.
    plaintext = decipher.update(sealed.subarray(ENVELOPE_HEADER_BYTES, tagAt));
    decipher.final();
    return plaintext;
  } catch {
    plaintext?.fill(0);
    throw new CryptoError('authentication_failed');
  }
}

export function openText(dek: DataKey, sealed: Buffer, aad: Aad): string {
  return open(dek, sealed, aad).toString('utf8');
}

/** The UUID of the data key a sealed value needs, read from its header (which open() authenticates). */
export function dataKeyIdOf(sealed: Buffer): string {
  const hex = readHeader(sealed);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Validates the fixed header and returns the data key id as 32 lowercase hex digits. */
function readHeader(sealed: Buffer): string {
  if (!Buffer.isBuffer(sealed) || sealed.length < ENVELOPE_OVERHEAD) {
    throw new CryptoError(
      'malformed',
      'The value is not a sealed value (not a Buffer, or too short).',
    );
  }
  if (sealed[0] !== ENVELOPE_VERSION) {
    throw new CryptoError(
      'unsupported_version',
      'The sealed value has an unsupported format version.',
    );
  }
  if (sealed[1] !== ALG_AES_256_GCM) {
    throw new CryptoError(
      'unsupported_algorithm',
      'The sealed value names an unsupported algorithm.',
    );
  }
  return sealed.toString('hex', KEY_ID_OFFSET, NONCE_OFFSET);
}

function buildAad(header: Buffer, aad: Aad): Buffer {
  return encodeFields([AAD_LABEL, aad.tenantId, aad.scope, aad.field, aad.rowId], header);
}

function checkAad(aad: Aad): void {
  if (typeof aad !== 'object' || aad === null) throw new TypeError('aad is required');
  requireNonEmpty('aad.tenantId', aad.tenantId);
  requireNonEmpty('aad.scope', aad.scope);
  requireNonEmpty('aad.field', aad.field);
  requireNonEmpty('aad.rowId', aad.rowId);
}

// Validated key ids, so the UUID check and hex conversion run once per DataKey object rather than
// once per value. Keyed weakly on the object and re-checked against its current id.
const validatedIds = new WeakMap<DataKey, { id: string; hex: string }>();

/** The key id as 32 lower-case hex digits, or undefined when `dek` is not a valid data key. */
function dataKeyIdHex(dek: DataKey): string | undefined {
  if (
    typeof dek !== 'object' ||
    dek === null ||
    !Buffer.isBuffer(dek.key) ||
    dek.key.length !== KEY_BYTES
  )
    return undefined;
  const cached = validatedIds.get(dek);
  if (cached !== undefined && cached.id === dek.id) return cached.hex;
  if (typeof dek.id !== 'string' || !UUID_RE.test(dek.id)) return undefined;
  const hex = dek.id.replaceAll('-', '').toLowerCase();
  validatedIds.set(dek, { id: dek.id, hex });
  return hex;
}
