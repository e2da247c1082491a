// The event catalogue (issue #17): every event type Inlet publishes, one versioned schema each. The
// same schemas describe GET /v1/events items and webhook bodies in openapi.yaml. Events carry ids and
// metadata only, never mail content (no subject, body or address beyond what a type needs): the
// helpdesk fetches content through the audited API. Adding a field is a compatible change within a
// version; renaming or removing one is a new `version`.
import { type TObject, type TProperties, Type } from 'typebox';

const Uuid = Type.String({ format: 'uuid' });

interface Definition {
  /** Name of the data field that holds the event's resource id (events.resource_id). */
  resource: string;
  description: string;
  data: TProperties;
}

const defs = {
  'ticket.created': {
    resource: 'ticket_id',
    description: 'A message opened a new ticket.',
    data: { number: Type.Integer(), mailbox_id: Uuid },
  },
  'ticket.updated': {
    resource: 'ticket_id',
    description:
      'A ticket changed: its status (`change: status`) or a message joined it (`change: message`).',
    data: {
      change: Type.Union([Type.Literal('status'), Type.Literal('message')]),
      status: Type.Optional(Type.String({ description: 'The new status (change: status)' })),
      message_id: Type.Optional(Uuid),
    },
  },
  'message.received': {
    resource: 'message_id',
    description:
      'An inbound message was stored on a ticket. `kind` says whether a person wrote it.',
    data: {
      ticket_id: Uuid,
      mailbox_id: Uuid,
      kind: Type.String({
        description:
          'human, auto_reply, bounce, bulk, own_echo or loop (more may be added; treat unknown ones as not human)',
      }),
      thread_rule: Type.String({ description: 'Which threading rule placed it on the ticket' }),
      withheld_from_ticket_id: Type.Optional(
        Type.Union([Uuid, Type.Null()], {
          description:
            'The ticket this message claimed (subject token, In-Reply-To or provider thread) but was kept off because the receiving server reported DMARC fail; it opened `ticket_id` instead. Queue such tickets for review (GET /v1/tickets?review=sender_unverified). Null otherwise; absent on events recorded before the field existed.',
        }),
      ),
    },
  },
  'message.parked': {
    resource: 'mailbox_id',
    description:
      'A message could not be ingested and was parked with a reason (kept, encrypted). One parked as message_too_large also left a stub on a ticket (made of its header block, downloaded or fetched alone): its headers (from, subject, threading) with no body and the warning message_too_large, named by `message_id` and `ticket_id` (its own message.received event follows the usual rules).',
    data: {
      reason: Type.String(),
      size: Type.Optional(
        Type.Integer({ description: 'Bytes of the parked message, when it was downloaded' }),
      ),
      message_id: Type.Optional(Uuid),
      ticket_id: Type.Optional(Uuid),
    },
  },
  'attachment.scanned': {
    resource: 'attachment_id',
    description:
      'ClamAV gave a verdict on an attachment. Only `clean` attachments can be downloaded.',
    data: {
      message_id: Uuid,
      ticket_id: Uuid,
      status: Type.Union([
        Type.Literal('clean'),
        Type.Literal('infected'),
        Type.Literal('scan_failed'),
      ]),
    },
  },
  'reply.sent': {
    resource: 'reply_id',
    description: 'The provider accepted an agent reply.',
    data: { ticket_id: Uuid, attempts: Type.Integer() },
  },
  'reply.failed': {
    resource: 'reply_id',
    description: 'A reply could not be sent and will not be retried.',
    data: { ticket_id: Uuid, reason: Type.String() },
  },
  'reply.cancelled': {
    resource: 'reply_id',
    description: 'A reply was not sent (its mailbox was disconnected first).',
    data: { ticket_id: Uuid, reason: Type.String() },
  },
  'reply.bounced': {
    resource: 'reply_id',
    description:
      'A bounce (delivery status notification) answered a sent reply: the reply is now `bounced`. Who bounced and why is in the bounce message, through the API.',
    data: {
      ticket_id: Uuid,
      outbox_id: Uuid,
      bounce_message_id: Uuid,
      recipients: Type.Integer({ description: 'How many recipients failed' }),
    },
  },
  'reply.complained': {
    resource: 'reply_id',
    description:
      'An abuse report (ARF feedback report, SES complaint, or a complaint with the reply attached) named a sent reply: its recipient reported it as spam. The reply keeps its state; the report is a message on the ticket.',
    data: { ticket_id: Uuid, outbox_id: Uuid, complaint_message_id: Uuid },
  },
  'mailbox.connected': {
    resource: 'mailbox_id',
    description: 'A mailbox was connected.',
    data: { provider: Type.String() },
  },
  'mailbox.reauth_required': {
    resource: 'mailbox_id',
    description: 'The provider refused the stored grant; the tenant must consent again.',
    data: { provider: Type.String() },
  },
  'mailbox.send_grant_changed': {
    resource: 'mailbox_id',
    description:
      'A token exchange or refresh showed the grant gained or lost the send scope (gmail.send, Mail.Send). While `send_granted` is false mail is still ingested but replies are refused with 409 mailbox_send_not_granted; a re-consent that grants sending sets it back.',
    data: { provider: Type.String(), send_granted: Type.Boolean() },
  },
  'mailbox.disconnected': {
    resource: 'mailbox_id',
    description:
      'A mailbox was disconnected: its data key is destroyed and its rows are purged after `purge_after`.',
    data: { provider: Type.String(), purge_after: Type.String({ format: 'date-time' }) },
  },
  'mailbox.purged': {
    resource: 'mailbox_id',
    description: 'Every row of a disconnected mailbox was deleted.',
    data: {},
  },
  'subject_request.completed': {
    resource: 'request_id',
    description: 'A data-subject request (export or erasure) finished.',
    data: { kind: Type.String({ description: 'export or erase' }) },
  },
  'webhook_endpoint.disabled': {
    resource: 'endpoint_id',
    description:
      'A webhook endpoint kept failing and was disabled; `reason` says why. Sent to the other endpoints and the feed.',
    data: { reason: Type.String() },
  },
} as const satisfies Record<string, Definition>;

