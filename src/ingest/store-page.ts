// Stores a page of prepared messages inside one tenant transaction, as if they had been stored one
// after another: message k sees everything messages 1..k-1 wrote (a reply joins the ticket its
// original opened two lines earlier; the same Message-ID twice is stored once; a sender's burst is
// counted towards the loop threshold). The database is asked once for the whole page (lookupPage);
// what the page itself adds is kept in `PageState` and consulted with it. Writes go out per kind:
// new tickets, touched tickets, messages, attachments, each as one statement.
import { createHash, randomUUID } from 'node:crypto';

import {
  attachmentDigest,
  seal,
  type SealedField,
  verifyOutboundMessageId,
} from '../crypto/index.js';
import { addJob } from '../jobs/registry.js';
import type { Executor } from '../store/db.js';
import {
  assertTakesMail,
  createTickets,
  type InboundAttachment,
  type InboundRow,
  insertAttachments,
  insertDuplicateDeliveries,
  insertInbound,
  lockDedupeKeys,
  lockTickets,
  lookupPage,
  type NewTicket,
  type PageLookup,
  startIngest,
  touchTickets,
} from '../store/inbound-store.js';
import { setMailboxCursor } from '../store/mailbox-store.js';
import { rawLayout, storeRaw } from '../store/raw-store.js';
import type { KeyService } from '../tenancy/key-service.js';
import { decideThread } from '../tickets/thread-rules.js';
import {
  isCustomerActivity,
  statusAfterInbound,
  type StoredKind,
} from '../tickets/ticket-status.js';
import { type BounceLink, linkBouncesToReplies } from './bounce-link.js';
import { contentFingerprint, dedupeKey, dedupeLockIds } from './dedupe-key.js';
import { makeIndexer } from './page-indexer.js';
import type { IngestInput, IngestOutcome } from './pipeline.js';
import type { PreparedMessage } from './prepare.js';
import type { ScanVerdict } from './scan-attachments.js';
import { classifyMessage } from './stages/classify.js';
import {
  threadCandidates,
  type ThreadKeys,
  threadKeys,
  type ThreadLookup,
} from './thread-lookup.js';
import type { Classification } from './types.js';

export interface PageItem {
  input: IngestInput;
  prepared: PreparedMessage;
  scans: ScanVerdict[];
}

/** Messages from one sender to one ticket inside this window, beyond this count, are a mail loop. */
const loopWindowMs = 15 * 60_000;
const loopThreshold = 8;

const hex = (b: Buffer) => b.toString('hex');

interface Keyed {
  item: PageItem;
  messageIdBidx: Buffer;
  dedupeBidx: Buffer;
  addresses: string[];
  addressBidxs: Buffer[];
  fromBidx: Buffer | null;
  tk: ThreadKeys;
}

/** The page lookup plus what earlier messages of the page wrote. */
class PageState {
  /** Tickets opened by this page, in order, not yet inserted; and numbers of those inserted. */
  pendingTickets: NewTicket[] = [];
  readonly newTicketNumbers = new Map<string, number>();
  readonly newTickets = new Set<string>();
  /** Ticket id → hex(address_bidx) known to take part: the page's senders on token tickets, plus what the page adds. */
  private readonly participants = new Map<string, Set<string>>();
  private readonly ticketsByNumber = new Map<number, string>();

  constructor(readonly db: PageLookup) {
    for (const [number, t] of db.tokens) {
      this.ticketsByNumber.set(number, t.ticketId);
      this.participants.set(t.ticketId, new Set(t.participants));
    }
  }

  numbered(numbers: Map<string, number>): void {
    for (const [id, n] of numbers) {
      this.newTicketNumbers.set(id, n);
      this.ticketsByNumber.set(n, id);
    }
  }

  ticketOfMessage(bidx: Buffer): string | null {
    return this.db.known.get(hex(bidx))?.ticketId ?? null;
  }

  tokenTicket(number: number): string | null {
    return this.ticketsByNumber.get(number) ?? null;
  }

  isParticipant(ticketId: string, bidx: Buffer): boolean {
    return this.participants.get(ticketId)?.has(hex(bidx)) ?? false;
  }

  loopCount(ticketId: string, fromBidx: Buffer): number {
    return this.db.loopCounts.get(`${ticketId}:${hex(fromBidx)}`) ?? 0;
  }

  /** The stored message this one duplicates (same Message-ID and content, in a live mailbox), or null. */
  duplicateOf(m: { messageIdBidx: Buffer; dedupeBidx: Buffer }): string | null {
    return (
      this.db.dedupe.get(hex(m.dedupeBidx)) ?? this.db.legacy.get(hex(m.messageIdBidx)) ?? null
    );
  }

