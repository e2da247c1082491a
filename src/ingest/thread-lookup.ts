// Turns a message's view of the page lookup (store/inbound-store.ts lookupPage, plus what earlier
// messages of the same page wrote) into the candidates for each thread rule; tickets/thread-rules.ts decides. Everything is compared by blind index: the database
// never sees a Message-ID or an address in clear.
import type { ThreadCandidates } from '../tickets/thread-rules.js';
import { ticketTokens } from '../tickets/ticket-token.js';
import type { Indexer } from './page-indexer.js';
import { originalMessageId } from './stages/bounce.js';
import type { Classification, ParsedMessage } from './types.js';

// Machine notices about one message we sent, which they carry or quote: an abuse report (ARF, an
// SES complaint, a complaint with the mail attached), SES's notice that it was delivered, a
// challenge-response hold and a mailing list's notice. Like a bounce they join the ticket of that message (DESIGN.md: reports attach to
// the ticket of the message they return), under the same rule, instead of opening a ticket.
const NOTICE_REASONS = new Set([
  'feedback_report',
  'ses_complaint',
  'ses_delivery',
  'abuse_complaint',
  'challenge_response',
  'list_notice',
]);
const returnsOriginal = (c: Classification): boolean =>
  c.kind === 'auto_reply' && c.reasons.some((r) => NOTICE_REASONS.has(r));

/** What one message needs looked up for threading. */
export interface ThreadLookupKeys {
  /** Message-IDs named by In-Reply-To, References and a bounce's original message. */
  refBidxs: Buffer[];
  providerThreadId: string | null;
  /** A `[#N]` token in the subject, and the sender who must already be on that ticket. */
  tokenNumber: number | null;
  senderBidx: Buffer | null;
}

/** One message's answers: tickets of the Message-IDs it names, its provider thread, its subject token. */
export interface ThreadLookup {
  refs: { bidx: Buffer; ticket_id: string }[];
  providerTicket: string | null;
  tokenTicket: string | null;
  tokenParticipant: boolean;
}

export interface ThreadKeys {
  /** Candidate Message-IDs: a returned message's (used only if the mail is a bounce), In-Reply-To, References. */
  bounceId: string | null;
  lookup: ThreadLookupKeys;
}

/** What to look up for threading, computed before the message is classified (one query for all). */
export function threadKeys(
  index: Indexer,
  msg: ParsedMessage,
  providerThreadId: string | null,
): ThreadKeys {
  const bounceId = originalMessageId(msg);
  const ids = [...(bounceId ? [bounceId] : []), ...msg.inReplyTo, ...msg.references];
  const [tokenNumber] = ticketTokens(msg.subject);
  return {
    bounceId,
    lookup: {
      refBidxs: ids.map((id) => index.messageId(id)),
      providerThreadId,
      tokenNumber: tokenNumber ?? null,
      senderBidx: msg.from?.address ? index.email(msg.from.address) : null,
    },
  };
}

/**
 * `signedOnly`: set when the sender failed DMARC; true for a Message-ID Inlet signed for this
 * tenant (the only Message-IDs such a sender may thread by, thread-rules.ts).
 */
export function threadCandidates(
  index: Indexer,
  msg: ParsedMessage,
  classification: Classification,
  keys: ThreadKeys,
  found: ThreadLookup,
  signedOnly?: (id: string) => boolean,
): ThreadCandidates {
  const bounceId =
    classification.kind === 'bounce'
      ? (classification.bounce?.originalMessageId ?? keys.bounceId)
      : returnsOriginal(classification)
        ? keys.bounceId
        : null;
  const byMessageId = (usable: (id: string) => boolean) => {
    const ticketFor = (id: string | null | undefined) => {
      if (!id || !usable(id)) return null;
      const b = index.messageId(id);
      return found.refs.find((f) => f.bidx.equals(b))?.ticket_id ?? null;
    };
    return {
      bounceOriginal: ticketFor(bounceId),
      inReplyTo: msg.inReplyTo.map(ticketFor).find((t) => t) ?? null,
      // References: the most recent (last) known ancestor wins.
      references:
        [...msg.references]
          .reverse()
          .map(ticketFor)
          .find((t) => t) ?? null,
    };
  };
  return {
    ...byMessageId(() => true),
    providerThread: found.providerTicket,
    subjectToken: found.tokenTicket
      ? { ticketId: found.tokenTicket, senderIsParticipant: found.tokenParticipant }
      : null,
    ...(signedOnly ? { unverified: byMessageId(signedOnly) } : {}),
  };
}
