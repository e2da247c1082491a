// Where the quoted part of a reply starts: attributions, header blocks ("From: / Sent: / To:"),
// captions ("Original message"), Notes headers and phone clients that do not quote; the answers
// written under a '>' quote and '>'-quoted forwards. Split from extract-reply.ts.
import { attributionEnd } from './extract-reply-attribution.js';
import { isQuoteLine, Lines } from './extract-reply-lines.js';
import { notesHeaderEnd } from './extract-reply-notes.js';
import {
  ATTRIBUTION,
  FORWARD_CAPTION,
  type HeaderField,
  isBareLabel,
  isHiddenQuote,
  isOneLineHeader,
  isReplyAboveMarker,
  ORIGINAL_MESSAGE,
} from './extract-reply-vocab.js';
import { clean, isBlank, isMobileSignature } from './reply-signature.js';

// A rule ("_____", "=====") or a dash-framed caption ("-------- Oprindelig besked --------"), in
// one language or two (Thunderbird's "-------- Preposlaná správa --- Forwarded Message --------");
// either only counts when a header block follows. A caption opens with a letter, not a space, so
// the spaces before it are read one way only (a caption that could start with them made
// "----", 4,000 spaces, "----x" take a second).
export const SEPARATOR_LINE =
  /^\s*(?:[-_=*]{4,}|[-_=*]{2,}(?:\s+[-_=*]{2,})+|[-_=*]{2,}\s*[^-_=*\s][^-_=*]{0,39}?(?:\s[-_=*]{2,}\s+[^-_=*\s][^-_=*]{0,39}?)?\s*[-_=*]{2,})\s*$/u;
// Outlook's <hr> above the earlier message, rendered as a long line of underscores: with a "From:"
// right under it, that is the earlier message even when its other header lines are gone.
const OUTLOOK_RULE = /^_{10,}$/;
// "Message du : 12/12/2016 13:20" — a labelled date line just above a header block.
const LABELLED_DATE = /^[^:]{1,30}:\s*.{0,40}\d{1,2}:\d{2}/u;

// GroupWise (and mail gateways after it) put ">>> Name <address> 1/2/2024 10:00 AM >>>" above the
// original, which they do not quote; a date or an address tells it from a quoted '>>>' line.
const GROUPWISE_HEADER = /^>{3}\s(?=.{0,200}(?:\d|@)).{1,200}\s>{3}\s*$/u;

/**
 * The lines a header block starting at `i` may reach: the next seven that are not blank. Text
 * rendered from HTML puts a blank line between the rows of a header ("From: …", "", "Sent: …"),
 * which is no reason to stop reading its labels; a paragraph after a blank line is the message
 * under the header, and the header of an earlier message further down is not this one's.
 */
function headerWindow(lines: Lines, i: number): number[] {
  const out: number[] = [];
  let gap = false;
  let counted = 0;
  for (let j = i + 1; j < Math.min(lines.length, i + 16) && counted < 7; j++) {
    if (lines.clean(j) === '') gap = true;
    else if (gap && lines.headerField(j) === null) break;
    else {
      out.push(j);
      // A value under its label ("Subject:" over "Printer") is one row with it.
      if (!isBareLabel(lines.clean(j - 1))) counted++;
      gap = false;
    }
  }
  return out;
}

// Yahoo Mail may break its one-line header after the sender's name ("From: Jane Roe" over
// "<jane@example.com>To: … Sent: … Subject: …"): the address line finishes the "From:" line.
const ADDRESS_FIRST = /^<[^<>\s@]+@[^<>\s]+>/;

/** The last line of a whole header written on one "From:" line (or two, see above), or -1. */
function oneLineHeaderEnd(lines: Lines, i: number): number {
  if (lines.headerField(i) !== 'from') return -1;
  if (isOneLineHeader(lines.clean(i))) return i;
  const next = lines.clean(i + 1);
  return ADDRESS_FIRST.test(next) && isOneLineHeader(`${lines.clean(i)} ${next}`) ? i + 1 : -1;
}

/** A "From: / Sent: / To: / Subject:" block starts at `i` (Outlook, Apple Mail forwards, webmail). */
export function isHeaderBlock(lines: Lines, i: number): boolean {
  const first = lines.headerField(i);
  if (first === null || first === 'other') return false;
  if (oneLineHeaderEnd(lines, i) !== -1) return true;
  const seen = new Set<HeaderField>([first]);
  for (const j of headerWindow(lines, i)) {
    const field = lines.headerField(j);
    if (field !== null && field !== 'other') seen.add(field);
  }
  return (
    (seen.has('from') &&
      seen.size >= 2 &&
      (seen.has('date') || seen.has('subject') || seen.has('to'))) ||
    // A block that leaves out the sender ("Date: / To: / Subject:") needs all three others, or a
    // date only a mail program writes (a time with a numeric zone, "10:00:00 -0600") first.
    (seen.has('date') && seen.has('subject') && seen.has('to')) ||
    (first === 'date' && seen.size >= 2 && MACHINE_DATE.test(lines.clean(i)))
  );
}

