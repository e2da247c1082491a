import { Type } from 'typebox';

import { type DeceptionFlag, deceptionFlagNames } from '../../../ingest/stages/deception.js';
import { type OutboxState, outboxStates } from '../../../outbound/outbox-store.js';
import { type StoredKind, storedKinds } from '../../../tickets/ticket-status.js';
import { Timestamp, Uuid } from '../../schemas.js';

export const TicketStatusSchema = Type.Union([
  Type.Literal('open'),
  Type.Literal('pending'),
  Type.Literal('solved'),
  Type.Literal('closed'),
]);
const Address = Type.Object({ name: Type.String(), address: Type.String() });

export const TicketSummary = Type.Object(
  {
    id: Uuid,
    number: Type.Integer({
      description: 'Per-tenant number, shown as #1042 and used in subject tokens [#1042]',
    }),
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

export const Attachment = Type.Object(
  {
    id: Uuid,
    filename: Type.String(),
    content_type: Type.String({ description: 'Sniffed from the bytes, not the sender’s claim' }),
    declared_type: Type.String(),
    size: Type.Integer(),
    digest: Type.Union([Type.String(), Type.Null()], {
      description:
        "Keyed digest of the bytes (hex HMAC-SHA256 under the tenant's index key): equal for identical files within the tenant, meaningless outside it; null for attachments stored before digests were keyed",
    }),
    inline: Type.Boolean(),
    flags: Type.Array(Type.String()),
    scan_status: Type.Union([
      Type.Literal('pending'),
      Type.Literal('clean'),
      Type.Literal('infected'),
      Type.Literal('scan_failed'),
    ]),
    download_url: Type.Union([Type.String(), Type.Null()], {
      description: 'Only when scan_status is clean',
    }),
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
  oversize: Type.Optional(
    Type.Object(
      { bytes: Type.Integer() },
      {
        description:
          'Only on the stub of a message over the size limit (warning message_too_large): the original’s size in bytes, when known (Microsoft 365 does not tell the size of a message it was not asked to send whole). The stub holds its headers and no body; the original stays in the mailbox',
      },
    ),
  ),
});

const BounceInfo = Type.Object({
  recipients: Type.Array(
    Type.Object({
      address: Type.String(),
      status: Type.Union([Type.String(), Type.Null()], {
        description: "Enhanced status code, e.g. '5.1.1'",
      }),
      action: Type.Union([Type.String(), Type.Null()], {
        description: "DSN action: 'failed', 'delayed', …; null when the report does not say",
      }),
      diagnostic: Type.Union([Type.String(), Type.Null()], {
        description: "The remote server's words, at most 500 characters",
      }),
    }),
  ),
});

const Verdict = (method: string) =>
  Type.Union([Type.String(), Type.Null()], {
    description: `The ${method} result as the receiving provider wrote it (pass, fail, softfail, none, temperror, …; Microsoft also writes bestguesspass); null when its field has none or no field of it was found`,
  });

export const SenderAuth = Type.Object(
  {
    verified: Type.Boolean({
      description:
        "DMARC passed per the receiving provider's own Authentication-Results. When false, show the sender as unverified",
    }),
    dmarc: Verdict('DMARC'),
    spf: Verdict('SPF'),
    dkim: Verdict('DKIM (pass when any signature passed)'),
    authserv_id: Type.Union([Type.String(), Type.Null()], {
      description:
        "Whose Authentication-Results field was read (e.g. mx.google.com); null for Microsoft 365's field, which names no server, and when none was found",
    }),
    trusted_header: Type.Boolean({
      description:
        "A field written by the mailbox's receiving server was found; copies written by the sender are never read",
    }),
    deception: Type.Array(
      Type.Unsafe<DeceptionFlag>(Type.Union(deceptionFlagNames.map((k) => Type.Literal(k)))),
      {
        description:
          'The From may mislead: display_name_address (the name holds another address), local_part_address (a quoted local part reads as another address), bidi_control (reordering characters), mixed_script (a word mixing Latin with Cyrillic or Greek look-alikes, or spelt only with look-alikes beside Latin words), reply_to_impersonation (a Reply-To at another organisation than the From whose display name holds the From’s or another address, or whose domain imitates the From’s: another spelling, script or top-level domain, or the From’s domain as a prefix; a new ticket’s replies go to that Reply-To). Show `address` beside the name',
      },
    ),
    address: Type.Union([Type.String(), Type.Null()], {
      description:
        "The real sender address (the From addr-spec). A new ticket's replies go to its first Reply-To with an address, else to this one (headers.reply_to)",
    }),
    withheld_from_ticket_id: Type.Union([Uuid, Type.Null()], {
      description:
        'The ticket this message would have joined (by provider thread, subject token or a Message-ID not from this tenant) had its sender not failed DMARC. It opened this ticket instead, for an agent to review',
    }),
  },
  { $id: 'SenderAuth' },
);

export const Message = Type.Object(
  {
    id: Uuid,
    direction: Type.Union([Type.Literal('inbound'), Type.Literal('outbound')]),
    kind: Type.Unsafe<StoredKind>(Type.Union(storedKinds.map((k) => Type.Literal(k)))),
    kind_reasons: Type.Array(Type.String()),
    thread_rule: Type.String({
      description: 'Which threading rule placed the message on this ticket',
    }),
    mailbox_id: Uuid,
    headers: Headers,
    text: Type.Union([Type.String(), Type.Null()]),
    html: Type.Union([Type.String(), Type.Null()], {
      description: 'Sanitised; remote images are not loaded (original URL in data-remote-src)',
    }),
    reply: Type.Union([Type.String(), Type.Null()], {
      description: 'The new text, without quotes and signature',
    }),
    sender_auth: Type.Union([SenderAuth, Type.Null()], {
      description:
        "Inbound mail: what the receiving provider found about the sender. A message whose sender failed DMARC joins an existing ticket only by answering one of this tenant's replies (In-Reply-To/References naming its signed Message-ID); otherwise it opens a new one. Null for outbound messages and for mail stored before this was recorded",
    }),
    bounce: Type.Union([BounceInfo, Type.Null()], {
      description:
        "On a bounce (kind 'bounce'): the recipients it reports. On a reply whose reply_state is 'bounced': the recipients the bounce that answered it reports. Otherwise null.",
    }),
    reply_state: Type.Unsafe<OutboxState | null>(
      Type.Union([...outboxStates.map((k) => Type.Literal(k)), Type.Null()], {
        description:
          "Outbound replies: delivery state, 'bounced' once a bounce for it arrived (event reply.bounced). Null for inbound messages.",
      }),
    ),
    warnings: Type.Array(Type.String()),
    sent_at: Type.Union([Timestamp, Type.Null()]),
    received_at: Timestamp,
    attachments: Type.Array(Attachment),
  },
  { $id: 'Message' },
);

export const TicketDetail = Type.Intersect([
  TicketSummary,
  Type.Object({
    participants: Type.Array(Address, {
      description: 'Everyone on the ticket’s messages (From, To, Cc), once each',
    }),
    messages: Type.Array(Message, { description: 'The newest page of messages, in arrival order' }),
    older_messages_cursor: Type.Union([Type.String(), Type.Null()], {
      description: 'Pass as messages_before for the page before this one; null on the oldest page',
    }),
  }),
]);

export const ReplyState = Type.Object(
  {
    id: Uuid,
    ticket_id: Uuid,
    state: Type.Union([
      Type.Literal('queued'),
      Type.Literal('sending'),
      Type.Literal('sent'),
      Type.Literal('failed'),
      Type.Literal('bounced'),
      Type.Literal('cancelled'),
    ]),
    message_id: Type.String({ description: 'RFC 5322 Message-ID of the reply' }),
    attempts: Type.Integer(),
    failure_reason: Type.Union([Type.String(), Type.Null()]),
    created_at: Timestamp,
    sent_at: Type.Union([Timestamp, Type.Null()]),
  },
  { $id: 'ReplyState' },
);
