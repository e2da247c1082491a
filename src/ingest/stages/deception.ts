// Display-name deception (security.md control 44, bad inputs 17 and 19). Mail clients show the name
// and hide the address, so a name can claim to be someone the address is not. The address itself is
// always the addr-spec the one parser read; these flags only tell the agent to look at it.
import { domainToUnicode } from 'node:url';

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
  'reply_to_impersonation',
] as const;
export type DeceptionFlag = (typeof deceptionFlagNames)[number];

/** The address-shaped tokens of a display name, lower-cased. */
const namedAddresses = (name: string): string[] =>
  name
    .normalize('NFKC')
    .split(separators)
    .filter((t) => t.length <= 254 && addressLike.test(t))
    .map((t) => t.toLowerCase());

/** Flags on a From and the Reply-To beside it; empty when nothing is off. */
export function deceptionFlags(from: Address | null, replyTo: Address[] = []): DeceptionFlag[] {
  if (!from) return [];
  const flags: DeceptionFlag[] = [];
  const name = from.name.normalize('NFKC');
  const real = from.address.toLowerCase();
  if (namedAddresses(from.name).some((a) => a !== real)) flags.push('display_name_address');
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
  if (replyTo.some((r) => replyToImpersonates(from, r))) flags.push('reply_to_impersonation');
  return flags;
}

// Reply-To deception. The helpdesk answers the Reply-To (a new ticket's requester), and the agent
// sees the From: a Reply-To at another organisation that passes itself off as the From sends the
// answer to someone the agent did not mean. A Reply-To elsewhere is ordinary (lists, web forms,
// mailing services); it is flagged only when it also pretends: its display name holds the From's
// address or another address, or its domain imitates the From's.

// Latin letters that Cyrillic and Greek ones (lower case: domains and compared names are lowered)
// and digits pass for, as in Unicode's confusables; applied before "rn" → "m" and "vv" → "w".
const confusable: Record<string, string> = {
  '\u0430': 'a',
  '\u0435': 'e',
  '\u043e': 'o',
  '\u0440': 'p',
  '\u0441': 'c',
  '\u0443': 'y',
  '\u0445': 'x',
  '\u0456': 'i',
  '\u0458': 'j',
  '\u0455': 's',
  '\u04bb': 'h',
  '\u0501': 'd',
  '\u051d': 'w',
  '\u03bf': 'o',
  '\u03b1': 'a',
  '\u03bd': 'v',
  '\u03b9': 'i',
  '\u03ba': 'k',
  '\u03c1': 'p',
  '0': 'o',
  '1': 'l',
  '|': 'l',
};
const skeleton = (s: string): string =>
  Array.from(s.normalize('NFKC').toLowerCase(), (c) => confusable[c] ?? c)
    .join('')
    .replace(/rn/g, 'm')
    .replace(/vv/g, 'w')
    .replace(/[-_]/g, '');

const domainOf = (address: string): string => {
  const d = address.slice(address.lastIndexOf('@') + 1).toLowerCase();
  // An IDN in its ASCII form (xn--…) is compared as the letters a reader is shown.
  return d.includes('xn--') ? domainToUnicode(d) || d : d;
};

// The organisation's domain without the Public Suffix List: the last two labels, or three under a
// two-letter country code with a short second level (co.uk, com.au, ne.jp). Subdomains of one
// organisation (help.acme.example, mail.acme.example) count as the same sender.
function organisation(domain: string): { registered: string; label: string } {
  const labels = domain.split('.');
  const n = labels.length >= 3 && labels.at(-1)!.length === 2 && labels.at(-2)!.length <= 3 ? 3 : 2;
  return { registered: labels.slice(-n).join('.'), label: labels.at(-n) ?? domain };
}

function replyToImpersonates(from: Address, replyTo: Address): boolean {
  const fromDomain = domainOf(from.address);
  const rtDomain = domainOf(replyTo.address);
  if (!fromDomain || !rtDomain || !replyTo.address.includes('@')) return false;
  const f = organisation(fromDomain);
  const r = organisation(rtDomain);
  if (f.registered === r.registered) return false;
  const real = replyTo.address.toLowerCase();
  const claims = namedAddresses(replyTo.name).some((a) => a !== real);
  // acme.example.evil.test, acme.example-help.test: the From's domain worn as a prefix.
  const worn = rtDomain.startsWith(`${f.registered}.`) || rtDomain.startsWith(`${f.registered}-`);
  // acrne.example, аcme.example (Cyrillic а), acme.test: the From's name under another spelling or TLD.
  const imitated = skeleton(r.label) === skeleton(f.label);
  return claims || worn || imitated;
}
