// The first step of storing a page (store-page.ts): each message's blind indexes, computed once,
// and the one lookup the page asks the database (store/inbound-store.ts lookupPage) for all of
// them. Pure: the index key is given.
import { createHash } from 'node:crypto';

import type { PageLookupInput } from '../store/page-lookup-store.js';
import { contentFingerprint, dedupeKey } from './dedupe-key.js';
import type { PageItem } from './ingest-types.js';
import type { Indexer } from './page-indexer.js';
import { isJmrp } from './stages/bounce.js';
import { type ThreadKeys, threadKeys } from './thread-lookup.js';

/** Messages from one sender to one ticket inside this window, beyond this count, are a mail loop. */
export const loopWindowMs = 15 * 60_000;
export const loopThreshold = 8;

/** A message of the page with the blind indexes its lookup and decision need, each computed once. */
export interface KeyedMessage {
  item: PageItem;
  messageIdBidx: Buffer;
  dedupeBidx: Buffer;
  /** From, Sender and Reply-To addresses, lowercased, once each; `addressBidxs` in the same order. */
  addresses: string[];
  addressBidxs: Buffer[];
  fromBidx: Buffer | null;
  tk: ThreadKeys;
}

export function keyPage(items: PageItem[], index: Indexer, indexKey: Buffer): KeyedMessage[] {
  return items.map((item) => {
    const msg = item.prepared.parsed;
    // Without a Message-ID the raw bytes identify the message (same bytes in two mailboxes → one).
    const ownId =
      msg.messageId ?? `sha256:${createHash('sha256').update(item.input.raw).digest('hex')}`;
    // A JMRP complaint is our sent mail returned whole, Message-ID and content alike: it is keyed
    // apart so it is neither taken for a copy of that mail nor found in its place by threading.
    const rfcId = isJmrp(msg) ? `feedback-loop:${ownId}` : ownId;
    const addresses = [
      ...new Set(
        [msg.from, msg.sender, ...msg.replyTo].flatMap((a) =>
          a && a.address !== '' ? [a.address.toLowerCase()] : [],
        ),
      ),
    ];
    return {
      item,
      addresses,
      messageIdBidx: index.messageId(rfcId),
      dedupeBidx: dedupeKey(indexKey, rfcId, contentFingerprint(msg)),
      addressBidxs: addresses.map((a) => index.email(a)),
      fromBidx: msg.from?.address ? index.email(msg.from.address) : null,
      tk: threadKeys(index, msg, item.input.providerThreadId ?? null),
    };
  });
}

/** What the page lookup asks the database, for all of the page's messages at once. */
export function pageLookupInput(
  tenantId: string,
  mailboxId: string,
  keyed: KeyedMessage[],
  now: Date,
): PageLookupInput {
  return {
    tenantId,
    mailboxId,
    messageIdBidxs: keyed.flatMap((m) => [m.messageIdBidx, ...m.tk.lookup.refBidxs]),
    addressBidxs: keyed.flatMap((m) => m.addressBidxs),
    providerThreadIds: keyed.map((m) => m.tk.lookup.providerThreadId).filter((t) => t !== null),
    tokenNumbers: keyed.map((m) => m.tk.lookup.tokenNumber).filter((n) => n !== null),
    senderBidxs: keyed.map((m) => m.tk.lookup.senderBidx).filter((b) => b !== null),
    loopSince: new Date(now.getTime() - loopWindowMs),
    dedupeBidxs: keyed.map((m) => m.dedupeBidx),
    providerMessageIds: keyed.map((m) => m.item.input.providerMessageId),
  };
}
