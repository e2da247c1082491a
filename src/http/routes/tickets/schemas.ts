import { type StoredKind, storedKinds } from '../../../tickets/ticket-status.js';
import { Type } from 'typebox';
import { Timestamp, Uuid } from '../../schemas.js';

export const TicketStatusSchema = Type.Union([Type.Literal('open'), Type.Literal('pending'), Type.Literal('solved'), Type.Literal('closed')]);
const Address = Type.Object({ name: Type.String(), address: Type.String() });

export const TicketSummary = Type.Object(
  {
    id: Uuid,
    number: Type.Integer({ description: 'Per-tenant number, shown as #1042 and used in subject tokens [#1042]' }),
    status: TicketStatusSchema,
    mailbox_id: Uuid,
    subject: Type.String(),
    requester: Type.Union([Address, Type.Null()]),
    message_count: Type.Integer(),
    created_at: Timestamp,
    updated_at: Timestamp,
    last_activity_at: Timestamp,
  },
  { $id: 'TicketSummary' },
);

const Attachment = Type.Object(
  {
    id: Uuid,
    filename: Type.String(),
    content_type: Type.String({ description: 'Sniffed from the bytes, not the sender’s claim' }),
    declared_type: Type.String(),
    size: Type.Integer(),
    sha256: Type.String(),
    inline: Type.Boolean(),
    flags: Type.Array(Type.String()),
    scan_status: Type.Union([Type.Literal('pending'), Type.Literal('clean'), Type.Literal('infected'), Type.Literal('scan_failed')]),
    download_url: Type.Union([Type.String(), Type.Null()], { description: 'Only when scan_status is clean' }),
  },
  { $id: 'Attachment' },
);

const Headers = Type.Object({
  subject: Type.String(),
  from: Type.Union([Address, Type.Null()]),
  to: Type.Array(Address),
  cc: Type.Array(Address),
  reply_to: Type.Array(Address),
  date: Type.Union([Type.String(), Type.Null()]),
  message_id: Type.Union([Type.String(), Type.Null()]),
  in_reply_to: Type.Array(Type.String()),
  references: Type.Array(Type.String()),
});

export const Message = Type.Object(
  {
    id: Uuid,
    direction: Type.Union([Type.Literal('inbound'), Type.Literal('outbound')]),
    kind: Type.Unsafe<StoredKind>(Type.Union(storedKinds.map((k) => Type.Literal(k)))),
    kind_reasons: Type.Array(Type.String()),
    thread_rule: Type.String({ description: 'Which threading rule placed the message on this ticket' }),
    mailbox_id: Uuid,
    headers: Headers,
    text: Type.Union([Type.String(), Type.Null()]),
    html: Type.Union([Type.String(), Type.Null()], { description: 'Sanitised; remote images are not loaded (original URL in data-remote-src)' }),
    reply: Type.Union([Type.String(), Type.Null()], { description: 'The new text, without quotes and signature' }),
    warnings: Type.Array(Type.String()),
    sent_at: Type.Union([Timestamp, Type.Null()]),
    received_at: Timestamp,
    attachments: Type.Array(Attachment),
  },
  { $id: 'Message' },
);

export const TicketDetail = Type.Intersect([TicketSummary, Type.Object({ messages: Type.Array(Message) })]);
