import { Type } from 'typebox';

import type { Api, ApiDeps } from '../../api.js';
import { actorOf } from '../../plugins/auth.js';
import { authErrors, errorResponses, IdParams } from '../../schemas.js';
import { ReplyState } from './schemas.js';

export function listRepliesRoute(app: Api, deps: ApiDeps): void {
  app.get(
    '/v1/tickets/:id/replies',
    {
      config: { auth: 'tickets:read' },
      schema: {
        operationId: 'listTicketReplies',
        tags: ['tickets'],
        summary:
          'The agent replies of a ticket, oldest first, with their delivery state (queued, sending, sent, failed, bounced, cancelled)',
        params: IdParams,
        response: {
          200: Type.Object({ items: Type.Array(ReplyState) }),
          ...errorResponses(...authErrors, 404, 410),
        },
      },
    },
    async (req) => ({ items: await deps.tickets.replies(actorOf(req), req.params.id) }),
  );
}
