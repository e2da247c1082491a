// Collects one mailbox's messages into pages for Pipeline.ingestPage. A page is stored in one
// transaction, so it is bounded both ways: by count (a failed page is retried message by message)
// and by bytes (every message of a page, parsed, is in memory until the page commits; a message
// larger than the byte bound goes alone).
import type { Ingested, IngestInput, PageTail, Pipeline } from './pipeline.js';

export type { Ingested } from './pipeline.js';

export interface PageLimits {
  maxMessages: number;
  maxBytes: number;
}

export const defaultPageLimits: PageLimits = { maxMessages: 50, maxBytes: 8 * 1024 * 1024 };

/**
 * One mailbox's stream of messages, stored a page at a time. While a page is being stored, the
 * next one is already being fetched, parsed and scanned (at most two pages in hand), so a sync is
 * not idle during its database round trips.
 */
export class PageBuffer {
  private page: IngestInput[] = [];
  private bytes = 0;
  private storing: Promise<Ingested[]> | null = null;

  constructor(
    private readonly pipeline: Pick<Pipeline, 'ingestPage'>,
    private readonly limits: PageLimits = defaultPageLimits,
  ) {}

  /** Adds a message; returns what pages before it have stored meanwhile. */
  async add(input: IngestInput): Promise<Ingested[]> {
    const stored =
      this.page.length > 0 && this.bytes + input.raw.length > this.limits.maxBytes
        ? await this.send()
        : [];
    this.page.push(input);
    this.bytes += input.raw.length;
    if (this.page.length >= this.limits.maxMessages || this.bytes >= this.limits.maxBytes)
      stored.push(...(await this.send()));
    return stored;
  }

  /** Stores everything handed over so far and returns it. */
  async flush(): Promise<Ingested[]> {
    const stored = this.page.length > 0 ? await this.send() : [];
    const last = this.storing;
    this.storing = null;
    if (last) stored.push(...(await last));
    return stored;
  }

  /**
   * Starts storing what was collected with `tail` in the same transaction (a sync's listing-page
   * cursor goes here), or, with nothing collected, queues `tail` alone after every page before it
   * — without waiting for either, so the caller can list and fetch meanwhile. The next page writes
   * nothing before the tail is written. Returns what earlier pages stored, as add() does.
   */
  async step(tail: PageTail): Promise<Ingested[]> {
    if (this.page.length > 0) return this.send(tail);
    const before = this.storing;
    const chained = (async () => {
      const done = before ? await before : [];
      await this.pipeline.ingestPage([], { tail });
      return done;
    })();
    chained.catch(() => undefined); // observed by the next send()/flush()
    this.storing = chained;
    return [];
  }

  /** Starts storing the collected page and waits for the page before it. */
  private async send(tail?: PageTail): Promise<Ingested[]> {
    const page = this.page;
    this.page = [];
    this.bytes = 0;
    const previous = this.storing;
    const current = this.pipeline
      .ingestPage(page, { after: previous ?? undefined, ...(tail ? { tail } : {}) })
      .then((outcomes) => page.map((input, i) => ({ input, outcome: outcomes[i]! })));
    // Observed below or by the next send()/flush(); this only keeps a failure from being reported
    // as unhandled while the page before it is still awaited.
    current.catch(() => undefined);
    this.storing = current;
    return previous ? previous : [];
  }
}