const MACHINE_DATE = /\d{1,2}:\d{2}(?::\d{2})?\s+[+-]\d{4}\b/;

export interface QuoteMark {
  /** First line of the quoted part. */
  start: number;
  /** Last line of its header (attribution or header block); quoted text follows. */
  headerEnd: number;
}

/** The last header line of the block starting at `i` (within eight lines). */
export function headerBlockEnd(lines: Lines, i: number): number {
  let end = Math.max(i, oneLineHeaderEnd(lines, i));
  for (const j of headerWindow(lines, i)) if (j > end && lines.headerField(j) !== null) end = j;
  // The last label's value on the line under it belongs to the header too.
  return isBareLabel(lines.clean(end)) && lines.clean(end + 1) !== '' ? end + 1 : end;
}

/** Walks up from a header block over a separator rule, a labelled date line and blank lines. */
function headerBlockTop(lines: Lines, i: number): number {
  let top = i;
  for (let k = i - 1; k >= Math.max(0, i - 4); k--) {
    const text = lines.clean(k);
    if (text === '') continue;
    if (
      SEPARATOR_LINE.test(text) ||
      ORIGINAL_MESSAGE.test(text) ||
      FORWARD_CAPTION.test(text) ||
      LABELLED_DATE.test(text)
    )
      top = k;
    else break;
  }
  return top;
}

/** The first quoted part at or after line `from`, or null. */
export function findQuote(lines: Lines, from: number): QuoteMark | null {
  // Whether a line of the person's own text came before (a device line above it is no boundary).
  let ownText = false;
  for (let i = from; i < lines.length; i++) {
    const text = lines.clean(i);
    if (text === '') continue;
    if (GROUPWISE_HEADER.test(text)) return { start: i, headerEnd: i };
    if (isQuoteLine(text)) continue;
    if (
      ORIGINAL_MESSAGE.test(text) ||
      FORWARD_CAPTION.test(text) ||
      isHiddenQuote(text) ||
      lines.isMarker(i)
    )
      return { start: i, headerEnd: i };
    // The rest of the header under that "From:" goes with it, in whichever labels it has.
    if (OUTLOOK_RULE.test(text) && i + 1 < lines.length && lines.headerField(i + 1) === 'from')
      return { start: i, headerEnd: headerBlockEnd(lines, i + 1) };
    if (isHeaderBlock(lines, i))
      return {
        start: Math.max(from, headerBlockTop(lines, i)),
        headerEnd: headerBlockEnd(lines, i),
      };
    const end = attributionEnd(lines, i);
    if (end !== -1) return { start: i, headerEnd: end };
    const notes = notesHeaderEnd((k) => lines.clean(k), lines.length, i);
    if (notes !== -1) return { start: i, headerEnd: notes };
    // A device line above any text of the person's is the client's, not a boundary ("Sent from
    // iPhone" at the top of the message); extractReply drops it.
    const mobile = isMobileSignature(text);
    if (mobile && ownText) {
      // Phone clients that do not quote: whatever follows "Sent from my …" is the earlier message.
      let k = i + 1;
      while (k < lines.length && lines.clean(k) === '') k++;
      if (k < lines.length) return { start: k, headerEnd: k - 1 };
    }
    ownText ||= !mobile;
  }
  return null;
}

/**
 * Bottom-posting under a quote that carries its own attribution ("> On Mon, Jane wrote:" over
 * ">> …", then the person's text unquoted): a client that quotes the whole earlier message quotes
 * the attribution with it. When the '>' block at `from` opens with an attribution, a header
 * block or a caption once its markers are taken off, and the person's text follows it, that
 * text starts at the returned line; otherwise -1 (a bare quote over text may be an inline answer).
 */
export function quotedMessageEnd(lines: Lines, from: number): number {
  let first = from;
  while (first < lines.length && lines.clean(first) === '') first++;
  let end = first;
  while (end < lines.length && (lines.clean(end) === '' || isQuoteLine(lines.at(end)))) end++;
  if (end === first || end >= lines.length) return -1;
  const inner = new Lines(lines.raw.slice(first, end).map((l) => l.replace(/^\s*[>|][ \t]?/, '')));
  let top = 0;
  while (top < inner.length && inner.clean(top) === '') top++;
  const quote = findQuote(inner, top);
  return quote !== null && quote.start === top ? end : -1;
}

/** Start of a trailing block made only of quoted and blank lines (plus the attribution above it). */
export function trailingQuoteStart(lines: string[]): number {
  let k = lines.length;
  let sawQuote = false;
  while (k > 0) {
    const line = lines[k - 1] ?? '';
    if (isQuoteLine(line)) sawQuote = true;
    else if (!isBlank(line)) break;
    k--;
  }
  if (!sawQuote) return -1;
  const above = k - 1;
  const line = clean(lines[above] ?? '');
  if (above >= 0 && /:\s*$/.test(line) && (ATTRIBUTION.test(line) || /@|\d/.test(line)))
    return above;
  // "2013/7/20 sam via Discourse <info@example.org>" without a colon: a date and an address.
  if (
    above >= 0 &&
    /^\d{2,4}[-/.]\d{1,2}[-/.]\d{1,4}\b/.test(line) &&
    endsWithBracketedAddress(line)
  )
    return above;
  return k;
}

