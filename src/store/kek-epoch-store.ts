// SQL for kek_epochs (operator data, owner role only): when each key-encryption key became active,
// retired and must be / was destroyed.
import type { Executor } from './db.js';

export interface KekEpochRow {
  kek_id: string;
  provider: 'keyring' | 'vault';
  activated_at: Date;
  retired_at: Date | null;
  destroy_after: Date | null;
  destroyed_at: Date | null;
}

const columns = 'kek_id, provider, activated_at, retired_at, destroy_after, destroyed_at';

export async function registerKeks(
  ex: Executor,
  provider: string,
  kekIds: readonly string[],
  now: Date,
): Promise<void> {
  await ex.query(
    `INSERT INTO kek_epochs (kek_id, provider, activated_at) SELECT k, $1, $3 FROM unnest($2::text[]) AS k ON CONFLICT (kek_id) DO NOTHING`,
    [provider, kekIds, now],
  );
}

export async function listEpochs(ex: Executor): Promise<KekEpochRow[]> {
  const { rows } = await ex.query<KekEpochRow>(
    `SELECT ${columns} FROM kek_epochs ORDER BY activated_at, kek_id`,
  );
  return rows;
}

/** Marks `kekId` retired when no live data key is wrapped by it any more. Returns true if it did. */
export async function retireIfUnused(
  ex: Executor,
  kekId: string,
  now: Date,
  retentionMs: number,
): Promise<boolean> {
  const { rowCount } = await ex.query(
    `UPDATE kek_epochs SET retired_at = $2, destroy_after = $2::timestamptz + make_interval(secs => $3::double precision / 1000)
      WHERE kek_id = $1 AND retired_at IS NULL
        AND NOT EXISTS (SELECT 1 FROM data_keys WHERE kek_id = $1 AND wrapped IS NOT NULL)`,
    [kekId, now, retentionMs],
  );
  return (rowCount ?? 0) > 0;
}

export async function markDestroyed(ex: Executor, kekId: string, now: Date): Promise<void> {
  await ex.query(
    'UPDATE kek_epochs SET destroyed_at = coalesce(destroyed_at, $2) WHERE kek_id = $1',
    [kekId, now],
  );
}
