import { Type } from 'typebox';

import type { Api, ApiDeps } from '../../api.js';

const Readiness = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('not_ready')]),
  checks: Type.Object({
    database: Type.String(),
    migrations: Type.String(),
    worker: Type.Optional(
      Type.String({
        description:
          'Only in a process running the worker: ok, starting, or stalled (its jobs cannot be fetched; not ready)',
      }),
    ),
  }),
});

/** Readiness: database reachable, every migration applied and, in a process running the worker, its jobs fetchable; 503 otherwise (no restart needed to recover). */
export function readyzRoute(app: Api, deps: ApiDeps): void {
  app.get(
    '/readyz',
    {
      config: { auth: 'public' },
      schema: {
        operationId: 'getReadyz',
        tags: ['health'],
        summary: 'Readiness probe',
        security: [],
        response: { 200: Readiness, 503: Readiness },
      },
    },
    async (_req, reply) => {
      const r = await deps.readiness();
      const body = {
        status: r.ready ? ('ready' as const) : ('not_ready' as const),
        checks: {
          database: r.database,
          migrations: r.migrations,
          ...(r.worker ? { worker: r.worker } : {}),
        },
      };
      return reply.code(r.ready ? 200 : 503).send(body);
    },
  );
}
