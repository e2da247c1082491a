// Graph change and lifecycle notifications (docs/providers.md, Microsoft 365 facts: notification
// endpoint). Each item names a subscription; the mailbox holding it is found by the stored push
// channel, and the item's clientState is compared in constant time with the one sealed in that
// mailbox's credentials. Only then is anything written: a keyed sync (created, missed), or the
// mailbox's subscription task (reauthorizationRequired → renew, subscriptionRemoved → recreate,
// then sync). The job row is the persisted notification; the route answers 202 once it is
// committed. Unknown subscriptions, wrong clientStates and unreadable items are acknowledged too (a
// refusal only makes Graph retry for hours) and counted, never stored.
import { createHash, timingSafeEqual } from 'node:crypto';

import { Counter, type Registry } from 'prom-client';

import { addJob } from '../../jobs/registry.js';
import type { Logger } from '../../lib/logger.js';
import type { Db, Executor } from '../../store/db.js';
import { enqueueSync } from '../../sync/sync-jobs.js';
import type { KeyService } from '../../tenancy/key-service.js';
import { openCredentials } from '../open-mailbox.js';
import { parseMicrosoftCredentials } from './microsoft-settings.js';
import { mailboxesBySubscription, type SubscribedMailbox } from './microsoft-store.js';

export type NotificationOutcome =
  'enqueued' | 'unknown_subscription' | 'client_state_mismatch' | 'inactive' | 'malformed';

export interface GraphNotificationReceiver {
  /** Change notifications (notificationUrl). */
  notifications(body: unknown): Promise<NotificationOutcome[]>;
  /** Lifecycle notifications (lifecycleNotificationUrl). */
  lifecycle(body: unknown): Promise<NotificationOutcome[]>;
}

interface Item {
  subscriptionId: string;
  clientState: string;
  lifecycleEvent?: string;
}

const LIFECYCLE = new Set(['reauthorizationRequired', 'subscriptionRemoved', 'missed']);
export const subscriptionTask = 'subscription';

function itemsOf(body: unknown, lifecycle: boolean): (Item | null)[] {
  const value = (body as { value?: unknown } | null)?.value;
  if (!Array.isArray(value) || value.length === 0 || value.length > 1000) return [null];
  return value.map((v) => {
    const i = v as Record<string, unknown> | null;
    if (
      !i ||
      typeof i.subscriptionId !== 'string' ||
      i.subscriptionId.length > 100 ||
      typeof i.clientState !== 'string' ||
      i.clientState.length > 128
    )
      return null;
    if (lifecycle && (typeof i.lifecycleEvent !== 'string' || !LIFECYCLE.has(i.lifecycleEvent)))
      return null;
    return {
      subscriptionId: i.subscriptionId,
      clientState: i.clientState,
      ...(lifecycle ? { lifecycleEvent: i.lifecycleEvent as string } : {}),
    };
  });
}

const digest = (s: string | Buffer) => createHash('sha256').update(s).digest();

export function makeGraphPushReceiver(deps: {
  db: Db;
  keys: KeyService;
  logger: Logger;
  registry?: Registry;
}): GraphNotificationReceiver {
  const log = deps.logger.child({ component: 'graph-notifications' });
  const counter = new Counter({
    name: 'inlet_graph_notifications_total',
    help: 'Graph change and lifecycle notifications received, by kind and outcome',
    labelNames: ['kind', 'outcome'],
    registers: deps.registry ? [deps.registry] : [],
  });

  // What the check needs from a mailbox's sealed credentials (its subscription id and a digest of
  // its clientState), kept per mailbox while the sealed value is unchanged: a busy mailbox's
  // notifications then cost no data-key read and no unsealing each. A new token cache, a renewed or
  // recreated subscription changes the ciphertext, and the next notification opens it again.
  const opened = new Map<string, { sealed: Buffer; subscriptionId: string; clientState: Buffer }>();
  const openedLimit = 10_000;

  async function pushOf(
    ex: Executor,
    m: SubscribedMailbox & { credentials_ct: Buffer },
  ): Promise<{ subscriptionId: string; clientState: Buffer } | null> {
    const sealed = digest(m.credentials_ct);
    const hit = opened.get(m.mailbox_id);
    if (hit && timingSafeEqual(hit.sealed, sealed)) return hit;
    const dek = await deps.keys.mailboxKey(ex, m.tenant_id, m.mailbox_id);
    const push = parseMicrosoftCredentials(
      await openCredentials(
        { ex, purpose: 'push_check' },
        dek,
        m.tenant_id,
        m.mailbox_id,
        m.credentials_ct,
      ),
    ).push;
    if (!push) return null;
    if (opened.size >= openedLimit) opened.clear();
    const entry = {
      sealed,
      subscriptionId: push.subscriptionId,
      clientState: digest(push.clientState),
    };
    opened.set(m.mailbox_id, entry);
    return entry;
  }

  async function genuine(ex: Executor, m: SubscribedMailbox, item: Item): Promise<boolean> {
    if (!m.credentials_ct) return false;
    const push = await pushOf(ex, { ...m, credentials_ct: m.credentials_ct });
    // Digests of equal length, so the comparison takes the same time whatever was sent.
    return (
      push !== null &&
      push.subscriptionId === item.subscriptionId &&
      timingSafeEqual(push.clientState, digest(item.clientState))
    );
  }

  async function receive(
    kind: 'change' | 'lifecycle',
    body: unknown,
  ): Promise<NotificationOutcome[]> {
    const items = itemsOf(body, kind === 'lifecycle');
    const outcomes = await deps.db.tx(async (ex) => {
      const ids = [...new Set(items.flatMap((i) => (i ? [i.subscriptionId] : [])))];
      const found =
        ids.length > 0
          ? await mailboxesBySubscription(ex, ids)
          : new Map<string, SubscribedMailbox>();
      const out: NotificationOutcome[] = [];
      for (const item of items) {
        const m = item ? found.get(item.subscriptionId) : undefined;
        if (!item) out.push('malformed');
        else if (!m) out.push('unknown_subscription');
        else if (!(await genuine(ex, m, item).catch(() => false)))
          out.push('client_state_mismatch');
        else if (m.status !== 'active') out.push('inactive');
        else {
          if (
            item.lifecycleEvent === 'reauthorizationRequired' ||
            item.lifecycleEvent === 'subscriptionRemoved'
          ) {
            await addJob(
              ex,
              'provider.mailbox-task',
              {
                provider: 'graph',
                task: subscriptionTask,
                tenantId: m.tenant_id,
                mailboxId: m.mailbox_id,
              },
              { key: `${subscriptionTask}:${m.mailbox_id}`, maxAttempts: 5 },
            );
          }
          // Created mail, missed notifications, a removed subscription: the delta round from the stored
          // link catches up on everything, so one keyed sync covers any number of notifications.
          if (item.lifecycleEvent !== 'reauthorizationRequired')
            await enqueueSync(ex, m.tenant_id, m.mailbox_id);
          out.push('enqueued');
        }
      }
      return out;
    });
    for (const o of outcomes) counter.inc({ kind, outcome: o });
    if (outcomes.some((o) => o === 'client_state_mismatch' || o === 'malformed'))
      log.warn({ kind, outcomes }, 'graph notification not genuine; acknowledged, nothing stored');
    return outcomes;
  }

  return {
    notifications: (body) => receive('change', body),
    lifecycle: (body) => receive('lifecycle', body),
  };
}
