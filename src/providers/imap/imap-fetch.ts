// Downloading listed messages. A backlog is fetched in UID sets (one `UID FETCH 7,9,12:40 (UID
// BODY.PEEK[])` per batch), not one command per message: one FETCH of 50 messages costs about one
// round trip, where 50 single FETCHes cost 50 round trips and 50 command parses on both sides.
// BODY.PEEK never sets \Seen; with markSeen the batch is flagged afterwards in one STORE.
import type { ImapFlow } from 'imapflow';

import { type FetchedHeaders, type FetchedRaw, HEADER_FETCH_BYTES } from '../mail-provider.js';
import { ProviderError } from '../provider-errors.js';
import { searchUids } from './imap-search.js';
import { parseImapMessageId } from './imap-sync.js';
import { uidValidityMoved } from './imap-uidvalidity.js';

/** Opens the ingest folder the way fetching needs it (read-only unless \Seen is to be set) and
 *  refuses ids from an older UIDVALIDITY: the caller must resync (cursor_expired), not guess.
 *  `again` selects it anew even when it is open (the server may have renumbered it meanwhile). */
async function openFor(
  client: ImapFlow,
  folder: string,
  markSeen: boolean,
  uidValidity: string,
  again = false,
): Promise<void> {
  const open = client.mailbox;
  if (
    again ||
    !open ||
    open.path !== folder ||
    open.readOnly !== !markSeen ||
    uidValidityMoved(client)
  ) {
    await client.mailboxOpen(folder, { readOnly: !markSeen });
  }
  if (client.mailbox && client.mailbox.uidValidity.toString() !== uidValidity) {
    throw new ProviderError(
      'cursor_expired',
      'IMAP UIDVALIDITY changed since the message was listed',
    );
  }
}

function parseIds(ids: string[]): { uidValidity: string; uids: number[] } {
  let uidValidity: string | null = null;
  const uids: number[] = [];
  for (const raw of ids) {
    const id = parseImapMessageId(raw);
    if (!id) throw new ProviderError('permanent', 'Not an IMAP message id');
    if (uidValidity !== null && id.uidValidity !== uidValidity)
      throw new ProviderError('cursor_expired', 'IMAP message ids of different UIDVALIDITY');
    uidValidity = id.uidValidity;
    uids.push(id.uid);
  }
  return { uidValidity: uidValidity ?? '', uids };
}

/** A UID the FETCH brought no bytes for counts as expunged (null, and the sync moves its cursor
 *  past it) only when the server no longer lists it. A server that answers without BODY[], or
 *  with a response imapflow could not parse (it drops those), still has the message: that is a
 *  retryable failure, never a skip. One SEARCH, and only when something is missing. */
async function confirmGone(client: ImapFlow, asked: number[], found: number[]): Promise<void> {
  const have = new Set(found);
  const missing = new Set(asked.filter((u) => !have.has(u)));
  // A refused SEARCH or a lost connection throws: only the server's own list says "gone".
  const still = await searchUids(client, [...missing].join(','), (u) => missing.has(u));
  if (still.length > 0)
    throw new ProviderError('transient', 'IMAP FETCH answered without the message body');
}

/** imapflow's codes for a literal over maxLiteralSize and a response over maxResponseSize (see
 *  literalCap in imap-settings.ts). Either ends the connection before a byte of it is kept. */
const OVER_CAP_CODES = new Set(['LiteralTooLarge', 'ResponseTooLarge']);

/** A body FETCH the server answered with more bytes than the cap: imapflow dropped the connection
 *  at the literal's announcement, so which message of the set it was is unknown. */
class OverCapError extends Error {}

/** client.fetchAll by UID, with an answer over the connection's literal cap thrown as OverCapError:
 *  imapflow reports such a literal only as the connection's 'error', and the FETCH itself fails as
 *  NoConnection, like any hang-up. fetchAll, not a for-await loop: no other command may run while
 *  a fetch stream is open. */
async function fetchAllCapped(
  client: ImapFlow,
  range: string,
  query: Parameters<ImapFlow['fetchAll']>[1],
): Promise<Awaited<ReturnType<ImapFlow['fetchAll']>>> {
  let overCap = false;
  const onError = (err: unknown) => {
    if (OVER_CAP_CODES.has(String((err as { code?: unknown } | null)?.code))) overCap = true;
  };
  client.on('error', onError);
  try {
    return await client.fetchAll(range, query, { uid: true });
  } catch (err) {
    if (overCap) throw new OverCapError('IMAP FETCH literal over the size cap', { cause: err });
    throw err;
  } finally {
    client.off('error', onError);
  }
}

/**
 * Raw bytes of several messages of one listing, as fetchImapRawMany, except that a set the server
 * answers with a literal over the cap is split in halves on fresh connections (`reconnect`) until
 * the message it came with stands alone: that one is 'too_large' and the others are fetched. A
 * retry of the whole set would meet the same literal on every attempt.
 */
