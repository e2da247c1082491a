// `inlet worker`: graphile-worker running Inlet's typed jobs. LISTEN/NOTIFY pickup; on stop it
// finishes the jobs in flight (graphile-worker's graceful stop) before the pool closes.
import { EventEmitter } from 'node:events';
import { run, Logger as WorkerLogger, type WorkerEvents } from 'graphile-worker';
import type { Container } from '../container.js';
import { rescanMessageAttachments } from '../ingest/rescan.js';
import { toTaskList, type Handlers } from '../jobs/registry.js';
import { sendReply } from '../outbound/send-reply.js';
import { startIdleSupervisor } from '../sync/idle-supervisor.js';
import { purgeSweepCronItems, sweepPurges } from '../mailboxes/purge-sweep.js';
import { enqueueAllSyncs, pollCronItems } from '../sync/sync-jobs.js';
import { syncMailbox } from '../sync/sync-mailbox.js';
import { startWorkerLiveness } from '../sync/worker-liveness.js';
import { enqueueWatchRenewals, gmailCronItems, pollGmailMailboxes, renewGmailWatch } from '../oauth/gmail-jobs.js';
import { deleteExpiredOAuthStates } from '../oauth/oauth-store.js';
import { purgeMailbox } from '../mailboxes/purge.js';
import { keyEpochCronItems, runKeyEpoch } from '../tenancy/key-epochs.js';
import { runSubjectRequest } from '../privacy/subject-requests.js';
import { finishOffboarding } from '../privacy/offboard-tenant.js';
import { retentionCronItems, sweepRetention } from '../privacy/retention.js';

export function makeHandlers(c: Container): Handlers {
  return {
    'attachments.rescan': async ({ tenantId, messageId }) => {
      await rescanMessageAttachments(c, tenantId, messageId);
    },
    'reply.send': async (payload, helpers) => {
      await sendReply(c, payload, { attempt: helpers.job.attempts, maxAttempts: helpers.job.max_attempts });
    },
    'mailbox.sync': async ({ tenantId, mailboxId }, helpers) => {
      await syncMailbox(c, tenantId, mailboxId, helpers.abortSignal);
    },
    'mailboxes.poll': async () => {
      await enqueueAllSyncs(c.db);
    },
    'gmail.poll': async () => {
      await pollGmailMailboxes(c.db);
    },
    'gmail.renew-watches': async () => {
      await enqueueWatchRenewals(c.db);
    },
    'gmail.watch': async ({ tenantId, mailboxId }) => {
      await renewGmailWatch(c, tenantId, mailboxId);
    },
    'mailbox.purge': async (payload, helpers) => {
      await purgeMailbox(c.disconnectDeps, payload, { signal: helpers.abortSignal });
    },
    'mailboxes.purge-sweep': async () => {
      await sweepPurges(c.db);
    },
    'subject-request.run': async (payload, helpers) => {
      await runSubjectRequest(c.privacyDeps, payload, { n: helpers.job.attempts, max: helpers.job.max_attempts });
    },
    'retention.sweep': async () => {
      await sweepRetention({ db: c.db, epochs: c.privacyDeps.epochs });
    },
    'tenant.offboard': async ({ tenantId }) => {
      await finishOffboarding(c.offboardDeps, tenantId);
    },
    'keys.epoch': async () => {
      await runKeyEpoch(c.epochDeps);
    },
    'oauth.sweep-states': async () => {
      await c.db.tx((ex) => deleteExpiredOAuthStates(ex));
    },
  };
}

export async function startWorker(c: Container): Promise<() => Promise<void>> {
  const log = c.logger.child({ component: 'worker' });
  const events: WorkerEvents = new EventEmitter();
  const workerIds = new Set<string>();
  events.on('worker:create', ({ worker }) => workerIds.add(worker.workerId));
  events.on('worker:release', ({ worker }) => workerIds.delete(worker.workerId));
  // Jobs and queues are locked under the pool's id in graphile-worker 0.17, so it needs a heartbeat too.
  events.on('pool:create', ({ workerPool }) => workerIds.add(workerPool.id));
  events.on('pool:release', ({ workerPool }) => workerIds.delete(workerPool.id));
  const runner = await run({
    events,
    pgPool: c.db.pool,
    concurrency: c.config.workerConcurrency,
    taskList: toTaskList(makeHandlers(c)),
    noHandleSignals: true,
    pollInterval: 2000,
    parsedCronItems: [...pollCronItems(c.config.syncPollMinutes), ...purgeSweepCronItems(), ...keyEpochCronItems(), ...retentionCronItems(), ...(c.providerDeps.gmail ? gmailCronItems(c.config.google.pollMinutes) : [])],
    // Jobs see their abort signal this soon after SIGTERM; a sync stops between messages (its
    // cursor is already stored) and is retried later, so shutdown stays well inside the grace period.
    gracefulShutdownAbortTimeout: Math.min(2000, Math.floor(c.config.shutdownTimeoutMs / 4)),
    logger: new WorkerLogger((scope) => (level, message, meta) => {
      const fields = { component: 'graphile-worker', task: scope.taskIdentifier, job: scope.jobId, ...(meta?.error ? { err: meta.error } : {}) };
      if (level === 'error') log.error(fields, message);
      else if (level === 'warning') log.warn(fields, message);
      else log.debug(fields, message);
    }),
  });
  // One IMAP IDLE connection per active mailbox across all worker replicas (leases in the database).
  const lease = { leaseMs: c.config.syncLeaseMs, renewEveryMs: Math.max(1000, Math.floor(c.config.syncLeaseMs / 3)) };
  const idle = startIdleSupervisor({ db: c.db, keys: c.keys, logger: c.logger }, lease);
  const liveness = startWorkerLiveness({ db: c.db, logger: c.logger }, { holder: idle.holder, workerIds: () => [...workerIds], everyMs: lease.renewEveryMs, staleMs: lease.leaseMs });
  log.info({ concurrency: c.config.workerConcurrency }, 'worker started');
  return async () => {
    await Promise.all([idle.stop(), runner.stop()]);
    await liveness.stop();
  };
}
