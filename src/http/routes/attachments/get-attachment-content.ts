import { contentDisposition, safeDownloadType } from '../../../lib/content-disposition.js';
import type { Api, ApiDeps } from '../../api.js';
import { actorOf } from '../../plugins/auth.js';
import { authErrors, errorResponses, IdParams, mediaResponse } from '../../schemas.js';

export function getAttachmentContentRoute(app: Api, deps: ApiDeps): void {
  app.get(
    '/v1/attachments/:id/content',
    {
      config: { auth: 'tickets:read' },
      schema: {
        operationId: 'getAttachmentContent',
        tags: ['tickets'],
        summary:
          'Download an attachment ClamAV found clean (403 infected or unscannable, 409 still pending; audited)',
        params: IdParams,
        response: {
          200: mediaResponse(
            '*/*',
            'The attachment bytes under their own media type (application/octet-stream when it is not on the allow-list); only once clamd said clean',
          ),
          ...errorResponses(...authErrors, 404, 409, 410),
        },
      },
    },
    async (req, reply) => {
      const a = await deps.tickets.attachmentContent(actorOf(req), req.params.id);
      return reply
        .type(safeDownloadType(a.contentType))
        .header('content-disposition', contentDisposition(a.filename))
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', "default-src 'none'; sandbox")
        .header('cache-control', 'private, no-store')
        .send(a.content);
    },
  );
}
