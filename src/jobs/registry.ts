// Typed job registry: every background job's name, payload type and handler. Handlers are thin:
// they call ingest/ or providers/. Jobs are enqueued with `addJob` inside the transaction that caused
// them (graphile-worker's add_job is plain SQL), keyed for de-duplication where a trigger can repeat.
import type { Task, TaskList } from 'graphile-worker';

import type { ProviderKind } from '../providers/provider-kind.js';
import type { Executor } from '../store/db.js';

export interface JobPayloads {
  /** Scan the still-pending attachments of one message (clamd was down or slow at ingest). */
  'attachments.rescan': { tenantId: string; messageId: string };
  /** Send one outbox row's reply; keyed `reply:<outboxId>`, queue `send:<mailboxId>` (src/outbound/send-reply.ts). */
  'reply.send': { tenantId: string; outboxId: string };
  /** Sync one mailbox from its stored cursor; keyed `sync:<mailboxId>`, queue `mailbox:<mailboxId>` (src/sync/sync-jobs.ts). */
  'mailbox.sync': { tenantId: string; mailboxId: string };
  /** Catch-up poll of one provider kind (cron, every N minutes as its module asks): a keyed
   *  mailbox.sync per active mailbox of that kind (src/sync/upkeep.ts). */
  'provider.poll': { provider: ProviderKind; _cron?: { ts: string; backfilled?: boolean } };
  /** A provider module's periodic task (cron), e.g. Gmail's daily watch renewals. */
  'provider.upkeep': {
    provider: ProviderKind;
    task: string;
    _cron?: { ts: string; backfilled?: boolean };
  };
  /** A provider module's task on one mailbox, e.g. renew one Gmail watch; keyed `<task>:<mailboxId>`. */
  'provider.mailbox-task': {
    provider: ProviderKind;
    task: string;
    tenantId: string;
    mailboxId: string;
  };
  /** Purge every row of a disconnected mailbox at its deadline; keyed `purge:<mailboxId>` (src/mailboxes/purge.ts). */
  'mailbox.purge': { tenantId: string; mailboxId: string };
  /** Hourly (cron): queue a purge for every unfinished mailbox deletion without a live purge job (src/mailboxes/purge-sweep.ts). */
  'mailboxes.purge-sweep': { _cron?: { ts: string; backfilled?: boolean } };
  /** Every 5 minutes (cron): end or re-queue replies left 'queued'/'sending' with no send job able to run them (src/outbound/stalled-replies.ts). */
  'outbox.stalled-sweep': { _cron?: { ts: string; backfilled?: boolean } };
  /** Hourly (cron): key epochs — rotate the KEK when an epoch is over, re-wrap live data keys, retire and destroy old KEKs (src/tenancy/key-epochs.ts). */
  'keys.epoch': { _cron?: { ts: string; backfilled?: boolean } };
  /** Run one data-subject export or erasure; keyed `subject-request:<id>` (src/privacy/subject-requests.ts). */
  'subject-request.run': { tenantId: string; requestId: string };
  /** Nightly (cron): retention sweep of every tenant with a policy, bounded batches, one receipt each; expired exports deleted (src/privacy/retention.ts). */
  'retention.sweep': { _cron?: { ts: string; backfilled?: boolean } };
  /** Nightly (cron): delete 'credentials.open' audit records older than AUDIT_CREDENTIALS_RETENTION_DAYS, in batches; no other audit record (src/privacy/audit-retention.ts). */
  'audit.expire-credential-opens': { _cron?: { ts: string; backfilled?: boolean } };
  /** Delete every row of an offboarded tenant; keyed `offboard:<tenantId>` (src/privacy/offboard-tenant.ts). */
  'tenant.offboard': { tenantId: string };
  /** Daily (cron): delete OAuth consent states that expired more than a day ago (they hold sealed PKCE verifiers). */
  'oauth.sweep-states': { _cron?: { ts: string; backfilled?: boolean } };
  /** Daily (cron): delete events older than EVENTS_RETENTION_DAYS, with their webhook deliveries (src/events/event-service.ts). */
  'events.retention': { _cron?: { ts: string; backfilled?: boolean } };
  /** Rebuild one batch of a mailbox's stored messages' derived views from their originals, then queue
   *  the next; keyed `reparse:<mailboxId>`, queue `reparse`, low priority (src/ingest/reparse-run.ts). */
  'messages.reparse': { tenantId: string; mailboxId: string };
  /** At worker start and hourly (cron): a messages.reparse for every mailbox holding messages an older
   *  derivation made (src/ingest/reparse-run.ts). */
  'messages.reparse-sweep': { _cron?: { ts: string; backfilled?: boolean } };
  /** Every minute (cron): delete named-queue rows no job uses, so a job fetch does not lock one per mailbox ever connected (src/jobs/queue-gc.ts). */
  'jobs.queue-gc': { _cron?: { ts: string; backfilled?: boolean } };
}

export type JobName = keyof JobPayloads;

export interface EnqueueOptions {
  /** Jobs with the same key coalesce (graphile-worker job_key, mode `keyMode`). */
  key?: string;
  /**
   * How a job joins a pending one with its key: 'replace' (default) takes the new run_at, so a
   * trigger moves the job to the back of the queue; 'preserve_run_at' keeps its place.
   */
  keyMode?: 'replace' | 'preserve_run_at';
  /** Jobs in one queue run one at a time (per-mailbox serialisation). */
  queue?: string;
  runAt?: Date;
  maxAttempts?: number;
  priority?: number;
  /** The job works on this mailbox: it runs in the worker holding the mailbox's IDLE lease, if
   *  any (src/sync/lease-routing.ts). */
  mailboxId?: string;
}

/** add_job's arguments as inlet_add_job and inlet_add_mailbox_job take them (without the mailbox id). */
export function jobArgs<N extends JobName>(
  name: N,
  payload: JobPayloads[N],
  opts: EnqueueOptions = {},
): (string | number | null)[] {
  return [
    name,
    JSON.stringify(payload),
    opts.queue ?? null,
    opts.runAt?.toISOString() ?? null,
    opts.maxAttempts ?? null,
    opts.key ?? null,
    opts.priority ?? null,
    opts.keyMode ?? 'replace',
  ];
}

/** Enqueue through SQL on the caller's executor, so the job commits (or not) with the caller's write. */
export async function addJob<N extends JobName>(
  ex: Executor,
  name: N,
  payload: JobPayloads[N],
  opts: EnqueueOptions = {},
): Promise<void> {
  const args = jobArgs(name, payload, opts);
  // inlet_add_job (migration 0005) lets the tenant role enqueue, for its own tenant only;
  // inlet_add_mailbox_job (0021) also flags the job for the mailbox's lease holder.
  if (opts.mailboxId)
    await ex.query(`SELECT inlet_add_mailbox_job($1, $2::json, $3, $4, $5, $6, $7, $8, $9)`, [
      ...args,
      opts.mailboxId,
    ]);
  else await ex.query(`SELECT inlet_add_job($1, $2::json, $3, $4, $5, $6, $7, $8)`, args);
}

export type Handlers = {
  [N in JobName]: (payload: JobPayloads[N], helpers: Parameters<Task>[1]) => Promise<void>;
};

export function toTaskList(handlers: Handlers): TaskList {
  const list: TaskList = {};
  for (const [name, handler] of Object.entries(handlers)) {
    list[name] = (payload, helpers) =>
      (handler as (p: unknown, h: typeof helpers) => Promise<void>)(payload, helpers);
  }
  return list;
}
