import { Readable } from 'node:stream';
import type { Api, ApiDeps } from '../../api.js';
import { actorOf } from '../../plugins/auth.js';
import { authErrors, errorResponses, IdParams, mediaResponse } from '../../schemas.js';

export function getRawMessageRoute(app: Api, deps: ApiDeps): void {
  app.get('/v1/messages/:id/raw', {
    config: { auth: 'tickets:read' },
    schema: {
      operationId: 'getRawMessage',
      tags: ['tickets'],
      summary: 'The original message as received (.eml, audited)',
      params: IdParams,
      response: { 200: mediaResponse('message/rfc822', 'The original message (.eml) as received'), ...errorResponses(...authErrors, 404, 410) },
    },
  }, async (req, reply) => {
    const raw = await deps.tickets.rawMessage(actorOf(req), req.params.id);
    // Streamed chunk by chunk. The declared length lets a client tell a complete original from one
    // cut short (a chunk that fails authentication mid-way ends the response early).
    return reply
      .type('message/rfc822')
      .header('content-disposition', `attachment; filename="${req.params.id}.eml"`)
      .header('cache-control', 'no-store')
      .header('content-length', raw.size)
      .send(Readable.from(raw.chunks, { objectMode: false }));
  });
}
