// Gmail v1 messages.list (with the q filter), messages.get and messages.send on the mailbox model
// (docs/providers.md, Gmail facts).
import { checkLabels, type GmailDeps, jsonBody } from './gmail-handlers.js';
import type { GmailCall } from './gmail-routes.js';
import { decodePageToken, encodePageToken, pageSize } from './gmail-routes.js';
import { sendMessage } from './gmail-send.js';
import { decodeBase64Loose, errors, sendJson } from './http-util.js';
import type { StoredMessage } from './mailbox.js';
import { buildPayload, parseHeaderSection } from './mime.js';

const DAY = 86_400_000;
const UNIT_MS: Record<string, number> = { d: DAY, m: 30 * DAY, y: 365 * DAY };

/**
 * Only the `q` terms Inlet uses: newer_than / older_than (the backfill window) and
 * rfc822msgid: (Gmail search operator for the Message-ID header, brackets optional — used to find a
 * reply in Sent after a crash); anything else fails loudly.
 */
function queryFilter(q: string | undefined, now: number): (m: StoredMessage) => boolean {
  const tests: ((m: StoredMessage) => boolean)[] = [];
  for (const term of (q ?? '').split(/\s+/).filter(Boolean)) {
    const id = /^rfc822msgid:<?([^\s<>]+?)>?$/i.exec(term);
    if (id) {
      tests.push((m) => m.rfcMessageId === `<${id[1]}>`);
      continue;
    }
    const t = /^(newer_than|older_than):(\d+)([dmy])$/i.exec(term);
    if (!t)
      throw errors.badRequest(
        `fake: unsupported q term "${term}" (only newer_than:/older_than: are modelled)`,
      );
    const edge = now - Number(t[2]) * UNIT_MS[t[3]!.toLowerCase()]!;
    tests.push(
      t[1]!.toLowerCase() === 'newer_than'
        ? (m) => m.internalDate > edge
        : (m) => m.internalDate < edge,
    );
  }
  return (m) => tests.every((f) => f(m));
}

export function messagesList(deps: GmailDeps, call: GmailCall): void {
  const q = call.query.get('q');
  if (q !== undefined && call.metadataOnly)
    throw errors.forbidden("Metadata scope does not support 'q' parameter");
  const labelIds = call.arrays.get('labelIds') ?? [];
  checkLabels(call, labelIds);
  const spamTrash = call.query.get('includeSpamTrash');
  if (spamTrash !== undefined && spamTrash !== 'true' && spamTrash !== 'false') {
    throw errors.badRequest(`Invalid value at 'include_spam_trash' (TYPE_BOOL), "${spamTrash}"`);
  }
  const match = queryFilter(q, deps.state.now());
  const all = [...call.mb.messages.values()]
    .filter((m) => spamTrash === 'true' || !m.labelIds.some((l) => l === 'SPAM' || l === 'TRASH'))
    .filter((m) => labelIds.every((l) => m.labelIds.includes(l)))
    .filter(match)
    .sort((a, b) => b.internalDate - a.internalDate || (a.id < b.id ? 1 : -1));
  const page = decodePageToken(call.query.get('pageToken'), 'messages');
  const offset = page ? Number(page.offset) : 0;
  const size = pageSize(call.query.get('maxResults'));
  const chunk = all.slice(offset, offset + size);
  const out: Record<string, unknown> = {};
  if (chunk.length > 0) out.messages = chunk.map((m) => ({ id: m.id, threadId: m.threadId }));
  if (offset + size < all.length)
    out.nextPageToken = encodePageToken({ kind: 'messages', offset: String(offset + size) });
  out.resultSizeEstimate = all.length;
  sendJson(call.res, 200, out);
}

