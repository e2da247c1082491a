// How sync work is queued. Every trigger — connect, IDLE notification, fallback poll, operator —
// goes through enqueueSync, so duplicate triggers coalesce on one job key and one mailbox's syncs
// run one at a time in their own named queue, in the worker holding the mailbox's IDLE lease when
// one does (lease-routing.ts), else in whichever worker picks them up.
import { addJob, type EnqueueOptions, jobArgs } from '../jobs/registry.js';
import type { Executor } from '../store/db.js';

export const syncJobKey = (mailboxId: string) => `sync:${mailboxId}`;
export const syncQueue = (mailboxId: string) => `mailbox:${mailboxId}`;

/** Attempts before graphile-worker gives up on one sync job; the next trigger enqueues a fresh one. */
export const syncMaxAttempts = 10;

const syncJobOptions = (mailboxId: string): EnqueueOptions => ({
  key: syncJobKey(mailboxId),
  // A trigger for a mailbox whose sync is already waiting joins it where it stands: with
  // 'replace' each new mail moved it behind the others, so under steady mail a busy queue
  // never reached it (Gmail push p99 ≈ the length of the burst, issue #19).
  keyMode: 'preserve_run_at',
  queue: syncQueue(mailboxId),
  maxAttempts: syncMaxAttempts,
  mailboxId,
});

export async function enqueueSync(
  ex: Executor,
  tenantId: string,
  mailboxId: string,
): Promise<void> {
  await addJob(ex, 'mailbox.sync', { tenantId, mailboxId }, syncJobOptions(mailboxId));
}

/** The arguments of inlet_add_mailbox_job for a mailbox's sync (for statements that enqueue it
 *  themselves, e.g. the Gmail push's lookup-and-enqueue), mailbox id last. */
export const syncJobArgs = (tenantId: string, mailboxId: string) => [
  ...jobArgs('mailbox.sync', { tenantId, mailboxId }, syncJobOptions(mailboxId)),
  mailboxId,
];
