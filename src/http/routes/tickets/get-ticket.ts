import { createHash } from 'node:crypto';

import { Type } from 'typebox';

import type { Api, ApiDeps } from '../../api.js';
import { actorOf } from '../../plugins/auth.js';
import { authErrors, errorResponses, IdParams } from '../../schemas.js';
import { TicketDetail } from './schemas.js';

/** True when an If-None-Match header names this entity tag (or is `*`). */
function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((t) => {
    const v = t.trim();
    return v === '*' || v.replace(/^W\//, '') === etag.replace(/^W\//, '');
  });
}

export function getTicketRoute(app: Api, deps: ApiDeps): void {
  app.get(
    '/v1/tickets/:id',
    {
      config: { auth: 'tickets:read' },
      schema: {
        operationId: 'getTicket',
        tags: ['tickets'],
        summary:
          'One ticket with its participants and newest page of messages, decrypted and sanitised (audited)',
        description:
          'Messages come newest page first, each page in arrival order; `older_messages_cursor` fetches the page before. HTML only with `html=true`. ' +
          'The response carries an ETag: send it back as If-None-Match and an unchanged ticket answers 304 with no body.',
        params: IdParams,
        querystring: Type.Object(
          {
            messages_limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
            messages_before: Type.Optional(Type.String({ maxLength: 20 })),
            html: Type.Boolean({
              default: false,
              description: 'Include each message’s sanitised HTML',
            }),
          },
          { additionalProperties: false },
        ),
        headers: Type.Object({ 'if-none-match': Type.Optional(Type.String({ maxLength: 200 })) }),
        response: {
          200: TicketDetail,
          304: Type.Null({ description: 'Not modified since the ETag given in If-None-Match' }),
          ...errorResponses(...authErrors, 404, 410),
        },
      },
    },
    async (req, reply) => {
      const q = req.query;
      const detail = await deps.tickets.get(actorOf(req), req.params.id, {
        messagesLimit: q.messages_limit,
        messagesBefore: q.messages_before,
        html: q.html,
      });
      // The tag covers the whole representation, so any change (status, a message, a scan verdict) changes it.
      const etag = `"${createHash('sha256').update(JSON.stringify(detail)).digest('base64url').slice(0, 32)}"`;
      reply.header('etag', etag).header('cache-control', 'private, no-cache');
      if (matches(req.headers['if-none-match'], etag)) return reply.code(304).send(null);
      return detail;
    },
  );
}
