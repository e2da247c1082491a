// Authentication and authorisation for every route. Each route declares `config.auth`: 'public'
// (health, docs, webhooks), 'operator' (the operator key from config), or the scope it needs.
// A route that declares nothing is refused — forgetting auth fails closed, and a contract test
// checks that only the intended routes are public.
import { createHash, timingSafeEqual } from 'node:crypto';

import type { FastifyInstance, FastifyRequest } from 'fastify';

import { AppError } from '../../errors.js';
import type { Actor } from '../../tenancy/actor.js';
import type { Scope } from '../../tenancy/api-keys.js';
import type { TenantService } from '../../tenancy/tenant-service.js';

export type RouteAuth = 'public' | 'operator' | Scope;

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: RouteAuth;
  }
  interface FastifyRequest {
    actor: Actor | null;
    operator: boolean;
  }
}

function bearer(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (typeof h !== 'string') return null;
  const m = /^Bearer ([\x21-\x7e]{1,512})$/i.exec(h.trim());
  return m?.[1] ?? null;
}

function sameSecret(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** The authenticated tenant actor of a request (routes with a scope always have one). */
export function actorOf(req: FastifyRequest): Actor {
  if (!req.actor) throw new AppError('unauthenticated', 'Authentication required.');
  return req.actor;
}

export function registerAuth(
  app: FastifyInstance,
  deps: { tenants: TenantService; operatorKey: string | null },
): void {
  app.decorateRequest('actor', null);
  app.decorateRequest('operator', false);
  // onRequest, so authentication comes before body validation: no schema hints for strangers.
  app.addHook('onRequest', async (req) => {
    const auth = req.routeOptions.config.auth;
    if (auth === 'public') return;
    if (auth === undefined) {
      if (req.is404) return;
      throw new AppError('internal', 'route has no auth declaration');
    }
    const token = bearer(req);
    if (!token)
      throw new AppError('unauthenticated', 'Send an API key as `Authorization: Bearer …`.');
    if (auth === 'operator') {
      if (!deps.operatorKey)
        throw new AppError(
          'forbidden',
          'The operator API is disabled (INLET_OPERATOR_KEY is not set).',
        );
      if (!sameSecret(token, deps.operatorKey))
        throw new AppError('unauthenticated', 'Invalid operator key.');
      req.operator = true;
      return;
    }
    const key = await deps.tenants.authenticate(token);
    if (!key) throw new AppError('unauthenticated', 'Invalid or revoked API key.');
    if (!key.scopes.includes(auth))
      throw new AppError('forbidden', `This API key lacks the ${auth} scope.`);
    req.actor = {
      tenantId: key.tenantId,
      name: `key:${key.prefix}`,
      scopes: new Set(key.scopes),
      requestId: String(req.id),
      clientIp: req.ip,
    };
  });
}
