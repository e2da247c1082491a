// Reply extraction: the new text of a message without the quoted thread below it and, in
// `reply`, without the sender's signature. Line-based rules in the spirit of GitHub's
// email_reply_parser and talon, measured on their corpora (bench/reply-bench.ts) and extended
// with quote headers in several languages, Outlook header blocks, wrapped "On … wrote:" lines
// and mobile signatures (the signature rules are in reply-signature.ts). Bounded work per line, so
// pathological input stays linear.
import { bannerEnd } from './extract-reply-banner.js';
import { notesHeaderEnd } from './extract-reply-notes.js';
import {
  ATTRIBUTION,
  FORWARD_CAPTION,
  hasVerb,
  type HeaderField,
  headerFieldOfClean,
  isOneLineHeader,
  isReplyAboveMarker,
  ORIGINAL_MESSAGE,
  PREPOSITION,
  WROTE,
} from './extract-reply-vocab.js';
import { htmlToText } from './html-to-text.js';
import { clean, findSignatureStart, isBlank, isMobileSignature } from './reply-signature.js';

export interface ExtractedReply {
  /** New text: quote and signature removed. Falls back to the whole text when nothing else is left. */
  reply: string;
  /** New text with the signature kept (only the quote removed). */
  replyWithSignature: string;
  hasQuote: boolean;
  hasSignature: boolean;
  /** The signature that `reply` left out, or null. */
  signature: string | null;
}

