// Denied attempts leave a trace the operator can see: a warn log line and a counter for every 401 and
// 403, and for 404s on routes addressing one resource by id (how probing another tenant's ids looks:
// RLS makes them invisible, so they answer 404). Only the route template, the actor and the client
// address are recorded, never the URL, its query or the ids (which name other tenants' resources).
import type { FastifyInstance } from 'fastify';
import { Counter, type Registry } from 'prom-client';

export function registerDeniedTrace(app: FastifyInstance, registry: Registry): void {
  // One counter per registry; a second app on the same container (tests) shares it. The OpenAPI
  // renderer builds the app without real dependencies, so there may be no registry at all.
  const real = typeof (registry as Partial<Registry>).getSingleMetric === 'function';
  const existing = real
    ? (registry.getSingleMetric('inlet_access_denied_total') as
        Counter<'status' | 'route'> | undefined)
    : undefined;
  const denied =
    existing ??
    new Counter({
      name: 'inlet_access_denied_total',
      help: 'Requests refused as unauthenticated (401), forbidden (403) or for a resource id not visible to the caller (404)',
      labelNames: ['status', 'route'] as const,
      registers: real ? [registry] : [],
    });
  app.addHook('onResponse', async (req, reply) => {
    const status = reply.statusCode;
    const route = req.routeOptions.url;
    const byId = route !== undefined && /\/:[A-Za-z_]+/.test(route);
    if (!(status === 401 || status === 403 || (status === 404 && byId))) return;
    const label = route ?? 'unmatched';
    denied.inc({ status: String(status), route: label });
    req.log.warn(
      {
        event: 'access_denied',
        status,
        method: req.method,
        route: label,
        tenant_id: req.actor?.tenantId ?? null,
        actor: req.actor?.name ?? (req.operator ? 'operator' : null),
        client_ip: req.ip,
      },
      'access denied',
    );
  });
}
