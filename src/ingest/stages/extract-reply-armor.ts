// A PGP clear-signed message (RFC 4880 §7) wraps the person's text in armour: a "BEGIN PGP SIGNED
// MESSAGE" line and its Hash headers above, the signature block below, and a "- " put in front of
// every line of the text that opens with a dash. None of that is the person's text.
const BEGIN_SIGNED = /^-----BEGIN PGP SIGNED MESSAGE-----\s*$/;
const ARMOR_HEADER = /^Hash:\s*\S/i;
const BEGIN_SIGNATURE = /^-----BEGIN PGP SIGNATURE-----\s*$/;
const END_SIGNATURE = /^-----END PGP SIGNATURE-----\s*$/;

/** `lines` with clear-signing armour taken off; lines unchanged when the message is not clear-signed. */
export function withoutPgpArmor(lines: string[]): string[] {
  const begin = lines.findIndex((l) => BEGIN_SIGNED.test(l));
  if (begin === -1) return lines;
  let k = begin + 1;
  while (k < lines.length && ARMOR_HEADER.test(lines[k] ?? '')) k++;
  // The armour headers end with a blank line.
  if (k < lines.length && (lines[k] ?? '').trim() === '') k++;
  const sigStart = lines.findIndex((l, i) => i >= k && BEGIN_SIGNATURE.test(l));
  const end = sigStart === -1 ? lines.length : sigStart;
  let after = end;
  if (sigStart !== -1) {
    const close = lines.findIndex((l, i) => i > sigStart && END_SIGNATURE.test(l));
    after = close === -1 ? lines.length : close + 1;
  }
  const signed = lines.slice(k, end).map((l) => (l.startsWith('- ') ? l.slice(2) : l));
  return [...lines.slice(0, begin), ...signed, ...lines.slice(after)];
}
