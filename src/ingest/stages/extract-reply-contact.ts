// A signature block written without a "-- " delimiter or a closing above it: a name line, then
// contact lines (phone, address, web, registration numbers, a logo placeholder), sometimes a
// confidentiality notice under them. Mail clients insert such blocks from the sender's settings;
// reply-signature.ts asks where one starts.

const MAX_LINES = 14;
const MAX_LINE = 100;
const LOGO_LINE = /^\[(?:image|cid|logo)\b/iu;
// What makes a line a contact line, by kind; a block needs two kinds (a phone number alone is
// something a person may write, with a web address and a label it is a signature).
const KINDS: RegExp[] = [
  /(?:^|[\s:*(])\+?\(?\d(?:[\s().-]?\d){6,}/u, // phone
  /[\w.+-]+@[\w-]+\.[\w.-]+/u, // address
  /\bhttps?:\/\/|\bwww\.[\w-]+\./iu, // web
  /^\W*(?:tel|tél|phone|mob(?:ile)?|cell|fax|e-?mail|web(?:site)?|kvk|btw|iban|bic|vat|ust-?id(?:nr)?|[tmfpew])\.?\s*[:.]/iu, // label
  LOGO_LINE, // logo placeholder
];
const NAME = /^\p{Lu}[\p{L}.'-]*(?:\s+\p{L}[\p{L}.'-]*){0,3}$/u;
const DISCLAIMER =
  /confidential|intended (?:only )?for|intended recipient|privileged|disclaimer|vertrouwelijk|vertraulich|confidentiel|confidencial|riservat|poufn|luottamuksellinen|konfidentiell|fortrolig/iu;
// A sentence ends the person's text: the block starts below it.
const SENTENCE_END = /[.!?…]\s*$/u;

/** The name on a line such as "*Jane Roe* | *Manager*" or "Jane Roe, Manager", or null. */
function nameOf(line: string): string | null {
  const name = line
    .replace(/[*_]/g, '')
    .split(/\s[|–—-]\s|,\s/u)[0]!
    .trim();
  return NAME.test(name) ? name : null;
}

// Every kind above has one of these; most lines have none and skip the five patterns. A phone
// needs three digits, which may stand in groups ("06 12 34 56 78", "01.23.45.67.89").
const MAYBE_CONTACT = /\d[\s().-]?\d[\s().-]?\d|@|www\.|https?:|^\W*\p{L}{1,8}\.?\s*[:.]|^\[/iu;
const kindOf = (line: string): number =>
  MAYBE_CONTACT.test(line) ? KINDS.findIndex((re) => re.test(line)) : -1;
// Lines read from the end before giving up when none of them is a contact line.
const LOOKAHEAD = 4;
const MAX_NOTICE = 2000;

/**
 * Index of the blank line above a confidentiality notice that ends `lines` before `end` (its last
 * paragraph), or `end`. `above` says whether the line ending the paragraph above it fits where the
 * caller looks (most texts end in the person's words, and are spared the test).
 */
export function noticeStart(
  lines: string[],
  end: number,
  above: (line: string) => boolean = () => true,
): number {
  let k = end - 1;
  while (k >= 0 && (lines[k] ?? '').trim() !== '') k--;
  let last = k;
  while (last >= 0 && (lines[last] ?? '').trim() === '') last--;
  if (k === end - 1 || last < 0 || !above((lines[last] ?? '').trim())) return end;
  const notice = lines.slice(k + 1, end).join(' ');
  return notice.length <= MAX_NOTICE && DISCLAIMER.test(notice) ? k : end;
}

/**
 * Index of the name line opening a contact block that ends `lines` before `end` (blank lines and a
 * confidentiality notice under it included), or -1.
 */
export function contactBlockStart(lines: string[], end: number): number {
  // A confidentiality notice at the very end belongs to the block above it.
  const stop = noticeStart(lines, end, (line) => kindOf(line) !== -1);
  const kinds = new Set<number>();
  let contact = 0;
  let count = 0;
  let start = -1;
  for (let i = stop - 1; i >= 0; i--) {
    const line = (lines[i] ?? '').trim();
    // The name and the lines under it are one paragraph: a blank line above the name ends the block.
    if (line === '' && start !== -1) break;
    if (line === '') continue;
    if (++count > MAX_LINES || line.length > MAX_LINE || /^>/.test(line)) break;
    if (count > LOOKAHEAD && contact === 0) break;
    const kind = kindOf(line);
    if (kind !== -1) {
      kinds.add(kind);
      contact++;
      // A logo above the name, in its paragraph, is the block's too (a phone or address line
      // there may be the person's "call me at …").
      if (start !== -1 && LOGO_LINE.test(line)) start = i;
      continue;
    }
    // The name line (or a title or company under it, "ACME B.V."): the block starts here if it
    // has enough contact lines under it.
    if (nameOf(line) !== null) {
      if (contact >= 2 && kinds.size >= 2) start = i;
    } else if (SENTENCE_END.test(line)) break;
  }
  if (start <= 0) return -1;
  // The person wrote something above the block.
  return lines.slice(0, start).some((l) => l.trim() !== '') ? start : -1;
}
