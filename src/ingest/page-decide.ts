// The decide step of storing a page (store-page.ts), with no I/O: given the page's prepared
// messages and what the page lookup found, which messages are duplicates, the ticket each other
// message joins (and by which rule) or opens, its kind (classification, then loop detection), the
// addresses that join the ticket, the touched tickets' new status, the bounce links and the
// rescan jobs. Messages are decided in page order, each seeing what the earlier ones added
// (page-state.ts). The one answer that must come from the database mid-page — the number of a
// ticket this page opened, when a later message's subject token names one not yet known — is
// asked for by yielding the tickets opened so far; the write step inserts them and passes their
// numbers back in.
import type { PageLookup } from '../store/page-lookup-store.js';
import { decideThread } from '../tickets/thread-rules.js';
import {
  isCustomerActivity,
  statusAfterInbound,
  type StoredKind,
  type TicketStatus,
} from '../tickets/ticket-status.js';
import { type BounceLink, isComplaint } from './bounce-link.js';
import type { IngestOutcome, PageItem, StoredOutcome } from './ingest-types.js';
import type { Indexer } from './page-indexer.js';
import { type KeyedMessage, loopThreshold } from './page-keys.js';
import { PageState } from './page-state.js';
import type { StoredHeaders } from './prepare.js';
import { classifyMessage } from './stages/classify.js';
import { type AuthservTrust, failedDmarc, senderAuth } from './stages/sender-auth.js';
import { threadCandidates, type ThreadLookup } from './thread-lookup.js';
import type { Address, Classification } from './types.js';

export interface DecideInput {
  mailboxId: string;
  keyed: KeyedMessage[];
  lookup: PageLookup;
  /** Provider message ids of this page already delivered to the mailbox (the page lookup). */
  delivered: Set<string>;
  index: Indexer;
  /** True when a Message-ID is one Inlet signed for this tenant. */
  isOwnMessageId: (id: string) => boolean;
  /** Id of a new ticket. */
  newId: () => string;
  /** Whose Authentication-Results the mailbox's receiving server writes (sender-auth.ts). */
  trust: AuthservTrust;
}

/** A ticket the page opens, unsealed. */
export interface TicketToOpen {
  id: string;
  mailboxId: string;
  subject: string;
  /** The first Reply-To or From with an address; null when none has one. */
  requester: Address | null;
  requesterBidx: Buffer | null;
}

/** A message the page stores, unsealed: the write step seals `headers` and the prepared bodies. */
export interface MessageToStore {
  item: PageItem;
  id: string;
  ticketId: string;
  messageIdBidx: Buffer;
  dedupeBidx: Buffer;
  providerThreadId: string | null;
  kind: StoredKind;
  kindReasons: string[];
  threadRule: string;
  fromBidx: Buffer | null;
  /** The ticket an unverified sender claimed and was kept off (thread-rules.ts), else null. */
  withheldFrom: string | null;
  /** The prepared headers, with a bounce's recipients added. */
  headers: StoredHeaders;
  /** A person's addresses that join the ticket (they may later use its subject token). */
  participants: Buffer[];
  /** Its ticketNumber is filled in by the write step, once the numbers are known. */
  outcome: StoredOutcome;
}

export interface PagePlan {
  /** One per message, in page order; a stored message's is the object in `messages`. */
  outcomes: IngestOutcome[];
  /** Tickets opened after the last ones yielded, in order. */
  tickets: TicketToOpen[];
  messages: MessageToStore[];
  /** Existing tickets the page writes to: the kinds of the messages they receive, in order. */
  touched: Map<string, StoredKind[]>;
  /** Deliveries of messages already stored under another delivery. */
  duplicates: { providerMessageId: string; messageId: string }[];
  bounceLinks: BounceLink[];
  /** Stored messages with attachments the scanner did not answer for: rescanned later. */
  rescans: string[];
}

/**
 * Decides the page. Yields the tickets opened so far whenever a subject token names a number it
 * cannot place and some are pending; resume it with their numbers (id → number).
 */
