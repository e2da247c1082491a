// The charset an HTML part declares inside itself (<meta charset> or an http-equiv Content-Type),
// for a part whose MIME header names none: browsers read such a page in that charset (HTML's
// encoding sniffing: transport label first, then the meta prescan of the first 1024 bytes), and a
// byte-frequency guess on a few accented letters can pick a CJK charset instead.
import { decodeTransfer } from './mime-charsets.js';
import { knownCharset } from './normalise-values.js';

const PRESCAN_BYTES = 1024;

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
    if ((bare || httpEquiv) && knownCharset(label)) return label.toLowerCase();
  }
  return null;
}
