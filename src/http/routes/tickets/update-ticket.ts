import { Type } from 'typebox';

import type { Api, ApiDeps } from '../../api.js';
import { actorOf } from '../../plugins/auth.js';
import { authErrors, errorResponses, IdParams } from '../../schemas.js';
import { TicketStatusSchema, TicketSummary } from './schemas.js';

export function updateTicketRoute(app: Api, deps: ApiDeps): void {
  app.patch(
    '/v1/tickets/:id',
    {
      config: { auth: 'tickets:write' },
      schema: {
        operationId: 'updateTicket',
        tags: ['tickets'],
        summary: 'Change a ticket’s status',
        params: IdParams,
        body: Type.Object({ status: TicketStatusSchema }, { additionalProperties: false }),
        response: { 200: TicketSummary, ...errorResponses(...authErrors, 404, 410) },
      },
    },
    async (req) => deps.tickets.setStatus(actorOf(req), req.params.id, req.body.status),
  );
}
