import type { Api, ApiDeps } from '../../api.js';
import { actorOf } from '../../plugins/auth.js';
import { authErrors, errorResponses, IdParams } from '../../schemas.js';
import { SubjectRequest } from './schemas.js';

export function getSubjectRequestRoute(app: Api, deps: ApiDeps): void {
  app.get(
    '/v1/subject-requests/:id',
    {
      config: { auth: 'privacy:manage' },
      schema: {
        operationId: 'getSubjectRequest',
        tags: ['privacy'],
        summary: 'State, progress and receipt of an export or erasure',
        params: IdParams,
        response: { 200: SubjectRequest, ...errorResponses(...authErrors, 404) },
      },
    },
    async (req) => deps.subjectRequests.get(actorOf(req), req.params.id),
  );
}
