import { Type } from 'typebox';

import type { Api, ApiDeps } from '../../api.js';
import { actorOf } from '../../plugins/auth.js';
import { authErrors, errorResponses } from '../../schemas.js';
import { SubjectRequest } from './schemas.js';

export function createSubjectRequestRoute(app: Api, deps: ApiDeps): void {
  app.post(
    '/v1/subject-requests',
    {
      config: { auth: 'privacy:manage' },
      schema: {
        operationId: 'createSubjectRequest',
        tags: ['privacy'],
        summary:
          'Export or erase everything held about an email address (erase with dry_run answers the counts only)',
        body: Type.Object(
          {
            type: Type.Union([Type.Literal('export'), Type.Literal('erase')]),
            address: Type.String({ minLength: 3, maxLength: 320, pattern: '^[^\\s@]+@[^\\s@]+$' }),
            dry_run: Type.Optional(Type.Boolean({ default: false })),
          },
          { additionalProperties: false },
        ),
        response: { 200: SubjectRequest, 202: SubjectRequest, ...errorResponses(...authErrors) },
      },
    },
    async (req, reply) => {
      const { status, view } = await deps.subjectRequests.create(actorOf(req), {
        type: req.body.type,
        address: req.body.address,
        dryRun: req.body.dry_run ?? false,
      });
      return reply.code(status).send(view);
    },
  );
}
