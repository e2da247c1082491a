// Gmail upkeep jobs. Pushes can be delayed or dropped and a watch lapses after 7 days (A5), so:
//   gmail.poll          (cron, every GMAIL_POLL_MINUTES) → a keyed mailbox.sync per active Gmail mailbox;
//   gmail.renew-watches (cron, daily)                    → one keyed gmail.watch job per active mailbox;
//   gmail.watch                                          → users.watch again, new expiry stored;
//   oauth.sweep-states  (cron, daily)                    → expired consent states deleted.
// Syncs go through the provider-agnostic mailbox.sync job; nothing here reads mail.
import { parseCronItems, type ParsedCronItem } from 'graphile-worker';
import { addJob } from '../jobs/registry.js';
import type { Logger } from '../lib/logger.js';
import { toProviderError } from '../providers/provider-errors.js';
import type { Db } from '../store/db.js';
import type { KeyService } from '../tenancy/key-service.js';
import { providerForMailbox, type ProviderFactoryDeps } from '../sync/provider-factory.js';
import { enqueueSync } from '../sync/sync-jobs.js';
import { readSyncState } from '../sync/sync-store.js';
import { activeGmailMailboxes, setPushChannel } from './oauth-store.js';

export interface GmailJobDeps {
  db: Db;
  keys: KeyService;
  logger: Logger;
  providerDeps: ProviderFactoryDeps;
}

export async function pollGmailMailboxes(db: Db): Promise<number> {
  return db.tx(async (ex) => {
    const all = await activeGmailMailboxes(ex);
    for (const m of all) await enqueueSync(ex, m.tenant_id, m.mailbox_id);
    return all.length;
  });
}

export async function enqueueWatchRenewals(db: Db): Promise<number> {
  return db.tx(async (ex) => {
    const all = await activeGmailMailboxes(ex);
    for (const m of all) {
      await addJob(ex, 'gmail.watch', { tenantId: m.tenant_id, mailboxId: m.mailbox_id }, { key: `watch:${m.mailbox_id}`, maxAttempts: 5 });
    }
    return all.length;
  });
}

/** Renews one mailbox's watch; 'skipped' for a mailbox that is no longer active (or Gmail not set up). */
export async function renewGmailWatch(deps: GmailJobDeps, tenantId: string, mailboxId: string): Promise<'renewed' | 'skipped'> {
  const topic = deps.providerDeps.gmail?.topicName;
  if (!topic) return 'skipped';
  const log = deps.logger.child({ component: 'gmail-watch', mailbox: mailboxId });
  const provider = await deps.db.tenantTx(tenantId, async (ex) => {
    const state = await readSyncState(ex, tenantId, mailboxId);
    if (!state || state.status !== 'active' || state.provider !== 'gmail') return null;
    return providerForMailbox(ex, deps.keys, tenantId, mailboxId, { ...deps.providerDeps, logger: log });
  });
  if (!provider?.startPush) return 'skipped';
  try {
    const channel = await provider.startPush({ topicName: topic });
    await deps.db.tenantTx(tenantId, (ex) => setPushChannel(ex, tenantId, mailboxId, channel, new Date(channel.expiresAt)));
    return 'renewed';
  } catch (err) {
    const pe = toProviderError(err, 'gmail watch');
    log.warn({ errorClass: pe.kind }, 'gmail watch renewal failed');
    if (pe.kind === 'auth_revoked') return 'skipped';
    throw pe;
  } finally {
    await provider.close();
  }
}

export function gmailCronItems(pollMinutes: number): ParsedCronItem[] {
  const minutes = pollMinutes >= 60 ? '0' : `*/${pollMinutes}`;
  return parseCronItems([
    {
      task: 'gmail.poll', match: `${minutes} * * * *`, identifier: 'gmail-poll',
      options: { backfillPeriod: 0, maxAttempts: 1, jobKey: 'gmail-poll', jobKeyMode: 'replace' },
    },
    {
      // Daily, as Google recommends; a watch lives 7 days, so several missed days are still fine.
      task: 'gmail.renew-watches', match: '17 3 * * *', identifier: 'gmail-renew-watches',
      options: { backfillPeriod: 6 * 3600_000, maxAttempts: 3, jobKey: 'gmail-renew-watches', jobKeyMode: 'replace' },
    },
    {
      task: 'oauth.sweep-states', match: '41 4 * * *', identifier: 'oauth-sweep-states',
      options: { backfillPeriod: 0, maxAttempts: 3, jobKey: 'oauth-sweep-states', jobKeyMode: 'replace' },
    },
  ]);
}