  record(m: {
    id: string;
    ticketId: string;
    messageIdBidx: Buffer;
    dedupeBidx: Buffer;
    providerThreadId: string | null;
    fromBidx: Buffer | null;
    participants: Buffer[];
  }): void {
    if (!this.db.known.has(hex(m.messageIdBidx)))
      this.db.known.set(hex(m.messageIdBidx), { id: m.id, ticketId: m.ticketId });
    this.db.dedupe.set(hex(m.dedupeBidx), m.id);
    if (m.providerThreadId) this.db.threads.set(m.providerThreadId, m.ticketId);
    if (m.fromBidx) {
      const key = `${m.ticketId}:${hex(m.fromBidx)}`;
      this.db.loopCounts.set(key, (this.db.loopCounts.get(key) ?? 0) + 1);
    }
    const set = this.participants.get(m.ticketId) ?? new Set<string>();
    for (const p of m.participants) set.add(hex(p));
    this.participants.set(m.ticketId, set);
  }
}

export async function storePage(
  keys: KeyService,
  ex: Executor,
  tenantId: string,
  mailboxId: string,
  items: PageItem[],
  cursor: unknown,
): Promise<IngestOutcome[]> {
  const start = await startIngest(
    ex,
    tenantId,
    mailboxId,
    items.map((i) => i.input.providerMessageId),
  );
  assertTakesMail(start.mailboxStatus);
  const k = await keys.ingestKeys(start.keyRows);
  const [dek, signingKey] = [k.mailbox, k.signing.key];
  const index = makeIndexer(k.index.key);
  const seal1: Sealer = (scope, rowId) => (field, v) =>
    v === null ? null : seal(dek, v, { tenantId, scope, field, rowId });

  const keyed: Keyed[] = items.map((item) => {
    const msg = item.prepared.parsed;
    // Without a Message-ID the raw bytes identify the message (same bytes in two mailboxes → one).
    const rfcId =
      msg.messageId ?? `sha256:${createHash('sha256').update(item.input.raw).digest('hex')}`;
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
      dedupeBidx: dedupeKey(k.index.key, rfcId, contentFingerprint(msg)),
      addressBidxs: addresses.map((a) => index.email(a)),
      fromBidx: msg.from?.address ? index.email(msg.from.address) : null,
      tk: threadKeys(index, msg, item.input.providerThreadId ?? null),
    };
  });
  await lockDedupeKeys(ex, dedupeLockIds(keyed.map((m) => m.dedupeBidx)));
  const state = new PageState(
    await lookupPage(ex, {
      tenantId,
      mailboxId,
      messageIdBidxs: keyed.flatMap((m) => [m.messageIdBidx, ...m.tk.lookup.refBidxs]),
      addressBidxs: keyed.flatMap((m) => m.addressBidxs),
      providerThreadIds: keyed.map((m) => m.tk.lookup.providerThreadId).filter((t) => t !== null),
      tokenNumbers: keyed.map((m) => m.tk.lookup.tokenNumber).filter((n) => n !== null),
      senderBidxs: keyed.map((m) => m.tk.lookup.senderBidx).filter((b) => b !== null),
      loopSince: new Date(Date.now() - loopWindowMs),
      dedupeBidxs: keyed.map((m) => m.dedupeBidx),
    }),
  );

  const flushTickets = async () => {
    state.numbered(await createTickets(ex, tenantId, state.pendingTickets));
    state.pendingTickets = [];
  };

  const delivered = new Set(start.delivered);
  const outcomes: IngestOutcome[] = [];
  const rows: InboundRow[] = [];
  const stored: {
    row: InboundRow;
    item: PageItem;
    outcome: Extract<IngestOutcome, { status: 'stored' }>;
  }[] = [];
  const duplicates: { providerMessageId: string; messageId: string }[] = [];
  const bounceLinks: BounceLink[] = [];
  /** Existing tickets this page writes to: the kinds of the messages they receive, in order. */
  const touched = new Map<string, StoredKind[]>();

  for (const m of keyed) {
    const { input, prepared } = m.item;
    const msg = prepared.parsed;
    if (delivered.has(input.providerMessageId)) {
      outcomes.push({ status: 'duplicate', messageId: null });
      continue;
    }
    delivered.add(input.providerMessageId);
    const existing = state.duplicateOf(m);
    if (existing) {
      duplicates.push({ providerMessageId: input.providerMessageId, messageId: existing });
      outcomes.push({ status: 'duplicate', messageId: existing });
      continue;
    }
    const { tokenNumber, senderBidx } = m.tk.lookup;
    // A token naming a ticket this page opened needs that ticket's number: insert the pending ones now.
    if (tokenNumber !== null && !state.tokenTicket(tokenNumber) && state.pendingTickets.length > 0)
      await flushTickets();
    const tokenTicket = tokenNumber === null ? null : state.tokenTicket(tokenNumber);
    const view: ThreadLookup = {
      refs: m.tk.lookup.refBidxs.flatMap((bidx) => {
        const t = state.ticketOfMessage(bidx);
        return t ? [{ bidx, ticket_id: t }] : [];
      }),
      providerTicket: m.tk.lookup.providerThreadId
        ? (state.db.threads.get(m.tk.lookup.providerThreadId) ?? null)
        : null,
      tokenTicket,
      tokenParticipant:
        tokenTicket !== null && senderBidx !== null && state.isParticipant(tokenTicket, senderBidx),
    };
    const classification = classifyMessage(msg, {
      ownAddresses: m.addresses.filter((_, i) => state.db.own.has(hex(m.addressBidxs[i]!))),
      isOwnMessageId: (id) => verifyOutboundMessageId(signingKey, tenantId, id) !== null,
    });
    const decision = decideThread(threadCandidates(index, msg, classification, m.tk, view));

    let kind: StoredKind = classification.kind;
    let ticketId = decision.ticketId;
    const newTicket = ticketId === null;
    if (ticketId !== null) {
      if (kind === 'human' && m.fromBidx && state.loopCount(ticketId, m.fromBidx) >= loopThreshold)
        kind = 'loop';
      if (!state.newTickets.has(ticketId))
        touched.set(ticketId, [...(touched.get(ticketId) ?? []), kind]);
    } else {
      ticketId = randomUUID();
      const s = seal1(mailboxId, ticketId);
      // A From without an address ("From: Moderator-Address") gives the ticket no requester address.
      const requester =
        [...msg.replyTo, ...(msg.from ? [msg.from] : [])].find((a) => a.address.includes('@')) ??
        null;
      state.pendingTickets.push({
        id: ticketId,
        mailboxId,
        subjectCt: s('tickets.subject', msg.subject)!,
        requesterCt: requester ? s('tickets.requester', JSON.stringify(requester)) : null,
        requesterBidx: requester ? index.email(requester.address) : null,
      });
      state.newTickets.add(ticketId);
    }

    const id = prepared.messageId;
    const s = seal1(mailboxId, id);
    const returned =
      classification.kind === 'bounce' ? classification.bounce?.originalMessageId : null;
    if (
      returned &&
      classification.bounce &&
      verifyOutboundMessageId(signingKey, tenantId, returned) !== null
    ) {
      bounceLinks.push({
        bounceMessageId: id,
        originalBidx: index.messageId(returned),
        recipients: classification.bounce.recipients,
      });
    }
    // Only a person's addresses may later use the subject token (thread-hijack protection).
    const participants =
      kind === 'human'
        ? [msg.from, ...msg.replyTo, ...msg.cc]
            .filter((a): a is NonNullable<typeof a> => a !== null && a.address !== '')
            .map((a) => index.email(a.address))
        : [];
    const row: InboundRow = {
      id,
      ticketId,
      messageIdBidx: m.messageIdBidx,
      dedupeBidx: m.dedupeBidx,
      providerThreadId: input.providerThreadId ?? null,
      kind,
      kindReasons: classification.reasons,
      threadRule: decision.rule,
      fromBidx: m.fromBidx,
      headersCt: s(
        'messages.headers',
        JSON.stringify(withBounce(prepared.headers, classification)),
      )!,
      textCt: s('messages.text', prepared.text),
      htmlCt: s('messages.html', prepared.html),
      replyCt: s('messages.reply', prepared.reply),
      raw: rawLayout(input.raw.length),
      warnings: prepared.warnings,
      sentAt: msg.date,
      providerMessageId: input.providerMessageId,
      participants,
    };
    state.record({
      id,
      ticketId,
      messageIdBidx: m.messageIdBidx,
      dedupeBidx: m.dedupeBidx,
      providerThreadId: row.providerThreadId,
      fromBidx: m.fromBidx,
      participants,
    });
    rows.push(row);
    const outcome = {
      status: 'stored' as const,
      messageId: id,
      ticketId,
      ticketNumber: 0,
      newTicket,
      kind,
      threadRule: decision.rule,
      attachments: {},
    };
    stored.push({ row, item: m.item, outcome });
    outcomes.push(outcome);
  }

  await flushTickets();
  const locked = await lockTickets(ex, tenantId, [...touched.keys()]);
  await touchTickets(
    ex,
    tenantId,
    [...touched].map(([id, kinds]) => ({
      id,
      status: kinds.reduce(
        (status, kind) => statusAfterInbound(status, kind),
        locked.get(id)!.status,
      ),
      activity: kinds.some(isCustomerActivity),
    })),
  );
  for (const s of stored)
    s.outcome.ticketNumber =
      state.newTicketNumbers.get(s.outcome.ticketId) ?? locked.get(s.outcome.ticketId)!.number;

  await insertInbound(ex, tenantId, mailboxId, rows);
  await linkBouncesToReplies(ex, tenantId, bounceLinks);
  rows.length = 0;
  // Originals and attachments are sealed piece by piece as they are inserted, never a page (or a
  // large message) at once: what this holds beyond the page's own bytes stays bounded.
  await storeRaw(
    ex,
    dek,
    stored.map(({ row, item }) => ({
      ref: { tenantId, mailboxId, messageId: row.id, ...row.raw! },
      raw: item.input.raw,
    })),
  );
  await storeAttachments(ex, tenantId, mailboxId, stored, seal1, (sha) =>
    attachmentDigest(k.index.key, sha),
  );
  for (const { outcome } of stored) {
    if (outcome.attachments.pending! > 0) {
      await addJob(
        ex,
        'attachments.rescan',
        { tenantId, messageId: outcome.messageId },
        {
          key: `rescan:${outcome.messageId}`,
          runAt: new Date(Date.now() + 30_000),
          maxAttempts: 25,
        },
      );
    }
  }
  await insertDuplicateDeliveries(ex, tenantId, mailboxId, duplicates);
  if (cursor !== undefined) await setMailboxCursor(ex, tenantId, mailboxId, cursor);
  return outcomes;
}

