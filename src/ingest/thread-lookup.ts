// Gathers the candidates for each thread rule (tickets/thread-rules.ts decides). All lookups go
// through blind indexes: the database never sees a Message-ID or an address in clear.
import { emailBlindIndex, messageIdBlindIndex } from '../crypto/index.js';
import type { Executor } from '../store/db.js';
import { ticketByProviderThread, ticketsByMessageIds } from '../store/message-store.js';
import { findTicketIdByNumber, isParticipant } from '../store/ticket-store.js';
import { ticketTokens } from '../tickets/ticket-token.js';
import type { ThreadCandidates } from '../tickets/thread-rules.js';
import type { Classification, ParsedMessage } from './types.js';

export async function lookupThreadCandidates(
  ex: Executor,
  ctx: { tenantId: string; mailboxId: string; indexKey: Buffer; providerThreadId: string | null },
  msg: ParsedMessage,
  classification: Classification,
): Promise<ThreadCandidates> {
  const bidx = (id: string) => messageIdBlindIndex(ctx.indexKey, id);
  const bounceId = classification.kind === 'bounce' ? classification.bounce?.originalMessageId ?? null : null;
  const ids = [...(bounceId ? [bounceId] : []), ...msg.inReplyTo, ...msg.references];
  const found = await ticketsByMessageIds(ex, ctx.tenantId, ids.map(bidx));
  const ticketFor = (id: string | null | undefined) => {
    if (!id) return null;
    const b = bidx(id);
    return found.find((f) => f.bidx.equals(b))?.ticket_id ?? null;
  };
  // References: the most recent (last) known ancestor wins.
  const references = [...msg.references].reverse().map(ticketFor).find((t) => t) ?? null;
  const inReplyTo = msg.inReplyTo.map(ticketFor).find((t) => t) ?? null;

  let subjectToken: ThreadCandidates['subjectToken'] = null;
  const [number] = ticketTokens(msg.subject);
  if (number !== undefined) {
    const ticketId = await findTicketIdByNumber(ex, ctx.tenantId, number);
    if (ticketId) {
      const sender = msg.from?.address;
      subjectToken = { ticketId, senderIsParticipant: sender ? await isParticipant(ex, ctx.tenantId, ticketId, emailBlindIndex(ctx.indexKey, sender)) : false };
    }
  }
  return {
    bounceOriginal: ticketFor(bounceId),
    inReplyTo,
    references,
    providerThread: ctx.providerThreadId ? await ticketByProviderThread(ex, ctx.tenantId, ctx.mailboxId, ctx.providerThreadId) : null,
    subjectToken,
  };
}
