import { Type } from 'typebox';

import type { Api, ApiDeps } from '../../api.js';
import { actorOf } from '../../plugins/auth.js';
import { authErrors, errorResponses, PageQuery, Timestamp, Uuid } from '../../schemas.js';
import { TicketStatusSchema, TicketSummary } from './schemas.js';

export function listTicketsRoute(app: Api, deps: ApiDeps): void {
  app.get(
    '/v1/tickets',
    {
      config: { auth: 'tickets:read' },
      schema: {
        operationId: 'listTickets',
        tags: ['tickets'],
        summary: 'Tickets, most recently updated first (audited)',
        description:
          'Filters combine. `requester` matches the requester address through its blind index (no plaintext search). `next_cursor` continues exactly after the last ticket of the page, ties on updated_at included.',
        querystring: Type.Object(
          {
            status: Type.Optional(TicketStatusSchema),
            mailbox_id: Type.Optional(Uuid),
            requester: Type.Optional(Type.String({ format: 'email', maxLength: 320 })),
            updated_since: Type.Optional(Timestamp),
            updated_after: Type.Optional(
              Type.String({
                format: 'date-time',
                description:
                  'Only tickets updated strictly after this time (microseconds are honoured); poll with the newest updated_at seen',
              }),
            ),
            review: Type.Optional(
              Type.Literal('sender_unverified', {
                description:
                  'Only tickets opened by a message whose sender failed DMARC at the receiving server and that was kept off the ticket it claimed (its `sender_auth.withheld_from_ticket_id`): a queue for review. Messages stored before this filter existed are not found by it.',
              }),
            ),
            ...PageQuery,
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            items: Type.Array(TicketSummary),
            next_cursor: Type.Union([Type.String(), Type.Null()]),
          }),
          ...errorResponses(...authErrors, 410),
        },
      },
    },
    async (req) => {
      const q = req.query;
      const page = await deps.tickets.list(actorOf(req), {
        status: q.status,
        mailboxId: q.mailbox_id,
        requester: q.requester,
        updatedSince: q.updated_since,
        updatedAfter: q.updated_after,
        review: q.review,
        cursor: q.cursor,
        limit: q.limit,
      });
      return { items: page.items, next_cursor: page.nextCursor };
    },
  );
}
