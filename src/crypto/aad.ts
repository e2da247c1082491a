// Unambiguous encoding of the strings bound into an AEAD's additional data or an HMAC input.
// Each field is written as a 4-byte big-endian byte length followed by its UTF-8 bytes, so no
// choice of field values can make two different field lists encode to the same bytes
// (a plain join would let ('a:b', 'c') collide with ('a', 'b:c')).

/** Encodes `fields` (length-prefixed), optionally after a fixed-length `prefix` copied in first. */
export function encodeFields(fields: readonly string[], prefix?: Uint8Array): Buffer {
  let total = prefix?.length ?? 0;
  const lengths = new Array<number>(fields.length);
  for (let i = 0; i < fields.length; i++) {
    const len = Buffer.byteLength(fields[i] as string, 'utf8');
    lengths[i] = len;
    total += 4 + len;
  }
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  if (prefix) {
    out.set(prefix, 0);
    at = prefix.length;
  }
  for (let i = 0; i < fields.length; i++) {
    const len = lengths[i] as number;
    out.writeUInt32BE(len, at);
    at += 4;
    at += out.write(fields[i] as string, at, len, 'utf8');
  }
  return out;
}

/** Throws a TypeError (a programming error, not bad data) unless `value` is a non-empty string. */
export function requireNonEmpty(name: string, value: unknown): void {
  if (typeof value !== 'string' || value.length === 0)
    throw new TypeError(`${name} must be a non-empty string`);
}
