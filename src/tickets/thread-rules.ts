// Which ticket a message joins — docs/threading.md, decided in this order, and the rule is recorded:
//  1. In-Reply-To / References naming a Message-ID stored or sent for this tenant
//     (for bounces: the Message-ID of the message they return comes first);
//  2. the provider's thread id (Gmail threadId, Graph conversationId) already mapped to a ticket;
//  3. a ticket token in the subject, honoured only from an address already on that ticket
//     (otherwise anyone could inject mail into any ticket by guessing numbers);
//  4. otherwise a new ticket.
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
}

export interface ThreadDecision {
  ticketId: string | null;
  rule: ThreadRule;
}

export function decideThread(c: ThreadCandidates): ThreadDecision {
  if (c.bounceOriginal) return { ticketId: c.bounceOriginal, rule: 'bounce_original' };
  if (c.inReplyTo) return { ticketId: c.inReplyTo, rule: 'in_reply_to' };
  if (c.references) return { ticketId: c.references, rule: 'references' };
  if (c.providerThread) return { ticketId: c.providerThread, rule: 'provider_thread' };
  if (c.subjectToken?.senderIsParticipant)
    return { ticketId: c.subjectToken.ticketId, rule: 'subject_token' };
  return { ticketId: null, rule: 'new_ticket' };
}
