import { Type } from 'typebox';

import type { Api, ApiDeps } from '../../api.js';
import { actorOf } from '../../plugins/auth.js';
import { authErrors, errorResponses } from '../../schemas.js';

const Origins = Type.Object(
  { origins: Type.Array(Type.String({ maxLength: 300 }), { maxItems: 20 }) },
  { additionalProperties: false },
);

export function returnOriginsRoutes(app: Api, deps: ApiDeps): void {
  app.get(
    '/v1/return-origins',
    {
      config: { auth: 'mailboxes:manage' },
      schema: {
        operationId: 'listReturnOrigins',
        tags: ['mailboxes'],
        summary:
          'Origins a consent flow may return the browser to (return_url must be on one of them)',
        response: { 200: Origins, ...errorResponses(...authErrors) },
      },
    },
    async (req) => ({ origins: await deps.returnOrigins.list(actorOf(req)) }),
  );

  app.put(
    '/v1/return-origins',
    {
      config: { auth: 'mailboxes:manage' },
      schema: {
        operationId: 'replaceReturnOrigins',
        tags: ['mailboxes'],
        summary:
          'Replace the registered return origins (https://host[:port]; http only for localhost outside production)',
        body: Origins,
        response: { 200: Origins, ...errorResponses(...authErrors) },
      },
    },
    async (req) => ({ origins: await deps.returnOrigins.replace(actorOf(req), req.body.origins) }),
  );
}