// What may follow the verb: nothing, an address, or a name — capitalised (checked
// case-sensitively) or in a script without case (Arabic, Hebrew, CJK).
// German and Dutch put the date after the verb: "… schrieb am Fr., 28. Apr. 2017 um 11:53 Uhr:".
const AFTER_VERB = /^\s*(?:.*@.*|["'<]?[\p{Lu}\p{Lo}].*|(?:am|on|op|le|el|il|den|em)\s.*\d.*)$/u;
const NAME = String.raw`["']?[\p{Lu}][\p{L}'.-]*(?:\s+[\p{Lu}][\p{L}'.-]*){0,3}["']?`;
const NAME_WROTE = new RegExp(String.raw`^${NAME}\s+${WROTE}\s*:\s*$`, 'u');
// "Jane Doe wrote on 2024-01-02:": the date after the verb makes it as specific as "On …, Jane wrote:".
const NAME_WROTE_DATED = new RegExp(
  String.raw`^${NAME}\s+${WROTE}\s+(?:on|am|le|el|il|op|em|den)\s.{0,60}\d.{0,60}:\s*$`,
  'u',
);
// Webmail (Horde, SquirrelMail) introduces a quote with "Quoting Jane <jane@example.com>:".
const QUOTING =
  /^(?:quoting|zitat von|citando|citant|citation de|cytuję|cytat|idézet|citerer|citerar)\s.{1,200}[:：]\s*$/iu;
// Gmail in some locales: "2013/11/1 Jane Roe <jane@example.com>" with no colon, over a quote.
const DATED_ADDRESS = /^\d{2,4}[-/.]\d{1,2}[-/.]\d{1,4}\b.{0,200}<[^<>\s]+@[^<>\s]+>\s*$/u;
// Date-first headers without a verb (Gmail in some locales, Yandex, Mail.ru): "<date>, <name> <addr>:"
const DATED_ADDRESS_COLON =
  /^.{0,200}(?:\d{1,2}[:.]\d{2}|\d{4}).{0,200}(?:<[^<>\s]+@[^<>\s]+>|\S+@\S+\.\w+)\s*:\s*$/u;
// The same with both a time and a year is specific enough to stand without a quote block below.
const DATED_TIMED_ADDRESS_COLON =
  /^(?=.{0,200}\d{1,2}[:.]\d{2}(?!\d|[./-]\d))(?=.{0,200}(?:\d{4}|\d{1,2}[./-]\d{1,2}[./-]\d{2}))(?!\s*(?:from|to|cc|subject|date|sent)\s*:).{0,300}<[^<>\s]+@[^<>\s]+>\s*:\s*$/iu;
// A rule ("_____", "=====") or a dash-framed caption ("-------- Oprindelig besked --------");
// either only counts when a header block follows.
const SEPARATOR_LINE = /^\s*(?:[-_=*]{4,}|[-_=*]{2,}\s*[^-_=*]{1,40}?\s*[-_=*]{2,})\s*$/u;
// "Message du : 12/12/2016 13:20" — a labelled date line just above a header block.
const LABELLED_DATE = /^[^:]{1,30}:\s*.{0,40}\d{1,2}:\d{2}/u;

// '>' quotes, and the '|' some clients quote forwards with; a line that also ends in '|' is a table row.
const isQuoteLine = (line: string): boolean => /^\s*(?:>|\|(?!.*\|\s*$))/.test(line);

/**
 * The lines of one text with what the scan asks of each line computed once: every line is looked
 * at again as part of the up to four wrapped-attribution windows and eight-line header windows
 * around it, so without this each line was cleaned and regex-tested several times.
 */
class Lines {
  private readonly cleaned: (string | undefined)[] = [];
  private readonly verb: (boolean | undefined)[] = [];
  private readonly field: (HeaderField | null | undefined)[] = [];
  constructor(readonly raw: string[]) {}

  get length(): number {
    return this.raw.length;
  }

  at(k: number): string {
    return this.raw[k] ?? '';
  }

  clean(k: number): string {
    return (this.cleaned[k] ??= clean(this.at(k)));
  }

  hasVerb(k: number): boolean {
    return (this.verb[k] ??= hasVerb(this.clean(k)));
  }

  headerField(k: number): HeaderField | null {
    const known = this.field[k];
    return known !== undefined ? known : (this.field[k] = headerFieldOfClean(this.clean(k)));
  }
}

/** Index where an attribution spanning up to three wrapped lines starting at `i` ends, or -1. */
function attributionEnd(lines: Lines, i: number): number {
  const first = unwrap(lines.clean(i));
  if (first === '' || isQuoteLine(first) || first.length > 400) return -1;
  let joined = first;
  let last = first;
  let verb = lines.hasVerb(i);
  let blanks = 0;
  for (let j = i; j < Math.min(lines.length, i + 4 + blanks); j++) {
    if (j > i) {
      const next = unwrap(lines.clean(j));
      // Gmail wraps "On … Name\n\n<\nmailto:…>\n> wrote:": one blank line inside an attribution
      // that opened with its preposition is allowed, and the last piece may look like a quote marker.
      if (next === '' && blanks === 0 && PREPOSITION.test(first) && !verb) {
        blanks++;
        continue;
      }
      if (next === '' || (isQuoteLine(next) && !/^>\s*(?:\p{L}+\s*)?[:：]?\s*$/u.test(next)))
        return -1;
      // A sentence above an attribution is not part of it ("Send it to jane@example.com please."
      // then "On Mon, … wrote:"): the attribution is found when the scan reaches its own line.
      // The same holds for a line that merely opens like one ("Il est …" above "Le mar. … a écrit :"):
      // a next line that opens with a preposition and holds the verb itself is its own attribution.
      if (PREPOSITION.test(next) && (!PREPOSITION.test(first) || (!verb && lines.hasVerb(j))))
        return -1;
      // A verb in the joined text sits in one line or spans the joining space ("a" + "écrit");
      // such a verb is at most 10 characters, so the ends of the two lines cover it.
      verb ||= lines.hasVerb(j) || hasVerb(`${last.slice(-20)} ${next.slice(0, 20)}`);
      // "Name <" + "addr>:" wraps inside the angle brackets.
      joined += (last.endsWith('<') || next.startsWith('>') ? '' : ' ') + next;
      last = next;
    }
    const m = verb ? ATTRIBUTION.exec(joined) : null;
    if (m !== null && (m[1] === undefined || AFTER_VERB.test(m[1]))) {
      const strength = attributionOpening(first);
      // A bare "Someone wrote:" is common prose; it needs the quote block below to count.
      if (strength === 'strong' || (strength === 'weak' && quoteFollows(lines.raw, j + 1)))
        return continued(lines, j);
    }
    if (j === i && QUOTING.test(first) && (first.includes('@') || quoteFollows(lines.raw, i + 1)))
      return i;
    if (
      last.endsWith('>') &&
      joined.length <= 600 &&
      quoteFollows(lines.raw, j + 1) &&
      DATED_ADDRESS.test(joined)
    )
      return j;
    // Both patterns end in ':' and an address, and backtrack heavily; most lines do not end in ':'
    // at all. The joined text ends in its last (trimmed, non-empty) line.
    if (last.endsWith(':') && joined.includes('@')) {
      if (DATED_TIMED_ADDRESS_COLON.test(joined)) return j;
      if (DATED_ADDRESS_COLON.test(joined) && quoteFollows(lines.raw, j + 1)) return j;
    }
  }
  return -1;
}

// Android's "---- Jane Roe wrote ----": the dashes on both sides are the client's framing.
const DASH_FRAMED = /^-{2,}\s.*\s-{2,}\s*$/u;

function attributionOpening(firstLine: string): 'strong' | 'weak' | null {
  if (PREPOSITION.test(firstLine) || DASH_FRAMED.test(firstLine)) return 'strong';
  if (/^\d|@|<[^<>]+>|\d{1,2}[:.]\d{2}/u.test(firstLine)) return 'strong';
  if (NAME_WROTE_DATED.test(firstLine)) return 'strong';
  return NAME_WROTE.test(firstLine) ? 'weak' : null;
}

/** Markdown or rendered emphasis around a line ("*On …, Jane wrote:*") taken off. */
const unwrap = (text: string): string =>
  text.startsWith('*') || text.startsWith('_')
    ? text.replace(/^[*_]{1,2}(?=\S)/, '').replace(/(?<=\S)[*_]{1,2}$/, '')
    : text;

/**
 * `j`, or the line under it when an attribution that ended with its verb goes on with the sender
 * ("Op di 2 jan. 2024 om 10:00 schreef" / "Agent <agent@example.com>:").
 */
function continued(lines: Lines, j: number): number {
  if (lines.clean(j).endsWith(':') || j + 1 >= lines.length) return j;
  const next = lines.clean(j + 1);
  return next.length <= 200 && !isQuoteLine(next) && /[:：]$/.test(next) && /@|</.test(next)
    ? j + 1
    : j;
}

function quoteFollows(lines: string[], from: number): boolean {
  for (let k = from; k < Math.min(lines.length, from + 3); k++) {
    const line = lines[k] ?? '';
    if (isQuoteLine(line)) return true;
    if (!isBlank(line)) return false;
  }
  return false;
}

/** A "From: / Sent: / To: / Subject:" block starts at `i` (Outlook, Apple Mail forwards, webmail). */
function isHeaderBlock(lines: Lines, i: number): boolean {
  const first = lines.headerField(i);
  if (first === null) return false;
  if (first === 'from' && isOneLineHeader(lines.clean(i))) return true;
  const seen = new Set<HeaderField>([first]);
  for (let j = i + 1; j < Math.min(lines.length, i + 8); j++) {
    const field = lines.headerField(j);
    if (field !== null) seen.add(field);
  }
  return (
    (seen.has('from') &&
      seen.size >= 2 &&
      (seen.has('date') || seen.has('subject') || seen.has('to'))) ||
    // A block that leaves out the sender ("Date: / To: / Subject:") needs all three others.
    (seen.has('date') && seen.has('subject') && seen.has('to'))
  );
}

interface QuoteMark {
  /** First line of the quoted part. */
  start: number;
  /** Last line of its header (attribution or header block); quoted text follows. */
  headerEnd: number;
}

function headerBlockEnd(lines: Lines, i: number): number {
  let end = i;
  for (let j = i + 1; j < Math.min(lines.length, i + 8); j++)
    if (lines.headerField(j) !== null) end = j;
  return end;
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
function findQuote(lines: Lines, from: number): QuoteMark | null {
  // Whether a line of the person's own text came before (a device line above it is no boundary).
  let ownText = false;
  for (let i = from; i < lines.length; i++) {
    const text = lines.clean(i);
    if (text === '' || isQuoteLine(text)) continue;
    if (ORIGINAL_MESSAGE.test(text) || FORWARD_CAPTION.test(text) || isReplyAboveMarker(text))
      return { start: i, headerEnd: i };
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

/** Start of a trailing block made only of quoted and blank lines (plus the attribution above it). */
function trailingQuoteStart(lines: string[]): number {
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
    /<[^<>\s]+@[^<>\s]+>\s*$/.test(line)
  )
    return above;
  return k;
}

/**
 * Text written under a '>' quote (an answer below it, or answers between its parts) up to the
 * next quoted message that is not '>'-quoted (a header block, "Original message"). The '>' lines
 * between answers stay: they say what each answer answers.
 */
function answersBelow(lines: Lines, quote: QuoteMark): string[] {
  let k = quote.headerEnd + 1;
  while (k < lines.length && lines.clean(k) === '') k++;
  if (k >= lines.length || !isQuoteLine(lines.at(k))) return [];
  while (k < lines.length && (lines.clean(k) === '' || isQuoteLine(lines.at(k)))) k++;
  // An answer stands apart from the quote; a line glued under a quoted one is that line wrapped.
  if (k >= lines.length || lines.clean(k - 1) !== '') return [];
  const next = findQuote(lines, k);
  const end = next === null ? lines.length : next.start;
  return lines.raw.slice(k, end);
}

/**
 * `body` without '>'-quoted blocks that hold a forwarded message ("> Begin forwarded message:",
 * "> From: … / > Date: …"): text around such a block is the person's, the block is not, and unlike
 * a quoted line between answers it says nothing about what the text answers.
 */
function dropQuotedForwards(body: string[]): string[] {
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
        isHeaderBlock(inner, first));
    if (!forward) out.push(...body.slice(i, end));
    // One blank line stays where the block was.
    else if (out.length > 0 && isBlank(out.at(-1) ?? ''))
      while (end < body.length && isBlank(body[end] ?? '')) end++;
    i = end;
  }
  return out;
}

const joinTrim = (lines: string[]): string =>
  lines
    .join('\n')
    .replace(/^(?:[ \t]*\n)+/, '')
    .trimEnd();

// A sentence, then an attribution on the same line: "Works now, thanks. On Mon, … wrote:".
const GLUED_ATTRIBUTION = /^(.*?\S[.!?…)])[ \t]+((?:on|le|am|el|il|op|em)\s.*\d.*\S)\s*$/iu;

/**
 * Some clients (and text rendered from HTML) put the attribution at the end of the person's last
 * line. Where the tail of a line is an attribution on its own, opens after the end of a sentence
 * and a quote follows, it gets its own line, so the quote is found and the sentence kept.
 */
function splitGluedAttributions(lines: string[]): string[] {
  const out: string[] = [];
  // Most lines have no quote under them, so the verb scan (the costly test) runs last.
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const m =
      line.length <= 600 && !isQuoteLine(line) && quoteFollows(lines, i + 1) && hasVerb(line)
        ? GLUED_ATTRIBUTION.exec(line)
        : null;
    if (m && attributionEnd(new Lines([m[2]!]), 0) === 0) out.push(m[1]!, m[2]!);
    else out.push(line);
  }
  return out;
}

