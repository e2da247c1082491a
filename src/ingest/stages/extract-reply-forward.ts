// A message that is nothing but an earlier message forwarded, with no word of the person's: the
// forwarded message is the request (a customer passes on what they received), so its text is the
// reply, below its header block. Clients write such a forward plain ("---------- Forwarded
// message ---------" over "From: / Date: / Subject:"), '>'-quote all of it (Apple Mail's
// "> Begin forwarded message:" in the user's language) or quote only the forwarded text under a
// plain header (Missive); each leaves nothing once the forward is taken off as a quote.
import { isQuoteLine, Lines } from './extract-reply-lines.js';
import { forwardHeaderAt, headerBlockEnd } from './extract-reply-quote.js';
import { FORWARD_CAPTION, ORIGINAL_MESSAGE } from './extract-reply-vocab.js';
import { isBlank } from './reply-signature.js';

/**
 * The forwarded message's text (one '>' level taken off, header block and caption left out) when
 * `lines` open with a forward, or null. Only called when extraction left nothing of the person's.
 */
export function forwardedText(lines: string[]): string | null {
  const flat = new Lines(lines.map((l) => (isQuoteLine(l) ? l.replace(/^\s*[>|][ \t]?/, '') : l)));
  let first = 0;
  while (first < flat.length && flat.clean(first) === '') first++;
  if (first >= flat.length) return null;
  const header = forwardHeaderAt(flat, first);
  let start: number;
  if (header !== -1) start = headerBlockEnd(flat, header) + 1;
  // A caption with no header block under it ("Begin forwarded message:" then the text).
  else if (FORWARD_CAPTION.test(flat.clean(first)) || ORIGINAL_MESSAGE.test(flat.clean(first)))
    start = first + 1;
  else return null;
  const body = flat.raw.slice(start);
  return body.some((l) => !isBlank(l)) ? body.join('\n') : null;
}
