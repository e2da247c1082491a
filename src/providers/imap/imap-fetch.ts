// Downloading listed messages. A backlog is fetched in UID sets (one `UID FETCH 7,9,12:40 (UID
// BODY.PEEK[])` per batch), not one command per message: one FETCH of 50 messages costs about one
// round trip, where 50 single FETCHes cost 50 round trips and 50 command parses on both sides.
// BODY.PEEK never sets \Seen; with markSeen the batch is flagged afterwards in one STORE.
import type { ImapFlow } from 'imapflow';

import { ProviderError } from '../provider-errors.js';
import { parseImapMessageId } from './imap-sync.js';

/** Opens the ingest folder the way fetching needs it (read-only unless \Seen is to be set) and
 *  refuses ids from an older UIDVALIDITY: the caller must resync (cursor_expired), not guess. */
async function openFor(
  client: ImapFlow,
  folder: string,
  markSeen: boolean,
  uidValidity: string,
): Promise<void> {
  const open = client.mailbox;
  if (!open || open.path !== folder || open.readOnly !== !markSeen) {
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
  const missing = asked.filter((u) => !have.has(u));
  const still = (await client.search({ uid: missing.join(',') }, { uid: true })) || [];
  if (still.some((u) => !have.has(u) && missing.includes(u)))
    throw new ProviderError('transient', 'IMAP FETCH answered without the message body');
}

/** Raw bytes of one message; null when it no longer exists. */
export async function fetchImapRaw(
  client: ImapFlow,
  folder: string,
  providerMessageId: string,
  markSeen: boolean,
): Promise<Buffer | null> {
  return (await fetchImapRawMany(client, folder, [providerMessageId], markSeen)).get(
    providerMessageId,
  )!;
}

/**
 * Raw bytes of several messages of one listing in one FETCH; each id maps to its bytes, or to null
 * when the message no longer exists (expunged since the listing). The caller bounds the batch by
 * count and listed size: every message of it is in memory at once.
 */
export async function fetchImapRawMany(
  client: ImapFlow,
  folder: string,
  providerMessageIds: string[],
  markSeen: boolean,
): Promise<Map<string, Buffer | null>> {
  const out = new Map<string, Buffer | null>(providerMessageIds.map((id) => [id, null]));
  if (providerMessageIds.length === 0) return out;
  const { uidValidity, uids } = parseIds(providerMessageIds);
  await openFor(client, folder, markSeen, uidValidity);
  // fetchAll, not a for-await loop: no other command may run while a fetch stream is open.
  const msgs = await client.fetchAll(uids.join(','), { uid: true, source: true }, { uid: true });
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
