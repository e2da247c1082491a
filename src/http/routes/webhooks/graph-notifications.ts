// Microsoft Graph change and lifecycle notifications (docs/providers.md, Microsoft 365 facts:
// notification endpoint). Both URLs first answer the validation handshake: `validationToken` in the
// query is echoed as text/plain (decoded, as Fastify hands it over), before any body is looked at.
// Notifications are answered 202 once what they ask for is queued; Graph retries on 5xx, so a
// database failure is not acknowledged.
import { Type } from 'typebox';

import type { Api, ApiDeps } from '../../api.js';

const Query = Type.Object(
  { validationToken: Type.Optional(Type.String({ maxLength: 2000 })) },
  { additionalProperties: true },
);

function route(
  app: Api,
  deps: ApiDeps,
  path: string,
  operationId: string,
  summary: string,
  kind: 'notifications' | 'lifecycle',
): void {
  app.post(
    path,
    {
      // Authenticated per item by the subscription's clientState; Graph's retries must never be throttled.
      config: { auth: 'public', rateLimit: false },
      schema: {
        operationId,
        tags: ['webhooks'],
        summary,
        security: [],
        querystring: Query,
        body: Type.Unknown(),
        response: {
          200: Type.String({
            description: 'Validation handshake: the validationToken, as text/plain',
          }),
          202: Type.Null({
            description:
              'Acknowledged (also for unknown subscriptions and forged items, which store nothing)',
          }),
        },
      },
    },
    async (req, reply) => {
      const token = req.query.validationToken;
      if (token !== undefined) return reply.code(200).type('text/plain; charset=utf-8').send(token);
      await deps.push.graph[kind](req.body);
      return reply.code(202).send(null);
    },
  );
}

export function graphNotificationRoutes(app: Api, deps: ApiDeps): void {
  route(
    app,
    deps,
    '/v1/webhooks/graph/notifications',
    'receiveGraphNotifications',
    'Graph change notifications for Microsoft 365 inboxes: validation handshake, clientState check, a sync queued per genuine mailbox, 202',
    'notifications',
  );
  route(
    app,
    deps,
    '/v1/webhooks/graph/lifecycle',
    'receiveGraphLifecycle',
    'Graph lifecycle notifications: reauthorizationRequired renews, subscriptionRemoved recreates and syncs, missed syncs; 202',
    'lifecycle',
  );
}
