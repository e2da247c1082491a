// Downloading one listed message (docs/providers.md, Microsoft 365 facts: reading messages): its
// MIME from `messages/{id}/$value`, read as a stream and stopped past the size limit, so a huge
// message is never held in memory; and for such a message its header block alone, from
// `$select=internetMessageHeaders,...`, for the stub on its ticket (MailProvider.fetchHeaders).
import { ResponseType } from '@microsoft/microsoft-graph-client';

import { headerBlockOf } from '../header-block.js';
import type { FetchedHeaders, FetchedRaw } from '../mail-provider.js';
import { isProviderError, ProviderError } from '../provider-errors.js';
import { type GraphSession, noLibraryRetry } from './graph-session.js';

/** A $value past the limit by more than this is not read on: the pipeline parks one just over it
 *  with its bytes; one far over is parked unfetched, with a stub of its headers. */
const rawSlack = 64 * 1024;
/** JSON of the selected fields: a header block is cut at 64 KiB, escaping can double it. */
const headersAnswerCap = 4 * 64 * 1024;

const SELECT_HEADERS =
  'internetMessageId,subject,from,toRecipients,receivedDateTime,internetMessageHeaders';

/** The body of a streamed answer, or 'too_large' as soon as it passes `cap` bytes (the rest is
 *  never read: the stream is cancelled). */
async function readCapped(
  body: ReadableStream<Uint8Array> | null | undefined,
  cap: number,
): Promise<Buffer | 'too_large'> {
  if (!body) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(chunks, bytes);
    bytes += value.byteLength;
    if (bytes > cap) {
      await reader.cancel().catch(() => undefined);
      return 'too_large';
    }
    chunks.push(value);
  }
}

const gone = (err: unknown) =>
  isProviderError(err) && (err.cause as { statusCode?: number } | undefined)?.statusCode === 404;

function get(
  s: GraphSession,
  path: string,
  what: string,
  cap: number,
): Promise<Buffer | 'too_large'> {
  // Read inside the call, so a connection lost mid-body is retried like any transient failure.
  return s.call(what, async (c) =>
    readCapped(
      (await c
        .api(`${s.base}/messages/${path}`)
        .header('Prefer', 'IdType="ImmutableId"')
        .responseType(ResponseType.STREAM)
        .middlewareOptions(noLibraryRetry())
        .get()) as ReadableStream<Uint8Array> | null,
      cap,
    ),
  );
}

/** Raw MIME of one message; null when it was deleted (or moved out of reach) since the listing;
 *  'too_large' when it runs past the size limit. */
export async function fetchGraphRaw(s: GraphSession, id: string): Promise<FetchedRaw> {
  const cap = s.maxMessageBytes ? s.maxMessageBytes + rawSlack : Number.MAX_SAFE_INTEGER;
  try {
    return await get(s, `${encodeURIComponent(id)}/$value`, 'graph messages.$value', cap);
  } catch (err) {
    if (gone(err)) return null;
    throw err;
  }
}

interface Recipient {
  emailAddress?: { name?: unknown; address?: unknown } | null;
}

/** "Name <address>" of a Graph recipient; null unless its address is one plain addr-spec. */
function mailbox(r: Recipient | null | undefined): string | null {
  const address = r?.emailAddress?.address;
  if (typeof address !== 'string' || !/^[^\s<>",;()\\]+@[^\s<>",;()\\]+$/.test(address))
    return null;
  const name = r?.emailAddress?.name;
  return typeof name === 'string' && name !== '' && name !== address
    ? `"${name.replace(/["\\]/g, '\\$&')}" <${address}>`
    : `<${address}>`;
}

/**
 * The header block of a message not downloaded: Graph's copy of its internet headers, or, for a
 * message Exchange holds none for (mail that never crossed the internet), one written from the
 * selected properties. Null when the message is gone; an empty block when the answer is too long
 * to be one a stub could use.
 */
export async function fetchGraphHeaders(
  s: GraphSession,
  id: string,
): Promise<FetchedHeaders | null> {
  let answer: Buffer | 'too_large';
  try {
    answer = await get(
      s,
      `${encodeURIComponent(id)}?$select=${SELECT_HEADERS}`,
      'graph messages.get',
      headersAnswerCap,
    );
  } catch (err) {
    if (gone(err)) return null;
    throw err;
  }
  if (answer === 'too_large') return { header: Buffer.alloc(0), size: null };
  let m: Record<string, unknown>;
  try {
    m = JSON.parse(answer.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new ProviderError('transient', 'graph messages.get answered a body that is not JSON');
  }
  if (typeof m !== 'object' || m === null) return { header: Buffer.alloc(0), size: null };
  if (Array.isArray(m.internetMessageHeaders) && m.internetMessageHeaders.length > 0)
    return { header: headerBlockOf(m.internetMessageHeaders), size: null };
  const from = mailbox(m.from as Recipient);
  const to = (Array.isArray(m.toRecipients) ? (m.toRecipients as Recipient[]) : [])
    .map(mailbox)
    .filter((x) => x !== null);
  const date = typeof m.receivedDateTime === 'string' ? new Date(m.receivedDateTime) : null;
  return {
    header: headerBlockOf([
      ...(from ? [{ name: 'From', value: from }] : []),
      ...(to.length > 0 ? [{ name: 'To', value: to.join(', ') }] : []),
      ...(typeof m.subject === 'string' ? [{ name: 'Subject', value: m.subject }] : []),
      ...(typeof m.internetMessageId === 'string'
        ? [{ name: 'Message-ID', value: m.internetMessageId }]
        : []),
      ...(date && !Number.isNaN(date.getTime())
        ? [{ name: 'Date', value: date.toUTCString() }]
        : []),
    ]),
    size: null,
  };
}