export function messagesGet(call: GmailCall): void {
  const id = call.pathArgs[1]!;
  const format = (call.query.get('format') ?? 'full').toLowerCase();
  if (!['minimal', 'full', 'raw', 'metadata'].includes(format)) {
    throw errors.badRequest(
      `Invalid value at 'format' (type.googleapis.com/google.apps.gmail.v1.GetMessageRequest.Format), "${call.query.get('format')}"`,
    );
  }
  if (call.metadataOnly && (format === 'raw' || format === 'full'))
    throw errors.forbidden(`Metadata scope doesn't allow format ${format.toUpperCase()}`);
  if (!/^[0-9a-f]{1,16}$/i.test(id)) throw errors.badRequest('Invalid id value');
  const m = call.mb.messages.get(id.toLowerCase());
  if (!m) throw errors.notFound();
  const base = {
    id: m.id,
    threadId: m.threadId,
    labelIds: m.labelIds,
    snippet: m.snippet,
    sizeEstimate: m.raw.length,
    historyId: String(m.historyId),
    internalDate: String(m.internalDate),
  };
  if (format === 'minimal') return sendJson(call.res, 200, base);
  if (format === 'raw')
    return sendJson(call.res, 200, { ...base, raw: m.raw.toString('base64url') });
  if (format === 'metadata') {
    const wanted = (call.arrays.get('metadataHeaders') ?? []).map((h) => h.toLowerCase());
    let headers: { name: string; value: string }[] = [];
    let mimeType = 'text/plain';
    try {
      const parsed = buildPayload(m.raw);
      mimeType = parsed.mimeType;
      headers = parseHeaderSection(m.raw).headers.filter(
        (h) => wanted.length === 0 || wanted.includes(h.name.toLowerCase()),
      );
    } catch {
      // Unparseable stored mail still has ids and labels.
    }
    return sendJson(call.res, 200, {
      ...base,
      payload: { partId: '', mimeType, filename: '', headers, body: { size: 0 } },
    });
  }
  let payload: unknown;
  try {
    payload = buildPayload(m.raw);
  } catch {
    payload = {
      partId: '',
      mimeType: 'text/plain',
      filename: '',
      headers: [],
      body: { size: m.raw.length, data: m.raw.toString('base64url') },
    };
  }
  sendJson(call.res, 200, { ...base, payload });
}

const MESSAGE_FIELDS = [
  'id',
  'threadId',
  'labelIds',
  'snippet',
  'historyId',
  'internalDate',
  'payload',
  'sizeEstimate',
  'raw',
  'classificationLabelValues',
];

function uploadedMessage(call: GmailCall): { raw: Buffer; threadId: unknown } {
  const uploadType = call.query.get('uploadType');
  const ctype = call.req.headers['content-type'] ?? '';
  if (uploadType === 'media') {
    if (!/^message\//i.test(ctype))
      throw errors.badRequest(
        `Media type '${ctype}' is not supported. Valid media types: [message/*]`,
      );
    return { raw: call.body, threadId: undefined };
  }
  if (uploadType !== 'multipart')
    throw errors.badRequest('fake: uploadType must be media or multipart');
  const boundary = /boundary=([^;]+)/i.exec(ctype)?.[1]?.replace(/"/g, '');
  if (!/^multipart\/related/i.test(ctype) || !boundary)
    throw errors.badRequest('Invalid multipart request');
  const text = call.body.toString('latin1');
  const parts = text
    .split(`--${boundary}`)
    .slice(1, -1)
    .map((p) => p.replace(/^\r\n/, '').replace(/\r\n$/, ''));
  const split = (p: string) => {
    const i = p.indexOf('\r\n\r\n');
    return { head: p.slice(0, i), body: p.slice(i + 4) };
  };
  if (parts.length !== 2) throw errors.badRequest('Invalid multipart request');
  const meta = jsonBody(
    { ...call, body: Buffer.from(split(parts[0]!).body, 'latin1') },
    MESSAGE_FIELDS,
    'message',
  );
  return { raw: Buffer.from(split(parts[1]!).body, 'latin1'), threadId: meta.threadId };
}

export function messagesSend(deps: GmailDeps, call: GmailCall): void {
  let raw: Buffer | null;
  let threadId: unknown;
  if (call.req.url?.startsWith('/upload/')) {
    ({ raw, threadId } = uploadedMessage(call));
  } else {
    const body = jsonBody(call, MESSAGE_FIELDS, 'message');
    if (typeof body.raw !== 'string' || body.raw.length === 0) {
      throw errors.invalidArgument(
        "'raw' RFC822 payload message string or uploading message via /upload/* URL required",
      );
    }
    raw = decodeBase64Loose(body.raw);
    if (!raw)
      throw errors.badRequest(
        "Invalid value at 'message.raw' (TYPE_BYTES), Base64 decoding failed",
      );
    threadId = body.threadId;
  }
  if (threadId !== undefined && threadId !== null && typeof threadId !== 'string') {
    throw errors.badRequest("Invalid value at 'message.thread_id' (TYPE_STRING)");
  }
  const { message } = sendMessage(
    deps.state,
    call.mb,
    raw,
    (threadId as string | null | undefined) ?? undefined,
  );
  sendJson(call.res, 200, {
    id: message.id,
    threadId: message.threadId,
    labelIds: message.labelIds,
  });
  deps.changed(call.mb.email, message.labelIds);
}
