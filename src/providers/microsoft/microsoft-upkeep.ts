// Microsoft upkeep, run by the provider-neutral scheduler (src/sync/upkeep.ts):
//   poll                    every MICROSOFT_POLL_MINUTES → a keyed mailbox.sync per active mailbox
//                           (catch-up behind push; the only trigger for shared mailboxes);
//   renew-subscriptions     hourly → the subscription task for mailboxes whose subscription ends
//                           within two days or that have none;
//   sweep-subscriptions     daily → the subscription task for every active mailbox, which recreates
//                           subscriptions Graph dropped without telling (a renew answers 404);
//   subscription (mailbox)  renew by PATCH, or create; a new subscription is followed by a sync so
//                           nothing that arrived in between is missed.
import { setPushChannel } from '../../store/mailbox-store.js';
import { enqueueSync } from '../../sync/sync-jobs.js';
import { readSyncState } from '../../sync/sync-store.js';
import type { PushChannel } from '../mail-provider.js';
import { toProviderError } from '../provider-errors.js';
import type { ProviderUpkeep, UpkeepContext } from '../provider-module.js';
import { subscriptionTask } from './graph-push-receiver.js';
import type { MicrosoftRuntime } from './graph-session.js';
import { subscriptionsDue } from './microsoft-store.js';

type Ctx = UpkeepContext<MicrosoftRuntime>;

const renewWithinMs = 2 * 86_400_000;

async function enqueueDue(ctx: Ctx, all: boolean): Promise<number> {
  return ctx.db.tx(async (ex) => {
    const due = await subscriptionsDue(ex, all ? null : new Date(Date.now() + renewWithinMs));
    for (const m of due)
      await ctx.enqueueMailboxTask(ex, subscriptionTask, m.tenant_id, m.mailbox_id);
    return due.length;
  });
}

/** Renews or (re)creates one mailbox's subscription; 'skipped' for inactive, shared or unconfigured. */
export async function keepSubscription(
  ctx: Ctx,
  tenantId: string,
  mailboxId: string,
): Promise<'renewed' | 'created' | 'skipped'> {
  if (!ctx.runtime) return 'skipped';
  const log = ctx.logger.child({ component: 'graph-subscription', mailbox: mailboxId });
  const opened = await ctx.db.tenantTx(tenantId, async (ex) => {
    const state = await readSyncState(ex, tenantId, mailboxId);
    if (!state || state.status !== 'active' || state.provider !== 'graph') return null;
    const { rows } = await ex.query<{ push_channel: PushChannel | null }>(
      'SELECT push_channel FROM mailboxes WHERE tenant_id = $1 AND id = $2',
      [tenantId, mailboxId],
    );
    return {
      provider: await ctx.open(ex, tenantId, mailboxId, log),
      channel: rows[0]?.push_channel ?? null,
    };
  });
  if (!opened) return 'skipped';
  const { provider, channel } = opened;
  try {
    if (!provider.startPush || !provider.renewPush) return 'skipped';
    const next = channel ? await provider.renewPush(channel) : await provider.startPush({});
    const created = next.id !== channel?.id;
    await ctx.db.tenantTx(tenantId, async (ex) => {
      await setPushChannel(ex, tenantId, mailboxId, next, new Date(next.expiresAt));
      if (created) await enqueueSync(ex, tenantId, mailboxId);
    });
    return created ? 'created' : 'renewed';
  } catch (err) {
    const pe = toProviderError(err, 'graph subscription');
    log.warn({ errorClass: pe.kind }, 'graph subscription upkeep failed');
    if (pe.kind === 'auth_revoked') return 'skipped';
    throw pe;
  } finally {
    await provider.close();
  }
}

export const microsoftUpkeep: ProviderUpkeep<MicrosoftRuntime> = {
  pollMinutes: (config, runtime) => (runtime ? config.microsoft.pollMinutes : null),
  tasks: [
    {
      name: 'renew-subscriptions',
      schedule: (_config, runtime) => (runtime ? '23 * * * *' : null),
      backfillMs: 3600_000,
      maxAttempts: 3,
      run: async (ctx) => {
        await enqueueDue(ctx, false);
      },
    },
    {
      name: 'sweep-subscriptions',
      schedule: (_config, runtime) => (runtime ? '37 4 * * *' : null),
      backfillMs: 6 * 3600_000,
      maxAttempts: 3,
      run: async (ctx) => {
        await enqueueDue(ctx, true);
      },
    },
  ],
  mailboxTasks: [
    {
      name: subscriptionTask,
      maxAttempts: 5,
      run: async (ctx, tenantId, mailboxId) => {
        await keepSubscription(ctx, tenantId, mailboxId);
      },
    },
  ],
};
