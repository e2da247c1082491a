// Ticket status rules. Only a person writing in reopens a ticket: auto-replies, bounces, loops and
// our own echoes are recorded on the ticket but never change its status (an out-of-office answer to
// a solved ticket must not put it back in an agent's queue).
import type { MessageKind } from '../ingest/types.js';

export const ticketStatuses = ['open', 'pending', 'solved', 'closed'] as const;
export type TicketStatus = (typeof ticketStatuses)[number];

export type StoredKind = MessageKind | 'loop';

export function statusAfterInbound(current: TicketStatus, kind: StoredKind): TicketStatus {
  if (kind !== 'human') return current;
  return 'open';
}

/** Does this message count as customer activity (for retention and sorting)? */
export function isCustomerActivity(kind: StoredKind): boolean {
  return kind === 'human';
}
