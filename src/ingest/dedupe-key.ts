// What makes two deliveries "the same message" (stored once): the same Message-ID AND the same
// content. A Message-ID alone is chosen by the sender, so a buggy or hostile sender reusing one
// would otherwise make later, different mail vanish as a "duplicate". The content is what every
// copy of one message shares whichever mailbox it reached: addresses, subject, date, bodies and
// attachment bytes — not the trace headers (Received, Delivered-To) each delivery adds.
//
// Stored as a blind index (HMAC under the tenant's index key, its own domain), like the
// Message-ID index: equal within a tenant, unrelated across tenants, and no dump can confirm that
// a known message or file was received. The plain digest lives only in memory during ingest.
import { createHash } from 'node:crypto';

import { blindIndex, normaliseMessageId } from '../crypto/index.js';
import type { ParsedMessage } from './types.js';

const DOMAIN = 'inlet.message-dedupe.v1';

/** SHA-256 over the fields every delivered copy of one message shares, length-prefixed so fields cannot run into each other. */
export function contentFingerprint(msg: ParsedMessage): string {
  const h = createHash('sha256');
  // Strings are hashed as their UTF-8 bytes without copying them into a Buffer first (bodies are
  // the bulk of what is hashed here).
  const field = (v: string | Buffer | null) => {
    if (v === null) {
      h.update('-');
      return;
    }
    if (typeof v === 'string') h.update(`${Buffer.byteLength(v, 'utf8')}:`).update(v, 'utf8');
    else h.update(`${v.length}:`).update(v);
  };
  const addrs = (l: { address: string }[]) =>
    field(l.map((a) => a.address.toLowerCase()).join(','));
  addrs(msg.from ? [msg.from] : []);
  addrs(msg.to);
  addrs(msg.cc);
  field(msg.subject);
  field(msg.date ? msg.date.toISOString() : null);
  field(msg.text);
  field(msg.html);
  // Each attachment's SHA-256, which the parser already took of these bytes (attachments-meta.ts).
  for (const a of msg.attachments) field(Buffer.from(a.sha256, 'hex'));
  return h.digest('hex');
}

/** The stored dedupe key: HMAC(index key, domain, normalised Message-ID, content fingerprint). */
export function dedupeKey(indexKey: Buffer, rfcId: string, fingerprint: string): Buffer {
  return blindIndex(indexKey, DOMAIN, `${normaliseMessageId(rfcId)}\n${fingerprint}`);
}

/** Advisory-lock ids for a page's dedupe keys, sorted, so two pages storing one message serialise without deadlocking. */
export function dedupeLockIds(keys: Buffer[]): string[] {
  return [...new Set(keys.map((k) => k.readBigInt64BE(0)))]
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map(String);
}
