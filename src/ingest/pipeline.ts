// Runs the stages for raw messages and owns the transaction: parse → classify → thread → extract
// reply → sanitise → scan → encrypt → store messages, attachments, ticket changes, delivery records,
// events and the provider cursor step in ONE transaction. A provider's sync page (or an import
// chunk) goes through as one page: prepared and scanned message by message, stored together
// (store-page.ts), because a transaction per message spent most of its time on round trips.
// Exactly once: a delivery already recorded, or a Message-ID already stored for the tenant, is a
// duplicate; a race between two workers ends in a unique violation (or a deadlock) for one of them,
// which then retries and sees the other's rows. A message that cannot be stored with its page is
// retried alone, so one bad message never holds back the rest.
import { Counter, Histogram, type Registry } from 'prom-client';

import { AppError, isAppError } from '../errors.js';
import { makeLimiter } from '../lib/limiter.js';
import type { Logger } from '../lib/logger.js';
import type { Scanner } from '../scanner/scanner.js';
import { type Db, type Executor, isConnectionError } from '../store/db.js';
import { ingestOpening, type IngestOpeningRow } from '../store/inbound-store.js';
import type { KeyService } from '../tenancy/key-service.js';
import type { Ingested, IngestInput, IngestOutcome, PageItem } from './ingest-types.js';
import type { IsolatedPrepare } from './isolated-prepare.js';
import { makeParking, type UnfetchedStub } from './park-message.js';
import { prepareMessage } from './prepare.js';
import { scanAttachments } from './scan-attachments.js';
import { trustNothing } from './stages/sender-auth.js';
import { storePage, type TrustFor } from './store-page.js';
import type { IngestLimits } from './types.js';
import { makeVerdictCache } from './verdict-cache.js';

export type { Ingested, IngestInput, IngestOutcome } from './ingest-types.js';

export interface Pipeline {
  ingest(input: IngestInput): Promise<IngestOutcome>;
  /**
   * A page of one mailbox's messages, in provider order; outcomes in the same order. Callers bound
   * a page by count and bytes (every message of a page is held in memory until it is stored).
   */
  ingestPage(inputs: IngestInput[], opts?: PageOptions): Promise<IngestOutcome[]>;
  /** Whether a message of this many bytes is over the size limit (providers that report sizes ask before fetching). */
  refusesSize(bytes: number): boolean;
  /**
   * Records a message the provider reports as over the size limit without downloading it: parked
   * as `message_too_large` with no raw copy (the original stays in the mailbox), its cursor step
   * taken, and a stub made of `unfetched` (its header block, what the listing knew) left on the
   * ticket it would have joined. Callers store what came before it first.
   */
  parkUnfetched(
    ref: Omit<IngestInput, 'raw'> & { unfetched?: UnfetchedStub },
  ): Promise<IngestOutcome>;
}

export interface PageOptions {
  /**
   * The previous page of the same mailbox, still being stored: this page is prepared and scanned
   * meanwhile, and writes nothing before it settles (cursors move in order). If it fails, this
   * page fails too, having written nothing.
   */
  after?: Promise<unknown>;
  /** Written after the page's last message, in the same transaction when it can be (PageTail). */
  tail?: PageTail;
}

/**
 * Bookkeeping that follows a page (a sync's listing cursor, progress, last-sync time): written in
 * the transaction that stores the page's last messages, so it costs no commit of its own; alone,
 * after everything before it, when there is no such transaction (the page stored nothing at its
 * end, or its messages had to be stored one by one). A tail moves the mailbox cursor past all of
 * the page, so the page's own cursor step is left to it.
 */
export interface PageTail {
  tenantId: string;
  /** `stored`: the messages of the transaction it joins (none when alone). */
  write(ex: Executor, stored: Ingested[]): Promise<void>;
}

type Scanning = Omit<PageItem, 'scans'> & { scans: Promise<PageItem['scans']> };

