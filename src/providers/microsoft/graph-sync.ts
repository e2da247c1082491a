// Listing new inbox mail with a delta query (docs/providers.md, Microsoft 365 facts: listing):
// `mailFolders/inbox/messages/delta` with immutable ids, paged through @odata.nextLink until
// @odata.deltaLink, which is the cursor of the next round. Each listed item carries the link of its
// own page as its cursor (the page's last item the next link), so a crash re-lists at most one
// page, and what is already held is skipped by the caller. The first round is the backfill, bounded
// by age ($filter on receivedDateTime) and count (newest first, $orderby receivedDateTime desc). An
// expired token (410 / syncStateNotFound) restarts a bounded round flagged `resync`.
import type {
  Cursor,
  ListChangesOptions,
  ListChangesResult,
  RemoteMessageRef,
} from '../mail-provider.js';
import { isProviderError, ProviderError } from '../provider-errors.js';
import { type GraphSession, noLibraryRetry } from './graph-session.js';

export interface GraphCursor extends Cursor {
  provider: 'graph';
  v: 1;
  /** Link to GET next: a nextLink inside a round, or the last round's deltaLink. */
  link: string;
  /** First round (backfill): how many were listed so far; null once in incremental rounds. */
  backfill: { done: number } | null;
}

interface DeltaMessage {
  id?: string;
  internetMessageId?: string | null;
  conversationId?: string | null;
  receivedDateTime?: string | null;
  '@removed'?: unknown;
}

interface DeltaPage {
  value?: DeltaMessage[];
  '@odata.nextLink'?: string;
  '@odata.deltaLink'?: string;
}

const SELECT = 'id,internetMessageId,conversationId,receivedDateTime';
const cursorOf = (link: string, backfill: GraphCursor['backfill']): GraphCursor => ({
  provider: 'graph',
  v: 1,
  link,
  backfill,
});

function asGraphCursor(c: Cursor | null): GraphCursor | null {
  if (!c) return null;
  if (c.provider !== 'graph' || c.v !== 1 || typeof c.link !== 'string')
    throw new ProviderError('cursor_expired', 'Graph cursor has an unknown shape');
  return c as GraphCursor;
}

function firstLink(s: GraphSession, opts: ListChangesOptions, now: number): string {
  const q = new URLSearchParams({ $select: SELECT, changeType: 'created' });
  if (opts.backfill.days)
    q.set(
      '$filter',
      `receivedDateTime ge ${new Date(now - opts.backfill.days * 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z')}`,
    );
  if (opts.backfill.maxMessages) q.set('$orderby', 'receivedDateTime desc');
  return `${s.base}/mailFolders/inbox/messages/delta?${q.toString()}`;
}

async function getPage(s: GraphSession, link: string, pageSize: number): Promise<DeltaPage> {
  try {
    return await s.call(
      'graph messages.delta',
      (c) =>
        c
          .api(link)
          .header(
            'Prefer',
            `IdType="ImmutableId", odata.maxpagesize=${Math.min(Math.max(pageSize, 1), 1000)}`,
          )
          .middlewareOptions(noLibraryRetry())
          .get() as Promise<DeltaPage>,
    );
  } catch (err) {
    if (
      isProviderError(err) &&
      ((err.cause as { statusCode?: number } | undefined)?.statusCode === 410 ||
        err.kind === 'cursor_expired')
    ) {
      throw new ProviderError('cursor_expired', 'graph delta token is no longer valid', {
        cause: err.cause,
      });
    }
    throw err;
  }
}

/** A link Graph hands us is followed with the mailbox's token: it must stay on the Graph endpoint
 *  we were configured with (no SSRF, no token or cursor sent to another host by a bad page). */
function onGraph(s: GraphSession, link: unknown): link is string {
  if (typeof link !== 'string') return false;
  try {
    return new URL(link).origin === s.origin;
  } catch {
    return false;
  }
}

function wellFormedValue(value: unknown): DeltaMessage[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((m) => typeof m === 'object' && m !== null))
    throw new ProviderError('transient', 'graph delta page returned a malformed value');
  return value as DeltaMessage[];
}

function dateOrNull(v: unknown): Date | null {
  const d = typeof v === 'string' ? new Date(v) : null;
  return d && !Number.isNaN(d.getTime()) ? d : null;
}

async function round(
  s: GraphSession,
  c: GraphCursor,
  opts: ListChangesOptions,
): Promise<ListChangesResult> {
  const page = await getPage(s, c.link, opts.pageSize);
  const max = opts.backfill.maxMessages ?? Infinity;
  const listed = wellFormedValue(page.value).filter(
    (m): m is DeltaMessage & { id: string } =>
      typeof m.id === 'string' && m['@removed'] === undefined,
  );
  const room = c.backfill ? Math.max(0, max - c.backfill.done) : Infinity;
  const taken = listed
    .slice(0, room)
    .sort((a, b) => Date.parse(a.receivedDateTime ?? '') - Date.parse(b.receivedDateTime ?? ''));
  const nextLink = page['@odata.nextLink'] ?? page['@odata.deltaLink'];
  if (!nextLink)
    throw new ProviderError('transient', 'graph delta page had neither nextLink nor deltaLink');
  if (!onGraph(s, nextLink))
    throw new ProviderError('transient', 'graph delta page links outside the Graph endpoint');
  const finished = page['@odata.deltaLink'] !== undefined;
  const done = c.backfill ? c.backfill.done + taken.length : 0;
  const next = cursorOf(nextLink, c.backfill && !finished ? { done } : null);
  const items: RemoteMessageRef[] = taken.map((m, i) => ({
    providerMessageId: m.id,
    threadId: typeof m.conversationId === 'string' ? m.conversationId : null,
    rfcMessageId: typeof m.internetMessageId === 'string' ? m.internetMessageId : null,
    internalDate: dateOrNull(m.receivedDateTime),
    size: null,
    cursorAfter: i === taken.length - 1 ? next : c,
  }));
  return {
    items,
    nextCursor: next,
    done: finished,
    ...(c.backfill ? { progress: { done, total: finished ? done : null } } : {}),
  };
}

export async function listGraphChanges(
  s: GraphSession,
  cursor: Cursor | null,
  opts: ListChangesOptions,
  now = Date.now(),
): Promise<ListChangesResult> {
  const c = asGraphCursor(cursor) ?? cursorOf(firstLink(s, opts, now), { done: 0 });
  try {
    return await round(s, c, opts);
  } catch (err) {
    if (
      !isProviderError(err) ||
      err.kind !== 'cursor_expired' ||
      (c.backfill && c.backfill.done === 0 && !cursor)
    )
      throw err;
    // The sync state was evicted (Inlet down for long, or Exchange's cache moved on): a bounded round
    // from scratch; what this mailbox already holds is skipped by the caller without a download.
    return {
      ...(await round(s, cursorOf(firstLink(s, opts, now), { done: 0 }), opts)),
      resync: 'cursor_expired',
    };
  }
}
