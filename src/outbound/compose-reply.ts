// Composes an agent's reply as RFC 5322 MIME with nodemailer's MailComposer. Pure: no I/O, no keys.
// Every header value is checked here once more (header-safety.ts) so no caller can hand the composer
// a value it would silently rewrite; file and URL access are switched off, so attachment content can
// only come from the bytes given.
import MailComposer from 'nodemailer/lib/mail-composer/index.js';

import {
  assertHeaderSafe,
  checkContentType,
  checkFilename,
  type MailAddress,
  usableMessageIds,
} from './header-safety.js';

export interface OutboundAttachment {
  filename: string;
  contentType: string;
  content: Buffer;
}

export interface ReplyDraft {
  from: MailAddress;
  to: MailAddress;
  cc: MailAddress[];
  subject: string;
  /** Our signed Message-ID, with angle brackets. */
  messageId: string;
  /** Without angle brackets. */
  inReplyTo: string | null;
  references: string[];
  date: Date;
  text: string;
  html: string | null;
  attachments: OutboundAttachment[];
  ticketNumber: number;
}

/** The threading fields of the message being answered, as stored with it (ids without brackets). */
export interface ParentHeaders {
  message_id: string | null;
  in_reply_to: string[];
  references: string[];
}

/** Keeps References short: the thread root plus the most recent ids (RFC 5322 §3.6.4 allows trimming). */
export const maxReferences = 20;

/** In-Reply-To = the parent's Message-ID; References = the parent's chain followed by the parent. */
export function threadHeaders(parent: ParentHeaders | null): {
  inReplyTo: string | null;
  references: string[];
} {
  if (!parent) return { inReplyTo: null, references: [] };
  const [parentId = null] = usableMessageIds(parent.message_id ? [parent.message_id] : []);
  const ancestors =
    parent.references.length > 0 ? parent.references : parent.in_reply_to.slice(0, 1);
  const chain: string[] = [];
  for (const id of usableMessageIds([...ancestors, ...(parentId ? [parentId] : [])]))
    if (!chain.includes(id)) chain.push(id);
  const references =
    chain.length > maxReferences
      ? [chain[0]!, ...chain.slice(chain.length - maxReferences + 1)]
      : chain;
  return { inReplyTo: parentId, references };
}

export async function composeReply(d: ReplyDraft): Promise<Buffer> {
  assertHeaderSafe(d.subject, 'ticket subject');
  assertHeaderSafe(d.from.name, 'mailbox display name');
  assertHeaderSafe(d.to.name, 'requester display name');
  d.cc.forEach((a, i) => assertHeaderSafe(a.name, `cc[${i}] display name`));
  const attachments = d.attachments.map((a, i) => ({
    filename: checkFilename(a.filename, `attachments[${i}].filename`),
    contentType: checkContentType(a.contentType, `attachments[${i}].content_type`),
    content: a.content,
  }));
  const composer = new MailComposer({
    from: d.from,
    to: [d.to],
    ...(d.cc.length > 0 ? { cc: d.cc } : {}),
    subject: d.subject,
    messageId: d.messageId,
    ...(d.inReplyTo ? { inReplyTo: `<${d.inReplyTo}>` } : {}),
    ...(d.references.length > 0 ? { references: d.references.map((id) => `<${id}>`) } : {}),
    date: d.date,
    text: d.text,
    ...(d.html !== null ? { html: d.html } : {}),
    attachments,
    // RFC 3834: a person wrote this, so auto-responders may answer it. X-Inlet-Ticket carries only the
    // number already shown in the subject; with our own address it lets ingest recognise an echo even
    // when a server rewrote the Message-ID.
    headers: { 'Auto-Submitted': 'no', 'X-Inlet-Ticket': String(d.ticketNumber) },
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  return await composer.compile().build();
}
