// Incremental listing by UIDVALIDITY + UID. The cursor says "every message with UID <= lastUid is
// handled"; during a bounded backfill it also carries the window [lastUid+1, endUid) and the age
// limit, so a backfill interrupted by a crash resumes exactly where the last stored item left it.
// Mail that arrives during a backfill gets UIDs >= endUid and is listed once the window is done.
// Listing opens the folder read-only (EXAMINE), so nothing here can change flags or remove mail.
import type { ImapFlow } from 'imapflow';

import type {
  Cursor,
  ListChangesOptions,
  ListChangesResult,
  RemoteMessageRef,
  ResyncReason,
} from '../mail-provider.js';
import { ProviderError } from '../provider-errors.js';
import { searchUids } from './imap-search.js';
import { uidValidityMoved } from './imap-uidvalidity.js';
import { checkFolder } from './imap-verify.js';

export interface ImapCursor extends Cursor {
  provider: 'imap';
  v: 1;
  uidValidity: string;
  lastUid: number;
  backfill: { endUid: number; sinceMs: number | null; total: number } | null;
}

const DAY_MS = 86_400_000;

export function parseImapCursor(c: Cursor | null): ImapCursor | null {
  if (!c || c.provider !== 'imap' || c.v !== 1) return null;
  const x = c as Partial<ImapCursor>;
  if (typeof x.uidValidity !== 'string' || !/^\d+$/.test(x.uidValidity)) return null;
  if (typeof x.lastUid !== 'number' || !Number.isInteger(x.lastUid) || x.lastUid < 0) return null;
  const b = x.backfill;
  if (
    b !== null &&
    (typeof b !== 'object' || typeof b.endUid !== 'number' || typeof b.total !== 'number')
  )
    return null;
  return c as ImapCursor;
}

function makeCursor(
  uidValidity: string,
  lastUid: number,
  backfill: ImapCursor['backfill'],
): ImapCursor {
  return { provider: 'imap', v: 1, uidValidity, lastUid, backfill };
}

export function imapMessageId(uidValidity: string, uid: number): string {
  return `${uidValidity}:${uid}`;
}

export function parseImapMessageId(id: string): { uidValidity: string; uid: number } | null {
  const m = /^(\d+):(\d+)$/.exec(id);
  if (!m?.[1] || !m[2]) return null;
  return { uidValidity: m[1], uid: Number(m[2]) };
}

/** Starts a bounded backfill: the newest messages within the age/count limits, up to the current uidNext. */
async function startBackfill(
  client: ImapFlow,
  uidValidity: string,
  uidNext: number,
  opts: ListChangesOptions,
  now: number,
): Promise<ImapCursor> {
  const days = opts.backfill.days ?? null;
  const sinceMs = days !== null && days >= 0 ? now - days * DAY_MS : null;
  const max = opts.backfill.maxMessages ?? null;
  if (max === 0 || uidNext <= 1) return makeCursor(uidValidity, Math.max(0, uidNext - 1), null);
  let uids = await searchUids(
    client,
    `1:${uidNext - 1}`,
    (u) => u < uidNext,
    sinceMs === null ? null : new Date(sinceMs),
  );
  if (max !== null && uids.length > max) uids = uids.slice(uids.length - max);
  const first = uids[0];
  if (first === undefined) return makeCursor(uidValidity, uidNext - 1, null);
  return makeCursor(uidValidity, first - 1, { endUid: uidNext, sinceMs, total: uids.length });
}

interface ListedMeta {
  rfcMessageId: string | null;
  internalDate: Date | null;
  size: number | null;
  threadId: string | null;
}

/**
 * ENVELOPE, INTERNALDATE and RFC822.SIZE of one page. A UID whose row is missing (a server that
 * drops rows it cannot build, or imapflow dropping a malformed one) is expunged only when SEARCH no
 * longer finds it; otherwise it is listed without metadata and the body FETCH decides.
 */
