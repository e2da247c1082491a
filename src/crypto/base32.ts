// RFC 4648 base32, lower-case, unpadded: case-insensitive once lower-cased, which matters for ids
// that travel through mail systems that may re-case them.

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

export function base32Encode(bytes: Uint8Array): string {
  let out = '';
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(acc >>> bits) & 31];
    }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(acc << (5 - bits)) & 31];
  return out;
}

/** Decodes exactly `byteLength` bytes; null unless `text` is the one canonical encoding of them. */
export function base32Decode(text: string, byteLength: number): Buffer | null {
  if (text.length !== Math.ceil((byteLength * 8) / 5)) return null;
  const out = Buffer.alloc(byteLength);
  let acc = 0;
  let bits = 0;
  let at = 0;
  for (const ch of text) {
    const v = ALPHABET.indexOf(ch);
    if (v < 0) return null;
    acc = (acc << 5) | v;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[at++] = (acc >>> bits) & 0xff;
    }
    acc &= (1 << bits) - 1;
  }
  return acc === 0 ? out : null; // leftover padding bits must be zero
}
