// `inlet worker`: graphile-worker running Inlet's typed jobs. LISTEN/NOTIFY pickup; on stop it
// finishes the jobs in flight (graphile-worker's graceful stop) before the pool closes.
import { run, Logger as WorkerLogger } from 'graphile-worker';
import type { Container } from '../container.js';
import { rescanMessageAttachments } from '../ingest/rescan.js';
import { toTaskList, type Handlers } from '../jobs/registry.js';

export function makeHandlers(c: Container): Handlers {
  return {
    'attachments.rescan': async ({ tenantId, messageId }) => {
      await rescanMessageAttachments(c, tenantId, messageId);
    },
  };
}

export async function startWorker(c: Container): Promise<() => Promise<void>> {
  const log = c.logger.child({ component: 'worker' });
  const runner = await run({
    pgPool: c.db.pool,
    concurrency: c.config.workerConcurrency,
    taskList: toTaskList(makeHandlers(c)),
    noHandleSignals: true,
    pollInterval: 2000,
    logger: new WorkerLogger((scope) => (level, message, meta) => {
      const fields = { component: 'graphile-worker', task: scope.taskIdentifier, job: scope.jobId, ...(meta?.error ? { err: meta.error } : {}) };
      if (level === 'error') log.error(fields, message);
      else if (level === 'warning') log.warn(fields, message);
      else log.debug(fields, message);
    }),
  });
  log.info({ concurrency: c.config.workerConcurrency }, 'worker started');
  return async () => {
    await runner.stop();
  };
}