export function extractReply(text: string): ExtractedReply {
  const lines = splitGluedAttributions(text.replace(/\r\n?/g, '\n').split('\n'));
  let hasQuote = lines.some(isQuoteLine);
  let from = 0;
  let to = lines.length;
  let answers: string[] = [];
  const info = new Lines(lines);
  for (;;) {
    const quote = findQuote(info, from);
    if (quote === null) break;
    hasQuote = true;
    if (lines.slice(from, quote.start).some((l) => !isBlank(l) && !isQuoteLine(l))) {
      to = quote.start;
      answers = answersBelow(info, quote);
      break;
    }
    // Bottom-posting: the message opens with the quote, the new text comes after it.
    from = quote.headerEnd + 1;
    while (from < lines.length && (isBlank(lines[from] ?? '') || isQuoteLine(lines[from] ?? '')))
      from++;
  }
  let body =
    answers.length > 0 ? [...lines.slice(from, to), '', ...answers] : lines.slice(from, to);
  // A gateway's external-sender banner above the person's text is not theirs.
  const banner = bannerEnd(body);
  if (banner > 0 && body.slice(banner).some((l) => !isBlank(l))) body = body.slice(banner);
  const first = body.findIndex((l) => !isBlank(l));
  if (
    first !== -1 &&
    isMobileSignature(body[first] ?? '') &&
    body.slice(first + 1).some((l) => !isBlank(l))
  )
    body = body.slice(first + 1);
  body = dropQuotedForwards(body);
  const trailing = trailingQuoteStart(body);
  if (trailing !== -1 && body.slice(0, trailing).some((l) => !isBlank(l)))
    body = body.slice(0, trailing);
  else {
    // A quote with a signature under it ("> …\n\n--\nJane"): the quote goes, the signature stays.
    const sig = findSignatureStart(body);
    const quoteAbove = sig > 0 ? trailingQuoteStart(body.slice(0, sig)) : -1;
    if (quoteAbove > 0 && body.slice(0, quoteAbove).some((l) => !isBlank(l)))
      body = [...body.slice(0, quoteAbove), '', ...body.slice(sig)];
  }
  const replyWithSignature = joinTrim(body);
  const sigStart = findSignatureStart(body);
  if (sigStart === -1)
    return {
      reply: replyWithSignature,
      replyWithSignature,
      hasQuote,
      hasSignature: false,
      signature: null,
    };
  return {
    reply: joinTrim(body.slice(0, sigStart)),
    replyWithSignature,
    hasQuote,
    hasSignature: true,
    signature: joinTrim(body.slice(sigStart)),
  };
}

/** Reply extraction for messages that only have HTML: rendered to text first (blockquotes become "> "). */
export function extractReplyFromHtml(html: string): ExtractedReply {
  return extractReply(htmlToText(html));
}
