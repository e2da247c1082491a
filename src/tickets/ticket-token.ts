// Ticket tokens in subjects: `[#1042]`. Numbers are per tenant and start at 1001 (migration 0007)
// so they look like ticket numbers, not list indexes.
import { oneLine } from '../lib/one-line.js';

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

/**
 * Subject for an agent's reply: one `Re:` prefix and (unless the provider threads by subject) the
 * token, once. The inbound subject is put on one line (src/lib/one-line.ts).
 */
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