const permanentCodes = new Set(['message_too_large', 'message_limit_exceeded']);
const isolationCodes = new Set(['prepare_timeout', 'prepare_out_of_memory', 'prepare_crashed']);
/** Unique violation or deadlock: another worker stored some of these messages first; a retry sees them. */
const raceCodes = new Set(['23505', '40P01']);

export interface PipelineDeps {
  db: Db;
  keys: KeyService;
  scanner: Scanner;
  limits: IngestLimits;
  maxAttempts: number;
  logger: Logger;
  registry?: Registry;
  /** Messages of at least `aboveBytes` are prepared on a worker thread with a time budget (isolated-prepare.ts). */
  isolation?: { aboveBytes: number; prepare: IsolatedPrepare };
  /** Whose Authentication-Results each kind of mailbox trusts; none when absent. */
  trustFor?: TrustFor;
}

export function makePipeline(deps: PipelineDeps): Pipeline {
  const { db, keys } = deps;
  const { park, failed } = makeParking(deps);
  // clamd scans in flight from this process. Pages overlap scanning with parsing; this keeps them
  // where four workers with four parts each kept them, so clamd's default queue (10 threads, 100
  // queued) is never the limit.
  const scanSlots = makeLimiter(16);
  const verdictCache = makeVerdictCache({ maxEntries: 10_000, ttlMs: 10 * 60_000 });
  // Counts and timings only: no tenant, mailbox or message labels (metrics carry no personal data).
  const outcomes = new Counter({
    name: 'inlet_ingest_messages_total',
    help: 'Messages through the ingest pipeline, by outcome',
    labelNames: ['outcome'],
    registers: deps.registry ? [deps.registry] : [],
  });
  const scanCount = new Counter({
    name: 'inlet_attachment_verdicts_total',
    help: 'Attachment verdicts at ingest, by source: a clamd scan, or the cache of recent verdicts for identical bytes',
    labelNames: ['source'],
    registers: deps.registry ? [deps.registry] : [],
  });
  const seconds = new Histogram({
    name: 'inlet_ingest_seconds',
    help: 'Time from a message entering the pipeline to its commit',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: deps.registry ? [deps.registry] : [],
  });

  async function ingestPage(
    inputs: IngestInput[],
    opts: PageOptions = {},
  ): Promise<IngestOutcome[]> {
    const first = inputs[0];
    if (!first) {
      await tailAlone(opts);
      return [];
    }
    if (inputs.some((i) => i.tenantId !== first.tenantId || i.mailboxId !== first.mailboxId)) {
      throw new AppError(
        'invalid_request',
        'A page holds the messages of one mailbox.',
        undefined,
        500,
      );
    }
    const out: IngestOutcome[] = [];
    let page: { item: Scanning; startedAt: number }[] = [];
    const flush = async (tail?: PageTail) => {
      if (page.length === 0) return;
      await opts.after;
      const items = await Promise.all(
        page.map(async ({ item }) => ({ ...item, scans: await item.scans })),
      );
      const results = await storeItems(items, tail);
      results.forEach((o, i) => done(o, page[i]!.startedAt));
      out.push(...results);
      page = [];
    };
    for (const input of inputs) {
      const startedAt = performance.now();
      const prepared = await prepareOne(input);
      if ('error' in prepared) {
        // Parked or failed on its own: what came before it is stored first, so cursors stay in order.
        await flush();
        await opts.after;
        const err = prepared.error;
        // An isolated prepare that overran its budget or heap may succeed on a quieter attempt; it
        // counts as a failure under its own code and is parked, with that reason, after the last one.
        const code = isAppError(err) && isolationCodes.has(err.code) ? err.code : 'parse_failed';
        const outcome =
          isAppError(err) && permanentCodes.has(err.code)
            ? await park(input, err.code)
            : await failed(input, err, code);
        done(outcome, startedAt);
        out.push(outcome);
        continue;
      }
      page.push({ item: prepared, startedAt });
    }
    if (page.length > 0) await flush(opts.tail);
    else await tailAlone(opts);
    return out;
  }

  async function tailAlone(opts: PageOptions): Promise<void> {
    const tail = opts.tail;
    if (!tail) return;
    await opts.after;
    await db.tenantTx(tail.tenantId, (ex) => tail.write(ex, []));
  }

  function done(outcome: IngestOutcome, startedAt: number): void {
    seconds.observe((performance.now() - startedAt) / 1000);
    outcomes.inc({
      outcome: outcome.status === 'parked' ? `parked:${outcome.reason}` : outcome.status,
    });
  }

  /**
   * Parse one message and start scanning its attachments. The scan is awaited only when the page
   * is stored, so clamd works on this message while Node parses the next one.
   */
  async function prepareOne(input: IngestInput): Promise<Scanning | { error: unknown }> {
    try {
      if (input.raw.length > deps.limits.maxMessageBytes)
        throw new AppError('message_too_large', 'message exceeds the size limit', undefined, 422);
      const isolated =
        deps.isolation && input.raw.length >= deps.isolation.aboveBytes
          ? deps.isolation.prepare
          : null;
      const prepared = isolated
        ? await isolated.prepare(input.raw, deps.limits)
        : await prepareMessage(input.raw, deps.limits);
      const parts = prepared.attachments;
      // Scanners resolve every failure as a verdict; should one throw anyway, the attachments
      // stay pending (never served) and the rescan job retries them.
      const scans = scanAttachments(deps.scanner, scanSlots, verdictCache, input.tenantId, parts)
        .then(({ verdicts, scanned }) => {
          scanCount.inc({ source: 'clamd' }, scanned);
          scanCount.inc({ source: 'cache' }, parts.length - scanned);
          return verdicts;
        })
        .catch(() => parts.map(() => ({ status: 'pending' as const, detail: 'scanner error' })));
      return { input, prepared, scans };
    } catch (error) {
      return { error };
    }
  }

  /**
   * The page in one transaction, with the tail if given; if that fails for a reason of its own,
   * each message alone and then the tail alone.
   */
  async function storeItems(items: PageItem[], tail?: PageTail): Promise<IngestOutcome[]> {
    const cursor = tail
      ? undefined
      : items.findLast((i) => i.input.cursor !== undefined)?.input.cursor;
    const { tenantId, mailboxId } = items[0]!.input;
    for (let attempt = 0; ; attempt++) {
      try {
        const opening = ingestOpening(tenantId, mailboxId);
        return await db.tenantTxOpening<IngestOpeningRow, IngestOutcome[]>(
          tenantId,
          opening,
          async (ex, opened) => {
            const outcomes = await storePage(
              keys,
              ex,
              tenantId,
              mailboxId,
              items,
              cursor,
              opened,
              deps.trustFor ?? (() => trustNothing),
            );
            await tail?.write(
              ex,
              items.map((item, i) => ({ input: item.input, outcome: outcomes[i]! })),
            );
            return outcomes;
          },
        );
      } catch (err) {
        if (raceCodes.has((err as { code?: string }).code ?? '') && attempt === 0) continue;
        if (isConnectionError(err) || (isAppError(err) && err.code === 'mailbox_data_destroyed'))
          throw err;
        if (items.length === 1 && !tail)
          return [await failed(items[0]!.input, err, 'store_failed')];
        const alone: IngestOutcome[] = [];
        for (const item of items) alone.push(...(await storeItems([item])));
        if (tail) await db.tenantTx(tail.tenantId, (ex) => tail.write(ex, []));
        return alone;
      }
    }
  }

  return {
    ingest: async (input) => (await ingestPage([input]))[0]!,
    ingestPage,
    refusesSize: (bytes) => bytes > deps.limits.maxMessageBytes,
    parkUnfetched: async (ref) => {
      const outcome = await park(ref, 'message_too_large');
      done(outcome, performance.now());
      return outcome;
    },
  };
}
