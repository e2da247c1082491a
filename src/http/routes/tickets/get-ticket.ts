import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';

import type { Api, ApiDeps } from '../../api.js';
import { actorOf } from '../../plugins/auth.js';
import { authErrors, errorResponses, IdParams } from '../../schemas.js';
import { TicketDetail } from './schemas.js';

/** The entity tags an If-None-Match header names, unquoted (`*` stays `*`; weak ones compare too). */
function ifNoneMatchTags(header: string | undefined): string[] {
  if (!header) return [];
  return header
    .split(',')
    .map((t) =>
      t
        .trim()
        .replace(/^W\//, '')
        .replace(/^"(.*)"$/, '$1'),
    )
    .filter((t) => t.length > 0);
}

/**
 * 304 with no payload at all: the schema's `null` would be serialised and announced as
 * Content-Length: 4, and a client that trusts it waits for 4 bytes a 304 never carries. (The route's
 * typed reply only accepts the schema's payload; the untyped one takes none.)
 */
function notModified(reply: FastifyReply): FastifyReply {
  return reply.code(304).send();
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
            messages_limit: Type.Integer({
              minimum: 1,
              maximum: 200,
              default: 20,
              description:
                'Messages per page, newest page first. The default keeps a ticket read cheap; a long ticket is read page by page with `older_messages_cursor`',
            }),
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
      // The tag is derived from the stored versions of every row the detail is made of (ticket,
      // messages, attachments, replies, keys), so an unchanged ticket answers 304 without its
      // messages being loaded or opened, and the body is serialised once, by Fastify.
      const { etag, detail } = await deps.tickets.get(actorOf(req), req.params.id, {
        messagesLimit: q.messages_limit,
        messagesBefore: q.messages_before,
        html: q.html,
        ifNoneMatch: ifNoneMatchTags(req.headers['if-none-match']),
      });
      reply.header('etag', `"${etag}"`).header('cache-control', 'private, no-cache');
      if (detail === null) return notModified(reply);
      return detail;
    },
  );
}
