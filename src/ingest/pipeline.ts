// Runs the stages for one raw message and owns the transaction: parse → classify → thread →
// extract reply → sanitise → scan → encrypt → store message, attachments, ticket change, delivery
// record, events and the provider cursor step in ONE transaction. Exactly once: a delivery already
// recorded, or a Message-ID already stored for the tenant, is a duplicate; a race between two
// workers ends in a unique violation for one of them, which then sees the other's row.
import { createHash, randomUUID } from 'node:crypto';
import { Counter, Histogram, type Registry } from 'prom-client';
import { emailBlindIndex, messageIdBlindIndex, seal, verifyOutboundMessageId } from '../crypto/index.js';
import { AppError, isAppError } from '../errors.js';
import { addJob } from '../jobs/registry.js';
import type { Logger } from '../lib/logger.js';
import type { Scanner } from '../scanner/scanner.js';
import { isConnectionError, type Db, type Executor } from '../store/db.js';
import { insertEvent } from '../store/event-store.js';
import { parkMessage, recordFailure } from '../store/ingest-failure-store.js';
import { createTicket, insertAttachments, insertInbound, lookupIngest, startIngest } from '../store/inbound-store.js';
import { setMailboxCursor } from '../store/mailbox-store.js';
import { findDelivery, insertDelivery, recentFromSender, type StoredKind } from '../store/message-store.js';
import { findTicket, touchTicket } from '../store/ticket-store.js';
import type { KeyService } from '../tenancy/key-service.js';
import { decideThread } from '../tickets/thread-rules.js';
import { isCustomerActivity, statusAfterInbound } from '../tickets/ticket-status.js';
import { prepareMessage, type PreparedMessage } from './prepare.js';
import { scanAll } from './scan-attachments.js';
import { classifyMessage } from './stages/classify.js';
import { threadCandidates, threadKeys } from './thread-lookup.js';
import type { IngestLimits } from './types.js';

export interface IngestInput {
  tenantId: string;
  mailboxId: string;
  /** Stable per mailbox: IMAP `uidvalidity:uid`, Gmail message id, Graph immutable id, `sha256:…` for imports. */
  providerMessageId: string;
  providerThreadId?: string | null;
  raw: Buffer;
  /** Provider cursor covering this message; saved in the same transaction as the message. */
  cursor?: unknown;
  /** Attempts before parking (default from config); one-shot imports pass 1 — there is no retry. */
  maxAttempts?: number;
}

export type IngestOutcome =
  | { status: 'stored'; messageId: string; ticketId: string; ticketNumber: number; newTicket: boolean; kind: StoredKind; threadRule: string; attachments: Record<string, number> }
  | { status: 'duplicate'; messageId: string | null }
  | { status: 'parked'; reason: string };

export interface Pipeline {
  ingest(input: IngestInput): Promise<IngestOutcome>;
}

/** Messages from one sender to one ticket inside this window, beyond this count, are a mail loop. */
const loopWindowMs = 15 * 60_000;
const loopThreshold = 8;
const permanentCodes = new Set(['message_too_large', 'message_limit_exceeded']);

