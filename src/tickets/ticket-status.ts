// Ticket status rules. Only a person writing in reopens a ticket: auto-replies, bounces, loops and
// our own echoes are recorded on the ticket but never change its status (an out-of-office answer to
// a solved ticket must not put it back in an agent's queue).
import type { MessageKind } from '../ingest/types.js';

export const ticketStatuses = ['open', 'pending', 'solved', 'closed'] as const;
export type TicketStatus = (typeof ticketStatuses)[number];

/** Every kind a stored message can have, defined once: what classification decides (MessageKind),
 *  'loop' (a mail loop caught at ingest) and 'agent_reply' (sent through the reply API). */
export const storedKinds = [
  'human',
  'auto_reply',
  'bounce',
  'own_echo',
  'loop',
  'agent_reply',
] as const satisfies readonly (MessageKind | 'loop' | 'agent_reply')[];
export type StoredKind = (typeof storedKinds)[number];

export function statusAfterInbound(current: TicketStatus, kind: StoredKind): TicketStatus {
  if (kind !== 'human') return current;
  return 'open';
}

/** Does this message count as customer activity (for retention and sorting)? */
export function isCustomerActivity(kind: StoredKind): boolean {
  return kind === 'human';
}
