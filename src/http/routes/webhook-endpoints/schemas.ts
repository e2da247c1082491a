import { Type } from 'typebox';

import { eventTypes } from '../../../events/catalogue.js';
import { Timestamp, Uuid } from '../../schemas.js';

export const EventTypeSchema = Type.Union(eventTypes.map((t) => Type.Literal(t)));

export const WebhookEndpoint = Type.Object(
  {
    id: Uuid,
    url: Type.String(),
    description: Type.String(),
    types: Type.Array(Type.String(), { description: 'Event types delivered; empty = all' }),
    enabled: Type.Boolean(),
    disabled_reason: Type.Union([Type.String(), Type.Null()], {
      description: 'disabled_by_tenant, or why Inlet disabled it after failing too long',
    }),
    failing_since: Type.Union([Timestamp, Type.Null()], {
      description: 'First failed attempt since the last success',
    }),
    previous_secret_expires_at: Type.Union([Timestamp, Type.Null()], {
      description: 'Until then the previous secret signs too (rotation overlap)',
    }),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: 'WebhookEndpoint' },
);

export const Secret = Type.String({
  description: 'Standard Webhooks signing secret (`whsec_…`); shown only now',
});

export const EndpointFields = {
  url: Type.String({
    minLength: 8,
    maxLength: 2000,
    description:
      'https URL (http allowed outside production); loopback, private and link-local targets are refused unless the operator allows them',
  }),
  description: Type.Optional(Type.String({ maxLength: 500 })),
  types: Type.Optional(
    Type.Array(EventTypeSchema, {
      maxItems: 50,
      uniqueItems: true,
      description: 'Event types to deliver; absent or empty = all',
    }),
  ),
};

export const Attempt = Type.Object(
  {
    id: Type.String(),
    delivery_id: Uuid,
    event_id: Type.String(),
    attempt: Type.Integer({ description: '1 for the first try of this delivery' }),
    outcome: Type.Union([Type.Literal('succeeded'), Type.Literal('failed')]),
    response_status: Type.Union([Type.Integer(), Type.Null()]),
    latency_ms: Type.Integer(),
    error: Type.Union([Type.String(), Type.Null()], {
      description: 'timeout, redirect_not_followed, http_<status>, a connection error code, …',
    }),
    response_prefix: Type.Union([Type.String(), Type.Null()], {
      description: 'At most the first 256 bytes of the response body',
    }),
    attempted_at: Timestamp,
  },
  { $id: 'WebhookAttempt' },
);
