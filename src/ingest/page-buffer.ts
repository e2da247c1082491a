// Collects one mailbox's messages into pages for Pipeline.ingestPage. A page is stored in one
// transaction, so it is bounded both ways: by count (a failed page is retried message by message)
// and by bytes (every message of a page, parsed, is in memory until the page commits; a message
// larger than the byte bound goes alone).
import type { IngestInput, IngestOutcome, Pipeline } from './pipeline.js';

export interface PageLimits {
  maxMessages: number;
  maxBytes: number;
}

export const defaultPageLimits: PageLimits = { maxMessages: 50, maxBytes: 8 * 1024 * 1024 };

export interface Ingested {
  input: IngestInput;
  outcome: IngestOutcome;
}

export class PageBuffer {
  private page: IngestInput[] = [];
  private bytes = 0;

  constructor(private readonly pipeline: Pick<Pipeline, 'ingestPage'>, private readonly limits: PageLimits = defaultPageLimits) {}

  get size(): number {
    return this.page.length;
  }

  /** Adds a message; stores the page first if this message would overflow it. */
  async add(input: IngestInput): Promise<Ingested[]> {
    const stored = this.page.length > 0 && this.bytes + input.raw.length > this.limits.maxBytes ? await this.flush() : [];
    this.page.push(input);
    this.bytes += input.raw.length;
    if (this.page.length >= this.limits.maxMessages || this.bytes >= this.limits.maxBytes) stored.push(...(await this.flush()));
    return stored;
  }

  /** Stores what is collected (nothing to do when empty). */
  async flush(): Promise<Ingested[]> {
    const page = this.page;
    this.page = [];
    this.bytes = 0;
    if (page.length === 0) return [];
    const outcomes = await this.pipeline.ingestPage(page);
    return page.map((input, i) => ({ input, outcome: outcomes[i]! }));
  }
}
