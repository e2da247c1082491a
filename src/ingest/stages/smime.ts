// S/MIME (RFC 8551 3.2): application/pkcs7-mime carries a CMS object whose kind the smime-type
// parameter names. Only enveloped-data and authEnveloped-data are encrypted; signed-data ("opaque"
// signing, the text wrapped inside the signature) and compressed-data are readable by anyone, so
// they are not flagged as encrypted.
import type { AdapterAttachment } from './normalise-types.js';

const ENCRYPTED_TYPES = new Set(['enveloped-data', 'authenveloped-data']);

// The DER content types (RFC 5652 3, RFC 5083 1) of the two encrypted kinds, tag and length included.
const ENCRYPTED_OIDS = [
  Buffer.from('06092a864886f70d010703', 'hex'), // id-envelopedData 1.2.840.113549.1.7.3
  Buffer.from('060b2a864886f70d0109100117', 'hex'), // id-ct-authEnvelopedData 1.2.840.113549.1.9.16.1.23
];

/**
 * The content type that opens a CMS ContentInfo: SEQUENCE { contentType OID, ... }. The SEQUENCE's
 * length may be short, long or (BER, as Outlook writes it) indefinite; anything else is no CMS.
 */
function contentTypeOid(der: Buffer): Buffer | null {
  if (der[0] !== 0x30 || der.length < 4) return null;
  const lengthByte = der[1]!;
  const at = lengthByte <= 0x80 ? 2 : 2 + (lengthByte & 0x7f);
  if (lengthByte > 0x84 || der[at] !== 0x06) return null;
  return der.subarray(at, at + 2 + (der[at + 1] ?? 0));
}

/**
 * True for an S/MIME encrypted body. The declared smime-type decides; older clients send none
 * (or x-pkcs7-mime), and then the CMS object's own content type does.
 */
export function isSmimeEncrypted(a: AdapterAttachment): boolean {
  if (!/^application\/(x-)?pkcs7-mime$/.test(a.contentType)) return false;
  const declared = (a.typeParams?.['smime-type'] ?? '').trim().toLowerCase();
  if (declared !== '') return ENCRYPTED_TYPES.has(declared);
  const oid = contentTypeOid(a.content);
  return oid !== null && ENCRYPTED_OIDS.some((o) => o.equals(oid));
}
