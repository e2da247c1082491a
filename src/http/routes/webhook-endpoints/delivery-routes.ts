// /v1/webhook-endpoints/{id}: rotate the secret, list attempts, replay events.
import { Type } from 'typebox';

import { AppError } from '../../../errors.js';
import type { Api, ApiDeps } from '../../api.js';
import { actorOf } from '../../plugins/auth.js';
import { authErrors, errorResponses, IdParams, PageQuery, Timestamp } from '../../schemas.js';
import { Attempt, Secret } from './schemas.js';

const auth = 'webhooks:manage' as const;
const tags = ['webhooks'];

export function webhookDeliveryRoutes(app: Api, deps: ApiDeps): void {
  app.post(
    '/v1/webhook-endpoints/:id/rotate-secret',
    {
      config: { auth },
      schema: {
        operationId: 'rotateWebhookSecret',
        tags,
        summary:
          'New signing secret; the old one keeps signing too (a second signature) for the overlap',
        params: IdParams,
        body: Type.Object(
          { overlap_seconds: Type.Integer({ minimum: 0, maximum: 7 * 86_400, default: 86_400 }) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ secret: Secret, previous_secret_expires_at: Timestamp }),
          ...errorResponses(...authErrors, 404),
        },
      },
    },
    async (req) =>
      deps.webhookEndpoints.rotateSecret(actorOf(req), req.params.id, req.body.overlap_seconds),
  );

  app.get(
    '/v1/webhook-endpoints/:id/attempts',
    {
      config: { auth },
      schema: {
        operationId: 'listWebhookAttempts',
        tags,
        summary:
          'Delivery attempts to this endpoint, newest first: outcome, response code, latency',
        params: IdParams,
        querystring: Type.Object(PageQuery, { additionalProperties: false }),
        response: {
          200: Type.Object({
            items: Type.Array(Attempt),
            next_cursor: Type.Union([Type.String(), Type.Null()]),
          }),
          ...errorResponses(...authErrors, 404),
        },
      },
    },
    async (req) =>
      deps.webhookEndpoints.attempts(actorOf(req), req.params.id, {
        cursor: req.query.cursor,
        limit: req.query.limit,
      }),
  );

  app.post(
    '/v1/webhook-endpoints/:id/replay',
    {
      config: { auth },
      schema: {
        operationId: 'replayWebhookEvents',
        tags,
        summary:
          'Deliver events again (same webhook-id, so receivers can dedupe): the listed ones, or every retained one since a time',
        params: IdParams,
        body: Type.Object(
          {
            event_ids: Type.Optional(
              Type.Array(Type.String({ maxLength: 30 }), { minItems: 1, maxItems: 500 }),
            ),
            since: Type.Optional(Timestamp),
          },
          { additionalProperties: false, description: 'Exactly one of event_ids and since' },
        ),
        response: {
          202: Type.Object({ queued: Type.Integer() }),
          ...errorResponses(...authErrors, 404),
        },
      },
    },
    async (req, reply) => {
      const { event_ids: eventIds, since } = req.body;
      if ((eventIds === undefined) === (since === undefined))
        throw new AppError('validation_failed', 'Give exactly one of event_ids and since.');
      const queued = await deps.webhookEndpoints.replay(actorOf(req), req.params.id, {
        eventIds,
        since: since ? new Date(since) : undefined,
      });
      return reply.code(202).send({ queued });
    },
  );
}
