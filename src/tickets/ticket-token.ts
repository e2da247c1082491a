// Ticket tokens in subjects: `[#1042]`. Numbers are per tenant and start at 1001 (migration 0007)
// so they look like ticket numbers, not list indexes.
const tokenPattern = /\[#(\d{1,12})\]/g;

/** Every ticket number mentioned as a token, in order of appearance, without repeats. */
export function ticketTokens(subject: string): number[] {
  const out: number[] = [];
  for (const m of subject.matchAll(tokenPattern)) {
    const n = Number(m[1]);
    if (Number.isSafeInteger(n) && !out.includes(n)) out.push(n);
  }
  return out;
}

export function formatTicketToken(n: number): string {
  return `[#${n}]`;
}

/** Subject for an agent's reply: one `Re:` prefix and (unless the provider threads by subject) the token, once. */
// The inbound subject is attacker data and may decode to line breaks (RFC 2047 `=0A`) or control
// characters. Refusing it would make the ticket unanswerable, so the reply's subject gets it on one
// line: breaks become spaces, other controls are dropped. The header check in compose-reply still
// refuses anything that slips past.

const oneLine = (s: string) =>
  s
    .replace(/[\r\n\u2028\u2029]+/g, ' ')
    // eslint-disable-next-line no-control-regex -- control characters are what this removes
    .replace(/[\x00-\x08\x0b-\x1f\x7f\u0080-\u009f]/g, '')
    .replace(/ {2,}/g, ' ');

export function replySubject(
  original: string,
  number: number,
  opts: { token: boolean } = { token: true },
): string {
  const base = oneLine(original)
    .replace(/^\s*((re|aw|sv|fw|fwd|wg)\s*(\[\d+\])?\s*:\s*)+/i, '')
    .trim();
  const token = formatTicketToken(number);
  const withToken = !opts.token || base.includes(token) ? base : `${base} ${token}`.trim();
  return `Re: ${withToken}`;
}