export type EventType = keyof typeof defs;
export const eventTypes = Object.keys(defs) as EventType[];
export const catalogueVersion = 1;

const schemaName = (type: string) =>
  `${type
    .split(/[._]/)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('')}Event`;

function envelope(type: EventType, def: Definition): TObject {
  return Type.Object(
    {
      id: Type.String({
        description:
          'Event id (`evt_…`), also the `webhook-id` header: the same on every retry, so receivers dedupe by it',
      }),
      type: Type.Literal(type),
      version: Type.Literal(catalogueVersion),
      created_at: Type.String({ format: 'date-time' }),
      data: Type.Object({ [def.resource]: Uuid, ...def.data }, { additionalProperties: false }),
    },
    { $id: schemaName(type), description: def.description, additionalProperties: false },
  );
}

export const eventSchemas = Object.fromEntries(
  eventTypes.map((t) => [t, envelope(t, defs[t])]),
) as Record<EventType, TObject>;

export const resourceKey = (type: EventType): string => defs[type].resource;

export const isEventType = (t: string): t is EventType => Object.hasOwn(defs, t);

/** One entry per event type for openapi.yaml's `webhooks` section (what a receiver is POSTed). */
export function openapiWebhooks(): Record<string, unknown> {
  return Object.fromEntries(
    eventTypes.map((t) => [
      t,
      {
        post: {
          summary: defs[t].description,
          description:
            'Signed per Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`). Answer 2xx within 5 s; anything else is retried.',
          requestBody: {
            content: {
              'application/json': { schema: { $ref: `#/components/schemas/${schemaName(t)}` } },
            },
          },
          responses: { '200': { description: 'Received' } },
        },
      },
    ]),
  );
}
