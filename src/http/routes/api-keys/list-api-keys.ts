import { Type } from 'typebox';

import type { Api, ApiDeps } from '../../api.js';
import { actorOf } from '../../plugins/auth.js';
import { authErrors, errorResponses } from '../../schemas.js';
import { ApiKey, apiKeyView } from './schemas.js';

export function listApiKeysRoute(app: Api, deps: ApiDeps): void {
  app.get(
    '/v1/api-keys',
    {
      config: { auth: 'api_keys:manage' },
      schema: {
        operationId: 'listApiKeys',
        tags: ['api-keys'],
        summary: 'List API keys (prefix, scopes, created, last used; never the secret)',
        response: {
          200: Type.Object({ items: Type.Array(ApiKey) }),
          ...errorResponses(...authErrors),
        },
      },
    },
    async (req) => ({ items: (await deps.tenants.listApiKeys(actorOf(req))).map(apiKeyView) }),
  );
}
