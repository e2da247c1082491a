import { Type } from 'typebox';

import type { Api } from '../../api.js';

/** Liveness: the process answers. Never touches dependencies, so a slow database cannot get pods killed. */
export function healthzRoute(app: Api): void {
  app.get(
    '/healthz',
    {
      config: { auth: 'public' },
      schema: {
        operationId: 'getHealthz',
        tags: ['health'],
        summary: 'Liveness probe',
        security: [],
        response: { 200: Type.Object({ status: Type.Literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );
}