export function* decidePage(
  d: DecideInput,
): Generator<TicketToOpen[], PagePlan, Map<string, number>> {
  const state = new PageState(d.lookup);
  const delivered = new Set(d.delivered);
  let pending: TicketToOpen[] = [];
  const plan: PagePlan = {
    outcomes: [],
    tickets: [],
    messages: [],
    touched: new Map(),
    duplicates: [],
    bounceLinks: [],
    rescans: [],
  };

  for (const m of d.keyed) {
    const { input, prepared } = m.item;
    const msg = prepared.parsed;
    if (delivered.has(input.providerMessageId)) {
      plan.outcomes.push({ status: 'duplicate', messageId: null });
      continue;
    }
    delivered.add(input.providerMessageId);
    const existing = state.duplicateOf(m);
    if (existing) {
      plan.duplicates.push({ providerMessageId: input.providerMessageId, messageId: existing });
      plan.outcomes.push({ status: 'duplicate', messageId: existing });
      continue;
    }
    const { tokenNumber, senderBidx, providerThreadId } = m.tk.lookup;
    // A token naming a ticket this page opened needs that ticket's number: have the pending ones inserted now.
    if (tokenNumber !== null && !state.tokenTicket(tokenNumber) && pending.length > 0) {
      state.numbered(yield pending);
      pending = [];
    }
    const tokenTicket = tokenNumber === null ? null : state.tokenTicket(tokenNumber);
    const view: ThreadLookup = {
      refs: m.tk.lookup.refBidxs.flatMap((bidx) => {
        const t = state.ticketOfMessage(bidx);
        return t ? [{ bidx, ticket_id: t }] : [];
      }),
      providerTicket: providerThreadId ? state.ticketOfThread(providerThreadId) : null,
      tokenTicket,
      tokenParticipant:
        tokenTicket !== null && senderBidx !== null && state.isParticipant(tokenTicket, senderBidx),
    };
    const classification = classifyMessage(msg, {
      ownAddresses: m.addresses.filter((_, i) => state.isOwnAddress(m.addressBidxs[i]!)),
      isOwnMessageId: d.isOwnMessageId,
    });
    const auth = senderAuth(msg, d.trust);
    // A DMARC failure: the From may be anyone's, so it threads only by our signed Message-IDs and
    // links no identity (thread-rules.ts).
    const unverified = failedDmarc(auth);
    const decision = decideThread(
      threadCandidates(
        d.index,
        msg,
        classification,
        m.tk,
        view,
        unverified ? d.isOwnMessageId : undefined,
      ),
    );

    let kind: StoredKind = classification.kind;
    let ticketId = decision.ticketId;
    const newTicket = ticketId === null;
    if (ticketId !== null) {
      if (kind === 'human' && m.fromBidx && state.loopCount(ticketId, m.fromBidx) >= loopThreshold)
        kind = 'loop';
      if (!state.newTickets.has(ticketId))
        plan.touched.set(ticketId, [...(plan.touched.get(ticketId) ?? []), kind]);
    } else {
      ticketId = d.newId();
      // A From without an address ("From: Moderator-Address") gives the ticket no requester address.
      const requester =
        [...msg.replyTo, ...(msg.from ? [msg.from] : [])].find((a) => a.address.includes('@')) ??
        null;
      pending.push({
        id: ticketId,
        mailboxId: d.mailboxId,
        subject: msg.subject,
        requester,
        requesterBidx: requester ? d.index.email(requester.address) : null,
      });
      state.newTickets.add(ticketId);
    }

    const id = prepared.messageId;
    const returned =
      classification.kind === 'bounce' ? classification.bounce?.originalMessageId : null;
    if (returned && classification.bounce && d.isOwnMessageId(returned)) {
      plan.bounceLinks.push({
        bounceMessageId: id,
        originalBidx: d.index.messageId(returned),
        recipients: classification.bounce.recipients,
      });
    }
    // An abuse report about a reply Inlet signed: reply.complained (bounce-link.ts).
    if (m.tk.bounceId && isComplaint(classification) && d.isOwnMessageId(m.tk.bounceId))
      plan.bounceLinks.push({
        bounceMessageId: id,
        originalBidx: d.index.messageId(m.tk.bounceId),
        recipients: [],
        complaint: true,
      });
    // Only a person's addresses may later use the subject token (thread-hijack protection).
    const participants =
      kind === 'human' && !unverified
        ? [msg.from, ...msg.replyTo, ...msg.cc]
            .filter((a): a is NonNullable<typeof a> => a !== null && a.address !== '')
            .map((a) => d.index.email(a.address))
        : [];
    const counts: Record<string, number> = { clean: 0, infected: 0, pending: 0, scan_failed: 0 };
    for (const i of prepared.attachments.keys()) {
      const verdict = m.item.scans[i]!;
      counts[verdict.status] = (counts[verdict.status] ?? 0) + 1;
    }
    if (counts.pending! > 0) plan.rescans.push(id);
    const outcome: StoredOutcome = {
      status: 'stored',
      messageId: id,
      ticketId,
      ticketNumber: 0,
      newTicket,
      kind,
      threadRule: decision.rule,
      attachments: counts,
    };
    const stored: MessageToStore = {
      item: m.item,
      id,
      ticketId,
      messageIdBidx: m.messageIdBidx,
      dedupeBidx: m.dedupeBidx,
      withheldFrom: decision.withheldFrom ?? null,
      // Kept off its provider thread's ticket, it must not become that thread's newest ticket either.
      providerThreadId: decision.withheldFrom ? null : (input.providerThreadId ?? null),
      kind,
      kindReasons: classification.reasons,
      threadRule: decision.rule,
      fromBidx: m.fromBidx,
      headers: {
        ...withBounce(prepared.headers, classification),
        sender_auth: { ...auth, withheld_from: decision.withheldFrom ?? null },
      },
      participants,
      outcome,
    };
    state.record(stored);
    plan.messages.push(stored);
    plan.outcomes.push(outcome);
  }
  plan.tickets = pending;
  return plan;
}

/** The touched tickets' new status (each message's kind applied in order) and whether a customer acted. */
export function ticketUpdates(
  touched: Map<string, StoredKind[]>,
  current: Map<string, { status: TicketStatus }>,
): { id: string; status: TicketStatus; activity: boolean }[] {
  return [...touched].map(([id, kinds]) => ({
    id,
    status: kinds.reduce(
      (status, kind) => statusAfterInbound(status, kind),
      current.get(id)!.status,
    ),
    activity: kinds.some(isCustomerActivity),
  }));
}

/**
 * The sealed headers document, with a bounce's recipients (address, DSN status and action, the
 * server's diagnostic) for the ticket view; no other message carries the field.
 */
function withBounce(headers: StoredHeaders, c: Classification): StoredHeaders {
  if (c.kind !== 'bounce' || !c.bounce) return headers;
  return {
    ...headers,
    bounce: {
      recipients: c.bounce.recipients.map((r) => ({
        address: r.address,
        status: r.status,
        action: r.action,
        diagnostic: r.diagnostic,
      })),
    },
  };
}
