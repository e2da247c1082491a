// How sync work is queued. Every trigger — connect, IDLE notification, fallback poll, operator —
// goes through enqueueSync, so duplicate triggers coalesce on one job key and one mailbox's syncs
// run one at a time in their own named queue, whichever worker picks them up.
import { parseCronItems, type ParsedCronItem } from 'graphile-worker';
import { addJob } from '../jobs/registry.js';
import type { Db, Executor } from '../store/db.js';
import { listActiveMailboxes } from './sync-store.js';

export const syncJobKey = (mailboxId: string) => `sync:${mailboxId}`;
export const syncQueue = (mailboxId: string) => `mailbox:${mailboxId}`;

/** Attempts before graphile-worker gives up on one sync job; the next trigger enqueues a fresh one. */
export const syncMaxAttempts = 10;

export async function enqueueSync(ex: Executor, tenantId: string, mailboxId: string): Promise<void> {
  await addJob(ex, 'mailbox.sync', { tenantId, mailboxId }, { key: syncJobKey(mailboxId), queue: syncQueue(mailboxId), maxAttempts: syncMaxAttempts });
}

/** The fallback poll: a sync for every active IMAP mailbox (IDLE can miss mail while reconnecting,
 *  and a mailbox without a lease holder has no IDLE at all). Runs as the owner, across tenants. */
export async function enqueueAllSyncs(db: Db): Promise<number> {
  return db.tx(async (ex) => {
    const all = await listActiveMailboxes(ex, 'imap');
    for (const m of all) await enqueueSync(ex, m.tenant_id, m.mailbox_id);
    return all.length;
  });
}

/** graphile-worker cron: exactly one `mailboxes.poll` per period across all worker replicas
 *  (graphile-worker records each fired slot in known_crontabs). */
export function pollCronItems(everyMinutes: number): ParsedCronItem[] {
  const minutes = everyMinutes >= 60 ? '0' : `*/${everyMinutes}`;
  return parseCronItems([{
    task: 'mailboxes.poll',
    match: `${minutes} * * * *`,
    identifier: 'mailboxes-poll',
    // A missed slot (all workers down) is not replayed: the next poll covers it.
    options: { backfillPeriod: 0, maxAttempts: 1, jobKey: 'mailboxes-poll', jobKeyMode: 'replace' },
  }]);
}
