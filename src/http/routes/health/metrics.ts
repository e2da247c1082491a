import type { Api, ApiDeps } from '../../api.js';
import { errorResponses, mediaResponse } from '../../schemas.js';

/**
 * Prometheus metrics (counts and timings only — no tenant, mailbox or message labels). Behind the
 * operator key: scrape with `authorization: Bearer <INLET_OPERATOR_KEY>`.
 */
export function metricsRoute(app: Api, deps: ApiDeps): void {
  app.get(
    '/metrics',
    {
      config: { auth: 'operator' },
      schema: {
        operationId: 'getMetrics',
        tags: ['health'],
        summary: 'Prometheus metrics (operator key)',
        response: {
          200: mediaResponse('text/plain', 'Prometheus text exposition format'),
          ...errorResponses(401, 403),
        },
      },
    },
    async (_req, reply) => reply.type(deps.metrics.contentType).send(await deps.metrics.metrics()),
  );
}
