import { createHmac, timingSafeEqual } from 'node:crypto';

import { encodeFields } from './aad.js';
import { base32Decode, base32Encode } from './base32.js';

// Inlet's outbound Message-IDs are signed, so a reply referencing one can be trusted to belong to
// the tenant that sent it (threading rule 1) and cannot be forged from another tenant.
//
//   <inlet.{id}.{mac}@{domain}>
//   id  = the outbound row's UUID as 16 bytes, base32 (RFC 4648, lower-case, unpadded): 26 chars
//   mac = HMAC-SHA256(secret, lp('inlet.outbound-message-id.v1') lp(tenantId) lp(outboundId)),
//         first 15 bytes (120 bits), base32: 24 chars; lp() = 4-byte length prefix + UTF-8
//
// Everything is lower-case, so the id still verifies after a mail system re-cases it. The domain
// is not signed: it is the sending mailbox's domain, and the MAC already binds id and tenant.
// tenantId is used exactly as given (pass the canonical lower-case UUID in both directions).

const LABEL = 'inlet.outbound-message-id.v1';
const MAC_BYTES = 15;
const MIN_SECRET_BYTES = 32;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const DOMAIN_RE =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;
const ID_RE = /^inlet\.([a-z2-7]{26})\.([a-z2-7]{24})@([^@\s<>]+)$/;

export function makeOutboundMessageId(
  secret: Buffer,
  tenantId: string,
  outboundId: string,
  domain: string,
): string {
  checkSecret(secret);
  checkTenant(tenantId);
  const id = typeof outboundId === 'string' ? outboundId.toLowerCase() : '';
  if (!UUID_RE.test(id)) throw new TypeError('outboundId must be a UUID');
  const host = typeof domain === 'string' ? domain.toLowerCase() : '';
  // Also the header-injection guard: no CR/LF, spaces, brackets or '@' can reach the header.
  if (!DOMAIN_RE.test(host)) throw new TypeError('domain must be an ASCII (punycode) host name');
  const idBytes = Buffer.from(id.replaceAll('-', ''), 'hex');
  return `<inlet.${base32Encode(idBytes)}.${base32Encode(mac(secret, tenantId, id))}@${host}>`;
}

/** The outbound id when `messageId` is a genuine Inlet Message-ID of this tenant, else null. */
export function verifyOutboundMessageId(
  secret: Buffer,
  tenantId: string,
  messageId: string,
): { outboundId: string } | null {
  checkSecret(secret);
  checkTenant(tenantId);
  if (typeof messageId !== 'string' || messageId.length > 1000) return null;
  let s = messageId.trim();
  if (s.startsWith('<') && s.endsWith('>')) s = s.slice(1, -1);
  const m = ID_RE.exec(s.toLowerCase());
  if (!m) return null;
  const idBytes = base32Decode(m[1] as string, 16);
  const given = base32Decode(m[2] as string, MAC_BYTES);
  if (!idBytes || !given) return null;
  const hex = idBytes.toString('hex');
  const outboundId = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return timingSafeEqual(given, mac(secret, tenantId, outboundId)) ? { outboundId } : null;
}

function mac(secret: Buffer, tenantId: string, outboundId: string): Buffer {
  return createHmac('sha256', secret)
    .update(encodeFields([LABEL, tenantId, outboundId]))
    .digest()
    .subarray(0, MAC_BYTES);
}

function checkSecret(secret: Buffer): void {
  if (!Buffer.isBuffer(secret) || secret.length < MIN_SECRET_BYTES) {
    throw new TypeError(`Message-ID secret must be at least ${MIN_SECRET_BYTES} bytes`);
  }
}

function checkTenant(tenantId: string): void {
  if (typeof tenantId !== 'string' || tenantId === '')
    throw new TypeError('tenantId must be a non-empty string');
}
