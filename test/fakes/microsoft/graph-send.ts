// Graph sending for one mailbox (docs/providers.md, Microsoft 365 facts): MIME sendMail; drafts
// from MIME, attachments and upload sessions, send. Each sent message gets its Sent Items copy.
import type { IncomingMessage, ServerResponse } from 'node:http';

import { sendEmpty, sendJson } from '../google/http-util.js';
import { addMessage, findMessage, type MailCall, MAX_REQUEST, messageJson } from './graph-mail.js';
import { headerOf, strictBase64 } from './mime-util.js';
import { type FakeMessage, type FakeState, graphError, newId, type SentRecord } from './state.js';

const MIN_UPLOAD_SESSION = 3 * 1024 * 1024;

function mimeBody(c: MailCall): Buffer {
  if (c.body.length > MAX_REQUEST)
    throw graphError(413, 'RequestEntityTooLarge', 'The maximum request length supported is 4MB.');
  const mime = strictBase64(c.body.toString('latin1'));
  if (!mime)
    throw graphError(
      400,
      'ErrorMimeContentInvalidBase64String',
      'Invalid base64 string for MIME content.',
    );
  return mime;
}

function checkFrom(c: MailCall, mime: Buffer): void {
  const from = (headerOf(mime, 'From') ?? '').toLowerCase();
  if (!from.includes(c.mailbox.email))
    throw graphError(
      403,
      'ErrorSendAsDenied',
      'The user account which was used to submit this request does not have the right to send mail on behalf of the specified sending account.',
    );
}

function recordSent(
  c: MailCall,
  via: SentRecord['via'],
  mime: Buffer,
  attachments: SentRecord['attachments'],
): string {
  const copy = addMessage(c.mailbox, mime, 'sentitems', c.s.now());
  const list = c.s.sent.get(c.mailbox.email) ?? [];
  list.push({
    via,
    mime,
    attachments,
    internetMessageId: copy.internetMessageId,
    id: copy.immutableId,
  });
  c.s.sent.set(c.mailbox.email, list);
  return copy.immutableId;
}

export function sendMail(c: MailCall): void {
  const type = String(c.req.headers['content-type'] ?? '');
  if (type.startsWith('application/json')) {
    if (c.body.length > MAX_REQUEST)
      throw graphError(
        413,
        'RequestEntityTooLarge',
        'The maximum request length supported is 4MB.',
      );
    let parsed: { message?: { internetMessageHeaders?: { name?: string }[] } };
    try {
      parsed = JSON.parse(c.body.toString('utf8')) as typeof parsed;
    } catch {
      throw graphError(
        400,
        'BadRequest',
        'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.',
      );
    }
    if (!parsed.message)
      throw graphError(
        400,
        'ErrorInvalidParameter',
        "The value of the parameter 'Message' is empty.",
      );
    const bad = (parsed.message.internetMessageHeaders ?? []).find(
      (h) => !/^x-/i.test(h.name ?? ''),
    );
    if (bad)
      throw graphError(
        400,
        'InvalidInternetMessageHeader',
        `The internet message header name '${bad.name}' should start with 'x-' or 'X-'.`,
      );
    throw graphError(400, 'ErrorInvalidRecipients', 'At least one recipient is not valid.');
  }
  if (!type.startsWith('text/plain'))
    throw graphError(
      415,
      'UnsupportedMediaType',
      `Content-Type '${type}' is not supported for this request.`,
    );
  const mime = mimeBody(c);
  checkFrom(c, mime);
  recordSent(c, 'sendMail', mime, []);
  sendEmpty(c.res, 202);
}

export function createDraft(c: MailCall): void {
  const type = String(c.req.headers['content-type'] ?? '');
  if (!type.startsWith('text/plain'))
    throw graphError(
      415,
      'UnsupportedMediaType',
      `Content-Type '${type}' is not supported for this request.`,
    );
  const mime = mimeBody(c);
  const m = addMessage(c.mailbox, mime, 'drafts', c.s.now());
  sendJson(c.res, 201, {
    '@odata.context': `${c.s.origin}/v1.0/$metadata#users('${c.mailbox.oid}')/messages/$entity`,
    ...messageJson(c, m, null),
  });
}

function draft(c: MailCall, id: string): FakeMessage {
  const m = findMessage(c.mailbox, id);
  if (m.folder !== 'drafts')
    throw graphError(400, 'ErrorInvalidOperation', 'Only draft messages can be changed.');
  return m;
}

