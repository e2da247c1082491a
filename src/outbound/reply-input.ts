// The reply request as the API receives it, checked and decoded before anything is written, and its
// idempotency fingerprint. Limits keep one request well inside what mail servers accept (most refuse
// messages above 25 MB; base64 adds a third) and inside the route's body limit.
import { createHmac } from 'node:crypto';

import { AppError } from '../errors.js';
import { MAX_HTML_DEPTH } from '../ingest/stages/html-depth.js';
import { htmlRefusal, MAX_HTML_CHARS } from '../ingest/stages/sanitize-html.js';
import type { OutboundAttachment } from './compose-reply.js';
import {
  checkContentType,
  checkFilename,
  type MailAddress,
  parseOneAddress,
} from './header-safety.js';

export interface ReplyRequest {
  text?: string | undefined;
  html?: string | undefined;
  cc?: string[] | undefined;
  attachments?: { filename: string; content_type: string; content_base64: string }[] | undefined;
}

export interface ReplyInput {
  text: string | null;
  html: string | null;
  cc: MailAddress[];
  attachments: OutboundAttachment[];
}

export const replyLimits = {
  maxTextChars: 500_000,
  maxHtmlChars: 2_000_000,
  maxCc: 50,
  maxAttachments: 20,
  /** Decoded bytes over all attachments. */
  maxAttachmentBytes: 10 * 1024 * 1024,
  maxFilenameChars: 255,
  /** The route's JSON body limit: base64 attachments plus text and HTML. */
  bodyLimitBytes: 18 * 1024 * 1024,
} as const;

const idempotencyKeyPattern = /^[\x21-\x7e](?:[\x20-\x7e]{0,198}[\x21-\x7e])?$/;
// A plain character class: linear on megabytes of input (a repeated group overflows the regex stack).
const base64Chars = /^[A-Za-z0-9+/]*={0,2}$/;

export function checkIdempotencyKey(key: string | undefined): string {
  if (key === undefined || !idempotencyKeyPattern.test(key)) {
    throw new AppError(
      'validation_failed',
      'Send an Idempotency-Key header of 1–200 printable ASCII characters (a UUID is a good choice).',
      { field: 'Idempotency-Key' },
    );
  }
  return key;
}

export function readReplyRequest(body: ReplyRequest): ReplyInput {
  const text = body.text !== undefined && body.text.trim() !== '' ? body.text : null;
  const html = body.html !== undefined && body.html.trim() !== '' ? body.html : null;
  if (text === null && html === null)
    throw new AppError('validation_failed', 'A reply needs `text` or `html` (or both).', {
      field: 'text',
    });
  // Inlet's copy is sanitised like inbound mail: what the sanitiser refuses is refused here, with the reason.
  const refusal = html === null ? null : htmlRefusal(html);
  if (refusal === 'html_too_large')
    throw new AppError(
      'payload_too_large',
      `\`html\` may not exceed ${MAX_HTML_CHARS} characters.`,
      { field: 'html' },
    );
  if (refusal === 'html_too_deep')
    throw new AppError(
      'validation_failed',
      `\`html\` nests elements more than ${MAX_HTML_DEPTH} levels deep.`,
      { field: 'html' },
    );

  const cc: MailAddress[] = [];
  (body.cc ?? []).forEach((value, i) => {
    const a = parseOneAddress(value, `cc[${i}]`);
    if (!cc.some((c) => c.address.toLowerCase() === a.address.toLowerCase())) cc.push(a);
  });

  let total = 0;
  const attachments = (body.attachments ?? []).map((a, i): OutboundAttachment => {
    const filename = checkFilename(a.filename, `attachments[${i}].filename`);
    const contentType = checkContentType(a.content_type, `attachments[${i}].content_type`);
    if (a.content_base64.length % 4 !== 0 || !base64Chars.test(a.content_base64)) {
      throw new AppError(
        'validation_failed',
        `attachments[${i}].content_base64 is not base64 (RFC 4648, padded, no line breaks).`,
        { field: `attachments[${i}].content_base64` },
      );
    }
    total +=
      (a.content_base64.length / 4) * 3 -
      (a.content_base64.endsWith('==') ? 2 : a.content_base64.endsWith('=') ? 1 : 0);
    if (total > replyLimits.maxAttachmentBytes) {
      throw new AppError(
        'payload_too_large',
        `Attachments may not exceed ${replyLimits.maxAttachmentBytes} bytes in total.`,
      );
    }
    return { filename, contentType, content: Buffer.from(a.content_base64, 'base64') };
  });
  return { text, html, cc, attachments };
}

/**
 * Fingerprint of what was asked, so a reused Idempotency-Key with a different body is told apart from
 * a retry. Keyed (the tenant's index key), so the stored value reveals nothing about the content.
 */
export function requestFingerprint(indexKey: Buffer, ticketId: string, body: ReplyRequest): Buffer {
  const canonical = JSON.stringify([
    ticketId,
    body.text ?? null,
    body.html ?? null,
    body.cc ?? [],
    (body.attachments ?? []).map((a) => [a.filename, a.content_type, a.content_base64]),
  ]);
  return createHmac('sha256', indexKey)
    .update('inlet.reply-request.v1\0')
    .update(canonical, 'utf8')
    .digest();
}
