// The stand-in a message over INGEST_MAX_MESSAGE_BYTES leaves on a ticket (park-message.ts). The
// message itself is parked (kept encrypted, the original still in the mailbox), but a customer's
// mail that vanished from the helpdesk is the complaint every helpdesk hears about oversize mail
// (security.md bad input 11): so its header block goes through the ordinary pipeline with an empty
// body. The agent sees who wrote, the subject and the `message_too_large` warning on the ticket the
// message would have joined (In-Reply-To, References and the subject token thread it as usual), and
// the requester can be answered. No body part is read: the limit is there so that none is parsed.

/** Headers kept of an oversized message; a header block longer than this is cut at a line end. */
export const stubHeaderBytes = 64 * 1024;

// The body is gone, so headers that describe it would describe nothing (a multipart boundary that
// never comes, a base64 encoding of an empty body).
const bodyHeaders = /^content-(type|transfer-encoding|disposition|id|description|length)\s*:/i;

/** The header block of `raw` (body headers left out) over an empty text body. */
export function oversizeStubRaw(raw: Buffer): Buffer {
  const window = raw.subarray(0, stubHeaderBytes + 4);
  let end = window.indexOf('\r\n\r\n');
  let eol = 2;
  const lf = window.indexOf('\n\n');
  if (lf !== -1 && (end === -1 || lf < end)) [end, eol] = [lf, 1];
  // No blank line within the cap: keep whole lines only, so no header is cut in half.
  const head =
    end !== -1 && end <= stubHeaderBytes
      ? window.subarray(0, end + eol)
      : window.subarray(0, window.subarray(0, stubHeaderBytes).lastIndexOf('\n') + 1);
  const lines = head.toString('latin1').split(/\r?\n/);
  const kept: string[] = [];
  let dropping = false;
  for (const line of lines) {
    if (line === '') continue;
    // A folded continuation belongs to the header above it.
    if (/^[ \t]/.test(line)) {
      if (!dropping) kept.push(line);
      continue;
    }
    dropping = bodyHeaders.test(line);
    if (!dropping) kept.push(line);
  }
  kept.push('Content-Type: text/plain; charset=utf-8', '', '');
  // latin1 round-trips every byte, so 8-bit header values reach the parser as they came.
  return Buffer.from(kept.join('\r\n'), 'latin1');
}
