// Starts the metrics/health listener (METRICS_PORT) for serve, worker or both in one process.
// Liveness: the process answers and its job runner (if any) has not died. Readiness: the database
// answers with every migration applied, and the runner is running.
import type { Container } from '../container.js';
import { type HealthCheck, startMetricsListener } from '../metrics/metrics-listener.js';
import type { WorkerHandle } from './worker.js';

export function healthChecks(c: Container, worker: WorkerHandle | null): HealthCheck {
  return {
    live: async () => ({
      ok: !worker || worker.running(),
      detail: worker ? { worker: worker.running() ? 'running' : 'stopped' } : {},
    }),
    ready: async () => {
      const r = await c.readiness();
      const workerOk = !worker || worker.running();
      return {
        ok: r.ready && workerOk,
        detail: {
          database: r.database,
          migrations: r.migrations,
          ...(worker ? { worker: workerOk ? 'running' : 'stopped' } : {}),
          ...(r.scanner ? { scanner: r.scanner } : {}),
        },
      };
    },
  };
}

export async function startHealthListener(
  c: Container,
  worker: WorkerHandle | null,
): Promise<(() => Promise<void>) | null> {
  if (c.config.metricsPort === 0) return null;
  const listener = await startMetricsListener({
    host: c.config.host,
    port: c.config.metricsPort,
    registry: c.metrics,
    logger: c.logger,
    health: healthChecks(c, worker),
  });
  return listener.close;
}
