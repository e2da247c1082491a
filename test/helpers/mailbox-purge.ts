// What the mailbox purge tests look at and start from: rows left naming a mailbox in any table, a
// tenant's row counts, the deletion receipt, and a connected Gmail mailbox with synced mail.
import { expect } from 'vitest';

import { syncMailbox } from '../../src/sync/sync-mailbox.js';
import type { GmailHarness } from './gmail.js';
import { mail } from './mail.js';

/** Rows naming the mailbox, per table, in every table of the schema with a mailbox_id column (the
 *  receipt excepted: it is the record that must outlive the purge), plus queued jobs for it. */
export async function mailboxLeftovers(
  h: GmailHarness,
  mailboxId: string,
): Promise<Record<string, number>> {
  const tables = await h.owner<{ table: string }>(
    `SELECT c.relname AS table FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND a.attname = 'mailbox_id' AND NOT a.attisdropped AND c.relname <> 'deletion_receipts'`,
  );
  expect(tables.map((t) => t.table)).toEqual(
    expect.arrayContaining([
      'messages',
      'tickets',
      'attachments',
      'outbox',
      'message_deliveries',
      'data_keys',
      'ingest_failures',
      'mailbox_leases',
    ]),
  );
  const out: Record<string, number> = {};
  for (const { table } of tables) {
    const [row] = await h.owner<{ n: number }>(
      `SELECT count(*)::int AS n FROM "${table}" WHERE mailbox_id = $1`,
      [mailboxId],
    );
    if (row!.n > 0) out[table] = row!.n;
  }
  const [jobs] = await h.owner<{ n: number }>(
    `SELECT count(*)::int AS n FROM graphile_worker._private_jobs j JOIN graphile_worker._private_tasks t ON t.id = j.task_id
       LEFT JOIN graphile_worker._private_job_queues q ON q.id = j.job_queue_id
      WHERE t.identifier <> 'mailbox.purge' AND (j.payload ->> 'mailboxId' = $1 OR q.queue_name IN ('mailbox:' || $1, 'send:' || $1))`,
    [mailboxId],
  );
  if (jobs!.n > 0) out.jobs = jobs!.n;
  return out;
}

/** Row counts of everything a tenant holds, to show another tenant's data is untouched. */
export const tenantRowCounts = async (h: GmailHarness, tenantId: string) =>
  (
    await h.owner<Record<string, number>>(
      `SELECT (SELECT count(*)::int FROM messages WHERE tenant_id = $1) AS messages, (SELECT count(*)::int FROM tickets WHERE tenant_id = $1) AS tickets,
          (SELECT count(*)::int FROM attachments WHERE tenant_id = $1) AS attachments, (SELECT count(*)::int FROM message_raw_chunks WHERE tenant_id = $1) AS chunks,
          (SELECT count(*)::int FROM data_keys WHERE tenant_id = $1 AND wrapped IS NOT NULL) AS live_keys`,
      [tenantId],
    )
  )[0]!;

/** A connected Gmail mailbox holding `n` synced messages, the first with an attachment. */
export async function syncedGmailMailbox(
  h: GmailHarness,
  email: string,
  n: number,
  tenant: { id: string; token: string },
): Promise<string> {
  const back = await h.connect(email, { token: tenant.token });
  const id = back.mailboxId!;
  for (let i = 0; i < n; i++) {
    const attachments =
      i === 0
        ? [
            {
              filename: 'invoice.pdf',
              contentType: 'application/pdf',
              content: Buffer.from(`%PDF-1.4 PURGEMARK ${i}`),
            },
          ]
        : undefined;
    h.fake.deliver(
      email,
      mail({
        to: email,
        subject: `Question ${i}`,
        text: `PURGEMARK body ${i}`,
        ...(attachments ? { attachments } : {}),
      }),
    );
  }
  await h.fake.settlePushes();
  for (let r = 0; r < 5; r++) {
    const res = await syncMailbox({ ...h.t.container, pageSize: 50 }, tenant.id, id);
    if (res.stored === 0) break;
  }
  return id;
}

/** The deletion receipt of a mailbox, the record that outlives its purge. */
export const deletionReceipt = async (h: GmailHarness, mailboxId: string) =>
  (
    await h.owner<{
      rows_purged: Record<string, number>;
      completed_at: Date | null;
      grant_revoke: string;
      push_stop: string;
    }>(
      'SELECT rows_purged, completed_at, grant_revoke, push_stop FROM deletion_receipts WHERE mailbox_id = $1',
      [mailboxId],
    )
  )[0];
