// Listing new inbox mail (docs/providers.md, Gmail facts). Two phases share one cursor:
//   backfill — getProfile's historyId is taken FIRST (so mail arriving meanwhile is not lost), then
//              messages.list(INBOX, newer_than) pages, bounded by the mailbox's backfill limits;
//   history  — history.list(startHistoryId, messageAdded, INBOX) from the stored id. A history
//              record id is itself a valid startHistoryId, so each item's cursor is the id of the
//              record that added it: a crash re-lists at most the record in flight, never skips one.
// A stale history id (404) is ProviderError cursor_expired; listGmailChanges turns it into a fresh
// bounded backfill flagged `resync`, whose re-listed messages the pipeline drops as duplicates.
import type {
  Cursor,
  FetchedRaw,
  ListChangesOptions,
  ListChangesResult,
  RemoteMessageRef,
} from '../mail-provider.js';
import { isProviderError, ProviderError } from '../provider-errors.js';
import type { gmail_v1 } from './gmail-api.js';
import type { GmailSession } from './gmail-client.js';

export interface GmailCursor extends Cursor {
  provider: 'gmail';
  v: 1;
  /** History id to list from (history phase) or to switch to once the backfill ends. */
  historyId: string;
  /** Present while backfilling: the messages.list page to read next and how many were listed. */
  backfill: { pageToken: string | null; done: number } | null;
}

const EXCLUDED = ['SENT', 'DRAFT', 'SPAM', 'TRASH', 'CHAT'];

const cursorOf = (historyId: string, backfill: GmailCursor['backfill']): GmailCursor => ({
  provider: 'gmail',
  v: 1,
  historyId,
  backfill,
});
export const statusOf = (err: unknown): number | undefined =>
  (err as { response?: { status?: number } } | null)?.response?.status;
const ref = (
  id: string,
  threadId: string | null | undefined,
  cursorAfter: GmailCursor,
): RemoteMessageRef => ({
  providerMessageId: id,
  threadId: threadId ?? null,
  rfcMessageId: null,
  internalDate: null,
  size: null,
  cursorAfter,
});

function asGmailCursor(c: Cursor | null): GmailCursor | null {
  if (!c) return null;
  if (c.provider !== 'gmail' || c.v !== 1 || typeof c.historyId !== 'string') {
    throw new ProviderError('cursor_expired', 'Gmail cursor has an unknown shape');
  }
  return c as GmailCursor;
}

async function startBackfill(s: GmailSession): Promise<GmailCursor> {
  const profile = await s.call('gmail getProfile', () =>
    s.gmail.users.getProfile({ userId: 'me' }),
  );
  if (!profile.data.historyId)
    throw new ProviderError('transient', 'gmail getProfile returned no historyId');
  return cursorOf(profile.data.historyId, { pageToken: null, done: 0 });
}

async function backfillPage(
  s: GmailSession,
  c: GmailCursor,
  opts: ListChangesOptions,
): Promise<ListChangesResult> {
  const bf = c.backfill!;
  const max = opts.backfill.maxMessages ?? Infinity;
  const remaining = max - bf.done;
  if (remaining <= 0)
    return {
      items: [],
      nextCursor: cursorOf(c.historyId, null),
      done: false,
      progress: { done: bf.done, total: bf.done },
    };
  const days = opts.backfill.days;
  const res = await s.call('gmail messages.list', () =>
    s.gmail.users.messages.list(
      {
        userId: 'me',
        labelIds: ['INBOX'],
        maxResults: Math.min(opts.pageSize, remaining, 500),
        ...(days ? { q: `newer_than:${days}d` } : {}),
        ...(bf.pageToken ? { pageToken: bf.pageToken } : {}),
      },
      s.reads,
    ),
  );
  const data = jsonBody(res.data, 'gmail messages.list');
  const messages: unknown = data.messages ?? [];
  if (!Array.isArray(messages))
    throw new ProviderError('transient', 'gmail messages.list returned a malformed page');
  const listed = messages.filter(
    (m): m is gmail_v1.Schema$Message & { id: string } => typeof m?.id === 'string',
  );
  // Newest first from Gmail; oldest first to the pipeline, so an original is threaded before its answers.
  const items = listed.reverse().map((m) => ref(m.id, m.threadId, c));
  const done = bf.done + items.length;
  const more = typeof data.nextPageToken === 'string' && data.nextPageToken !== '' && done < max;
  return {
    items,
    nextCursor: more
      ? cursorOf(c.historyId, { pageToken: data.nextPageToken!, done })
      : cursorOf(c.historyId, null),
    done: false,
    progress: { done, total: more ? null : done },
  };
}

// gaxios hands back the text of a 200 whose body is not JSON (a proxy's error page, a cut answer).
// Read as an object it has no `raw` and no `messages`, which would look like a deleted message or an
// empty page and move the cursor past mail never stored: such an answer is transient instead.
export function jsonBody<T extends object>(data: T, what: string): T {
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw new ProviderError('transient', `${what} answered a body that is not a JSON object`);
  return data;
}

