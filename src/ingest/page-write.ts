// The write step of storing a page (store-page.ts): seals what page-decide.ts decided and inserts
// it, each kind of row as one statement (attachments in statements of bounded size). Decides
// nothing: every ticket, kind, rule, status and job comes from the plan.
import { type DataKey, seal, type SealedField } from '../crypto/index.js';
import { addJob } from '../jobs/registry.js';
import type { Executor } from '../store/db.js';
import { type InboundAttachment, insertAttachments } from '../store/inbound-attachment-store.js';
import {
  createTickets,
  type InboundRow,
  insertDuplicateDeliveries,
  insertInbound,
  lockTickets,
  type NewTicket,
  touchTickets,
} from '../store/inbound-store.js';
import { setMailboxCursor } from '../store/mailbox-store.js';
import { rawLayout, sealSmallRaws, storeRaw } from '../store/raw-store.js';
import { linkBouncesToReplies } from './bounce-link.js';
import { DERIVE_VERSION } from './derive-version.js';
import type { MessageToStore, PagePlan, TicketToOpen } from './page-decide.js';
import { ticketUpdates } from './page-decide.js';

export interface PageWriter {
  ex: Executor;
  tenantId: string;
  mailboxId: string;
  dek: DataKey;
  /** Keyed digest of an attachment's SHA-256 (crypto attachmentDigest under the index key). */
  digest: (sha256: string) => Buffer;
}

type Sealer = (field: SealedField, v: string | Buffer | null) => Buffer | null;

function sealer(w: PageWriter, rowId: string): Sealer {
  return (field, v) =>
    v === null ? null : seal(w.dek, v, { tenantId: w.tenantId, scope: w.mailboxId, field, rowId });
}

/** Inserts tickets the page opens, in order, with the next numbers (and their ticket.created events). */
export async function openTickets(
  w: PageWriter,
  tickets: TicketToOpen[],
): Promise<Map<string, number>> {
  return createTickets(w.ex, w.tenantId, newTickets(w, tickets));
}

function newTickets(w: PageWriter, tickets: TicketToOpen[]): NewTicket[] {
  return tickets.map((t) => {
    const s = sealer(w, t.id);
    return {
      id: t.id,
      mailboxId: t.mailboxId,
      subjectCt: s('tickets.subject', t.subject)!,
      requesterCt: t.requester ? s('tickets.requester', JSON.stringify(t.requester)) : null,
      requesterBidx: t.requesterBidx,
    };
  });
}

/**
 * Everything after the decision, in this order: the touched tickets (locked, then their status),
 * the last opened tickets with the messages, participants, deliveries and events, the bounce
 * links, the originals, the attachments, the rescan jobs, the duplicate deliveries, the cursor.
 * `numbers` holds the numbers of tickets opened while deciding.
 */
export async function writePage(
  w: PageWriter,
  plan: PagePlan,
  numbers: Map<string, number>,
  cursor: unknown,
): Promise<void> {
  const { ex, tenantId, mailboxId } = w;
  const locked = await lockTickets(ex, tenantId, [...plan.touched.keys()]);
  await touchTickets(ex, tenantId, ticketUpdates(plan.touched, locked));
  const raws = plan.messages.map(({ id, item }) => ({
    ref: { tenantId, mailboxId, messageId: id, ...rawLayout(item.input.raw.length) },
    raw: item.input.raw,
  }));
  // The last tickets the page opens, and small originals, go in with its messages: one statement.
  const small = sealSmallRaws(w.dek, raws);
  const opened = await insertInbound(
    ex,
    tenantId,
    mailboxId,
    plan.messages.map((m) => inboundRow(w, m)),
    newTickets(w, plan.tickets),
    small ?? [],
  );
  for (const [id, n] of opened) numbers.set(id, n);
  for (const { outcome } of plan.messages)
    outcome.ticketNumber = numbers.get(outcome.ticketId) ?? locked.get(outcome.ticketId)!.number;

  await linkBouncesToReplies(ex, tenantId, plan.bounceLinks);
  // Larger originals and attachments are sealed piece by piece as they are inserted, never a page
  // (or a large message) at once: what this holds beyond the page's own bytes stays bounded.
  if (!small) await storeRaw(ex, w.dek, raws);
  await storeAttachments(w, plan.messages);
  for (const messageId of plan.rescans) {
    await addJob(
      ex,
      'attachments.rescan',
      { tenantId, messageId },
      { key: `rescan:${messageId}`, runAt: new Date(Date.now() + 30_000), maxAttempts: 25 },
    );
  }
  await insertDuplicateDeliveries(ex, tenantId, mailboxId, plan.duplicates);
  if (cursor !== undefined) await setMailboxCursor(ex, tenantId, mailboxId, cursor);
}

function inboundRow(w: PageWriter, m: MessageToStore): InboundRow {
  const s = sealer(w, m.id);
  const { prepared, input } = m.item;
  return {
    id: m.id,
    ticketId: m.ticketId,
    messageIdBidx: m.messageIdBidx,
    dedupeBidx: m.dedupeBidx,
    withheldFromTicketId: m.withheldFrom,
    providerThreadId: m.providerThreadId,
    kind: m.kind,
    kindReasons: m.kindReasons,
    threadRule: m.threadRule,
    fromBidx: m.fromBidx,
    headersCt: s('messages.headers', JSON.stringify(m.headers))!,
    textCt: s('messages.text', prepared.text),
    htmlCt: s('messages.html', prepared.html),
    replyCt: s('messages.reply', prepared.reply),
    raw: rawLayout(input.raw.length),
    warnings: prepared.warnings,
    deriveVersion: DERIVE_VERSION,
    sentAt: prepared.parsed.date,
    providerMessageId: input.providerMessageId,
    participants: m.participants,
  };
}

/** Above this many content bytes, a statement's attachments are sent before the next is sealed (a larger one goes alone). */
const attachmentStatementBytes = 1024 * 1024;

/**
 * Every stored message's attachments, sealed and inserted in statements of bounded size, with their
 * verdicts. A large attachment is sealed only once the statements before it are sent, and its
 * ciphertext is garbage once its own statement is: beside the decoded bytes the page holds anyway,
 * one attachment's ciphertext and the driver's copy of it.
 */
async function storeAttachments(w: PageWriter, messages: MessageToStore[]): Promise<void> {
  let batch: InboundAttachment[] = [];
  let bytes = 0;
  const flush = async () => {
    const rows = batch;
    batch = [];
    bytes = 0;
    await insertAttachments(w.ex, w.tenantId, w.mailboxId, rows);
  };
  for (const { item, id, ticketId } of messages) {
    for (const [i, a] of item.prepared.attachments.entries()) {
      if (bytes > 0 && bytes + a.content.length > attachmentStatementBytes) await flush();
      const as = sealer(w, a.id);
      const verdict = item.scans[i]!;
      batch.push({
        id: a.id,
        messageId: id,
        ticketId,
        position: a.position,
        filenameCt: as('attachments.filename', a.filename)!,
        contentIdCt: as('attachments.content_id', a.contentId),
        contentCt: as('attachments.content', a.content)!,
        declaredType: a.declaredType,
        sniffedType: a.sniffedType,
        size: a.size,
        digest: w.digest(a.sha256),
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
