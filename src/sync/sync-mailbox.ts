// The `mailbox.sync` job: list what changed since the stored cursor, fetch each new message and
// hand it to the pipeline together with the cursor that covers it, so the cursor moves only in the
// transaction that stored the message. Messages are stored a page at a time (PageBuffer: one
// transaction per up to 50 messages), so a crash re-lists at most the page in flight. Listed messages this
// mailbox already has on record are not fetched again; the pipeline's unique indexes make any other
// copy (another mailbox, a race) a duplicate. Pages until the provider says done.
//
// Failure policy (provider-errors.ts): auth_revoked parks the mailbox as reauth_required and ends
// the job without a retry loop; rate_limited / transient / permanent are recorded by class and
// rethrown so graphile-worker retries with backoff; cursor_expired (UIDVALIDITY changed between
// listing and fetching) restarts the listing, which then runs a bounded resync.
import { type Ingested, PageBuffer } from '../ingest/page-buffer.js';
import type { Pipeline } from '../ingest/pipeline.js';
import type { Logger } from '../lib/logger.js';
import { recordSyncFailure } from '../mailboxes/status.js';
import type { BackfillLimits, Cursor, MailProvider } from '../providers/mail-provider.js';
import { type ProviderFactoryDeps, providerFromRows } from '../providers/open-mailbox.js';
import { isProviderError, toProviderError } from '../providers/provider-errors.js';
import { capabilitiesOf } from '../providers/registry.js';
import type { Db } from '../store/db.js';
import { setMailboxCursor } from '../store/mailbox-store.js';
import type { KeyService } from '../tenancy/key-service.js';
import { readAhead, syncFeed } from './sync-feed.js';
import { advanceSync, readSyncState, syncOpeningFrom, syncOpeningSql } from './sync-store.js';

export interface SyncDeps {
  db: Db;
  keys: KeyService;
  pipeline: Pipeline;
  logger: Logger;
  /** Items per listChanges call. */
  pageSize?: number;
  providerDeps?: ProviderFactoryDeps;
}

export interface SyncResult {
  status: 'synced' | 'skipped' | 'reauth_required';
  stored: number;
  duplicates: number;
  parked: number;
  gone: number;
}

const defaultPageSize = 100;
/** Messages per FETCH: about one round trip each instead of one per message. */
const fetchBatch = { maxMessages: 50, maxBytes: 8 * 1024 * 1024 };
const maxRestarts = 3;

/** Thrown when the worker shuts down mid-sync: the job is retried later from the stored cursor. */
export class SyncInterruptedError extends Error {
  constructor() {
    super('sync interrupted by shutdown');
    this.name = 'SyncInterruptedError';
  }
}

export async function syncMailbox(
  deps: SyncDeps,
  tenantId: string,
  mailboxId: string,
  signal?: AbortSignal,
): Promise<SyncResult> {
  const result: SyncResult = { status: 'synced', stored: 0, duplicates: 0, parked: 0, gone: 0 };
  const log = deps.logger.child({ component: 'sync', mailbox: mailboxId });
  // The opening read rides with BEGIN; the same transaction takes the audit record of the
  // credentials decrypt, which must be written before the decrypt (security.md control 5).
  const opened = await deps.db.tenantTxOpening(
    tenantId,
    syncOpeningSql(tenantId, mailboxId),
    async (ex, rows) => {
      const row = syncOpeningFrom(rows);
      // Disconnected, parked for re-authentication, or deleted: a queued sync has nothing to do.
      if (!row || row.state.status !== 'active' || !capabilitiesOf(row.state.provider).syncs)
        return null;
      const provider = await providerFromRows(
        { ex, purpose: 'sync' },
        deps.keys,
        row.mailbox,
        row.key,
        {
          ...deps.providerDeps,
          logger: log,
        },
      );
      return { state: row.state, provider };
    },
  );
  if (!opened) return { ...result, status: 'skipped' };
  const { state, provider } = opened;
  const backfill: BackfillLimits = {
    days: state.backfill_days,
    maxMessages: state.backfill_max_messages,
  };
  try {
    let cursor = (state.cursor ?? null) as Cursor | null;
    const lag = { ms: null as number | null };
    for (let restarts = 0; ;) {
      try {
        // The last listing page's bookkeeping also records the sync as finished (advanceSync).
        await drain(deps, provider, tenantId, mailboxId, cursor, backfill, { result, lag }, signal);
        break;
      } catch (err) {
        if (!isProviderError(err) || err.kind !== 'cursor_expired' || ++restarts > maxRestarts)
          throw err;
        // Re-read the cursor the pipeline stored last; listing from it detects the new UIDVALIDITY.
        cursor =
          ((await deps.db.tenantTx(tenantId, (ex) => readSyncState(ex, tenantId, mailboxId)))
            ?.cursor as Cursor | null) ?? null;
      }
    }
    log.info(
      {
        stored: result.stored,
        duplicates: result.duplicates,
        parked: result.parked,
        gone: result.gone,
      },
      'mailbox synced',
    );
    return result;
  } catch (err) {
    if (!isProviderError(err)) throw err; // database or pipeline trouble: plain retry
    const pe = toProviderError(err, 'sync');
    await deps.db.tenantTx(tenantId, (ex) => recordSyncFailure(ex, tenantId, mailboxId, pe.kind));
    log.warn({ errorClass: pe.kind, errCode: pe.code }, 'mailbox sync failed');
    if (pe.kind === 'auth_revoked') return { ...result, status: 'reauth_required' };
    throw pe;
  } finally {
    await provider.close();
  }
}