export async function fetchImapRawSplitting(
  client: ImapFlow,
  reconnect: () => Promise<ImapFlow>,
  folder: string,
  providerMessageIds: string[],
  markSeen: boolean,
): Promise<Map<string, FetchedRaw>> {
  try {
    return await fetchImapRawMany(client, folder, providerMessageIds, markSeen);
  } catch (err) {
    if (!(err instanceof OverCapError)) throw err;
  }
  // One message alone: the over-cap answer can only have been to it (a server sending a huge
  // literal unasked can make any fetch fail; parking what was asked is what moves the sync on).
  if (providerMessageIds.length === 1) return new Map([[providerMessageIds[0]!, 'too_large']]);
  const half = Math.ceil(providerMessageIds.length / 2);
  const out: Map<string, FetchedRaw> = new Map();
  for (const part of [providerMessageIds.slice(0, half), providerMessageIds.slice(half)])
    for (const [id, raw] of await fetchImapRawSplitting(
      await reconnect(),
      reconnect,
      folder,
      part,
      markSeen,
    ))
      out.set(id, raw);
  return out;
}

/**
 * Raw bytes of several messages of one listing in one FETCH; each id maps to its bytes, or to null
 * when the message no longer exists (expunged since the listing). The caller bounds the batch by
 * count and listed size: every message of it is in memory at once.
 */
async function fetchImapRawMany(
  client: ImapFlow,
  folder: string,
  providerMessageIds: string[],
  markSeen: boolean,
): Promise<Map<string, Buffer | null>> {
  const out = new Map<string, Buffer | null>(providerMessageIds.map((id) => [id, null]));
  if (providerMessageIds.length === 0) return out;
  const { uidValidity, uids } = parseIds(providerMessageIds);
  await openFor(client, folder, markSeen, uidValidity);
  // EXPUNGEs during the FETCH may be a mailbox rebuilt under the session (a storm of them, then
  // EXISTS) whose new UIDVALIDITY the server does not announce: then the folder is selected again
  // and its value compared before any byte is kept. One extra round trip, only when mail vanished.
  let expunged = 0;
  const onExpunge = () => void expunged++;
  client.on('expunge', onExpunge);
  let msgs: Awaited<ReturnType<ImapFlow['fetchAll']>>;
  try {
    msgs = await fetchAllCapped(client, uids.join(','), { uid: true, source: true });
  } finally {
    client.off('expunge', onExpunge);
  }
  if (uidValidityMoved(client))
    throw new ProviderError('cursor_expired', 'IMAP UIDVALIDITY changed during the FETCH');
  if (expunged > 0) await openFor(client, folder, markSeen, uidValidity, true);
  const found: number[] = [];
  for (const m of msgs) {
    if (!m.source) continue;
    const id = `${uidValidity}:${m.uid}`;
    if (!out.has(id)) continue; // an unasked UID (a server answering more than the set): ignore
    out.set(id, m.source);
    found.push(m.uid);
  }
  if (found.length < uids.length) await confirmGone(client, uids, found);
  if (markSeen && found.length > 0)
    await client.messageFlagsAdd(found.join(','), ['\\Seen'], { uid: true });
  return out;
}

/**
 * The header block of one message left undownloaded as too large: `UID FETCH n
 * (BODY.PEEK[HEADER]<0.65536> RFC822.SIZE)`, so the server itself cuts a long block and \Seen is
 * never set. Null when the server no longer lists the message. A server that answers without the
 * header, or with a literal over the connection's cap, gives an empty block: the stub then holds
 * what the listing knew, rather than the sync retrying a header it will never get.
 */
export async function fetchImapHeader(
  client: ImapFlow,
  folder: string,
  providerMessageId: string,
  markSeen: boolean,
): Promise<FetchedHeaders | null> {
  const { uidValidity, uids } = parseIds([providerMessageId]);
  const uid = uids[0]!;
  await openFor(client, folder, markSeen, uidValidity);
  let msgs: Awaited<ReturnType<ImapFlow['fetchAll']>>;
  try {
    msgs = await fetchAllCapped(client, String(uid), {
      uid: true,
      size: true,
      bodyParts: [{ key: 'header', maxLength: HEADER_FETCH_BYTES }],
    });
  } catch (err) {
    if (err instanceof OverCapError) return { header: Buffer.alloc(0), size: null };
    throw err;
  }
  if (uidValidityMoved(client))
    throw new ProviderError('cursor_expired', 'IMAP UIDVALIDITY changed during the FETCH');
  const m = msgs.find((x) => x.uid === uid);
  if (!m) {
    // Gone only when the server's own list says so (as confirmGone above).
    const still = await searchUids(client, String(uid), (u) => u === uid);
    return still.length > 0 ? { header: Buffer.alloc(0), size: null } : null;
  }
  // imapflow files a partial HEADER answer under bodyParts ("header<0>"), a whole one as headers.
  const part =
    m.headers ??
    [...(m.bodyParts ?? new Map<string, Buffer>()).entries()].find(([k]) =>
      k.startsWith('header'),
    )?.[1];
  return {
    header: (part ?? Buffer.alloc(0)).subarray(0, HEADER_FETCH_BYTES),
    size: typeof m.size === 'number' && m.size > 0 ? m.size : null,
  };
}