async function listingMeta(client: ImapFlow, page: number[]): Promise<Map<number, ListedMeta>> {
  const meta = new Map<number, ListedMeta>();
  if (page.length === 0) return meta;
  // fetchAll, not a for-await loop: no other command may run while a fetch stream is open.
  const msgs = await client.fetchAll(
    page.join(','),
    { uid: true, envelope: true, internalDate: true, size: true },
    { uid: true },
  );
  for (const m of msgs) {
    const date =
      m.internalDate instanceof Date
        ? m.internalDate
        : m.internalDate
          ? new Date(m.internalDate)
          : null;
    meta.set(m.uid, {
      rfcMessageId: m.envelope?.messageId ?? null,
      internalDate: date && !Number.isNaN(date.getTime()) ? date : null,
      size: typeof m.size === 'number' ? m.size : null,
      threadId: typeof m.threadId === 'string' ? m.threadId : null,
    });
  }
  const missing = new Set(page.filter((u) => !meta.has(u)));
  if (missing.size === 0) return meta;
  for (const uid of await searchUids(client, [...missing].join(','), (u) => missing.has(u)))
    meta.set(uid, { rfcMessageId: null, internalDate: null, size: null, threadId: null });
  return meta;
}

export async function listImapChanges(
  client: ImapFlow,
  folder: string,
  stored: Cursor | null,
  opts: ListChangesOptions,
  now = Date.now(),
): Promise<ListChangesResult> {
  if (!Number.isInteger(opts.pageSize) || opts.pageSize < 1)
    throw new RangeError('pageSize must be a positive integer');
  await checkFolder(client, folder);
  const mb = client.mailbox;
  if (!mb) throw new ProviderError('transient', 'IMAP folder is not open');
  const uidValidity = mb.uidValidity.toString();
  const uidNext = mb.uidNext;

  let cursor = parseImapCursor(stored);
  let resync: ResyncReason | undefined;
  if (stored !== null && cursor === null) resync = 'cursor_expired';
  else if (cursor && cursor.uidValidity !== uidValidity) resync = 'uidvalidity_changed';
  if (!cursor || resync) cursor = await startBackfill(client, uidValidity, uidNext, opts, now);

  let uids: number[];
  let remaining = 0;
  const bf = cursor.backfill;
  if (bf) {
    const from = cursor.lastUid + 1;
    const to = bf.endUid - 1;
    uids =
      from <= to
        ? await searchUids(
            client,
            `${from}:${to}`,
            (u) => u >= from && u <= to,
            bf.sinceMs === null ? null : new Date(bf.sinceMs),
          )
        : [];
    remaining = uids.length;
  } else {
    // "N:*" always matches the highest UID even when it is below N, hence the filter.
    const last = cursor.lastUid;
    uids = await searchUids(client, `${last + 1}:*`, (u) => u > last);
  }
  const page = uids.slice(0, opts.pageSize);
  const more = uids.length > page.length;

  const meta = await listingMeta(client, page);

  // UIDs listed after the server announced another UIDVALIDITY name other mail: the sync re-lists
  // from its stored cursor, and the listing's own EXAMINE then starts the resync.
  if (uidValidityMoved(client))
    throw new ProviderError('cursor_expired', 'IMAP UIDVALIDITY changed during the listing');

  const items: RemoteMessageRef[] = [];
  let after: ImapCursor = cursor;
  for (const uid of page) {
    // The last UID of the backfill window closes the window: later UIDs below endUid were outside
    // the age limit, so the cursor may jump over them.
    const closes = bf !== null && !more && uid === page[page.length - 1];
    after =
      closes || !bf
        ? makeCursor(uidValidity, closes && bf ? bf.endUid - 1 : uid, null)
        : makeCursor(uidValidity, uid, bf);
    const m = meta.get(uid);
    if (!m) continue; // expunged between SEARCH and FETCH (SEARCH confirmed): the cursor moves past it
    items.push({
      providerMessageId: imapMessageId(uidValidity, uid),
      threadId: m.threadId,
      rfcMessageId: m.rfcMessageId,
      internalDate: m.internalDate,
      size: m.size,
      cursorAfter: after,
    });
  }
  // An empty window means the backfill is over.
  if (bf && page.length === 0) after = makeCursor(uidValidity, bf.endUid - 1, null);

  const result: ListChangesResult = {
    items,
    nextCursor: after,
    // After a backfill window closes, one more call picks up what arrived meanwhile.
    done: !more && !bf,
  };
  if (resync) result.resync = resync;
  if (bf) result.progress = { done: bf.total - remaining + page.length, total: bf.total };
  return result;
}
