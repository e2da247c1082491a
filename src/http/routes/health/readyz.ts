import { Type } from 'typebox';

import type { Api, ApiDeps } from '../../api.js';

const Readiness = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('degraded'), Type.Literal('not_ready')], {
    description:
      'degraded (200): ready, but clamd scans with signatures older than CLAMD_SIGNATURES_MAX_AGE_HOURS',
  }),
  checks: Type.Object({
    database: Type.String(),
    migrations: Type.String(),
    worker: Type.Optional(
      Type.String({
        description:
          'Only in a process running the worker: ok, starting, or stalled (its jobs cannot be fetched; not ready)',
      }),
    ),
    scanner: Type.Optional(
      Type.String({
        description:
          "clamd's signature database: ok, stale_signatures (older than CLAMD_SIGNATURES_MAX_AGE_HOURS: degraded), age_unknown (no dated database, e.g. custom signatures only), unavailable (clamd does not answer; attachments stay pending) or checking (first probe after start)",
      }),
    ),
  }),
});

/** Readiness: database reachable, every migration applied and, in a process running the worker, its jobs fetchable; 503 otherwise (no restart needed to recover). Stale virus signatures degrade it (200, status degraded): scanning still works, with old signatures. */
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
      const status = !r.ready
        ? ('not_ready' as const)
        : r.scanner === 'stale_signatures'
          ? ('degraded' as const)
          : ('ready' as const);
      const body = {
        status,
        checks: {
          database: r.database,
          migrations: r.migrations,
          ...(r.worker ? { worker: r.worker } : {}),
          ...(r.scanner ? { scanner: r.scanner } : {}),
        },
      };
      return reply.code(r.ready ? 200 : 503).send(body);
    },
  );
}
