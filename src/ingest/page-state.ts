// What a message of a page sees while the page is decided (page-decide.ts): the database's answers
// for the whole page (store/inbound-store.ts lookupPage) plus what the page's earlier messages
// added, so message k is decided as if messages 1..k-1 were already stored.
import type { PageLookup } from '../store/page-lookup-store.js';

const hex = (b: Buffer) => b.toString('hex');

export class PageState {
  /** Tickets this page opened (their ids), whatever their numbers. */
  readonly newTickets = new Set<string>();
  private readonly known: PageLookup['known'];
  private readonly dedupe: PageLookup['dedupe'];
  private readonly threads: PageLookup['threads'];
  private readonly loopCounts: PageLookup['loopCounts'];
  /** Ticket id → hex(address_bidx) known to take part: the page's senders on token tickets, plus what the page adds. */
  private readonly participants = new Map<string, Set<string>>();
  private readonly ticketsByNumber = new Map<number, string>();

  /** Copies what it will add to, so the lookup given stays as the database answered. */
  constructor(private readonly db: PageLookup) {
    this.known = new Map(db.known);
    this.dedupe = new Map(db.dedupe);
    this.threads = new Map(db.threads);
    this.loopCounts = new Map(db.loopCounts);
    for (const [number, t] of db.tokens) {
      this.ticketsByNumber.set(number, t.ticketId);
      this.participants.set(t.ticketId, new Set(t.participants));
    }
  }

  /** Numbers the database gave the tickets this page opened, so a later subject token finds them. */
  numbered(numbers: Map<string, number>): void {
    for (const [id, n] of numbers) this.ticketsByNumber.set(n, id);
  }

  isOwnAddress(bidx: Buffer): boolean {
    return this.db.own.has(hex(bidx));
  }

  ticketOfMessage(bidx: Buffer): string | null {
    return this.known.get(hex(bidx))?.ticketId ?? null;
  }

  ticketOfThread(providerThreadId: string): string | null {
    return this.threads.get(providerThreadId) ?? null;
  }

  tokenTicket(number: number): string | null {
    return this.ticketsByNumber.get(number) ?? null;
  }

  isParticipant(ticketId: string, bidx: Buffer): boolean {
    return this.participants.get(ticketId)?.has(hex(bidx)) ?? false;
  }

  loopCount(ticketId: string, fromBidx: Buffer): number {
    return this.loopCounts.get(`${ticketId}:${hex(fromBidx)}`) ?? 0;
  }

  /** The stored message this one duplicates (same Message-ID and content, in a live mailbox), or null. */
  duplicateOf(m: { messageIdBidx: Buffer; dedupeBidx: Buffer }): string | null {
    return this.dedupe.get(hex(m.dedupeBidx)) ?? this.db.legacy.get(hex(m.messageIdBidx)) ?? null;
  }

  /** A message the page stores: later messages thread to it, duplicate it, count it towards a loop. */
  record(m: {
    id: string;
    ticketId: string;
    messageIdBidx: Buffer;
    dedupeBidx: Buffer;
    providerThreadId: string | null;
    fromBidx: Buffer | null;
    participants: Buffer[];
  }): void {
    if (!this.known.has(hex(m.messageIdBidx)))
      this.known.set(hex(m.messageIdBidx), { id: m.id, ticketId: m.ticketId });
    this.dedupe.set(hex(m.dedupeBidx), m.id);
    if (m.providerThreadId) this.threads.set(m.providerThreadId, m.ticketId);
    if (m.fromBidx) {
      const key = `${m.ticketId}:${hex(m.fromBidx)}`;
      this.loopCounts.set(key, (this.loopCounts.get(key) ?? 0) + 1);
    }
    const set = this.participants.get(m.ticketId) ?? new Set<string>();
    for (const p of m.participants) set.add(hex(p));
    this.participants.set(m.ticketId, set);
  }
}
