import { Type } from 'typebox';

import type { Api, ApiDeps } from '../../api.js';
import { actorOf } from '../../plugins/auth.js';
import { authErrors, errorResponses, PageQuery, Timestamp } from '../../schemas.js';

const AuditEntry = Type.Object(
  {
    id: Type.String(),
    at: Timestamp,
    actor: Type.String({ description: 'key:<prefix>, operator or system:<job>' }),
    action: Type.String(),
    resource_type: Type.String(),
    resource_id: Type.Union([Type.String(), Type.Null()]),
    request_id: Type.Union([Type.String(), Type.Null()]),
    client_ip: Type.Union([Type.String(), Type.Null()]),
    detail: Type.Record(Type.String(), Type.Unknown()),
  },
  { $id: 'AuditEntry' },
);

export function listAuditRoute(app: Api, deps: ApiDeps): void {
  app.get(
    '/v1/audit',
    {
      config: { auth: 'audit:read' },
      schema: {
        operationId: 'listAudit',
        tags: ['audit'],
        summary: 'Audit records, newest first (never mail content)',
        querystring: Type.Object(
          {
            since: Type.Optional(Timestamp),
            until: Type.Optional(Timestamp),
            action: Type.Optional(Type.String({ maxLength: 64 })),
            resource_type: Type.Optional(Type.String({ maxLength: 64 })),
            resource_id: Type.Optional(Type.String({ maxLength: 128 })),
            ...PageQuery,
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            items: Type.Array(AuditEntry),
            next_cursor: Type.Union([Type.String(), Type.Null()]),
          }),
          ...errorResponses(...authErrors),
        },
      },
    },
    async (req) => {
      const q = req.query;
      const page = await deps.auditReader.list(actorOf(req), {
        since: q.since ? new Date(q.since) : undefined,
        until: q.until ? new Date(q.until) : undefined,
        action: q.action,
        resourceType: q.resource_type,
        resourceId: q.resource_id,
        cursor: q.cursor,
        limit: q.limit,
      });
      return {
        items: page.items.map((r) => ({ ...r, at: r.at.toISOString() })),
        next_cursor: page.nextCursor,
      };
    },
  );
}
