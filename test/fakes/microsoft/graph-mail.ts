// Graph mail for one mailbox (docs/providers.md, Microsoft 365 facts): inbox delta with pages,
// deltaLink and expiry; message JSON and $value MIME; Sent Items lookup by internetMessageId; MIME
// sendMail; drafts from MIME, attachments and upload sessions, send.
import type { IncomingMessage, ServerResponse } from 'node:http';

import { sendEmpty, sendJson } from '../google/http-util.js';
import { conversationOf, headerOf, messageIdOf, strictBase64 } from './mime-util.js';
import {
  type FakeMessage,
  type FakeState,
  type FakeUser,
  graphError,
  newId,
  type SentRecord,
} from './state.js';

export interface MailCall {
  s: FakeState;
  req: IncomingMessage;
  url: URL;
  body: Buffer;
  res: ServerResponse;
  mailbox: FakeUser;
  /** Path after `users/{id}/` (or `me/`), folder names normalised to `mailFolders/<name>`. */
  rest: string;
}

const MAX_REQUEST = 4 * 1024 * 1024;
const MIN_UPLOAD_SESSION = 3 * 1024 * 1024;
const SELECTABLE = new Set([
  'id',
  'subject',
  'receivedDateTime',
  'sentDateTime',
  'internetMessageId',
  'conversationId',
  'from',
  'sender',
  'toRecipients',
  'isDraft',
  'isRead',
  'parentFolderId',
  'bodyPreview',
  'hasAttachments',
  'internetMessageHeaders',
  'body',
  'createdDateTime',
  'lastModifiedDateTime',
  'changeKey',
  'categories',
]);

const immutable = (req: IncomingMessage) =>
  /IdType="ImmutableId"/i.test(String(req.headers.prefer ?? ''));
const idOf = (m: FakeMessage, req: IncomingMessage) => (immutable(req) ? m.immutableId : m.restId);
const knownIds = (u: FakeUser) =>
  new Map(
    u.messages
      .filter((m) => m.internetMessageId)
      .map((m) => [m.internetMessageId!, m.conversationId]),
  );

export function addMessage(
  u: FakeUser,
  mime: Buffer,
  folder: FakeMessage['folder'],
  now: number,
): FakeMessage {
  const m: FakeMessage = {
    immutableId: newId('AAkALgAAAAAAHYQDEapmEc2byACqAC-EWg0A'),
    restId: newId('AAMkAGI2TG93AAA='),
    folder,
    internetMessageId: messageIdOf(mime),
    conversationId: conversationOf(mime, knownIds(u)),
    receivedDateTime: new Date(now).toISOString().replace(/\.\d+Z$/, 'Z'),
    subject: headerOf(mime, 'Subject') ?? '',
    mime,
    seq: ++u.seq,
    removed: false,
    attachments: [],
  };
  u.messages.push(m);
  return m;
}

export function findMessage(u: FakeUser, id: string): FakeMessage {
  const m = u.messages.find((x) => !x.removed && (x.immutableId === id || x.restId === id));
  if (!m)
    throw graphError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
  return m;
}

function selectFields(url: URL): string[] | null {
  const sel = url.searchParams.get('$select');
  if (sel === null) return null;
  const fields = sel
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean);
  const bad = fields.find((f) => !SELECTABLE.has(f));
  if (bad)
    throw graphError(
      400,
      'RequestBroker--ParseUri',
      `Could not find a property named '${bad}' on type 'microsoft.graph.message'.`,
    );
  return fields;
}

function messageJson(
  c: MailCall,
  m: FakeMessage,
  fields: string[] | null,
): Record<string, unknown> {
  const full: Record<string, unknown> = {
    id: idOf(m, c.req),
    subject: m.subject,
    receivedDateTime: m.receivedDateTime,
    sentDateTime: m.receivedDateTime,
    internetMessageId: m.internetMessageId,
    conversationId: m.conversationId,
    isDraft: m.folder === 'drafts',
    isRead: false,
    parentFolderId: m.folder,
    hasAttachments: m.attachments.length > 0,
    bodyPreview: '',
    from: { emailAddress: { address: headerOf(m.mime, 'From') ?? '' } },
  };
  const out: Record<string, unknown> = {
    '@odata.type': '#microsoft.graph.message',
    '@odata.etag': `W/"CQAAABYAAA${m.seq}"`,
    id: full.id,
  };
  for (const f of fields ?? Object.keys(full)) if (f in full) out[f] = full[f];
  return out;
}

const allowedDeltaParams = new Set([
  '$select',
  '$top',
  '$filter',
  '$expand',
  '$orderby',
  'changeType',
  '$skiptoken',
  '$deltatoken',
]);

interface DeltaToken {
  oid: string;
  epoch: number;
  /** Changes after this sequence number; -1 for the first round (everything present). */
  since: number;
  /** The mailbox sequence when this round began: the round's deltaLink starts from it. */
  upTo: number;
  offset: number;
  after: number | null;
  newestFirst: boolean;
  select: string[] | null;
  pageSize: number;
}

const deltaTokens = new Map<string, DeltaToken>();

function deltaLink(c: MailCall, kind: '$skiptoken' | '$deltatoken', t: DeltaToken): string {
  const token = newId('');
  deltaTokens.set(token, t);
  return `${c.s.origin}/v1.0/users/${c.mailbox.oid}/mailFolders('inbox')/messages/delta?${kind}=${token}`;
}

