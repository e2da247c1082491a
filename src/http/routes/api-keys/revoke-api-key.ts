import type { Api, ApiDeps } from '../../api.js';
import { actorOf } from '../../plugins/auth.js';
import { authErrors, errorResponses, IdParams } from '../../schemas.js';
import { ApiKey, apiKeyView } from './schemas.js';

export function revokeApiKeyRoute(app: Api, deps: ApiDeps): void {
  app.delete(
    '/v1/api-keys/:id',
    {
      config: { auth: 'api_keys:manage' },
      schema: {
        operationId: 'revokeApiKey',
        tags: ['api-keys'],
        summary: 'Revoke an API key (immediately refused afterwards)',
        params: IdParams,
        response: { 200: ApiKey, ...errorResponses(...authErrors, 404) },
      },
    },
    async (req) => apiKeyView(await deps.tenants.revokeApiKey(actorOf(req), req.params.id)),
  );
}
