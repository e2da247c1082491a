// The stand-in a message over INGEST_MAX_MESSAGE_BYTES leaves on a ticket (park-message.ts). The
// message itself is parked (kept encrypted, the original still in the mailbox), but a customer's
// mail that vanished from the helpdesk is the complaint every helpdesk hears about oversize mail
// (security.md bad input 11): so its header block goes through the ordinary pipeline with an empty
// body. The agent sees who wrote, the subject and the `message_too_large` warning on the ticket the
// message would have joined (In-Reply-To, References and the subject token thread it as usual), and
// the requester can be answered. No body part is read: the limit is there so that none is parsed.
// A message the provider reports as too large is never downloaded at all: its stub is made from a
// header-only fetch (MailProvider.fetchHeaders) and what the listing knew (unfetchedStubRaw).

/** Headers kept of an oversized message; a header block longer than this is cut at a line end. */
export const stubHeaderBytes = 64 * 1024;

// The body is gone, so headers that describe it would describe nothing (a multipart boundary that
// never comes, a base64 encoding of an empty body).
const bodyHeaders = /^content-(type|transfer-encoding|disposition|id|description|length)\s*:/i;

/** Header lines of the block at the start of `raw` (body headers left out), folded ones kept folded. */
function stubHeaderLines(raw: Buffer): string[] {
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
  return kept;
}

/** The lines over an empty text body; latin1 round-trips every byte, so 8-bit header values reach
 *  the parser as they came. */
function stubOf(lines: string[]): Buffer {
  return Buffer.from(
    [...lines, 'Content-Type: text/plain; charset=utf-8', '', ''].join('\r\n'),
    'latin1',
  );
}

/** The header block of `raw` (body headers left out) over an empty text body. */
export function oversizeStubRaw(raw: Buffer): Buffer {
  return stubOf(stubHeaderLines(raw));
}

/** What the provider's listing told of a message it did not download. */
export interface ListedFacts {
  rfcMessageId: string | null;
  internalDate: Date | null;
}

// RFC 5322 field name: printable ASCII but the colon. A line that is neither a field nor a folded
// continuation is not a header (a server's banner, a cut line): left out with what folds under it.
const fieldLine = /^[!-9;-~]+:/;
const messageIdField = /^message-id\s*:/i;
const dateField = /^date\s*:/i;

/**
 * The stub of a message never downloaded: the header block the provider's header-only fetch gave
 * (null when there was none, or it could not be used), completed by what the listing knew, so a
 * stub without a usable header still carries the Message-ID later answers thread by and its date.
 */
export function unfetchedStubRaw(header: Buffer | null, listed: ListedFacts): Buffer {
  const lines: string[] = [];
  let keeping = false;
  for (const line of header ? stubHeaderLines(header) : []) {
    if (/^[ \t]/.test(line)) {
      if (keeping) lines.push(line);
      continue;
    }
    keeping = fieldLine.test(line);
    if (keeping) lines.push(line);
  }
  // Listed values come from a server too: only a plain <id> is written, never a line break.
  const id = listed.rfcMessageId?.trim().replace(/^<|>$/g, '');
  if (id && /^[!-;=?-~]+$/.test(id) && !lines.some((l) => messageIdField.test(l)))
    lines.push(`Message-ID: <${id}>`);
  if (
    listed.internalDate &&
    !Number.isNaN(listed.internalDate.getTime()) &&
    !lines.some((l) => dateField.test(l))
  )
    lines.push(`Date: ${listed.internalDate.toUTCString().replace('GMT', '+0000')}`);
  return stubOf(lines);
}
