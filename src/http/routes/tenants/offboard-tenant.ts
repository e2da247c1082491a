import type { Api, ApiDeps } from '../../api.js';
import { authErrors, errorResponses, IdParams } from '../../schemas.js';
import { PrivacyReceipt } from '../privacy/schemas.js';

export function offboardTenantRoute(app: Api, deps: ApiDeps): void {
  app.delete(
    '/v1/tenants/:id',
    {
      config: { auth: 'operator' },
      schema: {
        operationId: 'offboardTenant',
        tags: ['tenants'],
        summary:
          'Offboard a tenant (operator key): API keys revoked, every mailbox disconnected, keys destroyed at once; every row deleted by a job; the receipt stays',
        params: IdParams,
        response: { 202: PrivacyReceipt, ...errorResponses(...authErrors, 404) },
      },
    },
    async (req, reply) => {
      const r = await deps.offboardTenant(req.params.id, {
        requestId: String(req.id),
        clientIp: req.ip,
      });
      return reply.code(202).send({
        id: r.id,
        kind: r.kind,
        requested_by: r.requested_by,
        started_at: r.started_at.toISOString(),
        completed_at: r.completed_at?.toISOString() ?? null,
        counts: r.counts,
        detail: r.detail,
      });
    },
  );
}
