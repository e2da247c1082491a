// The rebuild of derived views takes the locks ingest takes (src/ingest/reparse.ts): a mailbox
// being disconnected is not read (nor one of another tenant), a disconnect holding the mailbox row
// makes a batch wait, and ingest never waits for a batch.
import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { DERIVE_VERSION } from '../../../src/ingest/derive-version.js';
import { prepareMessage } from '../../../src/ingest/prepare.js';
import { emptyCounts, reparseBatch } from '../../../src/ingest/reparse.js';
import type { IngestLimits } from '../../../src/ingest/types.js';
import { systemActor } from '../../../src/tenancy/actor.js';
import { mail } from '../../helpers/mail.js';
import { reparseBed } from '../../helpers/reparse-bed.js';
import { createTenant } from '../../helpers/tenants.js';

const bed = reparseBed();
const { owner, store, markOld, reparseAll, sealedColumns } = bed;
beforeAll(() => bed.start());
afterAll(() => bed.close());

describe('locks', () => {
  test('a mailbox being disconnected, and a mailbox of another tenant, are not read', async () => {
    const mailbox = await bed.f.addMailbox('leaving@acme.example');
    await store(mail({ subject: 'Before the disconnect' }), mailbox);
    await markOld(mailbox);
    const other = await createTenant(bed.f.t, 'Globex');
    const foreign = await reparseAll(mailbox, other.id);
    expect(foreign).toEqual({ counts: emptyCounts(), mailboxGone: true });

    await owner(`UPDATE mailboxes SET status = 'disconnecting' WHERE id = $1`, [mailbox]);
    expect(await reparseAll(mailbox)).toEqual({ counts: emptyCounts(), mailboxGone: true });
    const rows = await sealedColumns(mailbox);
    expect(rows.map((r) => r.derive_version)).toEqual([DERIVE_VERSION - 1]);
    const audits = await owner<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit_log WHERE action = 'message.reparse' AND resource_id = $1`,
      [mailbox],
    );
    expect(audits[0]!.n).toBe(0);
  });
  test('a disconnect that holds the mailbox row makes a rebuild wait, and once it commits the rebuild reads nothing', async () => {
    const mailbox = await bed.f.addMailbox('racing@acme.example');
    await store(mail({ subject: 'Racing the disconnect' }), mailbox);
    await markOld(mailbox);
    const client = await bed.f.t.database.owner.pool.connect();
    try {
      // What the disconnect's first step does: the row locked for update, the status changed.
      await client.query('BEGIN');
      await client.query('SELECT 1 FROM mailboxes WHERE id = $1 FOR UPDATE', [mailbox]);
      await client.query(`UPDATE mailboxes SET status = 'disconnecting' WHERE id = $1`, [mailbox]);
      let settled = false;
      const run = reparseAll(mailbox).finally(() => (settled = true));
      await new Promise((r) => setTimeout(r, 500));
      expect(settled).toBe(false);
      await client.query('COMMIT');
      expect(await run).toEqual({ counts: emptyCounts(), mailboxGone: true });
    } finally {
      client.release();
    }
    expect((await sealedColumns(mailbox)).map((r) => r.derive_version)).toEqual([
      DERIVE_VERSION - 1,
    ]);
  });
  test('ingest never waits for a batch: the same mail delivered again while its row is being rebuilt is recorded as a duplicate at once', async () => {
    const mailbox = await bed.f.addMailbox('busy@acme.example');
    const raw = mail({ subject: 'Delivered twice', messageId: `${randomUUID()}@client.example` });
    const first = await store(raw, mailbox);
    await markOld(mailbox);
    // The batch is held inside its transaction, its rows locked, while it derives the original.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    const deps = {
      ...bed.f.t.container.reparseDeps,
      isolation: {
        aboveBytes: 0,
        prepare: {
          prepare: async (bytes: Buffer, limits: IngestLimits) => {
            entered();
            await gate;
            return prepareMessage(bytes, limits);
          },
          close: async () => undefined,
        },
      },
    };
    const batch = reparseBatch(deps, systemActor(bed.f.tenant.id, 'test'), mailbox);
    await inside;
    try {
      const again = await bed.f.ingest(raw, { mailboxId: mailbox });
      expect(again).toEqual({ status: 'duplicate', messageId: first.messageId });
    } finally {
      release();
    }
    expect((await batch).counts).toMatchObject({ unchanged: 1 });
  });
});
