// Decrypts stored rows into what the API shows. Each value is opened with the data key of the
// mailbox it came through, bound to its table, field and row.
import type { Static } from 'typebox';

import { type DataKey, fieldAad, openText, type SealedField } from '../crypto/index.js';
import type {
  Attachment as AttachmentSchema,
  Message as MessageSchema,
  ReplyState as ReplyStateSchema,
  TicketDetail as TicketDetailSchema,
  TicketSummary as TicketSummarySchema,
} from '../http/routes/tickets/schemas.js';
import type { StoredHeaders } from '../ingest/prepare.js';
import { attachmentUrl } from '../ingest/prepare.js';
import type { Address } from '../ingest/types.js';
import type { OutboxState } from '../outbound/outbox-store.js';
import type { OutboxRow } from '../outbound/outbox-store.js';
import { outboxAad } from '../outbound/outbox-store.js';
import type { AttachmentRow } from '../store/attachment-store.js';
import type { MessageRow } from '../store/message-store.js';
import type { TicketRow } from '../store/ticket-store.js';

// The shapes the API shows are defined once, by the route schemas (http/routes/tickets/schemas.ts,
// which also render the OpenAPI document); the types below are derived from them (a type-only
// import: nothing of http/ runs here).
export type TicketSummary = Static<typeof TicketSummarySchema>;
export type AttachmentView = Static<typeof AttachmentSchema>;
export type MessageView = Static<typeof MessageSchema>;
export type TicketDetail = Static<typeof TicketDetailSchema>;
export type ReplyState = Static<typeof ReplyStateSchema>;

/**
 * Part of every ticket detail's entity tag (with the stored rows' versions, ticket-store.ts
 * `findTicketForRead`): change it whenever the detail a given set of rows renders to changes (a
 * field added, renamed or computed differently), so a client's cached copy from before is not
 * confirmed as current.
 */
export const detailFormat = 'detail-2';

export function ticketSummary(row: TicketRow, dek: DataKey, messageCount: number): TicketSummary {
  const a = (field: SealedField) => fieldAad(field, row.tenant_id, row.mailbox_id, row.id);
  return {
    id: row.id,
    number: Number(row.number),
    status: row.status,
    mailbox_id: row.mailbox_id,
    subject: openText(dek, row.subject_ct, a('tickets.subject')),
    requester: row.requester_ct
      ? (JSON.parse(openText(dek, row.requester_ct, a('tickets.requester'))) as Address)
      : null,
    message_count: messageCount,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    last_activity_at: row.last_activity_at.toISOString(),
  };
}

export function attachmentView(row: AttachmentRow, dek: DataKey): AttachmentView {
  return {
    id: row.id,
    filename: openText(
      dek,
      row.filename_ct,
      fieldAad('attachments.filename', row.tenant_id, row.mailbox_id, row.id),
    ),
    content_type: row.sniffed_type,
    declared_type: row.declared_type,
    size: row.size,
    digest: row.content_digest?.toString('hex') ?? null,
    inline: row.inline,
    flags: row.flags,
    scan_status: row.scan_status,
    download_url: row.scan_status === 'clean' ? attachmentUrl(row.id) : null,
  };
}

export function messageView(
  row: MessageRow,
  dek: DataKey,
  attachments: AttachmentView[],
): MessageView {
  const o = (field: SealedField, v: Buffer | null) =>
    v ? openText(dek, v, fieldAad(field, row.tenant_id, row.mailbox_id, row.id)) : null;
  const { bounce, sender_auth, ...headers } = JSON.parse(
    o('messages.headers', row.headers_ct)!,
  ) as StoredHeaders;
  return {
    id: row.id,
    direction: row.direction,
    kind: row.kind,
    kind_reasons: row.kind_reasons,
    thread_rule: row.thread_rule,
    mailbox_id: row.mailbox_id,
    headers,
    text: o('messages.text', row.text_ct),
    html: o('messages.html', row.html_ct),
    reply: o('messages.reply', row.reply_ct),
    sender_auth: sender_auth
      ? {
          verified: sender_auth.dmarc === 'pass',
          dmarc: sender_auth.dmarc,
          spf: sender_auth.spf,
          dkim: sender_auth.dkim,
          authserv_id: sender_auth.authserv_id,
          trusted_header: sender_auth.trusted_header,
          deception: sender_auth.deception,
          address: headers.from?.address ?? null,
          withheld_from_ticket_id: sender_auth.withheld_from,
        }
      : null,
    bounce: bounce ?? null,
    reply_state: null,
    warnings: row.warnings,
    sent_at: row.sent_at?.toISOString() ?? null,
    received_at: row.received_at.toISOString(),
    attachments,
  };
}

type Addresses = Pick<StoredHeaders, 'from' | 'to' | 'cc'>;

/**
 * Every message's headers in arrival order: those `opened` already (the page shown) and the `sealed`
 * rest, opened here with their mailbox's key. Sequences are bigint text, compared as numbers.
 */
export async function headersInOrder(
  opened: { seq: string; headers: Addresses }[],
  sealed: { id: string; tenant_id: string; mailbox_id: string; headers_ct: Buffer; seq: string }[],
  keyOf: (mailboxId: string) => Promise<DataKey>,
): Promise<Addresses[]> {
  const all: { seq: bigint; headers: Addresses }[] = opened.map((o) => ({
    seq: BigInt(o.seq),
    headers: o.headers,
  }));
  for (const row of sealed) {
    const dek = await keyOf(row.mailbox_id);
    all.push({
      seq: BigInt(row.seq),
      headers: JSON.parse(
        openText(
          dek,
          row.headers_ct,
          fieldAad('messages.headers', row.tenant_id, row.mailbox_id, row.id),
        ),
      ) as StoredHeaders,
    });
  }
  return all.sort((x, y) => (x.seq < y.seq ? -1 : x.seq > y.seq ? 1 : 0)).map((x) => x.headers);
}

/** Everyone on the ticket's messages (From, To, Cc), once each by address, in order of appearance. */
export function participantsOfHeaders(list: Addresses[]): Address[] {
  const seen = new Map<string, Address>();
  for (const h of list) {
    for (const a of [h.from, ...h.to, ...h.cc]) {
      if (a && !seen.has(a.address.toLowerCase()))
        seen.set(a.address.toLowerCase(), { name: a.name, address: a.address });
    }
  }
  return [...seen.values()];
}

export function replyState(row: OutboxRow, dek: DataKey): ReplyState {
  return {
    id: row.message_id,
    ticket_id: row.ticket_id,
    state: row.state as ReplyState['state'],
    message_id: openText(
      dek,
      row.rfc_message_id_ct,
      outboxAad(row.tenant_id, row.mailbox_id, row.id),
    ),
    attempts: row.attempts,
    failure_reason: row.failure_reason,
    created_at: row.created_at.toISOString(),
    sent_at: row.sent_at?.toISOString() ?? null,
  };
}

/** Outbound messages get their outbox state, and a bounced one the recipients of the bounce that answered it. */
export function applyReplyStates(
  messages: MessageView[],
  states: { message_id: string; state: OutboxState; bounce_message_id: string | null }[],
): void {
  for (const st of states) {
    const m = messages.find((x) => x.id === st.message_id);
    if (!m) continue;
    m.reply_state = st.state;
    if (st.bounce_message_id)
      m.bounce = messages.find((x) => x.id === st.bounce_message_id)?.bounce ?? null;
  }
}
