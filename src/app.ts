// buildApp: plugins and routes on a fresh Fastify instance. Never reads env and never listens —
// entry points and tests decide that — so tests can build as many apps as they like.
import { randomUUID } from 'node:crypto';

import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, LogController } from 'fastify';

import type { Api, ApiDeps } from './http/api.js';
import { transformOpenapi } from './http/openapi-transform.js';
import { registerAuth } from './http/plugins/auth.js';
import { registerDeniedTrace } from './http/plugins/denied-trace.js';
import { frameworkErrors, registerErrorHandling } from './http/plugins/errors.js';
import { registerAuthFailureLimit, registerTenantLimit } from './http/plugins/limits.js';
import { openapiDocument } from './http/plugins/openapi.js';
import { registerRejectNul } from './http/plugins/reject-nul.js';
import { registerRoutes } from './http/routes/index.js';
import { Problem } from './http/schemas.js';
import type { Logger } from './lib/logger.js';
import { httpDurationHistogram } from './metrics/operator-metrics.js';

export interface AppOptions {
  logger: Logger;
  /** Largest JSON body accepted (bytes). */
  bodyLimit?: number;
  /** Reverse proxies whose X-Forwarded-For is believed (0: use the socket address). */
  trustProxyHops?: number;
  /** Server timeouts and connection cap (see HTTP_* in config); defaults suit tests. */
  http?: HttpLimits;
}

export interface HttpLimits {
  /** The whole request, body included, must arrive within this (slow-body attacks). */
  requestTimeoutMs: number;
  headersTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxConnections: number;
}

export const defaultHttpLimits: HttpLimits = {
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 1_000,
};

const requestIdPattern = /^[A-Za-z0-9._-]{8,128}$/;

export async function buildApp(deps: ApiDeps, opts: AppOptions): Promise<Api> {
  const http = opts.http ?? defaultHttpLimits;
  const app = Fastify({
    // Node checks request and header deadlines on this interval; a tighter one cuts slow senders
    // off close to the deadline rather than up to 30 s later.
    http: {
      headersTimeout: http.headersTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, http.requestTimeoutMs),
    },
    requestTimeout: http.requestTimeoutMs,
    keepAliveTimeout: http.keepAliveTimeoutMs,
    connectionTimeout: Math.max(http.requestTimeoutMs, 60_000),
    loggerInstance: opts.logger as FastifyBaseLogger,
    bodyLimit: opts.bodyLimit ?? 1024 * 1024,
    // Accept a caller's request id only when it looks like one; otherwise mint our own.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && requestIdPattern.test(given) ? given : randomUUID();
    },
    logController: new LogController({ requestIdLogLabel: 'request_id' }),
    return503OnClosing: true,
    // Only as many X-Forwarded-For hops as there are proxies we run; more would let a client pick
    // the IP that lands in audit records and rate limits.
    trustProxy: (_address: string, hop: number) => hop < (opts.trustProxyHops ?? 0),
    forceCloseConnections: 'idle',
    frameworkErrors,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });
  // Route template, never the raw URL (ids would explode the label set); unmatched paths share one.
  const httpSeconds = httpDurationHistogram(deps.metrics);
  app.addHook('onResponse', async (req, reply) => {
    httpSeconds.observe(
      {
        method: req.method,
        route: req.routeOptions.url ?? 'unmatched',
        status: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
  });
  app.addSchema(Problem);
  registerErrorHandling(app);
  registerDeniedTrace(app, deps.metrics);
  registerRejectNul(app);
  // The API reference is public; every other route declares its own auth (see plugins/auth.ts).
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/docs')) route.config = { ...(route.config ?? {}), auth: 'public' };
  });
  // Failed-auth limit first, so a flood of made-up keys is refused before each costs a key lookup.
  registerAuthFailureLimit(app, deps.authFailuresPerMinute ?? 30);
  registerAuth(app, { tenants: deps.tenants, operatorKey: deps.operatorKey });
  registerTenantLimit(app, deps.tenantRateLimitPerMinute ?? 3000);
  await app.register(rateLimit, {
    max: deps.rateLimitPerMinute,
    timeWindow: 60_000,
    // Per API key (its lookup prefix) when one is sent, else per client address.
    keyGenerator: (req) => {
      const m = /^Bearer inl_([a-z0-9]{10})_/i.exec(req.headers.authorization ?? '');
      return m ? `key:${m[1]}` : `ip:${req.ip}`;
    },
    allowList: (req) => req.url === '/healthz' || req.url === '/readyz',
  });
  await app.register(helmet, {
    // The API serves JSON; the only HTML is /docs, which needs its own inline assets.
    // useDefaults false: exactly these directives, not Helmet's page defaults merged in.
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
    },
    crossOriginResourcePolicy: { policy: 'same-origin' },
  });
  await app.register(swagger, {
    openapi: openapiDocument,
    // Name shared schemas by their $id (Problem, Ticket, …) instead of def-0, def-1.
    refResolver: {
      buildLocalReference: (json, _base, _fragment, i) =>
        typeof json.$id === 'string' ? json.$id : `def-${i}`,
    },
    transformObject: (doc) =>
      ('openapiObject' in doc
        ? transformOpenapi(doc.openapiObject as Record<string, unknown>)
        : doc.swaggerObject) as never,
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    staticCSP: true,
    transformStaticCSP: (header) => header,
    uiConfig: { deepLinking: false },
  });
  registerRoutes(app, deps);
  // Connections beyond the cap are closed by Node as they arrive.
  app.server.maxConnections = http.maxConnections;
  return app;
}