/**
 * The sealed headers document, with a bounce's recipients (address, DSN status and action, the
 * server's diagnostic) for the ticket view; no other message carries the field.
 */
function withBounce(
  headers: PreparedMessage['headers'],
  c: Classification,
): PreparedMessage['headers'] {
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

type Sealer = (
  scope: string,
  rowId: string,
) => (field: SealedField, v: string | Buffer | null) => Buffer | null;

/** Above this many content bytes, a statement's attachments are sent before the next is sealed (a larger one goes alone). */
const attachmentStatementBytes = 1024 * 1024;

/**
 * Every stored message's attachments, sealed and inserted in statements of bounded size, with their
 * verdicts; counts them on each outcome. A large attachment is sealed only once the statements
 * before it are sent, and its ciphertext is garbage once its own statement is: beside the decoded
 * bytes the page holds anyway, one attachment's ciphertext and the driver's copy of it.
 */
async function storeAttachments(
  ex: Executor,
  tenantId: string,
  mailboxId: string,
  stored: { item: PageItem; outcome: Extract<IngestOutcome, { status: 'stored' }> }[],
  seal1: Sealer,
  digest: (sha256: string) => Buffer,
): Promise<void> {
  let batch: InboundAttachment[] = [];
  let bytes = 0;
  const flush = async () => {
    const rows = batch;
    batch = [];
    bytes = 0;
    await insertAttachments(ex, tenantId, mailboxId, rows);
  };
  for (const { item, outcome } of stored) {
    const counts: Record<string, number> = { clean: 0, infected: 0, pending: 0, scan_failed: 0 };
    outcome.attachments = counts;
    for (const [i, a] of item.prepared.attachments.entries()) {
      if (bytes > 0 && bytes + a.content.length > attachmentStatementBytes) await flush();
      const as = seal1(mailboxId, a.id);
      const verdict = item.scans[i]!;
      counts[verdict.status] = (counts[verdict.status] ?? 0) + 1;
      batch.push({
        id: a.id,
        messageId: outcome.messageId,
        ticketId: outcome.ticketId,
        position: a.position,
        filenameCt: as('attachments.filename', a.filename)!,
        contentIdCt: as('attachments.content_id', a.contentId),
        contentCt: as('attachments.content', a.content)!,
        declaredType: a.declaredType,
        sniffedType: a.sniffedType,
        size: a.size,
        digest: digest(a.sha256),
        inline: a.inline,
        flags: a.flags,
        scanStatus: verdict.status,
        scanDetail: verdict.detail,
      });
      bytes += a.content.length;
    }
  }
  if (batch.length > 0) await flush();
}