export function makePipeline(deps: { db: Db; keys: KeyService; scanner: Scanner; limits: IngestLimits; maxAttempts: number; logger: Logger; registry?: Registry }): Pipeline {
  const { db, keys } = deps;
  // Counts and timings only: no tenant, mailbox or message labels (metrics carry no personal data).
  const outcomes = new Counter({ name: 'inlet_ingest_messages_total', help: 'Messages through the ingest pipeline, by outcome', labelNames: ['outcome'], registers: deps.registry ? [deps.registry] : [] });
  const seconds = new Histogram({ name: 'inlet_ingest_seconds', help: 'Time to ingest one message (parse to commit)', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: deps.registry ? [deps.registry] : [] });

  async function store(input: IngestInput, prepared: PreparedMessage, scans: Awaited<ReturnType<typeof scanAll>>): Promise<IngestOutcome> {
    return db.tenantTx(input.tenantId, async (ex) => {
      const { tenantId, mailboxId } = input;
      const start = await startIngest(ex, tenantId, mailboxId, input.providerMessageId);
      if (start.delivered) return duplicate(ex, input, null, false);
      const k = await keys.ingestKeys(start.keyRows);
      const [dek, indexKey, signingKey] = [k.mailbox, k.index.key, k.signing.key];
      const msg = prepared.parsed;
      // Without a Message-ID the raw bytes identify the message (same bytes in two mailboxes → one).
      const rfcId = msg.messageId ?? `sha256:${createHash('sha256').update(input.raw).digest('hex')}`;
      const messageIdBidx = messageIdBlindIndex(indexKey, rfcId);
      const addresses = [...new Set([msg.from, msg.sender, ...msg.replyTo].filter((a) => a !== null).map((a) => a.address.toLowerCase()))];
      const addressBidxs = addresses.map((a) => emailBlindIndex(indexKey, a));
      const tk = threadKeys(indexKey, msg, input.providerThreadId ?? null);
      const found = await lookupIngest(ex, { tenantId, mailboxId, messageIdBidx, addressBidxs, ...tk.lookup });
      if (found.existing) return duplicate(ex, input, found.existing, true);

      const classification = classifyMessage(msg, {
        ownAddresses: addresses.filter((_, i) => found.own.some((b) => b.equals(addressBidxs[i]!))),
        isOwnMessageId: (id) => verifyOutboundMessageId(signingKey, tenantId, id) !== null,
      });
      const candidates = threadCandidates(indexKey, msg, classification, tk, found);
      const decision = decideThread(candidates);
      const fromBidx = msg.from ? emailBlindIndex(indexKey, msg.from.address) : null;
      const sealer = (scope: string, rowId: string) => (field: string, v: string | Buffer | null) =>
        v === null ? null : seal(dek, v, { tenantId, scope, field, rowId });

      let kind: StoredKind = classification.kind;
      let ticketId = decision.ticketId;
      let ticketNumber: number;
      let newTicket = false;
      if (ticketId) {
        const ticket = (await findTicket(ex, tenantId, ticketId, { lock: true }))!;
        ticketNumber = Number(ticket.number);
        if (kind === 'human' && fromBidx && (await recentFromSender(ex, tenantId, ticketId, fromBidx, new Date(Date.now() - loopWindowMs))) >= loopThreshold) kind = 'loop';
        await touchTicket(ex, tenantId, ticketId, statusAfterInbound(ticket.status, kind), isCustomerActivity(kind));
      } else {
        ticketId = randomUUID();
        const s = sealer(mailboxId, ticketId);
        const requester = msg.replyTo[0] ?? msg.from;
        ticketNumber = await createTicket(ex, {
          id: ticketId, tenantId, mailboxId,
          subjectCt: s('tickets.subject', msg.subject)!,
          requesterCt: requester ? s('tickets.requester', JSON.stringify(requester)) : null,
          requesterBidx: requester ? emailBlindIndex(indexKey, requester.address) : null,
        });
        newTicket = true;
      }

      const id = prepared.messageId;
      const s = sealer(mailboxId, id);
      // Only a person's addresses may later use the subject token (thread-hijack protection).
      const participants = kind === 'human' ? [msg.from, ...msg.replyTo, ...msg.cc].filter((a) => a !== null).map((a) => emailBlindIndex(indexKey, a.address)) : [];
      await insertInbound(ex, {
        id, tenantId, ticketId, mailboxId, direction: 'inbound', messageIdBidx, providerThreadId: input.providerThreadId ?? null,
        kind, kindReasons: classification.reasons, threadRule: decision.rule, fromBidx,
        headersCt: s('messages.headers', JSON.stringify(prepared.headers))!,
        textCt: s('messages.text', prepared.text), htmlCt: s('messages.html', prepared.html), replyCt: s('messages.reply', prepared.reply),
        rawCt: s('messages.raw', input.raw), warnings: prepared.warnings, sentAt: msg.date,
      }, { providerMessageId: input.providerMessageId, participants });
      // Sealed only now, after the raw message went out: a large message never has its raw bytes,
      // their ciphertext, the attachments and theirs all in memory at once.
      const counts: Record<string, number> = { clean: 0, infected: 0, pending: 0, scan_failed: 0 };
      const attachments = prepared.attachments.map((a, i) => {
        const as = sealer(mailboxId, a.id);
        const verdict = scans[i]!;
        counts[verdict.status] = (counts[verdict.status] ?? 0) + 1;
        return {
          id: a.id, position: a.position, filenameCt: as('attachments.filename', a.filename)!, contentIdCt: as('attachments.content_id', a.contentId),
          contentCt: as('attachments.content', a.content)!, declaredType: a.declaredType, sniffedType: a.sniffedType, size: a.size, sha256: a.sha256,
          inline: a.inline, flags: a.flags, scanStatus: verdict.status, scanDetail: verdict.detail,
        };
      });
      await insertAttachments(ex, { tenantId, messageId: id, mailboxId, ticketId }, attachments);
      if (counts.pending! > 0) {
        await addJob(ex, 'attachments.rescan', { tenantId, messageId: id }, { key: `rescan:${id}`, runAt: new Date(Date.now() + 30_000), maxAttempts: 25 });
      }
      if (input.cursor !== undefined) await setMailboxCursor(ex, tenantId, mailboxId, input.cursor);
      return { status: 'stored', messageId: id, ticketId, ticketNumber, newTicket, kind, threadRule: decision.rule, attachments: counts };
    });
  }

  async function duplicate(ex: Executor, input: IngestInput, messageId: string | null, record: boolean): Promise<IngestOutcome> {
    if (record) await insertDelivery(ex, { tenantId: input.tenantId, mailboxId: input.mailboxId, providerMessageId: input.providerMessageId, messageId, outcome: 'duplicate' });
    if (input.cursor !== undefined) await setMailboxCursor(ex, input.tenantId, input.mailboxId, input.cursor);
    return { status: 'duplicate', messageId };
  }

  /** Nothing lost: the message is kept encrypted with its reason, and the cursor moves past it. */
  async function park(input: IngestInput, reason: string): Promise<IngestOutcome> {
    const replay = await db.tenantTx(input.tenantId, async (ex) => {
      // The same oversized or broken message delivered again is already on record.
      if (await findDelivery(ex, input.tenantId, input.mailboxId, input.providerMessageId)) return duplicate(ex, input, null, false);
      const dek = await keys.mailboxKey(ex, input.tenantId, input.mailboxId);
      const rawCt = seal(dek, input.raw, { tenantId: input.tenantId, scope: input.mailboxId, field: 'ingest_failures.raw', rowId: input.providerMessageId });
      await parkMessage(ex, { tenantId: input.tenantId, mailboxId: input.mailboxId, providerMessageId: input.providerMessageId, errorCode: reason, rawCt });
      await insertDelivery(ex, { tenantId: input.tenantId, mailboxId: input.mailboxId, providerMessageId: input.providerMessageId, messageId: null, outcome: 'parked' });
      await insertEvent(ex, input.tenantId, 'message.parked', input.mailboxId, { reason });
      if (input.cursor !== undefined) await setMailboxCursor(ex, input.tenantId, input.mailboxId, input.cursor);
      return null;
    });
    if (replay) return replay;
    deps.logger.warn({ mailbox: input.mailboxId, reason }, 'message parked');
    return { status: 'parked', reason };
  }

  return {
    async ingest(input) {
      const stop = seconds.startTimer();
      const outcome = await ingestOne(input);
      stop();
      outcomes.inc({ outcome: outcome.status === 'parked' ? `parked:${outcome.reason}` : outcome.status });
      return outcome;
    },
  };

  async function ingestOne(input: IngestInput): Promise<IngestOutcome> {
    let prepared: PreparedMessage;
    try {
      if (input.raw.length > deps.limits.maxMessageBytes) throw new AppError('message_too_large', 'message exceeds the size limit', undefined, 422);
      prepared = await prepareMessage(input.raw, deps.limits);
    } catch (err) {
      if (isAppError(err) && permanentCodes.has(err.code)) return park(input, err.code);
      return failed(input, err, 'parse_failed');
    }
    const scans = await scanAll(deps.scanner, prepared.attachments.map((a) => a.content));
    for (let attempt = 0; ; attempt++) {
      try {
        return await store(input, prepared, scans);
      } catch (err) {
        // Lost a race with another worker storing the same message: the retry sees its row.
        if ((err as { code?: string }).code === '23505' && attempt === 0) continue;
        return failed(input, err, 'store_failed');
      }
    }
  }

  /** Counts a failed attempt; after maxAttempts the message is parked so later ones are not blocked. */
  async function failed(input: IngestInput, err: unknown, code: string): Promise<IngestOutcome> {
    if (isConnectionError(err) || (isAppError(err) && err.code === 'mailbox_data_destroyed')) throw err;
    deps.logger.error({ err, mailbox: input.mailboxId }, 'ingest attempt failed');
    const attempts = await db.tenantTx(input.tenantId, (ex) => recordFailure(ex, { tenantId: input.tenantId, mailboxId: input.mailboxId, providerMessageId: input.providerMessageId, errorCode: code }));
    if (attempts >= (input.maxAttempts ?? deps.maxAttempts)) return park(input, code);
    throw err;
  }
}
