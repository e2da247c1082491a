// Display-name deception (security.md control 44, bad inputs 17 and 19). Mail clients show the name
// and hide the address, so a name can claim to be someone the address is not. The address itself is
// always the addr-spec the one parser read; these flags only tell the agent to look at it.
import type { Address } from '../types.js';

// Something shaped like an address: local@domain.tld, matched per token (NFKC first, so a fullwidth
// ＠ counts too). Tokens, not a search over the whole name: an unanchored pattern rescans from every
// position, and a megabyte of name would take minutes. No address is longer than 254 characters.
const separators = /[\s<>()[\]"',;:]+/u;
const addressLike = /^[^@]+@[^@]+\.[^@.]{2,}$/u;
// Bidi embeddings, overrides and isolates: they reorder what the agent reads ("\u202Emoc.elpmaxe@ceo"
// shows as "ceo@example.com"). Not the marks (LRM, RLM, ALM): they cannot reverse a run of letters,
// and clients put them into Hebrew and Arabic names.
const bidi = /[\u202a-\u202e\u2066-\u2069]/u;
const latin = /\p{Script=Latin}/u;
// The scripts whose letters pass for Latin ones (Cyrillic а, е, о, р, с; Greek ο, ν, Α, Β).
const lookalike = /[\p{Script=Cyrillic}\p{Script=Greek}]/u;
// Cyrillic and Greek letters that look like Latin ones (Unicode confusables, the common part).
const disguised =
  /^[\u0410\u0412\u0415\u041a\u041c\u041d\u041e\u0420\u0421\u0422\u0425\u0430\u0435\u043e\u0440\u0441\u0443\u0445\u0456\u0458\u0455\u04bb\u0501\u051d\u0391\u0392\u0395\u0396\u0397\u0399\u039a\u039c\u039d\u039f\u03a1\u03a4\u03a5\u03a7\u03bf\u03bd]+$/u;

export const deceptionFlagNames = [
  'display_name_address',
  'local_part_address',
  'bidi_control',
  'mixed_script',
] as const;
export type DeceptionFlag = (typeof deceptionFlagNames)[number];

/** Flags on a From; empty when nothing is off. */
export function deceptionFlags(from: Address | null): DeceptionFlag[] {
  if (!from) return [];
  const flags: DeceptionFlag[] = [];
  const name = from.name.normalize('NFKC');
  const real = from.address.toLowerCase();
  const named = name
    .split(separators)
    .filter((t) => t.length <= 254 && addressLike.test(t))
    .map((t) => t.toLowerCase());
  if (named.some((a) => a !== real)) flags.push('display_name_address');
  // `"victim@corp.example x"@evil.example`: a quoted local part that reads as another address
  // (nodemailer GHSA-mm7p-fcc7-pg87); the mail is from evil.example whatever it looks like.
  const at = from.address.lastIndexOf('@');
  if (at > 0 && from.address.slice(0, at).includes('@')) flags.push('local_part_address');
  if (bidi.test(from.name) || bidi.test(from.address)) flags.push('bidi_control');
  // One word in two scripts ("Pаypal" with a Cyrillic а), or beside Latin words one spelt only
  // with Cyrillic/Greek letters that pass for Latin ("Рау Smith" reads "Pay Smith"). A name
  // wholly in one script is just a name ("Вера Иванова").
  const words = `${name} ${from.address}`.split(/[\s@.,"'()<>_-]+/u);
  const nameWords = name.split(/[\s.,"'()<>_-]+/u);
  if (
    words.some((w) => latin.test(w) && lookalike.test(w)) ||
    (nameWords.some((w) => latin.test(w)) && nameWords.some((w) => disguised.test(w)))
  )
    flags.push('mixed_script');
  return flags;
}
