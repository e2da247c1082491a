import { createHmac } from 'node:crypto';

// Blind indexes let the store look up encrypted values by equality without holding them in clear:
//   index = HMAC-SHA256(indexKey, domain || 0x00 || normalisedValue)
// indexKey is per tenant, so the same address in two tenants gives unrelated indexes; the domain
// separates index kinds under one key, so an email index can never equal a Message-ID index.
// The domain may not contain 0x00, which makes the split between domain and value unambiguous.
// Leakage, as with any blind index: equality and frequency of values within one tenant.

export const BLIND_INDEX_DOMAINS = {
  emailAddress: 'inlet.email-address.v1',
  messageId: 'inlet.message-id.v1',
  attachmentContent: 'inlet.attachment-content.v1',
} as const;

const MIN_INDEX_KEY_BYTES = 32;

export function blindIndex(indexKey: Buffer, domain: string, value: string): Buffer {
  if (!Buffer.isBuffer(indexKey) || indexKey.length < MIN_INDEX_KEY_BYTES) {
    throw new TypeError(`index key must be at least ${MIN_INDEX_KEY_BYTES} bytes`);
  }
  if (typeof domain !== 'string' || domain === '' || domain.includes('\0')) {
    throw new TypeError('domain must be a non-empty string without NUL');
  }
  if (typeof value !== 'string') throw new TypeError('value must be a string');
  return createHmac('sha256', indexKey)
    .update(domain, 'utf8')
    .update(NUL)
    .update(value, 'utf8')
    .digest();
}
const NUL = Buffer.of(0);

/**
 * Email addresses (an addr-spec, optionally in <>; display names are the address parser's job):
 * trimmed, NFC-normalised and lower-cased as a whole. RFC 5321 lets a local part be case-sensitive,
 * but no mainstream mailbox provider treats it so, and a missed match (a reply not threaded, an
 * export missing mail) is the worse failure.
 */
export function normaliseEmailAddress(s: string): string {
  return stripAngles(s.trim()).normalize('NFC').toLowerCase();
}

/**
 * Message-IDs: trimmed, surrounding <> removed, all whitespace removed (folded References lines
 * can split an id), and lower-cased as a whole. RFC 5322 compares the left part case-sensitively,
 * but gateways and clients in the wild re-case ids in References/In-Reply-To, and generated ids
 * are random enough that two distinct ids differing only in case do not occur in practice. The
 * index is per tenant, so the worst a false match could do is thread within one tenant — whereas
 * a missed match splits a conversation into a new ticket.
 */
export function normaliseMessageId(s: string): string {
  return stripAngles(s.trim()).replace(/\s+/g, '').normalize('NFC').toLowerCase();
}

export function emailBlindIndex(indexKey: Buffer, address: string): Buffer {
  return blindIndex(
    indexKey,
    BLIND_INDEX_DOMAINS.emailAddress,
    nonEmpty(normaliseEmailAddress(address), 'email address'),
  );
}

export function messageIdBlindIndex(indexKey: Buffer, messageId: string): Buffer {
  return blindIndex(
    indexKey,
    BLIND_INDEX_DOMAINS.messageId,
    nonEmpty(normaliseMessageId(messageId), 'Message-ID'),
  );
}

/**
 * An attachment's stored fingerprint: the keyed index of its SHA-256. Identical bytes in one
 * tenant's mail compare equal; without the tenant's index key nobody can test whether a known file
 * was received (a plain SHA-256 in a dump would confirm it, even after the mailbox key is destroyed).
 */
export function attachmentDigest(indexKey: Buffer, sha256Hex: string): Buffer {
  return blindIndex(
    indexKey,
    BLIND_INDEX_DOMAINS.attachmentContent,
    nonEmpty(sha256Hex.toLowerCase(), 'attachment digest'),
  );
}

function stripAngles(s: string): string {
  return s.startsWith('<') && s.endsWith('>') ? s.slice(1, -1).trim() : s;
}

// Indexing "" would make every empty value match every other; that is always a caller bug.
function nonEmpty(v: string, what: string): string {
  if (v === '') throw new TypeError(`${what} is empty after normalisation`);
  return v;
}
