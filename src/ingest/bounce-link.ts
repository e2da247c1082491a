// A bounce that returns an agent's reply (its original Message-ID is one Inlet signed) marks that
// reply 'bounced', names the bounce message on the outbox row and records a reply.bounced event, so
// the helpdesk learns which reply failed; the recipients and diagnostics stay in the bounce's sealed
// headers and are shown through the ticket view. A delay warning changes nothing: the reply is still
// on its way. Only a reply already sent can bounce; ids only in the event (no addresses).
// An abuse report about a reply (ARF, an SES complaint, a complaint with the mail attached) leaves
// the reply as it is (it was delivered) and records reply.complained: the recipient called it spam.
import type { Executor } from '../store/db.js';
import { insertEvent } from '../store/event-store.js';
import type { BounceRecipient, Classification } from './types.js';

export interface BounceLink {
  /** The stored bounce message (messages.id). */
  bounceMessageId: string;
  /** Blind index of the returned message's Message-ID. */
  originalBidx: Buffer;
  recipients: BounceRecipient[];
  /** An abuse report about the message, not a delivery report. */
  complaint?: boolean;
}

const COMPLAINT_REASONS = new Set(['feedback_report', 'ses_complaint', 'abuse_complaint']);
/** An abuse report (ARF, SES complaint, complaint with the mail attached) about a message. */
export const isComplaint = (c: Classification): boolean =>
  c.kind === 'auto_reply' && c.reasons.some((r) => COMPLAINT_REASONS.has(r));

// 'deliverable' is Postfix's answer to an address check (sendmail -bv): a success report.
const NOT_A_FAILURE = new Set(['delayed', 'delivered', 'relayed', 'expanded', 'deliverable']);

/** Recipients a report says did not get the message (delays and successes left out). */
export const failedRecipients = (recipients: BounceRecipient[]): BounceRecipient[] =>
  recipients.filter((r) => !NOT_A_FAILURE.has(r.action ?? '') && !r.status?.startsWith('2.'));

export async function linkBouncesToReplies(
  ex: Executor,
  tenantId: string,
  links: BounceLink[],
): Promise<void> {
  for (const l of links) {
    if (l.complaint) {
      await recordComplaint(ex, tenantId, l);
      continue;
    }
    const failed = failedRecipients(l.recipients);
    if (failed.length === 0) continue;
    const { rows } = await ex.query<{ id: string; message_id: string; ticket_id: string }>(
      `UPDATE outbox o SET state = 'bounced', bounce_message_id = $3, bounced_at = now(), updated_at = now()
         FROM messages m
        WHERE m.tenant_id = $1 AND m.message_id_bidx = $2 AND m.direction = 'outbound'
          AND o.tenant_id = m.tenant_id AND o.message_id = m.id AND o.state = 'sent'
        RETURNING o.id, o.message_id, o.ticket_id`,
      [tenantId, l.originalBidx, l.bounceMessageId],
    );
    for (const r of rows) {
      await insertEvent(ex, tenantId, 'reply.bounced', r.message_id, {
        ticket_id: r.ticket_id,
        outbox_id: r.id,
        bounce_message_id: l.bounceMessageId,
        recipients: failed.length,
      });
    }
  }
}

async function recordComplaint(ex: Executor, tenantId: string, l: BounceLink): Promise<void> {
  const { rows } = await ex.query<{ id: string; message_id: string; ticket_id: string }>(
    `SELECT o.id, o.message_id, o.ticket_id FROM messages m
       JOIN outbox o ON o.tenant_id = m.tenant_id AND o.message_id = m.id
      WHERE m.tenant_id = $1 AND m.message_id_bidx = $2 AND m.direction = 'outbound'
        AND o.state IN ('sent', 'bounced')`,
    [tenantId, l.originalBidx],
  );
  for (const r of rows)
    await insertEvent(ex, tenantId, 'reply.complained', r.message_id, {
      ticket_id: r.ticket_id,
      outbox_id: r.id,
      complaint_message_id: l.bounceMessageId,
    });
}