export async function historyPage(
  s: GmailSession,
  c: GmailCursor,
  pageSize: number,
): Promise<ListChangesResult> {
  let res;
  try {
    res = await s.call('gmail history.list', () =>
      s.gmail.users.history.list(
        {
          userId: 'me',
          startHistoryId: c.historyId,
          historyTypes: ['messageAdded'],
          labelId: 'INBOX',
          maxResults: Math.min(pageSize, 500),
        },
        s.reads,
      ),
    );
  } catch (err) {
    if (isProviderError(err) && statusOf(err.cause) === 404)
      throw new ProviderError('cursor_expired', 'gmail history id is no longer available', {
        cause: err.cause,
      });
    throw err;
  }
  const data = jsonBody(res.data, 'gmail history.list');
  const records = wellFormedHistory(data.history);
  const items: RemoteMessageRef[] = [];
  const seen = new Set<string>();
  let before = c;
  let last: string | undefined;
  for (const record of records) {
    // A record without a usable id still lists its messages, under the cursor before it: a crash
    // re-lists them (dropped as duplicates) rather than losing them.
    const id = isHistoryId(record.id) ? record.id : null;
    const after = id ? cursorOf(id, null) : before;
    const added = (record.messagesAdded ?? [])
      .map((a) => a?.message)
      .filter(
        (m): m is gmail_v1.Schema$Message & { id: string } =>
          typeof m?.id === 'string' &&
          !seen.has(m.id) &&
          !(Array.isArray(m.labelIds) ? m.labelIds : []).some((l) => EXCLUDED.includes(l)),
      );
    added.forEach((m, i) => {
      seen.add(m.id);
      // Only the record's last message may carry the record's id: the others would skip their siblings.
      items.push(ref(m.id, m.threadId, i === added.length - 1 ? after : before));
    });
    before = after;
    if (id) last = id;
  }
  // History lists only records after the stored id, and each item's cursor is its own record's:
  // a message stored earlier is listed again only when a crash split a record with several.
  if (data.nextPageToken && last)
    return { items, nextCursor: cursorOf(last, null), done: false, newOnly: true };
  return {
    items,
    nextCursor: cursorOf(furthest(c.historyId, data.historyId, last), null),
    done: true,
    newOnly: true,
  };
}

const isHistoryId = (v: unknown): v is string => typeof v === 'string' && /^[0-9]{1,20}$/.test(v);

/** The page's own historyId only when it is a history id at or past where we are: a cursor that
 *  went backwards would re-list the mailbox, a malformed one would fail every later call. */
function furthest(current: string, ...candidates: unknown[]): string {
  let best = current;
  for (const v of candidates) if (isHistoryId(v) && BigInt(v) > BigInt(best)) best = v;
  return best;
}

/** A page Google should never send (wrong types) is a transient fault, not a TypeError mid-sync. */
function wellFormedHistory(history: unknown): gmail_v1.Schema$History[] {
  const ok =
    history === undefined ||
    history === null ||
    (Array.isArray(history) &&
      history.every(
        (r) =>
          typeof r === 'object' &&
          r !== null &&
          (r.messagesAdded === undefined ||
            r.messagesAdded === null ||
            Array.isArray(r.messagesAdded)),
      ));
  if (!ok) throw new ProviderError('transient', 'gmail history.list returned a malformed page');
  return (history ?? []) as gmail_v1.Schema$History[];
}

export async function listGmailChanges(
  s: GmailSession,
  cursor: Cursor | null,
  opts: ListChangesOptions,
): Promise<ListChangesResult> {
  const c = asGmailCursor(cursor) ?? (await startBackfill(s));
  if (c.backfill) return backfillPage(s, c, opts);
  try {
    return await historyPage(s, c, opts.pageSize);
  } catch (err) {
    if (!isProviderError(err) || err.kind !== 'cursor_expired') throw err;
    // History ran out (mailbox idle too long, or Inlet was down): bounded resync from now.
    const fresh = await startBackfill(s);
    return { ...(await backfillPage(s, fresh, opts)), resync: 'cursor_expired' };
  }
}

/** The largest format=raw answer read: a message of `maxMessageBytes` in base64url, with room for
 *  the JSON around it (ids, labels, snippet). A message just over the limit still fits and is
 *  parked with its bytes; a larger one is not held in memory at all. */
export const rawAnswerCap = (maxMessageBytes: number): number =>
  Math.ceil(maxMessageBytes / 3) * 4 + 64 * 1024;

/** gaxios refuses an answer over maxContentLength by its Content-Length, or while reading it. */
export const overCap = (err: unknown): boolean => {
  for (let e = err as { message?: unknown; type?: unknown; cause?: unknown } | null; e;) {
    if (e.type === 'max-size' || /over (the )?limit/i.test(String(e.message))) return true;
    e = e.cause as typeof e;
  }
  return false;
};

/**
 * Raw bytes of one message; null when it was deleted since the listing; 'too_large' when Gmail's
 * answer runs past rawAnswerCap: the download stops there, and the sync parks the message with a
 * stub of its headers (format=metadata, gmail-headers.ts) instead of retrying it forever.
 */
export async function fetchGmailRaw(s: GmailSession, id: string): Promise<FetchedRaw> {
  const cap = s.maxMessageBytes ? { maxContentLength: rawAnswerCap(s.maxMessageBytes) } : {};
  try {
    const res = await s.call('gmail messages.get', async () => {
      try {
        return await s.gmail.users.messages.get(
          { userId: 'me', id, format: 'raw' },
          { ...s.reads, ...cap },
        );
      } catch (err) {
        if ('maxContentLength' in cap && overCap(err)) return 'too_large' as const;
        throw err;
      }
    });
    if (res === 'too_large') return res;
    const raw: unknown = jsonBody(res.data, 'gmail messages.get').raw;
    if (raw === undefined || raw === null || raw === '') return null;
    if (typeof raw !== 'string')
      throw new ProviderError('transient', 'gmail messages.get returned a malformed raw');
    return Buffer.from(raw, 'base64url');
  } catch (err) {
    // Deleted between the listing and the fetch.
    if (isProviderError(err) && statusOf(err.cause) === 404) return null;
    throw err;
  }
}
