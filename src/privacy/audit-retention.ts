// The nightly `audit.expire-credential-opens` job: deletes 'credentials.open' audit records older
// than AUDIT_CREDENTIALS_RETENTION_DAYS. They are machine records (one before every decrypt of a
// mailbox's credentials: syncs, sends, upkeep, about 480 a day per mailbox) and were the only part
// of the audit log that grows with time alone. The service role has no DELETE on audit_log; it calls
// inlet_expire_credential_opens (migration 0026), which deletes only that action, only past the
// window and never younger than 90 days. Every other audit record stays for ever.
import { parseCronItems, type ParsedCronItem } from 'graphile-worker';

import type { Logger } from '../lib/logger.js';
import type { Db } from '../store/db.js';

/** Rows per call: each call is its own transaction, short enough not to hold back vacuum or replicas. */
export const credentialOpensBatch = 5000;

/**
 * Deletes the expired records in batches, oldest first; returns how many went. A shutdown (`signal`)
 * stops it between batches: what is left goes the next night.
 */
export async function expireCredentialOpens(
  db: Db,
  keepDays: number,
  opts: { log?: Pick<Logger, 'info'>; signal?: AbortSignal } = {},
): Promise<number> {
  let total = 0;
  let interrupted = false;
  for (;;) {
    if (opts.signal?.aborted) {
      interrupted = true;
      break;
    }
    const { rows } = await db.tx((ex) =>
      ex.query<{ n: number }>('SELECT inlet_expire_credential_opens($1, $2) AS n', [
        keepDays,
        credentialOpensBatch,
      ]),
    );
    const n = rows[0]!.n;
    total += n;
    if (n < credentialOpensBatch) break;
  }
  // Counts only: which mailboxes or tenants lost records is not worth a log line.
  opts.log?.info(
    { deleted: total, keepDays, ...(interrupted ? { interrupted } : {}) },
    'expired credentials.open audit records',
  );
  return total;
}

export function auditRetentionCronItems(): ParsedCronItem[] {
  return parseCronItems([
    {
      task: 'audit.expire-credential-opens',
      match: '53 3 * * *',
      identifier: 'audit-expire-credential-opens',
      options: {
        backfillPeriod: 0,
        maxAttempts: 3,
        jobKey: 'audit-expire-credential-opens',
        jobKeyMode: 'replace',
      },
    },
  ]);
}
