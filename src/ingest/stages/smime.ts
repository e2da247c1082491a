// S/MIME (RFC 8551 3.2): application/pkcs7-mime carries a CMS object whose kind the smime-type
// parameter names. Only enveloped-data and authEnveloped-data are encrypted. Signed-data is
// "opaque" signing: the sender's MIME entity sits inside the signature, readable by anyone, so it
// is not flagged as encrypted; it is unwrapped and shown as the body instead (mail clients do).
import type { AdapterAttachment, AdapterOutput } from './normalise-types.js';

// The DER content types (RFC 5652 3, RFC 5083 1), tag and length included.
const ENVELOPED = Buffer.from('06092a864886f70d010703', 'hex'); // 1.2.840.113549.1.7.3
const AUTH_ENVELOPED = Buffer.from('060b2a864886f70d0109100117', 'hex'); // 1.2.840.113549.1.9.16.1.23
const SIGNED = Buffer.from('06092a864886f70d010702', 'hex'); // 1.2.840.113549.1.7.2

// Nesting a CMS signed-data needs is 6 levels; a hostile blob gets no deeper walk than this.
const MAX_DEPTH = 12;

interface Tlv {
  tag: number;
  /** Where the tag starts, where its content starts and ends, and where the next element starts. */
  at: number;
  start: number;
  end: number;
  next: number;
}

/**
 * One BER element (X.690) in b[at, limit): definite lengths (DER) and the indefinite ones Outlook
 * writes, whose content ends at two zero bytes after the last child.
 */
function element(b: Buffer, at: number, limit: number, depth: number): Tlv | null {
  if (at + 2 > limit || depth > MAX_DEPTH) return null;
  const tag = b[at]!;
  if ((tag & 0x1f) === 0x1f) return null;
  let length = b[at + 1]!;
  let start = at + 2;
  if (length === 0x80) {
    if ((tag & 0x20) === 0) return null;
    let i = start;
    while (i + 2 <= limit && (b[i] !== 0 || b[i + 1] !== 0)) {
      const child = element(b, i, limit, depth + 1);
      if (!child) return null;
      i = child.next;
    }
    return i + 2 <= limit ? { tag, at, start, end: i, next: i + 2 } : null;
  }
  if (length > 0x80) {
    const n = length & 0x7f;
    if (n > 4 || start + n > limit) return null;
    length = 0;
    for (let k = 0; k < n; k++) length = length * 256 + b[start + k]!;
    start += n;
  }
  return start + length <= limit
    ? { tag, at, start, end: start + length, next: start + length }
    : null;
}

/** The first `n` children of a constructed element (fewer when it has fewer), or null if broken. */
function children(b: Buffer, parent: Tlv, n: number, depth: number): Tlv[] | null {
  const out: Tlv[] = [];
  for (let i = parent.start; i < parent.end && out.length < n;) {
    const child = element(b, i, parent.end, depth + 1);
    if (!child) return null;
    out.push(child);
    i = child.next;
  }
  return out;
}

const isOid = (b: Buffer, t: Tlv | undefined, oid: Buffer) =>
  t !== undefined && t.tag === 0x06 && b.subarray(t.at, t.end).equals(oid);

/**
 * The content type that opens a CMS ContentInfo: SEQUENCE { contentType OID, [0] content }. Only
 * the SEQUENCE's header is read, so a cut or partly broken object still tells its kind.
 */
function contentInfo(der: Buffer): { type: Tlv; content: Tlv | null } | null {
  if (der[0] !== 0x30 || der.length < 2) return null;
  const lengthByte = der[1]!;
  if (lengthByte > 0x84) return null;
  const start = lengthByte <= 0x80 ? 2 : 2 + (lengthByte & 0x7f);
  const type = element(der, start, der.length, 1);
  if (type?.tag !== 0x06) return null;
  return { type, content: element(der, type.next, der.length, 1) };
}

/** An OCTET STRING's bytes; BER may split it into a constructed string of pieces. */
function octets(b: Buffer, t: Tlv, depth: number): Buffer | null {
  if (t.tag === 0x04) return b.subarray(t.start, t.end);
  if (t.tag !== 0x24) return null;
  const pieces = children(b, t, Number.POSITIVE_INFINITY, depth);
  const bytes = pieces?.map((p) => octets(b, p, depth + 1));
  return bytes && bytes.every((x) => x !== null) ? Buffer.concat(bytes) : null;
}

