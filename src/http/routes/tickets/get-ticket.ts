import type { Api, ApiDeps } from '../../api.js';
import { actorOf } from '../../plugins/auth.js';
import { authErrors, errorResponses, IdParams } from '../../schemas.js';
import { TicketDetail } from './schemas.js';

export function getTicketRoute(app: Api, deps: ApiDeps): void {
  app.get('/v1/tickets/:id', {
    config: { auth: 'tickets:read' },
    schema: {
      operationId: 'getTicket',
      tags: ['tickets'],
      summary: 'One ticket with its messages, decrypted and sanitised (audited)',
      params: IdParams,
      response: { 200: TicketDetail, ...errorResponses(...authErrors, 404, 410) },
    },
  }, async (req) => deps.tickets.get(actorOf(req), req.params.id));
}
