// Which ticket a message joins — docs/threading.md, decided in this order, and the rule is recorded:
//  1. In-Reply-To / References naming a Message-ID stored or sent for this tenant
//     (for bounces: the Message-ID of the message they return comes first);
//  2. the provider's thread id (Gmail threadId, Graph conversationId) already mapped to a ticket;
//  3. a ticket token in the subject, honoured only from an address already on that ticket
//     (otherwise anyone could inject mail into any ticket by guessing numbers);
//  4. otherwise a new ticket.
// A sender the receiving provider failed on DMARC may be anyone (security.md control 42, bad input
// 18): such a message joins an existing ticket only through a Message-ID Inlet signed, i.e. it
// answers one of our replies. Those ids are random, HMAC-tagged and tenant-bound, so naming one
// shows the sender received that reply, and a customer whose domain's DMARC is broken still lands
// in their ticket (flagged unverified, and adding no participant: page-decide.ts). Anything else —
// a provider thread, a subject token, a Message-ID of someone's mail that anyone on the thread has
// seen — opens a new ticket instead, and the decision names the ticket it was kept off, for an
// agent to review (merge it or not).
// Pure: the pipeline looks the candidates up and passes them in.

export type ThreadRule =
  | 'bounce_original'
  | 'in_reply_to'
  | 'references'
  | 'provider_thread'
  | 'subject_token'
  | 'new_ticket';

export interface ThreadCandidates {
  bounceOriginal: string | null;
  inReplyTo: string | null;
  references: string | null;
  providerThread: string | null;
  subjectToken: { ticketId: string; senderIsParticipant: boolean } | null;
  /**
   * Only when the sender failed DMARC: the Message-ID rules' candidates counting only Message-IDs
   * Inlet signed for this tenant.
   */
  unverified?: Pick<ThreadCandidates, 'bounceOriginal' | 'inReplyTo' | 'references'>;
}

export interface ThreadDecision {
  ticketId: string | null;
  rule: ThreadRule;
  /** The ticket a sender that failed DMARC was kept off (it opens a new one). */
  withheldFrom?: string;
}

export function decideThread(c: ThreadCandidates): ThreadDecision {
  const d = byRules(c);
  if (!c.unverified || d.ticketId === null) return d;
  const signed = byRules({ ...c.unverified, providerThread: null, subjectToken: null });
  return signed.ticketId !== null
    ? signed
    : { ticketId: null, rule: 'new_ticket', withheldFrom: d.ticketId };
}

function byRules(c: Omit<ThreadCandidates, 'unverified'>): ThreadDecision {
  if (c.bounceOriginal) return { ticketId: c.bounceOriginal, rule: 'bounce_original' };
  if (c.inReplyTo) return { ticketId: c.inReplyTo, rule: 'in_reply_to' };
  if (c.references) return { ticketId: c.references, rule: 'references' };
  if (c.providerThread) return { ticketId: c.providerThread, rule: 'provider_thread' };
  if (c.subjectToken?.senderIsParticipant)
    return { ticketId: c.subjectToken.ticketId, rule: 'subject_token' };
  return { ticketId: null, rule: 'new_ticket' };
}
