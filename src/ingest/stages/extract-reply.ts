// Reply extraction: the new text of a message without the quoted thread below it and, in
// `reply`, without the sender's signature. Line-based rules in the spirit of GitHub's
// email_reply_parser and talon, measured on their corpora (bench/reply-bench.ts) and extended
// with quote headers in several languages, Outlook header blocks, wrapped "On … wrote:" lines
// and mobile signatures (the signature rules are in reply-signature.ts). Bounded work per line, so
// pathological input stays linear.
import { withoutPgpArmor } from './extract-reply-armor.js';
import { splitGluedAttributions } from './extract-reply-attribution.js';
import { bannerEnd } from './extract-reply-banner.js';
import { hoistFences } from './extract-reply-fences.js';
import { forwardedText } from './extract-reply-forward.js';
import { isQuoteLine, Lines, withEscapedQuoteMarks } from './extract-reply-lines.js';
import {
  answersBelow,
  dropQuotedForwards,
  findQuote,
  quotedMessageEnd,
  trailingQuoteStart,
} from './extract-reply-quote.js';
import { holdsReplyAboveMarker } from './extract-reply-vocab.js';
import { htmlToText } from './html-to-text.js';
import { findSignatureStart, isBlank, isMobileSignature } from './reply-signature.js';

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

// A rule with nothing under it divided the text from a quote that is gone (Outlook's <hr> above
// its header block, rendered from HTML as a line of underscores); so did a signature delimiter
// ("-- ") whose client put the quote under the signature and the person left the signature empty.
const RULE = /^[ \t]*(?:_{4,}|-{4,}|={4,}|\*{4,}|--|__)[ \t]*$/;
function withoutTrailingRule(body: string[]): string[] {
  let end = body.length;
  while (end > 0 && isBlank(body[end - 1] ?? '')) end--;
  if (end === 0 || !RULE.test(body[end - 1] ?? '')) return body;
  const kept = body.slice(0, end - 1);
  return kept.some((l) => !isBlank(l)) ? kept : body;
}

const joinTrim = (lines: string[]): string =>
  lines
    .join('\n')
    .replace(/^(?:[ \t]*\n)+/, '')
    .trimEnd();

export function extractReply(text: string): ExtractedReply {
  const r = extract(text);
  if (r.replyWithSignature.trim() !== '') return r;
  // Nothing of the person's: a message that only forwards an earlier one is that message.
  const forwarded = forwardedText(text.replace(/\r\n?/g, '\n').split('\n'));
  if (forwarded === null) return r;
  const f = extract(forwarded);
  return f.replyWithSignature.trim() === '' ? r : { ...f, hasQuote: true };
}

function extract(text: string): ExtractedReply {
  const fences = hoistFences(withoutPgpArmor(text.replace(/\r\n?/g, '\n').split('\n')));
  const info = splitGluedAttributions(
    new Lines(withEscapedQuoteMarks(fences.lines)),
    holdsReplyAboveMarker(text),
  );
  const lines = info.raw;
  let hasQuote = lines.some(isQuoteLine);
  let from = 0;
  let to = lines.length;
  let answers: string[] = [];
  for (;;) {
    const below = quotedMessageEnd(info, from);
    if (below !== -1) {
      hasQuote = true;
      from = below;
      continue;
    }
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
  const head = lines.slice(from, to);
  while (answers.length > 0 && head.length > 0 && isBlank(head.at(-1) ?? '')) head.pop();
  let body = answers.length > 0 ? [...head, '', ...answers] : head;
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
  body = withoutTrailingRule(body);
  const replyWithSignature = fences.restore(joinTrim(body));
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
    reply: fences.restore(joinTrim(body.slice(0, sigStart))),
    replyWithSignature,
    hasQuote,
    hasSignature: true,
    signature: fences.restore(joinTrim(body.slice(sigStart))),
  };
}

/** Reply extraction for messages that only have HTML: rendered to text first (blockquotes become "> "). */
export function extractReplyFromHtml(html: string): ExtractedReply {
  return extractReply(htmlToText(html));
}
