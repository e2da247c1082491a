// A second, plain HTTP listener for what Kubernetes and Prometheus ask of every process: /metrics,
// /healthz (liveness) and /readyz (readiness). Separate from the API port, so scraping needs no
// API credential (the operator key can create tenants) and the API port never exposes metrics to
// the ingress; the worker, which has no API, gets probes and metrics the same way.
import http from 'node:http';

import type { Registry } from 'prom-client';

import type { Logger } from '../lib/logger.js';

export interface HealthCheck {
  /** false when the process is stuck and must be restarted. */
  live(): Promise<{ ok: boolean; detail?: Record<string, unknown> }>;
  /** false when it should get no work (database down, migrations pending, worker not running). */
  ready(): Promise<{ ok: boolean; detail?: Record<string, unknown> }>;
}

export interface MetricsListener {
  port: number;
  close(): Promise<void>;
}

export async function startMetricsListener(opts: {
  host: string;
  port: number;
  registry: Registry;
  health: HealthCheck;
  logger: Logger;
}): Promise<MetricsListener> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const answer = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return answer(405, 'text/plain; charset=utf-8', 'GET only\n');
    const probe = (check: HealthCheck['live']) =>
      check().then(
        (r) =>
          answer(
            r.ok ? 200 : 503,
            'application/json',
            JSON.stringify({ status: r.ok ? 'ok' : 'unavailable', ...r.detail }),
          ),
        () => answer(503, 'application/json', '{"status":"unavailable"}'),
      );
    if (path === '/metrics') {
      void opts.registry.metrics().then(
        (text) => answer(200, opts.registry.contentType, text),
        () => answer(500, 'text/plain; charset=utf-8', 'metrics unavailable\n'),
      );
    } else if (path === '/healthz') void probe(opts.health.live);
    else if (path === '/readyz') void probe(opts.health.ready);
    else answer(404, 'text/plain; charset=utf-8', 'not found: /metrics, /healthz, /readyz\n');
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  }).catch((err: NodeJS.ErrnoException) => {
    throw new Error(
      err.code === 'EADDRINUSE'
        ? `the metrics port ${opts.port} is already in use; set METRICS_PORT to a free port (or 0 to turn the metrics listener off)`
        : `could not open the metrics listener on ${opts.host}:${opts.port} (${err.code ?? err.message})`,
    );
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  opts.logger.debug({ port }, 'metrics and health listener started');
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
