// Key epochs: what makes "backups included" true. A database backup holds every data key, wrapped
// by the KEK that was active when it was taken. So each epoch (KEY_EPOCH_DAYS) a new KEK becomes
// active and every live data key is re-wrapped under it; the old KEK then wraps nothing live and is
// retired; KEY_RETENTION_DAYS later it is destroyed. From then on no backup taken before its
// retirement opens — including the data key of a mailbox disconnected since (whose live row is gone
// and was never re-wrapped). A backup is therefore unreadable at most epoch + retention after it was
// taken, and a disconnected mailbox's data at most epoch + retention after the disconnect.
//
// Vault transit: Inlet rotates and destroys versions itself. INLET_MASTER_KEYS: the operator adds the
// next key and removes retired ones; Inlet re-wraps, says when a key must go (logs, `inlet keys
// status`), and refuses to start while a key is still configured past its destroy date.
import { parseCronItems, type ParsedCronItem } from 'graphile-worker';

import type { Logger } from '../lib/logger.js';
import type { Db } from '../store/db.js';
import * as epochs from '../store/kek-epoch-store.js';
import type { KeyService } from './key-service.js';

export interface EpochSettings {
  epochMs: number;
  retentionMs: number;
}

export interface EpochDeps {
  db: Db;
  keys: KeyService;
  logger: Logger;
  settings: EpochSettings;
}

export interface EpochReport {
  active: string;
  rotated: string | null;
  /** KEYRING only: the active key is older than an epoch and the operator must add the next one. */
  rotationDue: boolean;
  rewrapped: number;
  failed: number;
  retired: string[];
  destroyed: string[];
  /** KEYRING only: retired keys still configured past their destroy date (start-up refuses these). */
  overdue: string[];
}

export async function runKeyEpoch(
  deps: EpochDeps,
  opts: { now?: Date } = {},
): Promise<EpochReport> {
  const { db, keys, settings } = deps;
  const provider = keys.provider;
  const now = opts.now ?? new Date();
  const log = deps.logger.child({ component: 'key-epochs' });
  await db.tx((ex) =>
    epochs.registerKeks(ex, provider.kind, [provider.activeKeyId, ...provider.keyIds()], now),
  );

  let rotated: string | null = null;
  let rotationDue = false;
  const current = (await db.tx((ex) => epochs.listEpochs(ex))).find(
    (e) => e.kek_id === provider.activeKeyId,
  );
  if (current && current.activated_at.getTime() + settings.epochMs <= now.getTime()) {
    if (provider.rotate) {
      rotated = await provider.rotate();
      await db.tx((ex) => epochs.registerKeks(ex, provider.kind, [rotated!], now));
      log.info({ kek: rotated }, 'new key epoch');
    } else {
      rotationDue = true;
      log.warn(
        { kek: provider.activeKeyId, since: current.activated_at.toISOString() },
        'key epoch over: add a new key at the end of INLET_MASTER_KEYS (the worker re-wraps every data key under it)',
      );
    }
  }

  const { rewrapped, failed } = await keys.rewrapAll(db);
  const retired: string[] = [];
  const destroyed: string[] = [];
  const overdue: string[] = [];
  for (const e of await db.tx((ex) => epochs.listEpochs(ex))) {
    if (e.kek_id === provider.activeKeyId || e.destroyed_at) continue;
    if (!e.retired_at) {
      if (await db.tx((ex) => epochs.retireIfUnused(ex, e.kek_id, now, settings.retentionMs)))
        retired.push(e.kek_id);
      continue;
    }
    if (e.destroy_after!.getTime() > now.getTime()) continue;
    if (provider.destroy) {
      await provider.destroy(e.kek_id);
    } else if (provider.keyIds().includes(e.kek_id)) {
      overdue.push(e.kek_id);
      continue;
    }
    await db.tx((ex) => epochs.markDestroyed(ex, e.kek_id, now));
    destroyed.push(e.kek_id);
  }
  // Unwrapped keys cached in this process must not outlive their KEK.
  if (destroyed.length > 0) keys.clearCache();
  if (overdue.length > 0)
    log.error(
      { keks: overdue },
      'retired keys are past their retention: remove them from INLET_MASTER_KEYS (start-up refuses while they are configured)',
    );
  if (failed.length > 0)
    log.error(
      { count: failed.length },
      'data keys could not be re-wrapped; their old KEK cannot retire',
    );
  return {
    active: provider.activeKeyId,
    rotated,
    rotationDue,
    rewrapped,
    failed: failed.length,
    retired,
    destroyed,
    overdue,
  };
}

/** Keyring keys still configured after their destroy date; start-up refuses to run with any. */
export async function overdueConfiguredKeys(
  deps: Pick<EpochDeps, 'db' | 'keys'>,
  now = new Date(),
): Promise<epochs.KekEpochRow[]> {
  if (deps.keys.provider.kind !== 'keyring') return [];
  const ids = deps.keys.provider.keyIds();
  return (await deps.db.tx((ex) => epochs.listEpochs(ex))).filter(
    (e) => e.destroy_after && e.destroy_after.getTime() <= now.getTime() && ids.includes(e.kek_id),
  );
}

/** The windows receipts and the README state, in days. */
export function deletionWindows(settings: EpochSettings): {
  live: 'immediately';
  backups_unreadable_within_days: number;
} {
  return {
    live: 'immediately',
    backups_unreadable_within_days: Math.ceil(
      (settings.epochMs + settings.retentionMs) / 86_400_000,
    ),
  };
}

/** Hourly: cheap when nothing is due (a few catalog reads); re-wraps in batches when an epoch turns. */
export function keyEpochCronItems(): ParsedCronItem[] {
  return parseCronItems([
    {
      task: 'keys.epoch',
      match: '7 * * * *',
      identifier: 'keys-epoch',
      options: { backfillPeriod: 0, maxAttempts: 3, jobKey: 'keys-epoch', jobKeyMode: 'replace' },
    },
  ]);
}

/** `inlet keys status`: one line per KEK. */
export function formatEpochs(rows: epochs.KekEpochRow[], activeId: string): string {
  const d = (x: Date | null) => (x ? x.toISOString() : '-');
  return rows
    .map(
      (e) =>
        `${e.kek_id}${e.kek_id === activeId ? ' (active)' : ''}  since ${d(e.activated_at)}  retired ${d(e.retired_at)}  destroy after ${d(e.destroy_after)}  destroyed ${d(e.destroyed_at)}\n`,
    )
    .join('');
}
