import { Type } from 'typebox';

import { AppError } from '../../../errors.js';
import { eventSchemas, eventTypes, isEventType } from '../../../events/catalogue.js';
import type { PublicEvent } from '../../../events/event-view.js';
import type { Api, ApiDeps } from '../../api.js';
import { actorOf } from '../../plugins/auth.js';
import { authErrors, errorResponses } from '../../schemas.js';

/** The catalogue builds one schema per event type at run time, so the union's static type is the
 *  envelope every one of them shares (event-view.ts). */
export const EventSchema = Type.Unsafe<PublicEvent>(
  Type.Union(Object.values(eventSchemas), {
    description: 'One of the event catalogue’s types (see `webhooks` in this document)',
  }),
);

export function listEventsRoute(app: Api, deps: ApiDeps): void {
  app.get(
    '/v1/events',
    {
      config: { auth: 'tickets:read' },
      schema: {
        operationId: 'listEvents',
        tags: ['events'],
        summary:
          'The tenant’s events in order, after a cursor (ids and metadata only, never mail content)',
        description:
          'Poll with `after` set to the previous `next_cursor`: every event appears exactly once, in the order its transaction committed, ' +
          'even while many writers record events at once. Events are kept `EVENTS_RETENTION_DAYS`. Webhooks deliver the same events.',
        querystring: Type.Object(
          {
            after: Type.Optional(
              Type.String({
                maxLength: 20,
                description:
                  'next_cursor of the previous page; absent = from the oldest retained event',
              }),
            ),
            types: Type.Optional(
              Type.String({
                maxLength: 1000,
                description: `Comma-separated event types to include: ${eventTypes.join(', ')}`,
              }),
            ),
            limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ items: Type.Array(EventSchema), next_cursor: Type.String() }),
          ...errorResponses(...authErrors, 410),
        },
      },
    },
    async (req) => {
      const types = req.query.types
        ?.split(',')
        .map((t) => t.trim())
        .filter(Boolean);
      const unknown = types?.filter((t) => !isEventType(t));
      if (unknown && unknown.length > 0)
        throw new AppError(
          'validation_failed',
          `Unknown event type: ${unknown[0]!.slice(0, 60)}.`,
          { errors: [{ path: '/querystring/types', message: 'unknown event type' }] },
        );
      return deps.events.feed(actorOf(req), {
        after: req.query.after,
        types,
        limit: req.query.limit,
      });
    },
  );
}
