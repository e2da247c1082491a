import { Type } from 'typebox';

import { AppError } from '../../../errors.js';
import type { Api, ApiDeps } from '../../api.js';
import { errorResponses } from '../../schemas.js';

export function googlePubSubRoute(app: Api, deps: ApiDeps): void {
  app.post(
    '/v1/webhooks/google/pubsub',
    {
      // Authenticated by the Pub/Sub OIDC token, not an API key; Google's retries must never be throttled.
      config: { auth: 'public', rateLimit: false },
      // A Gmail push is a few hundred bytes; nothing larger is read.
      bodyLimit: 64 * 1024,
      // The token is checked from the headers before a single body byte is read, so a stranger cannot
      // make Inlet buffer and parse bodies.
      onRequest: async (req) => {
        if (!(await deps.push.gmail.authentic(req.headers.authorization)))
          throw new AppError('unauthenticated', 'Push token missing or not valid.');
      },
      schema: {
        operationId: 'receiveGmailPush',
        tags: ['webhooks'],
        summary:
          'Gmail Pub/Sub push: verifies the OIDC token, queues a sync of the mailbox, answers 204 (also for unknown mailboxes)',
        security: [],
        body: Type.Unknown(),
        response: { 204: Type.Null({ description: 'Acknowledged' }), ...errorResponses(401) },
      },
    },
    async (req, reply) => {
      const r = await deps.push.gmail.receive(req.headers.authorization, req.body);
      if (r.status === 401)
        throw new AppError('unauthenticated', 'Push token missing or not valid.');
      return reply.code(204).send(null);
    },
  );
}
