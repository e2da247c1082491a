// /v1/webhook-endpoints: create, list, read, update (incl. disable), delete.
import { Type } from 'typebox';

import type { Api, ApiDeps } from '../../api.js';
import { actorOf } from '../../plugins/auth.js';
import { authErrors, errorResponses, IdParams } from '../../schemas.js';
import { EndpointFields, Secret, WebhookEndpoint } from './schemas.js';

const auth = 'webhooks:manage' as const;
const tags = ['webhooks'];

export function webhookEndpointRoutes(app: Api, deps: ApiDeps): void {
  app.post(
    '/v1/webhook-endpoints',
    {
      config: { auth },
      schema: {
        operationId: 'createWebhookEndpoint',
        tags,
        summary:
          'Register a webhook endpoint; the response carries its signing secret (shown once)',
        body: Type.Object(EndpointFields, { additionalProperties: false }),
        response: {
          201: Type.Intersect([WebhookEndpoint, Type.Object({ secret: Secret })]),
          ...errorResponses(...authErrors, 422),
        },
      },
    },
    async (req, reply) =>
      reply.code(201).send(await deps.webhookEndpoints.create(actorOf(req), req.body)),
  );

  app.get(
    '/v1/webhook-endpoints',
    {
      config: { auth },
      schema: {
        operationId: 'listWebhookEndpoints',
        tags,
        summary: 'The tenant’s webhook endpoints',
        response: {
          200: Type.Object({ items: Type.Array(WebhookEndpoint) }),
          ...errorResponses(...authErrors),
        },
      },
    },
    async (req) => ({ items: await deps.webhookEndpoints.list(actorOf(req)) }),
  );

  app.get(
    '/v1/webhook-endpoints/:id',
    {
      config: { auth },
      schema: {
        operationId: 'getWebhookEndpoint',
        tags,
        summary: 'One webhook endpoint',
        params: IdParams,
        response: { 200: WebhookEndpoint, ...errorResponses(...authErrors, 404) },
      },
    },
    async (req) => deps.webhookEndpoints.get(actorOf(req), req.params.id),
  );

  app.patch(
    '/v1/webhook-endpoints/:id',
    {
      config: { auth },
      schema: {
        operationId: 'updateWebhookEndpoint',
        tags,
        summary:
          'Change an endpoint’s URL, types or description, or disable (enabled: false) / re-enable it',
        params: IdParams,
        body: Type.Object(
          {
            ...EndpointFields,
            url: Type.Optional(EndpointFields.url),
            enabled: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
        response: { 200: WebhookEndpoint, ...errorResponses(...authErrors, 404, 422) },
      },
    },
    async (req) => deps.webhookEndpoints.update(actorOf(req), req.params.id, req.body),
  );

  app.delete(
    '/v1/webhook-endpoints/:id',
    {
      config: { auth },
      schema: {
        operationId: 'deleteWebhookEndpoint',
        tags,
        summary: 'Delete an endpoint and its pending deliveries',
        params: IdParams,
        response: { 204: Type.Null(), ...errorResponses(...authErrors, 404) },
      },
    },
    async (req, reply) => {
      await deps.webhookEndpoints.remove(actorOf(req), req.params.id);
      return reply.code(204).send(null);
    },
  );
}
