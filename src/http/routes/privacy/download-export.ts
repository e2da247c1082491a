import { Type } from 'typebox';

import type { Api, ApiDeps } from '../../api.js';
import { actorOf } from '../../plugins/auth.js';
import { authErrors, errorResponses, IdParams } from '../../schemas.js';

export function downloadExportRoute(app: Api, deps: ApiDeps): void {
  app.get(
    '/v1/subject-requests/:id/download',
    {
      config: { auth: 'privacy:manage' },
      schema: {
        operationId: 'downloadSubjectExport',
        tags: ['privacy'],
        summary:
          'The export as a zip (export.json, messages/*.json and *.eml, clean attachments); once, audited, then deleted',
        params: IdParams,
        response: {
          200: Type.Unsafe<Buffer>({
            type: 'string',
            format: 'binary',
            contentMediaType: 'application/zip',
          }),
          ...errorResponses(...authErrors, 404, 409, 410),
        },
      },
    },
    async (req, reply) => {
      const data = await deps.subjectRequests.download(actorOf(req), req.params.id);
      return reply
        .type('application/zip')
        .header('content-disposition', `attachment; filename="subject-export-${req.params.id}.zip"`)
        .header('cache-control', 'no-store')
        .send(data);
    },
  );
}