async function drain(
  deps: SyncDeps,
  provider: MailProvider,
  tenantId: string,
  mailboxId: string,
  start: Cursor | null,
  backfill: BackfillLimits,
  /** Counts so far, and the largest delay between a new mail's arrival and its commit. */
  tally: { result: SyncResult; lag: { ms: number | null } },
  signal: AbortSignal | undefined,
): Promise<void> {
  const { result, lag } = tally;
  const pages = new PageBuffer(deps.pipeline);
  /** When each buffered message of new mail (not backfill) reached the mailbox, for the sync lag. */
  const arrivals = new Map<string, Date>();
  type Counted = { input: { providerMessageId: string }; outcome: Ingested['outcome'] };
  const lagOf = (stored: Counted[]) => {
    let ms = lag.ms;
    for (const { input, outcome } of stored) {
      const internalDate = arrivals.get(input.providerMessageId);
      if (outcome.status === 'stored' && internalDate)
        ms = Math.max(ms ?? 0, Math.max(0, Date.now() - internalDate.getTime()));
    }
    return ms;
  };
  const count = (stored: Counted[]) => {
    for (const { input, outcome } of stored) {
      if (outcome.status === 'stored') {
        result.stored++;
        lag.ms = lagOf([{ input, outcome }]);
      } else if (outcome.status === 'duplicate') result.duplicates++;
      else result.parked++;
      arrivals.delete(input.providerMessageId);
    }
  };
  const feed = readAhead(
    syncFeed(deps, provider, tenantId, mailboxId, start, {
      backfill,
      pageSize: deps.pageSize ?? defaultPageSize,
      batch: fetchBatch,
      refusesSize: (bytes) => deps.pipeline.refusesSize(bytes),
    }),
  );
  // The feed lists and fetches ahead while this loop hands messages to the page buffer, which stores
  // one page while the next is prepared; cursors still move only in the transactions that store.
  try {
    await consume();
  } catch (err) {
    // Pages already handed over finish storing (or fail) before the caller re-lists or retries,
    // so two stores of this mailbox never run at once.
    await pages.flush().then(count, () => undefined);
    throw err;
  }

  async function consume(): Promise<void> {
    for await (const entry of feed) {
      if (entry.kind === 'page-end') {
        const { page } = entry;
        // Covers the items before it plus any skipped UIDs after them: written with the page's
        // last messages (in their transaction) or after them, while the feed lists on.
        count(
          await pages.step({
            tenantId,
            write: (ex, stored) =>
              advanceSync(ex, tenantId, mailboxId, {
                cursor: page.nextCursor,
                progress: page.progress,
                finished: page.done ? { lagMs: lagOf(stored) } : undefined,
              }),
          }),
        );
        if (page.done) {
          count(await pages.flush());
          return;
        }
        continue;
      }
      const { item } = entry;
      if (entry.kind === 'held') {
        // No cursor step of its own: a later item's cursor, or the page's, covers it.
        result.duplicates++;
        continue;
      }
      if (signal?.aborted) {
        count(await pages.flush()); // fetched already: keep it
        throw new SyncInterruptedError();
      }
      if (entry.kind === 'oversized') {
        // Over the size limit by the provider's own count, or cut off by it mid-fetch (an IMAP
        // literal over the cap): not downloaded, so one huge message cannot exhaust the worker's
        // memory nor hold the sync on retries. Parked after what came before it is stored.
        count(await pages.flush());
        // The agent still learns that a customer wrote: a stub of its header block (or of what the
        // listing knew) on the ticket it would have joined. A size under the limit is a server's
        // miscount (its FETCH ran past the cap), not the original's size.
        const size = entry.header?.size ?? item.size;
        const outcome = await deps.pipeline.parkUnfetched({
          tenantId,
          mailboxId,
          providerMessageId: item.providerMessageId,
          providerThreadId: item.threadId,
          cursor: item.cursorAfter,
          unfetched: {
            header: entry.header?.header ?? null,
            listed: { rfcMessageId: item.rfcMessageId, internalDate: item.internalDate },
            size: size !== null && deps.pipeline.refusesSize(size) ? size : null,
          },
        });
        count([{ input: item, outcome }]);
        continue;
      }
      if (entry.raw === null) {
        // Expunged between listing and fetching: nothing to store, but the cursor moves past it —
        // after the messages before it are stored.
        count(await pages.flush());
        await deps.db.tenantTx(tenantId, (ex) =>
          setMailboxCursor(ex, tenantId, mailboxId, item.cursorAfter),
        );
        result.gone++;
        continue;
      }
      if (item.internalDate && entry.incremental)
        arrivals.set(item.providerMessageId, item.internalDate);
      // Stored a page at a time, each message with the cursor that covers it (the page commits the last).
      count(
        await pages.add({
          tenantId,
          mailboxId,
          providerMessageId: item.providerMessageId,
          providerThreadId: item.threadId,
          raw: entry.raw,
          cursor: item.cursorAfter,
        }),
      );
    }
    // The feed ends only after a page that says done, which returned above.
    throw new Error('sync feed ended without a final page');
  }
}
