// The real worker for integration tests: graphile-worker running Inlet's own handlers on the test
// app's pool, quiet, and leaving signals to vitest.
import { Logger as WorkerLogger, run, type Runner } from 'graphile-worker';

import { toTaskList } from '../../src/jobs/registry.js';
import { type HandlerHooks, makeHandlers } from '../../src/main/worker.js';
import type { TestApp } from './app.js';

export function startTestWorker(
  t: TestApp,
  opts: { concurrency: number; pollInterval: number; hooks?: HandlerHooks },
): Promise<Runner> {
  return run({
    pgPool: t.database.db.pool,
    concurrency: opts.concurrency,
    noHandleSignals: true,
    pollInterval: opts.pollInterval,
    taskList: toTaskList(makeHandlers(t.container, opts.hooks)),
    logger: new WorkerLogger(() => () => undefined),
  });
}
