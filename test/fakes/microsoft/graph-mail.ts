// Graph mail for one mailbox (docs/providers.md, Microsoft 365 facts): inbox delta with pages,
// deltaLink and expiry; message JSON and $value MIME; Sent Items lookup by internetMessageId.
// Sending (sendMail, drafts, attachments, upload sessions) is in graph-send.ts.
import type { IncomingMessage, ServerResponse } from 'node:http';

import { sendJson } from '../google/http-util.js';
import { conversationOf, headerOf, headersOf, messageIdOf } from './mime-util.js';
import { type FakeMessage, type FakeState, type FakeUser, graphError, newId } from './state.js';

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

/** Graph's request size limit: larger sends need a draft and an upload session. */
export const MAX_REQUEST = 4 * 1024 * 1024;
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

export function messageJson(
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
    toRecipients: (headerOf(m.mime, 'To') ?? '')
      .split(',')
      .map((a) => /<([^<>]+)>|(\S+@\S+)/.exec(a))
      .flatMap((x) => (x ? [{ emailAddress: { address: x[1] ?? x[2]! } }] : [])),
  };
  // Returned only when selected (docs/providers.md, Microsoft 365 facts: reading messages).
  if (fields?.includes('internetMessageHeaders')) full.internetMessageHeaders = headersOf(m.mime);
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