/**
 * The MIME entity an opaque-signed body wraps: ContentInfo → [0] SignedData → its third field,
 * EncapsulatedContentInfo → [0] eContent. Null when the object is no signed-data or is broken.
 */
export function signedContent(der: Buffer): Buffer | null {
  const info = contentInfo(der);
  if (!info || !isOid(der, info.type, SIGNED) || info.content?.tag !== 0xa0) return null;
  const signedData = children(der, info.content, 1, 1)?.[0];
  if (signedData?.tag !== 0x30) return null;
  const encap = children(der, signedData, 3, 2)?.[2];
  if (encap?.tag !== 0x30) return null;
  const explicit = children(der, encap, 2, 3)?.[1];
  const eContent = explicit?.tag === 0xa0 ? children(der, explicit, 1, 4)?.[0] : undefined;
  return eContent ? octets(der, eContent, 5) : null;
}

type SmimeKind = 'encrypted' | 'signed' | null;

/**
 * The declared smime-type decides; older clients send none (x-pkcs7-mime, or octet-stream named
 * .p7m), and then the CMS object does.
 */
function smimeKind(a: AdapterAttachment): SmimeKind {
  // RFC 8551 3.2.2: some agents send the object as application/octet-stream named *.p7m.
  const octetP7m =
    a.contentType === 'application/octet-stream' && /\.p7m$/i.test((a.filename ?? '').trim());
  if (!octetP7m && !/^application\/(x-)?pkcs7-mime$/.test(a.contentType)) return null;
  const declared = (a.typeParams?.['smime-type'] ?? '').trim().toLowerCase();
  if (declared === 'enveloped-data' || declared === 'authenveloped-data') return 'encrypted';
  if (declared === 'signed-data') return 'signed';
  if (declared !== '') return null;
  const info = contentInfo(a.content);
  if (!info) return null;
  if (isOid(a.content, info.type, ENVELOPED) || isOid(a.content, info.type, AUTH_ENVELOPED))
    return 'encrypted';
  return isOid(a.content, info.type, SIGNED) ? 'signed' : null;
}

export const isSmimeEncrypted = (a: AdapterAttachment): boolean => smimeKind(a) === 'encrypted';

// Signed again inside the signature ("triple wrapping", RFC 2634 1.1) is unwrapped this deep.
const MAX_WRAPPING = 3;

/** The entity inside one opaque-signed object, and inside any signed again within it. */
async function unwrap(
  object: Buffer,
  parse: (entity: Buffer) => Promise<AdapterOutput>,
  depth: number,
): Promise<AdapterOutput | null> {
  const entity = signedContent(object);
  if (!entity) return null;
  const inner = await parse(entity);
  const only = inner.attachments[0];
  if (depth >= MAX_WRAPPING || inner.text !== null || inner.html !== null) return inner;
  if (inner.attachments.length !== 1 || !only || smimeKind(only) !== 'signed') return inner;
  return (await unwrap(only.content, parse, depth + 1)) ?? inner;
}

/**
 * A message whose whole body is an opaque-signed S/MIME object shows the entity it wraps: its
 * text, HTML and files, as mail clients show it. The signature is not verified; the object stays
 * listed after those files, as a detached signature (smime.p7s) of multipart/signed does. An
 * object that does not unwrap, or whose content the parser refuses, is the message's one file.
 */
export async function withSignedContent(
  out: AdapterOutput,
  parse: (entity: Buffer) => Promise<AdapterOutput>,
): Promise<AdapterOutput> {
  const only = out.attachments[0];
  if (out.text !== null || out.html !== null || out.attachments.length !== 1 || !only) return out;
  if (smimeKind(only) !== 'signed') return out;
  try {
    const inner = await unwrap(only.content, parse, 1);
    if (!inner) return out;
    return {
      ...out,
      text: inner.text,
      html: inner.html,
      attachments: [...inner.attachments, only],
    };
  } catch {
    return out;
  }
}
