// Gmail upkeep, run by the provider-neutral scheduler (src/sync/upkeep.ts). Pushes can be delayed
// or dropped and a watch lapses after 7 days, so:
//   poll                  every GMAIL_POLL_MINUTES → a keyed mailbox.sync per active Gmail mailbox;
//   renew-watches (daily)                        → one keyed `watch` mailbox task per active mailbox;
//   watch (mailbox task)                         → users.watch again, new expiry stored.
// Syncs go through the provider-neutral mailbox.sync job; nothing here reads mail.
import { setPushChannel } from '../../store/mailbox-store.js';
import { listActiveMailboxes, readSyncState } from '../../sync/sync-store.js';
import { toProviderError } from '../provider-errors.js';
import type { ProviderUpkeep, UpkeepContext } from '../provider-module.js';
import type { GmailProcessRuntime } from './gmail-runtime.js';

type Ctx = UpkeepContext<GmailProcessRuntime>;

async function enqueueWatchRenewals(ctx: Ctx): Promise<number> {
  return ctx.db.tx(async (ex) => {
    const all = await listActiveMailboxes(ex, 'gmail');
    for (const m of all) await ctx.enqueueMailboxTask(ex, 'watch', m.tenant_id, m.mailbox_id);
    return all.length;
  });
}

/** Renews one mailbox's watch; 'skipped' for a mailbox that is no longer active (or Gmail not set up). */
export async function renewGmailWatch(
  ctx: Ctx,
  tenantId: string,
  mailboxId: string,
): Promise<'renewed' | 'skipped'> {
  const topic = ctx.runtime?.topicName;
  if (!topic) return 'skipped';
  const log = ctx.logger.child({ component: 'gmail-watch', mailbox: mailboxId });
  const provider = await ctx.db.tenantTx(tenantId, async (ex) => {
    const state = await readSyncState(ex, tenantId, mailboxId);
    if (!state || state.status !== 'active' || state.provider !== 'gmail') return null;
    return ctx.open(ex, tenantId, mailboxId, log);
  });
  if (!provider?.startPush) return 'skipped';
  try {
    const channel = await provider.startPush({ topicName: topic });
    await ctx.db.tenantTx(tenantId, (ex) =>
      setPushChannel(ex, tenantId, mailboxId, channel, new Date(channel.expiresAt)),
    );
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

export const gmailUpkeep: ProviderUpkeep<GmailProcessRuntime> = {
  pollMinutes: (config, runtime) => (runtime ? config.google.pollMinutes : null),
  tasks: [
    {
      // Daily, as Google recommends; a watch lives 7 days, so several missed days are still fine.
      name: 'renew-watches',
      schedule: (_config, runtime) => (runtime ? '17 3 * * *' : null),
      backfillMs: 6 * 3600_000,
      maxAttempts: 3,
      run: async (ctx) => {
        await enqueueWatchRenewals(ctx);
      },
    },
  ],
  mailboxTasks: [
    {
      name: 'watch',
      maxAttempts: 5,
      run: async (ctx, tenantId, mailboxId) => {
        await renewGmailWatch(ctx, tenantId, mailboxId);
      },
    },
  ],
};
