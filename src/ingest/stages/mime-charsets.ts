// The charset and decoding helpers of the pre-scan: header blocks that need their bytes repaired,
// the charset a part inherits from its multipart, and the decoding of the small parts it keeps.
import { isUtf8 } from 'node:buffer';

import { hasMislabelledWords, hasRawWords } from './header-charset-words.js';
import { bytesToText, knownCharset } from './normalise-values.js';

/**
 * Raw 8-bit bytes that are no UTF-8, an ISO-2022-JP shift, or encoded words to repair (a block
 * with only a fold inside an encoded word is rewritten too, but needs no charset: hasFoldInWord).
 */
export function needsCharsetRepair(block: string): boolean {
  return (
    (/[\x80-\xff]/.test(block) && !isUtf8(Buffer.from(block, 'latin1'))) ||
    // eslint-disable-next-line no-control-regex -- ESC opens an ISO-2022-JP shift sequence
    /\x1b(\$[@B]|\(B)/.test(block) ||
    hasMislabelledWords(block) ||
    hasRawWords(block)
  );
}

/** Quoted-printable undone, one latin1 character per byte. */
export const qpBytes = (text: string): string =>
  text
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));

/** A part's body with its transfer encoding undone, one latin1 character per byte. */
export function decodeTransfer(body: Buffer, cte: string): string {
  const latin1 = body.toString('latin1');
  if (cte === 'base64') return Buffer.from(latin1, 'base64').toString('latin1');
  return cte === 'quoted-printable' ? qpBytes(latin1) : latin1;
}

export function decodeCapture(body: string, cte: string): string {
  if (cte === 'base64') return Buffer.from(body, 'base64').toString('utf8');
  return bytesToText(cte === 'quoted-printable' ? qpBytes(body) : body).text;
}

/** The charset the nearest enclosing multipart declares, unless it only says ASCII. */
export function inheritedCharset(levelCharset: (string | null)[], depth: number): string | null {
  for (let i = depth - 1; i >= 0; i--) {
    const c = levelCharset[i]?.trim().toLowerCase();
    if (c) return knownCharset(c) && !/^(us-?ascii|ascii)$/.test(c) ? c : null;
  }
  return null;
}

export function encodedWordCharsets(headers: string): string[] {
  const found = new Set<string>();
  for (const m of headers.matchAll(/=\?([^?*\s]+)(?:\*[^?]*)?\?[bBqQ]\?/g))
    found.add(m[1]!.toLowerCase());
  return [...found];
}
