// Header values read the same whatever the MIME library: bytes to text in the likeliest charset,
// unfolded fields, Message-ID lists, dates and whether a charset label can be decoded.
import { decodeWords } from 'postal-mime';

import { decodeUnknownBytes } from './header-charset.js';

const MAX_REFERENCES = 200;

/** Bytes held as a latin1 string → text: UTF-8 when valid, else the most plausible of the declared
 * and likely charsets (header-charset.ts); `guessed` tells the caller to flag charset_fallback. */
export function bytesToText(
  latin1: string,
  candidates: string[] = [],
): { text: string; guessed: boolean } {
  // Raw ISO-2022-JP (7-bit escape sequences, no RFC 2047) is common in Japanese mail headers.
  // eslint-disable-next-line no-control-regex
  if (/\x1b(\$[@B]|\(B)/.test(latin1)) {
    try {
      return {
        text: new TextDecoder('iso-2022-jp', { fatal: true }).decode(Buffer.from(latin1, 'latin1')),
        guessed: false,
      };
    } catch {
      // not valid ISO-2022-JP after all
    }
  }
  // eslint-disable-next-line no-control-regex
  if (!/[^\x00-\x7f]/.test(latin1)) return { text: latin1, guessed: false };
  // Only now the bytes: most header lines are plain ASCII and returned above.
  const { text, guessed } = decodeUnknownBytes(Buffer.from(latin1, 'latin1'), candidates);
  return { text, guessed };
}

/** Unfolded top-level header fields in order, values decoded (8-bit and RFC 2047). */
export function headerFields(
  topHeaders: string,
  charsets: string[] = [],
): { fields: { key: string; value: string }[]; guessed: boolean } {
  const fields: { key: string; value: string }[] = [];
  let guessed = false;
  for (const line of topHeaders.split(/\r?\n(?![ \t])/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    if (!/^[\x21-\x39\x3b-\x7e]+$/.test(key)) continue;
    const decoded = bytesToText(
      line
        .slice(colon + 1)
        .replace(/\r?\n[ \t]/g, ' ')
        .trim(),
      charsets,
    );
    guessed ||= decoded.guessed;
    fields.push({ key, value: decoded.text });
  }
  return { fields, guessed };
}

export function decodeHeaderValue(value: string): string {
  try {
    return decodeWords(value);
  } catch {
    return value;
  }
}

export function normaliseMessageId(value: string | null | undefined): string | null {
  if (!value) return null;
  const bracketed = /<([^<>\s]+)>/.exec(value);
  const id = (bracketed?.[1] ?? value.trim().split(/\s+/)[0] ?? '').replace(/^<|>$/g, '').trim();
  return id === '' ? null : id;
}

/** Message-IDs in In-Reply-To/References order; tolerates missing brackets and junk between ids. */
export function messageIdList(values: string[]): string[] {
  const ids: string[] = [];
  for (const value of values) {
    const bracketed = [...value.matchAll(/<([^<>\s]+)>/g)].map((m) => m[1]!);
    const found =
      bracketed.length > 0 ? bracketed : value.split(/[\s,]+/).filter((t) => t.includes('@'));
    for (const id of found) if (!ids.includes(id)) ids.push(id);
  }
  // The first id is the thread root; keep it plus the most recent ones.
  return ids.length > MAX_REFERENCES
    ? [ids[0]!, ...ids.slice(ids.length - MAX_REFERENCES + 1)]
    : ids;
}

/** RFC 5322 date → Date, or null for anything unparseable or absurd. */
export function parseMailDate(value: string): Date | null {
  const cleaned = value
    .replace(/\([^)]*\)/g, ' ')
    .replace(/\b(UT|GMT|UTC|Z)\b/i, '+0000')
    .replace(/^\s*[A-Za-z]{3,},?\s*/, '')
    .replace(/(\d{1,2}):(\d{2})(?::(\d{2}))?\.\d+/, '$1:$2:$3')
    .replace(/\s+/g, ' ')
    .trim();
  const twoDigitYear = /^(\d{1,2} [A-Za-z]{3,} )(\d{2})( .*)$/.exec(cleaned);
  const candidate = twoDigitYear
    ? `${twoDigitYear[1]}${Number(twoDigitYear[2]) < 50 ? 2000 + Number(twoDigitYear[2]) : 1900 + Number(twoDigitYear[2])}${twoDigitYear[3]}`
    : cleaned;
  const ms = Date.parse(candidate);
  if (Number.isNaN(ms)) return null;
  const year = new Date(ms).getUTCFullYear();
  return year >= 1970 && year <= 2200 ? new Date(ms) : null;
}

/** Whether some decoder reads this charset label (TextDecoder, or one iconv-lite knows under another name). */
export function knownCharset(label: string): boolean {
  const decodes = (l: string) => {
    try {
      new TextDecoder(l);
      return true;
    } catch {
      return false;
    }
  };
  // mailparser's decoder (iconv-lite) reads a label with its punctuation dropped ('latin-1' is
  // latin1) and Microsoft's ms9xx code page names, so those are known too.
  const bare = label
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
  return (
    decodes(label.trim()) ||
    /^(ks_c_5601-1987|cp-?\d{3,5}|iso-?8859-\d+(-i)?|windows-\d{3,5}|x-mac-\w+|macintosh|ascii|us-ascii|utf-?8|7bit|8bit)$/i.test(
      label.trim(),
    ) ||
    /^ms9(32|36|49|50)$/.test(bare) ||
    (bare !== '' && !/^utf7|^unicode11utf7/.test(bare) && decodes(bare))
  );
}