/**
 * Text written under a '>' quote (an answer below it, or answers between its parts) up to the
 * next quoted message that is not '>'-quoted (a header block, "Original message"). The '>' lines
 * between answers stay: they say what each answer answers. When there are such lines, the quote
 * comes from the quote's header down.
 */
export function answersBelow(lines: Lines, quote: QuoteMark): string[] {
  let k = quote.headerEnd + 1;
  while (k < lines.length && lines.clean(k) === '') k++;
  if (k >= lines.length || !isQuoteLine(lines.at(k))) return [];
  while (k < lines.length && (lines.clean(k) === '' || isQuoteLine(lines.at(k)))) {
    // A quoted "reply above this line" marker: what follows is the rest of the helpdesk's
    // message the client left unquoted, not an answer.
    if (isReplyAboveMarker(lines.clean(k).replace(/^(?:[>|]\s*)+/, ''))) return [];
    k++;
  }
  // An answer stands apart from the quote; a line glued under a quoted one is that line wrapped.
  if (k >= lines.length || lines.clean(k - 1) !== '') return [];
  const next = findQuote(lines, k);
  const end = next === null ? lines.length : next.start;
  const answers = lines.raw.slice(k, end);
  // Answers between quoted questions: the first question stays too, with the attribution above
  // it, as the later ones do; without it the first answer stood under nothing ("2.1", then
  // "> Which OS?" and "Windows").
  return answers.some(isQuoteLine) ? lines.raw.slice(quote.start, end) : answers;
}

// A caption a client writes above the message it forwards, in whatever language ("Začátek
// přeposílané zprávy:", "Vidarebefordrat mejl:"): a short line ending in a colon. It only counts
// with a header block right under it, and only where no person writes (inside a '>' quote, or in
// a message that holds nothing but the forward): above an unquoted header block, "See below:" is
// the person's own line.
const CAPTION_LIKE = /[:：]\s*$/u;

/**
 * The line where the header block of a forwarded message opening at `first` starts: `first`
 * itself, or the next non-blank line under a caption, a separator rule or a colon-ended caption
 * line; -1 when no forwarded message opens there.
 */
export function forwardHeaderAt(lines: Lines, first: number): number {
  if (isHeaderBlock(lines, first)) return first;
  const text = lines.clean(first);
  const caption =
    FORWARD_CAPTION.test(text) ||
    ORIGINAL_MESSAGE.test(text) ||
    SEPARATOR_LINE.test(text) ||
    (text.length <= 80 && !text.includes('@') && CAPTION_LIKE.test(text));
  if (!caption) return -1;
  let next = first + 1;
  while (next < lines.length && lines.clean(next) === '') next++;
  return next < lines.length && isHeaderBlock(lines, next) ? next : -1;
}

/**
 * `body` without '>'-quoted blocks that hold a forwarded message ("> Begin forwarded message:",
 * "> From: … / > Date: …"): text around such a block is the person's, the block is not, and unlike
 * a quoted line between answers it says nothing about what the text answers.
 */
export function dropQuotedForwards(body: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < body.length;) {
    if (!isQuoteLine(body[i] ?? '')) {
      out.push(body[i++] ?? '');
      continue;
    }
    let end = i;
    while (end < body.length && isQuoteLine(body[end] ?? '')) end++;
    const inner = new Lines(body.slice(i, end).map((l) => l.replace(/^\s*[>|]\s?/, '')));
    let first = 0;
    while (first < inner.length && inner.clean(first) === '') first++;
    const forward =
      first < inner.length &&
      (FORWARD_CAPTION.test(inner.clean(first)) ||
        ORIGINAL_MESSAGE.test(inner.clean(first)) ||
        forwardHeaderAt(inner, first) !== -1);
    if (!forward) out.push(...body.slice(i, end));
    // One blank line stays where the block was.
    else if (out.length > 0 && isBlank(out.at(-1) ?? ''))
      while (end < body.length && isBlank(body[end] ?? '')) end++;
    i = end;
  }
  return out;
}

/**
 * `/<[^<>\s]+@[^<>\s]+>\s*$/.test(line)`, read from the line's end: the regex retried from every
 * '<' and backtracked over every '@', quadratic on a long line of them.
 */
export function endsWithBracketedAddress(line: string): boolean {
  const t = line.trimEnd(); // trimEnd removes exactly the characters \s matches
  if (!t.endsWith('>')) return false;
  const inner = t.slice(t.lastIndexOf('<') + 1, -1);
  if (t.lastIndexOf('<') < 0 || inner.length < 3 || /[<>\s]/.test(inner)) return false;
  return inner.slice(1, -1).includes('@');
}
