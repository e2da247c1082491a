import { Readable } from 'node:stream';

import type { Api, ApiDeps } from '../../api.js';
import { actorOf } from '../../plugins/auth.js';
import { authErrors, errorResponses, IdParams, mediaResponse } from '../../schemas.js';

export function getRawMessageRoute(app: Api, deps: ApiDeps): void {
  app.get(
    '/v1/messages/:id/raw',
    {
      config: { auth: 'tickets:read' },
      schema: {
        operationId: 'getRawMessage',
        tags: ['tickets'],
        summary:
          'The original message as received (.eml, audited); 409 original_not_clean unless every attachment was scanned clean',
        description:
          'Served only when every attachment of the message was scanned clean and every part was extracted for scanning. ' +
          'Otherwise 409 with code `original_not_clean` and `parts`: `[{attachment_id, scan_status}]` where scan_status is pending, infected, ' +
          'scan_failed, or not_scanned (attachment_id null: the message was stored from its headers alone). Pending parts release the original once rescanned clean.',
        params: IdParams,
        response: {
          200: mediaResponse('message/rfc822', 'The original message (.eml) as received'),
          ...errorResponses(...authErrors, 404, 409, 410),
        },
      },
    },
    async (req, reply) => {
      const raw = await deps.tickets.rawMessage(actorOf(req), req.params.id);
      // Streamed chunk by chunk. The declared length lets a client tell a complete original from one
      // cut short (a chunk that fails authentication mid-way ends the response early).
      return (
        reply
          .type('message/rfc822')
          .header('content-disposition', `attachment; filename="${req.params.id}.eml"`)
          .header('cache-control', 'no-store')
          // An .eml opened in a browser tab must not run anything or reach the API's origin.
          .header('x-content-type-options', 'nosniff')
          .header('content-security-policy', "default-src 'none'; sandbox")
          .header('content-length', raw.size)
          .send(Readable.from(raw.chunks, { objectMode: false }))
      );
    },
  );
}
