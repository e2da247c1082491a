import type { Executor } from './db.js';

/** Counts one more failed attempt; returns the new attempt count. */
export async function recordFailure(
  ex: Executor,
  f: { tenantId: string; mailboxId: string; providerMessageId: string; errorCode: string },
): Promise<number> {
  const { rows } = await ex.query<{ attempts: number }>(
    `INSERT INTO ingest_failures (tenant_id, mailbox_id, provider_message_id, attempts, error_code) VALUES ($1, $2, $3, 1, $4)
     ON CONFLICT (tenant_id, mailbox_id, provider_message_id) DO UPDATE SET attempts = ingest_failures.attempts + 1, error_code = $4, last_failed_at = now()
     RETURNING attempts`,
    [f.tenantId, f.mailboxId, f.providerMessageId, f.errorCode],
  );
  return rows[0]!.attempts;
}

export async function parkMessage(
  ex: Executor,
  f: {
    tenantId: string;
    mailboxId: string;
    providerMessageId: string;
    errorCode: string;
    rawCt: Buffer | null;
  },
): Promise<void> {
  await ex.query(
    `INSERT INTO ingest_failures (tenant_id, mailbox_id, provider_message_id, attempts, error_code, parked_at, raw_ct) VALUES ($1, $2, $3, 1, $4, now(), $5)
     ON CONFLICT (tenant_id, mailbox_id, provider_message_id) DO UPDATE SET error_code = $4, parked_at = now(), raw_ct = $5, last_failed_at = now()`,
    [f.tenantId, f.mailboxId, f.providerMessageId, f.errorCode, f.rawCt],
  );
}
