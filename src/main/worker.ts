// `inlet worker`: graphile-worker running Inlet's typed jobs. LISTEN/NOTIFY pickup; on stop it
// finishes the jobs in flight (graphile-worker's graceful stop) before the pool closes.
import { Logger as WorkerLogger } from 'graphile-worker';

import type { Container } from '../container.js';
import { isAppError } from '../errors.js';
import { eventsCronItems, purgeOldEvents } from '../events/event-service.js';
import {
  enqueueReparseSweep,
  reparseCronItems,
  runReparseJob,
  sweepReparse,
} from '../ingest/reparse-run.js';
import { rescanMessageAttachments, ScanStillPendingError } from '../ingest/rescan.js';
import { makeWorkerEvents, startSupervisedRunner } from '../jobs/job-runner.js';
import { collectJobQueues, queueGcCronItems } from '../jobs/queue-gc.js';
import { type Handlers, toTaskList } from '../jobs/registry.js';
import { purgeMailbox } from '../mailboxes/purge.js';
import { purgeSweepCronItems, sweepPurges } from '../mailboxes/purge-sweep.js';
import { operatorCounters } from '../metrics/operator-metrics.js';
import { deleteExpiredOAuthStates } from '../oauth/oauth-store.js';
import { sendReply } from '../outbound/send-reply.js';
import { stalledRepliesCronItems, sweepStalledReplies } from '../outbound/stalled-replies.js';
import { auditRetentionCronItems, expireCredentialOpens } from '../privacy/audit-retention.js';
import { finishOffboarding } from '../privacy/offboard-tenant.js';
import { retentionCronItems, sweepRetention } from '../privacy/retention.js';
import { runSubjectRequest } from '../privacy/subject-requests.js';
import {
  type IdleSupervisor,
  newHolderName,
  startIdleSupervisor,
} from '../sync/idle-supervisor.js';
import { leaseFlag, stripHolderFlags } from '../sync/lease-routing.js';
import { syncMailbox } from '../sync/sync-mailbox.js';
import { pollMailboxes, runMailboxTask, runUpkeepTask, upkeepCronItems } from '../sync/upkeep.js';
import { startWorkerLiveness, type WorkerLiveness } from '../sync/worker-liveness.js';
import { keyEpochCronItems, runKeyEpoch } from '../tenancy/key-epochs.js';
import { makeWebhookDispatcher } from '../webhooks/dispatcher.js';

/**
 * Failures that are a known state, not a fault: a scanner that is not there yet (the job re-checks
 * with backoff) and a job left over from a mailbox that was disconnected since it was queued. The
 * first is logged at debug (scanner-watch.ts warns once per period instead); the second finishes
 * the job, as there is nothing left to do.
 */
export function isQuietFailure(err: unknown): boolean {
  return err instanceof ScanStillPendingError;
}

function finishWhenDisconnected(handlers: Handlers, log: Container['logger']): Handlers {
  const out: Record<string, unknown> = {};
  for (const [name, handler] of Object.entries(handlers)) {
    out[name] = async (payload: unknown, helpers: unknown) => {
      try {
        await (handler as (p: unknown, h: unknown) => Promise<void>)(payload, helpers);
      } catch (err) {
        if (isAppError(err) && err.code === 'mailbox_data_destroyed') {
          log.debug({ task: name }, 'job skipped: its mailbox was disconnected');
          return;
        }
        throw err;
      }
    };
  }
  return out as Handlers;
}

export interface HandlerHooks {
  /** After a mailbox's sync job: lets this process's IDLE supervisor pick up a new mailbox at once. */
  afterSync?(mailboxId: string): void;
}