export function delta(c: MailCall): void {
  for (const k of c.url.searchParams.keys()) {
    if (!allowedDeltaParams.has(k))
      throw graphError(400, 'BadRequest', `Query option '${k}' is not allowed.`);
  }
  const prefer = String(c.req.headers.prefer ?? '');
  const maxPage = /odata\.maxpagesize=(\d+)/.exec(prefer);
  const tokenText = c.url.searchParams.get('$skiptoken') ?? c.url.searchParams.get('$deltatoken');
  let t: DeltaToken;
  if (tokenText !== null) {
    const found = deltaTokens.get(tokenText);
    if (!found || found.oid !== c.mailbox.oid || found.epoch !== c.mailbox.deltaEpoch) {
      // An evicted sync state (docs/providers.md, Microsoft 365 facts: listing): start over with
      // a full sync.
      throw graphError(
        410,
        'SyncStateNotFound',
        'The sync state is not found. Please restart the sync process.',
        {
          location: `${c.s.origin}/v1.0/users/${c.mailbox.oid}/mailFolders('inbox')/messages/delta`,
        },
      );
    }
    if (c.url.searchParams.get('$deltatoken') !== null)
      t = { ...found, upTo: c.mailbox.seq, offset: 0 };
    else t = found;
    if (maxPage) t = { ...t, pageSize: Number(maxPage[1]) };
  } else {
    const filter = c.url.searchParams.get('$filter');
    let after: number | null = null;
    if (filter !== null) {
      const m = /^receivedDateTime (ge|gt) (\d{4}-\d\d-\d\dT[\d:.]+Z)$/.exec(filter);
      if (!m)
        throw graphError(
          400,
          'ErrorInvalidUrlQueryFilter',
          'The query filter contains one or more invalid nodes.',
        );
      after = Date.parse(m[2]!);
    }
    const orderby = c.url.searchParams.get('$orderby');
    if (orderby !== null && orderby !== 'receivedDateTime desc')
      throw graphError(
        400,
        'ErrorInvalidUrlQuery',
        "The only supported $orderby is 'receivedDateTime desc'.",
      );
    const top = c.url.searchParams.get('$top');
    t = {
      oid: c.mailbox.oid,
      epoch: c.mailbox.deltaEpoch,
      since: -1,
      upTo: c.mailbox.seq,
      offset: 0,
      after,
      newestFirst: orderby !== null,
      select: selectFields(c.url),
      pageSize: maxPage ? Number(maxPage[1]) : top ? Number(top) : 10,
    };
  }
  const changes = c.mailbox.messages.filter(
    (m) =>
      m.folder === 'inbox' &&
      m.seq > t.since &&
      m.seq <= t.upTo &&
      !(t.since === -1 && m.removed) &&
      (t.after === null || Date.parse(m.receivedDateTime) >= t.after),
  );
  if (t.since === -1 && t.newestFirst) changes.reverse();
  const page = changes.slice(t.offset, t.offset + t.pageSize);
  const value = page.map((m) =>
    m.removed
      ? {
          '@odata.type': '#microsoft.graph.message',
          id: idOf(m, c.req),
          '@removed': { reason: 'deleted' },
        }
      : messageJson(c, m, t.select),
  );
  const more = t.offset + t.pageSize < changes.length;
  const link = more
    ? { '@odata.nextLink': deltaLink(c, '$skiptoken', { ...t, offset: t.offset + t.pageSize }) }
    : { '@odata.deltaLink': deltaLink(c, '$deltatoken', { ...t, since: t.upTo, offset: 0 }) };
  sendJson(
    c.res,
    200,
    { '@odata.context': `${c.s.origin}/v1.0/$metadata#Collection(message)`, ...link, value },
    immutable(c.req) ? { 'preference-applied': 'IdType="ImmutableId"' } : {},
  );
}

export function getMessage(c: MailCall, id: string): void {
  sendJson(c.res, 200, {
    '@odata.context': `${c.s.origin}/v1.0/$metadata#users('${c.mailbox.oid}')/messages/$entity`,
    ...messageJson(c, findMessage(c.mailbox, id), selectFields(c.url)),
  });
}

export function getValue(c: MailCall, id: string): void {
  const m = findMessage(c.mailbox, id);
  c.res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(m.mime.length) });
  c.res.end(m.mime);
}

/** GET mailFolders/sentitems/messages?$filter=internetMessageId eq '<…>' */
export function listFolder(c: MailCall, folder: string): void {
  const f = folder.toLowerCase();
  if (f !== 'sentitems' && f !== 'inbox' && f !== 'drafts')
    throw graphError(404, 'ErrorInvalidIdMalformed', 'Id is malformed.');
  const filter = c.url.searchParams.get('$filter');
  let match: (m: FakeMessage) => boolean = () => true;
  if (filter !== null) {
    const m = /^internetMessageId eq '((?:[^']|'')*)'$/.exec(filter);
    if (!m)
      throw graphError(
        400,
        'ErrorInvalidUrlQueryFilter',
        'The query filter contains one or more invalid nodes.',
      );
    const wanted = m[1]!.replace(/''/g, "'");
    match = (x) => x.internetMessageId === wanted;
  }
  const fields = selectFields(c.url);
  const top = Number(c.url.searchParams.get('$top') ?? 10);
  const value = c.mailbox.messages
    .filter((x) => !x.removed && x.folder === f && match(x))
    .slice(0, top)
    .map((x) => messageJson(c, x, fields));
  sendJson(c.res, 200, {
    '@odata.context': `${c.s.origin}/v1.0/$metadata#users('${c.mailbox.oid}')/mailFolders('${f}')/messages`,
    value,
  });
}

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
