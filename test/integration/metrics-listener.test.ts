// The metrics and health listener (METRICS_PORT) of serve and worker: Prometheus text that
// `promtool check metrics` accepts from both, no credential needed, the operator metrics present,
// and the worker's liveness/readiness following its job runner.
import { execFileSync } from 'node:child_process';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { healthChecks } from '../../src/main/health-listener.js';
import { startWorker, type WorkerHandle } from '../../src/main/worker.js';
import { type MetricsListener, startMetricsListener } from '../../src/metrics/metrics-listener.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';

function promtoolMissing(): string | null {
  try {
    execFileSync('promtool', ['--version'], { stdio: 'ignore' });
    return null;
  } catch {
    if (process.env.CI) throw new Error('promtool is missing; .ci/tools installs it');
    return 'promtool not installed (Debian package prometheus; .ci/tools installs it)';
  }
}
const noPromtool = promtoolMissing();

function promtoolCheck(text: string): string {
  try {
    return execFileSync('promtool', ['check', 'metrics'], {
      input: text,
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    throw new Error(`promtool check metrics failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`, {
      cause: err,
    });
  }
}

let serve: TestApp;
let work: TestApp;
let worker: WorkerHandle;
let serveListener: MetricsListener;
let workerListener: MetricsListener;
const base = (l: MetricsListener) => `http://127.0.0.1:${l.port}`;

beforeAll(async () => {
  serve = await makeTestApp();
  work = await makeTestApp();
  worker = await startWorker(work.container);
  serveListener = await startMetricsListener({
    host: '127.0.0.1',
    port: 0,
    registry: serve.container.metrics,
    logger: serve.container.logger,
    health: healthChecks(serve.container, null),
  });
  workerListener = await startMetricsListener({
    host: '127.0.0.1',
    port: 0,
    registry: work.container.metrics,
    logger: work.container.logger,
    health: healthChecks(work.container, worker),
  });
}, 60_000);

afterAll(async () => {
  await serveListener?.close();
  await workerListener?.close();
  await worker?.();
  await serve?.close();
  await work?.close();
});

describe('metrics listener', () => {
  it('serves Prometheus text without any credential, with the operator metrics', async () => {
    await serve.app.inject({ method: 'GET', url: '/healthz' });
    await serve.app.inject({
      method: 'GET',
      url: '/v1/tickets/00000000-0000-0000-0000-000000000000',
    });
    const res = await fetch(`${base(serveListener)}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toMatch(
      /inlet_http_request_duration_seconds_count\{method="GET",route="\/healthz",status="200"\} 1/,
    );
    expect(text).toMatch(
      /inlet_http_request_duration_seconds_count\{method="GET",route="\/v1\/tickets\/:id",status="401"\} 1/,
    );
    expect(text).toMatch(/^inlet_jobs_scrape_ok 1$/m);
    expect(text).toMatch(/^inlet_mailboxes_syncing 0$/m);
    expect(text).not.toMatch(/# TYPE inlet_nodejs_active_handles_total gauge/);
  });

  it.skipIf(noPromtool)('promtool check metrics accepts what serve and worker expose', async () => {
    for (const l of [serveListener, workerListener]) {
      const text = await (await fetch(`${base(l)}/metrics`)).text();
      expect(text).toContain('inlet_process_cpu_seconds_total');
      promtoolCheck(text);
    }
  });

  it('worker: queue depth by task is read from the database; liveness and readiness answer 200 while the runner runs', async () => {
    const text = await (await fetch(`${base(workerListener)}/metrics`)).text();
    expect(text).toMatch(/# TYPE inlet_jobs_queued gauge/);
    expect((await fetch(`${base(workerListener)}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base(workerListener)}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: 'ok',
      database: 'ok',
      migrations: 'ok',
      worker: 'running',
      // No clamd here: checking or unavailable, reported but not failing readiness.
      scanner: expect.stringMatching(/^(checking|unavailable)$/),
    });
  });

  it('worker: once its job runner has stopped, liveness and readiness answer 503', async () => {
    await worker();
    expect(worker.running()).toBe(false);
    expect((await fetch(`${base(workerListener)}/healthz`)).status).toBe(503);
    expect((await fetch(`${base(workerListener)}/readyz`)).status).toBe(503);
  });

  it('only GET and the three paths', async () => {
    expect((await fetch(`${base(serveListener)}/v1/tickets`)).status).toBe(404);
    expect((await fetch(`${base(serveListener)}/metrics`, { method: 'POST' })).status).toBe(405);
  });
});