export function makeHandlers(c: Container, hooks: HandlerHooks = {}): Handlers {
  const { replySends } = operatorCounters(c.metrics);
  return finishWhenDisconnected(
    {
      'attachments.rescan': async ({ tenantId, messageId }) => {
        await rescanMessageAttachments(c, tenantId, messageId);
      },
      'reply.send': async (payload, helpers) => {
        let outcome;
        try {
          outcome = await sendReply(c, payload, {
            attempt: helpers.job.attempts,
            maxAttempts: helpers.job.max_attempts,
          });
        } catch (err) {
          replySends.inc({ outcome: 'retry' });
          throw err;
        }
        if (outcome !== 'nothing_to_do')
          replySends.inc({ outcome: outcome === 'found_in_sent' ? 'sent' : outcome });
      },
      'mailbox.sync': async ({ tenantId, mailboxId }, helpers) => {
        await syncMailbox(c, tenantId, mailboxId, helpers.abortSignal);
        hooks.afterSync?.(mailboxId);
      },
      'provider.poll': async ({ provider }) => {
        await pollMailboxes(c.db, provider);
      },
      'provider.upkeep': async ({ provider, task }) => {
        await runUpkeepTask(c, provider, task);
      },
      'provider.mailbox-task': async ({ provider, task, tenantId, mailboxId }) => {
        await runMailboxTask(c, provider, task, tenantId, mailboxId);
      },
      'mailbox.purge': async (payload, helpers) => {
        await purgeMailbox(c.disconnectDeps, payload, { signal: helpers.abortSignal });
      },
      'mailboxes.purge-sweep': async () => {
        await sweepPurges(c.db);
      },
      'subject-request.run': async (payload, helpers) => {
        await runSubjectRequest(c.privacyDeps, payload, {
          n: helpers.job.attempts,
          max: helpers.job.max_attempts,
        });
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
      'events.retention': async () => {
        await purgeOldEvents(c.db, c.config.eventsRetentionDays);
      },
      'audit.expire-credential-opens': async (_payload, helpers) => {
        await expireCredentialOpens(c.db, c.config.auditCredentialsRetentionDays, {
          log: c.logger.child({ component: 'audit-retention' }),
          signal: helpers.abortSignal,
        });
      },
      'outbox.stalled-sweep': async () => {
        await sweepStalledReplies(c, { staleMs: c.config.syncLeaseMs });
      },
      'jobs.queue-gc': async () => {
        await collectJobQueues(c.db);
      },
      'messages.reparse': async (payload) => {
        await runReparseJob(c.reparseDeps, payload);
      },
      'messages.reparse-sweep': async () => {
        await sweepReparse(c.db);
      },
    },
    c.logger.child({ component: 'worker' }),
  );
}

/** How often an idle graphile-worker worker looks for a job when no NOTIFY woke it (each look that
 *  finds none is a statement: 8 a second with 16 idle slots). */
export const workerPollIntervalMs = 2000;

export interface WorkerHandle {
  (): Promise<void>;
  /** false once graphile-worker's runner has stopped on its own (crashed): restart the process. */
  running(): boolean;
}

export async function startWorker(c: Container): Promise<WorkerHandle> {
  const log = c.logger.child({ component: 'worker' });
  const events = makeWorkerEvents();
  const workerIds = new Set<string>();
  events.on('worker:create', ({ worker }) => workerIds.add(worker.workerId));
  events.on('worker:release', ({ worker }) => workerIds.delete(worker.workerId));
  // Jobs and queues are locked under the pool's id since graphile-worker 0.17, so it needs a heartbeat too.
  // Write the new pool's heartbeat at once: it locks jobs and queues from its first fetch, and a
  // worker killed before its next heartbeat tick (a busy event loop delays the timer) left a queue
  // locked under an id no heartbeat named, which nobody then unlocked.
  let livenessRef: WorkerLiveness | null = null;
  events.on('pool:create', ({ workerPool }) => {
    workerIds.add(workerPool.id);
    void livenessRef?.tick();
  });
  events.on('pool:release', ({ workerPool }) => workerIds.delete(workerPool.id));
  // Set once the IDLE supervisor below exists; a sync that ran before then has nothing to tell it.
  let idleRef: IdleSupervisor | null = null;
  const lease = {
    leaseMs: c.config.syncLeaseMs,
    renewEveryMs: Math.max(1000, Math.floor(c.config.syncLeaseMs / 3)),
  };
  // This process's name in IDLE leases and heartbeats. Liveness starts before the job runner: the
  // runner asks it, before every job fetch, which other workers are alive, and leaves the jobs
  // routed to them alone (sync/lease-routing.ts).
  const holder = newHolderName();
  const liveness = startWorkerLiveness(
    { db: c.db, logger: c.logger },
    {
      holder,
      workerIds: () => [...workerIds],
      everyMs: lease.renewEveryMs,
      staleMs: lease.leaseMs,
    },
  );
  livenessRef = liveness;
  const forbiddenFlags = () => {
    const others = liveness.otherHolders();
    return Array.isArray(others)
      ? others.map(leaseFlag)
      : others.then((list) => list.map(leaseFlag));
  };
  // Supervised: start-up retried with backoff, a runner whose job fetches keep failing replaced
  // (jobs/job-runner.ts); its health feeds /readyz in this process.
  const runner = startSupervisedRunner({
    events,
    logger: c.logger,
    registry: c.metrics,
    stallAlertMs: c.config.workerStallAlertMs,
    databaseAnswers: () =>
      c.db.pool.query('SELECT 1').then(
        () => true,
        () => false,
      ),
    options: {
      pgPool: c.db.pool,
      concurrency: c.config.workerConcurrency,
      forbiddenFlags,
      taskList: toTaskList(makeHandlers(c, { afterSync: (id) => idleRef?.pickUp(id) })),
      noHandleSignals: true,
      pollInterval: workerPollIntervalMs,
      // graphile-worker names its prepared statements; a transaction-mode pooler hands the next
      // transaction another server connection, where the name is unknown (or already taken).
      noPreparedStatements: c.config.databasePoolMode === 'transaction',
      parsedCronItems: [
        ...upkeepCronItems(c.config, c.providerDeps),
        ...purgeSweepCronItems(),
        ...eventsCronItems(),
        ...auditRetentionCronItems(),
        ...keyEpochCronItems(),
        ...retentionCronItems(),
        ...stalledRepliesCronItems(),
        ...queueGcCronItems(),
        ...reparseCronItems(),
      ],
      // Jobs see their abort signal this soon after SIGTERM; a sync stops between messages (its
      // cursor is already stored) and is retried later, so shutdown stays well inside the grace period.
      gracefulShutdownAbortTimeout: Math.min(2000, Math.floor(c.config.shutdownTimeoutMs / 4)),
      logger: new WorkerLogger((scope) => (level, message, meta) => {
        const fields = {
          component: 'graphile-worker',
          task: scope.taskIdentifier,
          job: scope.jobId,
          ...(meta?.error ? { err: meta.error } : {}),
        };
        if (level === 'error' && isQuietFailure(meta?.error))
          log.debug(
            { ...fields, err: undefined, reason: (meta?.error as Error).message },
            'job will be retried',
          );
        else if (level === 'error') log.error(fields, message);
        else if (level === 'warning') log.warn(fields, message);
        else log.debug(fields, message);
      }),
    },
  });
  c.workerHealth = runner.health;
  // One IMAP IDLE connection per active mailbox across all worker replicas (leases in the database).
  const idle = startIdleSupervisor(
    { db: c.db, keys: c.keys, logger: c.logger, providerDeps: c.providerDeps },
    { ...lease, holder },
  );
  idleRef = idle;
  const webhooks = makeWebhookDispatcher({
    db: c.db,
    keys: c.keys,
    logger: c.logger,
    policy: c.webhookPolicy,
    disableAfterMs: c.config.webhooks.disableAfterMs,
  });
  await webhooks.start();
  // Messages an older derivation made (DERIVE_VERSION moved on since they were stored) are rebuilt
  // in the background; the sweep finds them. A database hiccup here only delays it to the hourly run.
  await c.db
    .tx((ex) => enqueueReparseSweep(ex))
    .catch((err: unknown) => log.warn({ err }, 'could not queue the reparse sweep'));
  let stopping = false;
  log.info({ concurrency: c.config.workerConcurrency }, 'worker started');
  let stopped: Promise<void> | null = null;
  const stop = () => {
    stopping = true;
    c.workerHealth = undefined;
    stopped ??= (async () => {
      await Promise.all([idle.stop(), runner.stop(), webhooks.stop()]);
      // Jobs still routed here (not started, or retried after the stop) go to the other workers
      // at once rather than when they notice this one's heartbeat is gone.
      await c.db
        .tx((ex) => stripHolderFlags(ex, [holder]))
        .catch((err: unknown) => log.warn({ err }, 'could not hand routed jobs on'));
      await liveness.stop();
    })();
    return stopped;
  };
  // The supervised runner replaces a runner that dies; only a stop makes it 'stopped'.
  return Object.assign(stop, { running: () => !stopping && runner.health().state !== 'stopped' });
}
