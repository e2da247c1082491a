import type { Executor } from './db.js';

export type EventType =
  | 'ticket.created' | 'ticket.updated' | 'message.received' | 'message.parked' | 'attachment.infected'
  | 'message.sent' | 'message.send_failed' | 'message.send_cancelled' | 'mailbox.reauth_required'
  | 'reply.bounced';

/** Events carry ids only; the helpdesk fetches content through the (audited) API. */
export async function insertEvent(ex: Executor, tenantId: string, type: EventType, resourceId: string, data: Record<string, string | number | boolean | null> = {}): Promise<void> {
  await ex.query('INSERT INTO events (tenant_id, type, resource_id, data) VALUES ($1, $2, $3, $4)', [tenantId, type, resourceId, JSON.stringify(data)]);
}
