// "Disconnect deletes" for an IMAP mailbox (real Dovecot, real PostgreSQL): there is no push channel or
// grant at the provider (the receipt says not_applicable), the IDLE/sync side stops at once, and the
// purge leaves no row of the mailbox in any table that has a mailbox_id column.
import { describe, expect, it } from 'vitest';

import { purgeMailbox } from '../../src/mailboxes/purge.js';
import { sweepPurges } from '../../src/mailboxes/purge-sweep.js';
import { syncMailbox } from '../../src/sync/sync-mailbox.js';
import { connectBody, customerMessage, newImapUser } from '../helpers/imap-mailbox.js';
import { imapTestbed } from '../helpers/imap-testbed.js';
import { bearer } from '../helpers/tenants.js';

const bed = await imapTestbed({ MAILBOX_PURGE_DELAY_HOURS: '0' });
const { dovecot } = bed;

const owner = async <T extends object>(sql: string, params: unknown[] = []) =>
  (await bed.t.database.db.tx((ex) => ex.query<T>(sql, params))).rows;

async function leftovers(mailboxId: string): Promise<Record<string, number>> {
  const tables = await owner<{ table: string }>(
    `SELECT c.relname AS table FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND a.attname = 'mailbox_id' AND NOT a.attisdropped AND c.relname <> 'deletion_receipts'`,
  );
  const out: Record<string, number> = {};
  for (const { table } of tables) {
    const [row] = await owner<{ n: number }>(
      `SELECT count(*)::int AS n FROM "${table}" WHERE mailbox_id = $1`,
      [mailboxId],
    );
    if (row!.n > 0) out[table] = row!.n;
  }
  return out;
}

describe.skipIf(!dovecot)(`disconnecting an IMAP mailbox${bed.skipReason}`, () => {
  it('records not_applicable for push and grant, stops sync at once and purges every row', async () => {
    const u = await newImapUser(dovecot!);
    for (let i = 0; i < 4; i++)
      await dovecot!.append(u.user, 'INBOX', customerMessage('purge').raw);
    const created = await bed.t.app.inject({
      method: 'POST',
      url: '/v1/mailboxes',
      headers: bearer(bed.tenant.token),
      payload: connectBody(dovecot!, bed.sink, u),
    });
    const id = created.json().id as string;
    expect(await syncMailbox(bed.t.container, bed.tenant.id, id)).toMatchObject({
      status: 'synced',
      stored: 4,
    });
    expect((await leftovers(id)).messages).toBe(4);

    const res = await bed.t.app.inject({
      method: 'DELETE',
      url: `/v1/mailboxes/${id}`,
      headers: bearer(bed.tenant.token),
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().deletion).toMatchObject({
      push_stop: 'not_applicable',
      grant_revoke: 'not_applicable',
      key_destroyed_at: expect.any(String),
    });
    // MAILBOX_PURGE_DELAY_HOURS=0: due at once.
    expect(new Date(res.json().deletion.purge_after).getTime()).toBeLessThanOrEqual(Date.now());
    // New mail is not picked up any more.
    await dovecot!.append(u.user, 'INBOX', customerMessage('late').raw);
    expect(await syncMailbox(bed.t.container, bed.tenant.id, id)).toMatchObject({
      status: 'skipped',
      stored: 0,
    });

    expect(
      await purgeMailbox(bed.t.container.disconnectDeps, {
        tenantId: bed.tenant.id,
        mailboxId: id,
      }),
    ).toBe('completed');
    expect(await leftovers(id)).toEqual({});
    const [receipt] = await owner<{
      rows_purged: Record<string, number>;
      completed_at: Date | null;
    }>('SELECT rows_purged, completed_at FROM deletion_receipts WHERE mailbox_id = $1', [id]);
    expect(receipt).toMatchObject({
      rows_purged: { messages: 4, tickets: 4, data_keys: 1 },
      completed_at: expect.any(Date),
    });
    const list = (
      await bed.t.app.inject({
        method: 'GET',
        url: '/v1/mailboxes',
        headers: bearer(bed.tenant.token),
      })
    ).json().items;
    expect(list).toContainEqual(
      expect.objectContaining({
        id,
        status: 'disconnected',
        address: null,
        deletion: expect.objectContaining({ completed_at: expect.any(String) }),
      }),
    );
  });

  it('the sweep re-queues a purge whose job failed for good, and takes in a mailbox disconnected before receipts existed', async () => {
    const connectSynced = async () => {
      const u = await newImapUser(dovecot!);
      for (let i = 0; i < 2; i++)
        await dovecot!.append(u.user, 'INBOX', customerMessage('sweep').raw);
      const id = (
        await bed.t.app.inject({
          method: 'POST',
          url: '/v1/mailboxes',
          headers: bearer(bed.tenant.token),
          payload: connectBody(dovecot!, bed.sink, u),
        })
      ).json().id as string;
      expect(await syncMailbox(bed.t.container, bed.tenant.id, id)).toMatchObject({ stored: 2 });
      return id;
    };
    const failed = await connectSynced();
    expect(
      (
        await bed.t.app.inject({
          method: 'DELETE',
          url: `/v1/mailboxes/${failed}`,
          headers: bearer(bed.tenant.token),
        })
      ).statusCode,
    ).toBe(200);
    await owner(
      `UPDATE graphile_worker._private_jobs SET attempts = max_attempts WHERE key = 'purge:' || $1`,
      [failed],
    );
    // What a disconnect did before migration 0010: key destroyed, status set, no receipt, no job.
    const old = await connectSynced();
    await owner(`UPDATE data_keys SET wrapped = NULL, destroyed_at = now() WHERE mailbox_id = $1`, [
      old,
    ]);
    await owner(`UPDATE mailboxes SET status = 'disconnected' WHERE id = $1`, [old]);

    expect(await sweepPurges(bed.t.database.db)).toEqual({ receiptsAdded: 1, queued: 2 });
    expect(
      await owner(
        'SELECT 1 FROM mailboxes WHERE id = $1 AND (address_bidx IS NOT NULL OR credentials_ct IS NOT NULL)',
        [old],
      ),
    ).toHaveLength(0);
    const jobs = await owner<{ key: string; attempts: number }>(
      `SELECT key, attempts FROM graphile_worker.jobs WHERE key = ANY($1::text[]) ORDER BY key`,
      [[`purge:${failed}`, `purge:${old}`]],
    );
    expect(jobs).toHaveLength(2);
    expect(jobs.every((j) => j.attempts === 0)).toBe(true);

    for (const id of [failed, old]) {
      expect(
        await purgeMailbox(bed.t.container.disconnectDeps, {
          tenantId: bed.tenant.id,
          mailboxId: id,
        }),
      ).toBe('completed');
      expect(await leftovers(id)).toEqual({});
    }
    const [receipt] = await owner<{
      requested_by: string;
      grant_revoke: string;
      rows_purged: Record<string, number>;
    }>(
      'SELECT requested_by, grant_revoke, rows_purged FROM deletion_receipts WHERE mailbox_id = $1',
      [old],
    );
    expect(receipt).toMatchObject({
      requested_by: 'system:purge-sweep',
      grant_revoke: 'not_applicable',
      rows_purged: { messages: 2 },
    });
    // Finished deletions need nothing more.
    expect(await sweepPurges(bed.t.database.db)).toEqual({ receiptsAdded: 0, queued: 0 });
  });
});
