// The `mailboxes.purge-sweep` cron (hourly): the safety net under "disconnect deletes". A purge job
// that used up its attempts, a job lost with its queue, or a mailbox disconnected before deletion
// receipts existed (migration 0010) would otherwise keep its rows for ever. Each run queues a purge
// for every unfinished deletion that has no purge job still able to run. Runs as the owner role
// (across tenants); the purge itself decides what is due and refuses mailboxes in use.
import { parseCronItems, type ParsedCronItem } from 'graphile-worker';

import { kindsWhere } from '../providers/registry.js';
import type { Db } from '../store/db.js';
import { enqueuePurge, purgeJobKey } from './disconnect.js';
import { tombstone } from './status.js';

export function purgeSweepCronItems(): ParsedCronItem[] {
  return parseCronItems([
    {
      task: 'mailboxes.purge-sweep',
      match: '23 * * * *',
      identifier: 'mailboxes-purge-sweep',
      options: {
        backfillPeriod: 0,
        maxAttempts: 3,
        jobKey: 'mailboxes-purge-sweep',
        jobKeyMode: 'replace',
      },
    },
  ]);
}

export async function sweepPurges(db: Db): Promise<{ receiptsAdded: number; queued: number }> {
  return db.tx(async (ex) => {
    // Disconnected before receipts existed: its deletion starts now and says what was not done. The
    // grant of an OAuth mailbox (Gmail) cannot be revoked any more (its token was sealed under the key the
    // disconnect destroyed); the tenant has to remove the app in its Google account.
    // $1: kinds with a push channel to stop, $2: kinds with a grant to revoke.
    const added = await ex.query(
      `INSERT INTO deletion_receipts (tenant_id, mailbox_id, provider, requested_by, requested_at, purge_after, push_stop, push_error_class, grant_revoke, grant_error_class, key_destroyed_at)
       SELECT m.tenant_id, m.id, m.provider, 'system:purge-sweep', m.updated_at, now(),
              CASE WHEN m.provider = ANY($1::text[]) THEN 'failed' ELSE 'not_applicable' END,
              CASE WHEN m.provider = ANY($1::text[]) THEN 'disconnected_before_receipts' END,
              CASE WHEN m.provider = ANY($2::text[]) THEN 'failed' ELSE 'not_applicable' END,
              CASE WHEN m.provider = ANY($2::text[]) THEN 'disconnected_before_receipts' END,
              m.updated_at
         FROM mailboxes m
        WHERE m.status = 'disconnected'
          AND NOT EXISTS (SELECT 1 FROM deletion_receipts r WHERE r.tenant_id = m.tenant_id AND r.mailbox_id = m.id)
       ON CONFLICT (tenant_id, mailbox_id) DO NOTHING
       RETURNING tenant_id, mailbox_id`,
      [kindsWhere('channelPush'), kindsWhere('revocableGrant')],
    );
    // And the row becomes the tombstone a disconnect leaves now (no address index, no ciphertext).
    for (const r of added.rows as { tenant_id: string; mailbox_id: string }[])
      await tombstone(ex, r.tenant_id, r.mailbox_id);
    // Unfinished deletions whose purge job is gone or has failed for good.
    const { rows } = await ex.query<{ tenant_id: string; mailbox_id: string; purge_after: Date }>(
      `SELECT r.tenant_id, r.mailbox_id, r.purge_after FROM deletion_receipts r
        WHERE r.completed_at IS NULL
          AND NOT EXISTS (SELECT 1 FROM graphile_worker.jobs j WHERE j.key = $1 || r.mailbox_id::text AND j.attempts < j.max_attempts)`,
      [purgeJobKey('')],
    );
    // Replacing the exhausted job by its key resets its attempts.
    for (const r of rows)
      await enqueuePurge(
        ex,
        r.tenant_id,
        r.mailbox_id,
        new Date(Math.max(Date.now(), r.purge_after.getTime())),
      );
    return { receiptsAdded: added.rowCount ?? 0, queued: rows.length };
  });
}
