// The CPU-only part of ingesting one message, done before any transaction is opened: parse,
// extract the reply, sanitise the HTML (cid: images pointing at the attachment endpoint), and give
// every attachment its id. Classification needs tenant keys, so the pipeline does it inside.
import { randomUUID } from 'node:crypto';

import { extractReply, extractReplyFromHtml } from './stages/extract-reply.js';
import { htmlToText } from './stages/html-to-text.js';
import { parseMessage } from './stages/parse.js';
import { sanitizeEmailHtml } from './stages/sanitize-html.js';
import type { SenderAuth } from './stages/sender-auth.js';
import type { Address, IngestLimits, ParsedAttachment, ParsedMessage } from './types.js';

export interface PreparedAttachment extends ParsedAttachment {
  id: string;
  position: number;
}

export interface PreparedMessage {
  messageId: string;
  parsed: ParsedMessage;
  /** Plain text: the text/plain part, or text derived from the sanitised HTML. */
  text: string | null;
  html: string | null;
  reply: string | null;
  attachments: PreparedAttachment[];
  /** Header fields shown to agents, sealed as one JSON document. */
  headers: StoredHeaders;
  warnings: string[];
}

export interface StoredHeaders {
  subject: string;
  from: Address | null;
  to: Address[];
  cc: Address[];
  reply_to: Address[];
  date: string | null;
  message_id: string | null;
  in_reply_to: string[];
  references: string[];
  /** Only on a bounce: the recipients it reports (store-page adds it after classification). */
  bounce?: BounceView;
  /** Inbound mail stored since sender authentication was read (page-decide.ts adds it). */
  sender_auth?: SenderAuth;
  /** Only on the stub of a message parked as too large: the original's size (park-message.ts). */
  oversize?: { bytes: number };
}

export interface BounceView {
  recipients: {
    address: string;
    status: string | null;
    action: string | null;
    diagnostic: string | null;
  }[];
}

export const attachmentUrl = (id: string) => `/v1/attachments/${id}/content`;

/**
 * Replies sit at the top; quote detection looks at the first `replyScanChars` only, so a megabyte
 * of pasted log costs no more than a normal mail. No quote found in that window → no separate reply
 * (agents see the full text).
 */
const replyScanChars = 128 * 1024;

/**
 * The reply for prepare's text and sanitised HTML, within the scan window; exported for the bench.
 * `htmlText` is htmlToText(html) when the caller already has it (prepare does), so the HTML is
 * not rendered a second time.
 */
export function extractNewText(
  text: string | null,
  html: string | null,
  warnings: string[],
  htmlText?: string,
): { reply: string } | null {
  if (text !== null && text.length > replyScanChars) {
    warnings.push('reply_scan_truncated');
    const r = extractReply(text.slice(0, replyScanChars));
    return r.hasQuote ? r : null;
  }
  if (text !== null) return extractReply(text);
  if (html !== null && html.length > replyScanChars * 4) return null;
  if (html === null) return null;
  return htmlText !== undefined ? extractReply(htmlText) : extractReplyFromHtml(html);
}

export async function prepareMessage(raw: Buffer, limits: IngestLimits): Promise<PreparedMessage> {
  const parsed = await parseMessage(raw, limits);
  const attachments = parsed.attachments.map((a, position) => ({
    ...a,
    id: randomUUID(),
    position,
  }));
  const byCid = new Map(
    attachments.filter((a) => a.contentId).map((a) => [a.contentId!.toLowerCase(), a.id]),
  );
  const warnings = [...parsed.warnings];
  let html: string | null = null;
  // Text standing in for an HTML body that was refused: a plain-text rendering, never markup.
  let refusedText: string | null = null;
  if (parsed.html) {
    const s = sanitizeEmailHtml(parsed.html, {
      cidUrl: (cid) =>
        byCid.has(cid.toLowerCase()) ? attachmentUrl(byCid.get(cid.toLowerCase())!) : null,
    });
    if (s.refused !== null) {
      warnings.push(s.refused);
      if (parsed.text === null) refusedText = htmlToText(parsed.html);
    } else {
      html = s.html;
      if (s.remoteImagesBlocked > 0) warnings.push('remote_images_blocked');
    }
  }
  const htmlText = parsed.text === null && html !== null ? htmlToText(html) : undefined;
  const text = parsed.text ?? refusedText ?? (html ? (htmlText ?? null) : null);
  const extracted = extractNewText(parsed.text ?? refusedText, html, warnings, htmlText);
  return {
    messageId: randomUUID(),
    // The unsanitised HTML goes no further: nothing after this point may use it by mistake, and a
    // page would otherwise hold every message's original HTML until it commits.
    parsed: { ...parsed, html: null, htmlText: parsed.text === null ? text : null },
    text,
    html,
    reply: extracted?.reply ?? null,
    attachments,
    headers: {
      subject: parsed.subject,
      from: parsed.from,
      to: parsed.to,
      cc: parsed.cc,
      reply_to: parsed.replyTo,
      date: parsed.date?.toISOString() ?? null,
      message_id: parsed.messageId,
      in_reply_to: parsed.inReplyTo,
      references: parsed.references,
    },
    warnings,
  };
}
