import { Type } from 'typebox';

import type { Api, ApiDeps } from '../../api.js';
import { actorOf } from '../../plugins/auth.js';
import { authErrors, errorResponses, ScopeSchema } from '../../schemas.js';
import { ApiKeyCreated, apiKeyView } from './schemas.js';

export function createApiKeyRoute(app: Api, deps: ApiDeps): void {
  app.post(
    '/v1/api-keys',
    {
      config: { auth: 'api_keys:manage' },
      schema: {
        operationId: 'createApiKey',
        tags: ['api-keys'],
        summary:
          'Create an API key (returned once; 409 api_key_limit when the tenant already holds MAX_API_KEYS_PER_TENANT active keys)',
        body: Type.Object(
          {
            name: Type.String({ maxLength: 200, default: '' }),
            scopes: Type.Array(ScopeSchema, { minItems: 1, uniqueItems: true }),
          },
          { additionalProperties: false },
        ),
        response: { 201: ApiKeyCreated, ...errorResponses(...authErrors, 409) },
      },
    },
    async (req, reply) => {
      const created = await deps.tenants.createApiKey(actorOf(req), {
        name: req.body.name,
        scopes: req.body.scopes,
      });
      return reply.code(201).send({ ...apiKeyView(created.key), token: created.token });
    },
  );
}
