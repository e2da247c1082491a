// The one scheduler for provider upkeep: it asks every module in the registry what it needs —
// a catch-up poll every N minutes, periodic tasks (push renewals), per-mailbox tasks — and turns
// the answers into graphile-worker cron items and three generic jobs. Cron fires each slot once
// across all worker replicas (graphile-worker records fired slots in known_crontabs).
import { parseCronItems, type ParsedCronItem } from 'graphile-worker';

import type { Config } from '../config.js';
import { addJob } from '../jobs/registry.js';
import type { Logger } from '../lib/logger.js';
import { providerForMailbox } from '../providers/open-mailbox.js';
import type { ProviderKind } from '../providers/provider-kind.js';
import type { UpkeepContext } from '../providers/provider-module.js';
import { allModules, moduleOf, type ProviderRuntimes } from '../providers/registry.js';
import type { Db, Executor } from '../store/db.js';
import type { KeyService } from '../tenancy/key-service.js';
import { enqueueSync } from './sync-jobs.js';
import { listActiveMailboxes } from './sync-store.js';

export interface UpkeepDeps {
  db: Db;
  keys: KeyService;
  logger: Logger;
  config: Config;
  providerDeps: ProviderRuntimes;
}

const mailboxTaskKey = (task: string, mailboxId: string) => `${task}:${mailboxId}`;

function context(deps: UpkeepDeps, kind: ProviderKind): UpkeepContext<unknown> {
  const module = moduleOf(kind);
  return {
    db: deps.db,
    keys: deps.keys,
    logger: deps.logger,
    config: deps.config,
    runtime: (deps.providerDeps as Partial<Record<ProviderKind, unknown>>)[kind],
    open: (ex, tenantId, mailboxId, logger) =>
      providerForMailbox(ex, deps.keys, tenantId, mailboxId, 'upkeep', {
        ...deps.providerDeps,
        ...(logger ? { logger } : {}),
      }),
    async enqueueMailboxTask(ex: Executor, task: string, tenantId: string, mailboxId: string) {
      const spec = module.upkeep?.mailboxTasks?.find((t) => t.name === task);
      if (!spec) throw new Error(`provider ${kind} has no mailbox task ${task}`);
      await addJob(
        ex,
        'provider.mailbox-task',
        { provider: kind, task, tenantId, mailboxId },
        { key: mailboxTaskKey(task, mailboxId), maxAttempts: spec.maxAttempts },
      );
    },
  };
}

/** The catch-up poll of one kind: a keyed sync for every active mailbox of that kind (owner role). */
export async function pollMailboxes(db: Db, kind: ProviderKind): Promise<number> {
  return db.tx(async (ex) => {
    const all = await listActiveMailboxes(ex, kind);
    for (const m of all) await enqueueSync(ex, m.tenant_id, m.mailbox_id);
    return all.length;
  });
}

export async function runUpkeepTask(
  deps: UpkeepDeps,
  kind: ProviderKind,
  task: string,
): Promise<void> {
  const spec = moduleOf(kind).upkeep?.tasks?.find((t) => t.name === task);
  if (!spec) throw new Error(`provider ${kind} has no upkeep task ${task}`);
  await spec.run(context(deps, kind));
}

export async function runMailboxTask(
  deps: UpkeepDeps,
  kind: ProviderKind,
  task: string,
  tenantId: string,
  mailboxId: string,
): Promise<void> {
  const spec = moduleOf(kind).upkeep?.mailboxTasks?.find((t) => t.name === task);
  if (!spec) throw new Error(`provider ${kind} has no mailbox task ${task}`);
  await spec.run(context(deps, kind), tenantId, mailboxId);
}

const everyMinutes = (n: number) => `${n >= 60 ? '0' : `*/${n}`} * * * *`;

/** Cron items for every module's poll and tasks that are scheduled in this process. */
export function upkeepCronItems(config: Config, runtimes: ProviderRuntimes): ParsedCronItem[] {
  const items = [];
  let consent = false;
  for (const m of allModules()) {
    const runtime = (runtimes as Partial<Record<ProviderKind, unknown>>)[m.kind];
    if (m.consent && runtime !== undefined) consent = true;
    const minutes = m.upkeep?.pollMinutes?.(config, runtime) ?? null;
    if (minutes !== null) {
      items.push({
        task: 'provider.poll',
        match: everyMinutes(minutes),
        identifier: `${m.kind}-poll`,
        payload: { provider: m.kind },
        // A missed slot (all workers down) is not replayed: the next poll covers it.
        options: {
          backfillPeriod: 0,
          maxAttempts: 1,
          jobKey: `${m.kind}-poll`,
          jobKeyMode: 'replace' as const,
        },
      });
    }
    for (const t of m.upkeep?.tasks ?? []) {
      const match = t.schedule(config, runtime);
      if (match === null) continue;
      items.push({
        task: 'provider.upkeep',
        match,
        identifier: `${m.kind}-${t.name}`,
        payload: { provider: m.kind, task: t.name },
        options: {
          backfillPeriod: t.backfillMs,
          maxAttempts: t.maxAttempts,
          jobKey: `${m.kind}-${t.name}`,
          jobKeyMode: 'replace' as const,
        },
      });
    }
  }
  if (consent) {
    // Expired consent states hold sealed PKCE verifiers: deleted daily.
    items.push({
      task: 'oauth.sweep-states',
      match: '41 4 * * *',
      identifier: 'oauth-sweep-states',
      options: {
        backfillPeriod: 0,
        maxAttempts: 3,
        jobKey: 'oauth-sweep-states',
        jobKeyMode: 'replace' as const,
      },
    });
  }
  return parseCronItems(items);
}
