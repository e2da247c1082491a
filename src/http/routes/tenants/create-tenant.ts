import { Type } from 'typebox';

import type { Api, ApiDeps } from '../../api.js';
import { authErrors, errorResponses, Timestamp, Uuid } from '../../schemas.js';
import { ApiKeyCreated, apiKeyView } from '../api-keys/schemas.js';

export function createTenantRoute(app: Api, deps: ApiDeps): void {
  app.post(
    '/v1/tenants',
    {
      config: { auth: 'operator' },
      schema: {
        operationId: 'createTenant',
        tags: ['tenants'],
        summary:
          'Create a tenant and its first API key (operator key required; the key is shown once)',
        body: Type.Object(
          { name: Type.String({ minLength: 1, maxLength: 200 }) },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({
            tenant: Type.Object({ id: Uuid, name: Type.String(), created_at: Timestamp }),
            api_key: ApiKeyCreated,
          }),
          ...errorResponses(...authErrors),
        },
      },
    },
    async (req, reply) => {
      const { tenant, apiKey } = await deps.tenants.createTenant(req.body.name, {
        actor: 'operator',
        requestId: String(req.id),
        clientIp: req.ip,
      });
      return reply.code(201).send({
        tenant: { id: tenant.id, name: tenant.name, created_at: tenant.created_at.toISOString() },
        api_key: { ...apiKeyView(apiKey.key), token: apiKey.token },
      });
    },
  );
}
