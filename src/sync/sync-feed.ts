// What a sync reads from the provider, in order: each listed message with its bytes (fetched in
// batches), the ones skipped without fetching (already held, over the size limit) or whose fetch
// the provider cut off as too large (with their header block only, for a stub on the ticket), and
// after each listing page a marker carrying the page's cursor. syncMailbox stores what this yields
// while readAhead keeps the next batch (or the next listing) in flight, so the mail server and the
// database work at the same time instead of taking turns.
import type {
  BackfillLimits,
  Cursor,
  FetchedHeaders,
  FetchedRaw,
  ListChangesResult,
  MailProvider,
  RemoteMessageRef,
} from '../providers/mail-provider.js';
import { fromProvider, isProviderError } from '../providers/provider-errors.js';
import type { Db } from '../store/db.js';
import type { KeyService } from '../tenancy/key-service.js';
import { alreadyHeld } from './already-held.js';

export type FeedEntry =
  | { kind: 'held'; item: RemoteMessageRef }
  /** header: the provider's header-only fetch for the ticket stub; null when it has none to give. */
  | { kind: 'oversized'; item: RemoteMessageRef; header: FetchedHeaders | null }
  /** raw null: expunged between listing and fetching. incremental: new mail, not a backfill page. */
  | { kind: 'message'; item: RemoteMessageRef; raw: Buffer | null; incremental: boolean }
  | { kind: 'page-end'; page: ListChangesResult };

export interface FeedOptions {
  backfill: BackfillLimits;
  /** Items per listChanges call. */
  pageSize: number;
  /** One FETCH holds at most this many messages and (by listed size) bytes: all are in memory at once. */
  batch: { maxMessages: number; maxBytes: number };
  refusesSize(bytes: number): boolean;
}

export async function* syncFeed(
  deps: { db: Db; keys: KeyService },
  provider: MailProvider,
  tenantId: string,
  mailboxId: string,
  start: Cursor | null,
  opts: FeedOptions,
): AsyncGenerator<FeedEntry> {
  const fetchMany = async (items: RemoteMessageRef[]): Promise<Map<string, FetchedRaw>> => {
    if (provider.fetchRawMany) {
      const many = provider.fetchRawMany.bind(provider);
      return fromProvider('sync', () => many(items));
    }
    const out = new Map<string, FetchedRaw>();
    for (const item of items)
      out.set(item.providerMessageId, await fromProvider('sync', () => provider.fetchRaw(item)));
    return out;
  };
  /** The header block of a message not downloaded as too large, or 'gone' (deleted since the
   *  listing). A provider that refuses the header for good (permanent) leaves the stub to what
   *  the listing gave; anything else (a revoked grant, a rate limit, a blip) retries the sync. */
  const headersOf = async (item: RemoteMessageRef): Promise<FetchedHeaders | null | 'gone'> => {
    if (!provider.fetchHeaders) return null;
    const fetchHeaders = provider.fetchHeaders.bind(provider);
    try {
      return (await fromProvider('sync', () => fetchHeaders(item))) ?? 'gone';
    } catch (err) {
      if (isProviderError(err) && err.kind === 'permanent') return null;
      throw err;
    }
  };
  async function* oversized(
    item: RemoteMessageRef,
    incremental: boolean,
  ): AsyncGenerator<FeedEntry> {
    const header = await headersOf(item);
    if (header === 'gone') yield { kind: 'message', item, raw: null, incremental };
    else yield { kind: 'oversized', item, header };
  }
  let cursor = start;
  for (;;) {
    const page = await fromProvider('sync', () =>
      provider.listChanges(cursor, { backfill: opts.backfill, pageSize: opts.pageSize }),
    );
    // Pages before this one may still be being stored: a copy of one of their messages listed here
    // again is then fetched and recognised as a duplicate by the pipeline instead of skipped here.
    // A listing of new mail only (newOnly) is not checked: for the one or two messages a push
    // brings, the check was a transaction of its own that found nothing.
    const known = page.newOnly
      ? new Set<string>()
      : await alreadyHeld(deps, tenantId, mailboxId, page.items);
    let batch: RemoteMessageRef[] = [];
    let bytes = 0;
    async function* fetchBatch(): AsyncGenerator<FeedEntry> {
      if (batch.length === 0) return;
      const items = batch;
      batch = [];
      bytes = 0;
      const raws = await fetchMany(items);
      for (const item of items) {
        const raw = raws.get(item.providerMessageId) ?? null;
        // Listed under the limit, sent over it: parked like one listed as too large.
        const incremental = page.progress === undefined;
        if (raw === 'too_large') yield* oversized(item, incremental);
        else yield { kind: 'message', item, raw, incremental };
      }
    }
    for (const item of page.items) {
      if (known.has(item.providerMessageId)) {
        yield { kind: 'held', item };
        continue;
      }
      if (item.size !== null && opts.refusesSize(item.size)) {
        yield* fetchBatch();
        yield* oversized(item, page.progress === undefined);
        continue;
      }
      const size = item.size ?? 0;
      if (batch.length > 0 && bytes + size > opts.batch.maxBytes) yield* fetchBatch();
      batch.push(item);
      bytes += size;
      if (batch.length >= opts.batch.maxMessages) yield* fetchBatch();
    }
    yield* fetchBatch();
    yield { kind: 'page-end', page };
    cursor = page.nextCursor;
    if (page.done) return;
  }
}

/**
 * Keeps the source's next entry in flight while the consumer handles the current one (one ahead:
 * with syncFeed, at most one FETCH batch waits beside what the consumer holds). A consumer that stops
 * early closes the source after its step in flight.
 */
export async function* readAhead<T>(source: AsyncGenerator<T>): AsyncGenerator<T> {
  let pending = source.next();
  pending.catch(() => undefined); // observed below; an early stop must not leave it unhandled
  let finished = false;
  try {
    for (;;) {
      const r = await pending;
      if (r.done) {
        finished = true;
        return;
      }
      pending = source.next();
      pending.catch(() => undefined);
      yield r.value;
    }
  } finally {
    if (!finished) void source.return(undefined).catch(() => undefined);
  }
}