function json(c: MailCall): Record<string, unknown> {
  if (!String(c.req.headers['content-type'] ?? '').startsWith('application/json'))
    throw graphError(
      415,
      'UnsupportedMediaType',
      'A supported MIME type could not be found that matches the content type of the response.',
    );
  if (c.body.length > MAX_REQUEST)
    throw graphError(413, 'RequestEntityTooLarge', 'The maximum request length supported is 4MB.');
  try {
    return JSON.parse(c.body.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw graphError(400, 'BadRequest', 'Unable to read JSON request payload.');
  }
}

export function addAttachment(c: MailCall, id: string): void {
  const m = draft(c, id);
  const b = json(c);
  if (
    b['@odata.type'] !== '#microsoft.graph.fileAttachment' ||
    typeof b.name !== 'string' ||
    typeof b.contentBytes !== 'string'
  ) {
    throw graphError(
      400,
      'ErrorInvalidProperty',
      'The property contentBytes and name are required for a file attachment.',
    );
  }
  const content = strictBase64(b.contentBytes);
  if (!content) throw graphError(400, 'ErrorInvalidBase64String', 'Invalid base64 string.');
  m.attachments.push({
    name: b.name,
    contentType: typeof b.contentType === 'string' ? b.contentType : 'application/octet-stream',
    content,
    via: 'attachment',
  });
  sendJson(c.res, 201, {
    '@odata.type': '#microsoft.graph.fileAttachment',
    id: newId('AAMkAtt'),
    name: b.name,
    size: content.length,
  });
}

interface UploadSession {
  mailbox: string;
  draftId: string;
  name: string;
  contentType: string;
  size: number;
  received: Buffer[];
  next: number;
  expiresAt: number;
}
const uploads = new Map<string, UploadSession>();

export function createUploadSession(c: MailCall, id: string): void {
  const m = draft(c, id);
  const item = json(c).AttachmentItem as
    { attachmentType?: string; name?: string; size?: number; contentType?: string } | undefined;
  if (
    !item ||
    item.attachmentType !== 'file' ||
    typeof item.name !== 'string' ||
    typeof item.size !== 'number'
  ) {
    throw graphError(
      400,
      'ErrorInvalidRequest',
      'AttachmentItem with attachmentType, name and size is required.',
    );
  }
  if (item.size < MIN_UPLOAD_SESSION)
    throw graphError(
      400,
      'ErrorAttachmentSizeShouldNotBeLessThanMinimumSize',
      'Attachment size must be greater than the minimum size.',
    );
  if (item.size > 150 * 1024 * 1024)
    throw graphError(
      400,
      'ErrorAttachmentSizeShouldNotExceedMaximumSize',
      'Attachment size exceeds the maximum size.',
    );
  const token = newId('');
  const expiresAt = c.s.now() + 15 * 60_000;
  uploads.set(token, {
    mailbox: c.mailbox.email,
    draftId: m.immutableId,
    name: item.name,
    contentType: item.contentType ?? 'application/octet-stream',
    size: item.size,
    received: [],
    next: 0,
    expiresAt,
  });
  sendJson(c.res, 201, {
    '@odata.context': `${c.s.origin}/v1.0/$metadata#microsoft.graph.uploadSession`,
    uploadUrl: `${c.s.origin}/upload/${token}`,
    expirationDateTime: new Date(expiresAt).toISOString(),
    nextExpectedRanges: ['0-'],
  });
}
/** PUT to a pre-authenticated upload URL: byte ranges in order, under 4 MB each, no Authorization header. */
export function uploadChunk(
  s: FakeState,
  req: IncomingMessage,
  token: string,
  body: Buffer,
  res: ServerResponse,
): void {
  const u = uploads.get(token);
  if (!u || u.expiresAt < s.now())
    throw graphError(404, 'ErrorItemNotFound', 'The upload session was not found.');
  if (req.headers.authorization)
    throw graphError(
      401,
      'InvalidAuthenticationToken',
      'The upload URL is pre-authenticated; an Authorization header is not accepted.',
    );
  const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(String(req.headers['content-range'] ?? ''));
  if (!m)
    throw graphError(
      400,
      'InvalidContentRange',
      'The Content-Range header is missing or malformed.',
    );
  const [from, to, total] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (total !== u.size || from !== u.next || to - from + 1 !== body.length || to >= total)
    throw graphError(
      416,
      'InvalidRange',
      'The uploaded fragment does not match the expected range.',
    );
  if (body.length > MAX_REQUEST)
    throw graphError(413, 'RequestEntityTooLarge', 'The maximum request length supported is 4MB.');
  u.received.push(body);
  u.next = to + 1;
  if (u.next < u.size)
    return sendJson(res, 200, {
      expirationDateTime: new Date(u.expiresAt).toISOString(),
      nextExpectedRanges: [`${u.next}-`],
    });
  uploads.delete(token);
  const user = s.users.get(u.mailbox)!;
  const d = findMessage(user, u.draftId);
  d.attachments.push({
    name: u.name,
    contentType: u.contentType,
    content: Buffer.concat(u.received),
    via: 'uploadSession',
  });
  sendEmpty(res, 201, {
    location: `${s.origin}/v1.0/users/${user.oid}/messages/${d.immutableId}/attachments/${newId('AAMkAtt')}`,
  });
}

export function sendDraft(c: MailCall, id: string): void {
  const m = draft(c, id);
  checkFrom(c, m.mime);
  m.removed = true;
  recordSent(
    c,
    'draft',
    m.mime,
    m.attachments.map((a) => ({
      name: a.name,
      size: a.content.length,
      via: a.via,
      content: a.content,
    })),
  );
  sendEmpty(c.res, 202);
}
