// UTF-7 (RFC 2152), still written by old Outlook versions in headers and bodies. libmime refuses it
// on purpose ("+ADw-script+AD4-" is "<script>" to whoever decodes it later); Inlet decodes it
// before anything else looks at the text, so the sanitiser and the agent see what the sender wrote.
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_VALUE = new Map([...B64].map((c, i) => [c, i]));

export const isUtf7Label = (label: string | null | undefined): boolean =>
  /^(?:unicode-1-1-)?utf-?7$/i.test((label ?? '').trim());

/** UTF-7 text → string. Malformed shifts keep their characters as written. */
export function decodeUtf7(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch !== '+') {
      out += ch;
      continue;
    }
    if (text[i + 1] === '-') {
      out += '+';
      i++;
      continue;
    }
    let j = i + 1;
    let bits = 0;
    let acc = 0;
    const units: number[] = [];
    for (; j < text.length && B64_VALUE.has(text[j]!); j++) {
      acc = (acc << 6) | B64_VALUE.get(text[j]!)!;
      bits += 6;
      if (bits >= 16) {
        bits -= 16;
        units.push((acc >> bits) & 0xffff);
        acc &= (1 << bits) - 1;
      }
    }
    if (units.length === 0) {
      out += ch;
      continue;
    }
    out += String.fromCharCode(...units);
    // The '-' that ends a shift is absorbed; any other character ends it and is kept.
    i = text[j] === '-' ? j : j - 1;
  }
  return out;
}
