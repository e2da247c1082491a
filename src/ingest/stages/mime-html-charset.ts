// The charset an HTML part declares inside itself (<meta charset> or an http-equiv Content-Type),
// for a part whose MIME header names none: browsers read such a page in that charset (HTML's
// encoding sniffing: transport label first, then the meta prescan of the first 1024 bytes), and a
// byte-frequency guess on a few accented letters can pick a CJK charset instead. An HTML document
// sent under a text/plain label (it opens with a tag) declares its charset the same way.
import { decodeTransfer } from './mime-charsets.js';
import { knownCharset } from './normalise-values.js';

const PRESCAN_BYTES = 1024;

/**
 * Whether a part's body opens with markup (a tag, a comment or a doctype after blank space): an
 * HTML document, whatever its MIME type says. Plain text that merely mentions a tag further in
 * does not count.
 */
export function opensWithMarkup(latin1Body: string, cte: string): boolean {
  const head = decodeTransfer(
    Buffer.from(latin1Body.slice(0, 512), 'latin1'),
    cte.trim().toLowerCase(),
  );
  return /^(?:\xef\xbb\xbf)?\s*<[!a-z]/i.test(head);
}

/** The known charset the HTML's first 1024 bytes declare, or null. */
export function htmlMetaCharset(latin1Body: string, cte: string): string | null {
  const head = decodeTransfer(
    Buffer.from(latin1Body.slice(0, PRESCAN_BYTES * 2), 'latin1'),
    cte.trim().toLowerCase(),
  ).slice(0, PRESCAN_BYTES);
  for (const meta of head.matchAll(/<meta\b[^>]*>/gi)) {
    const tag = meta[0];
    const direct = /\bcharset\s*=\s*["']?\s*([\w.:-]+)/i.exec(tag);
    const label = direct?.[1];
    if (!label) continue;
    // A bare charset attribute, or one inside the content of an http-equiv Content-Type.
    const httpEquiv = /\bhttp-equiv\s*=\s*["']?\s*content-type/i.test(tag);
    // The charset attribute itself, outside any quoted attribute value.
    const bare = /^<meta\b(?:[^>"']|"[^"]*"|'[^']*')*?\scharset\s*=/i.test(tag);
    if ((bare || httpEquiv) && fits(label, latin1Body, cte)) return label.toLowerCase();
  }
  return null;
}

/**
 * Whether the declared charset reads the part's bytes without an error: a page that says UTF-8
 * (or Shift_JIS) over bytes that are not is mislabelled, and the guess reads it better. UTF-16 and
 * UTF-32 in a meta are never right (HTML reads them as UTF-8).
 */
function fits(label: string, latin1Body: string, cte: string): boolean {
  if (!knownCharset(label) || /^(utf-?16|utf-?32|ucs-?2|ucs-?4|unicode)/i.test(label)) return false;
  const bytes = Buffer.from(
    decodeTransfer(Buffer.from(latin1Body, 'latin1'), cte.trim().toLowerCase()),
    'latin1',
  );
  try {
    // stream: the sample may end inside a character.
    new TextDecoder(label, { fatal: true }).decode(bytes, { stream: true });
    return true;
  } catch (e) {
    // A label Node's decoder lacks (one mailparser's iconv-lite reads) is taken as declared.
    return e instanceof RangeError;
  }
}
