// Ingest against a disconnect: no message may be stored once the mailbox is being disconnected,
// also not by a page that started before and waited on the disconnect's lock (the purge would
// otherwise have to find rows written after its key was already gone).
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { type IngestFixture, makeIngestFixture } from '../../helpers/ingest.js';
import { mail } from '../../helpers/mail.js';

let f: IngestFixture;
beforeAll(async () => {
  f = await makeIngestFixture();
});
afterAll(async () => {
  await f?.t.close();
});

const stored = async (mailboxId: string) =>
  (
    await f.t.database.db.tx((c) =>
      c.query<{ n: number }>('SELECT count(*)::int AS n FROM messages WHERE mailbox_id = $1', [
        mailboxId,
      ]),
    )
  ).rows[0]!.n;

describe('ingest against a disconnect', () => {
  test('a page for a mailbox being disconnected stores nothing', async () => {
    const mailbox = await f.addMailbox('leaving@acme.example');
    expect(await f.ingest(mail({ subject: 'before' }), { mailboxId: mailbox })).toMatchObject({
      status: 'stored',
    });
    await f.t.database.db.tx((c) =>
      c.query(`UPDATE mailboxes SET status = 'disconnecting' WHERE id = $1`, [mailbox]),
    );
    await expect(
      f.ingest(mail({ subject: 'after' }), { mailboxId: mailbox }),
    ).rejects.toMatchObject({ code: 'mailbox_data_destroyed' });
    expect(await stored(mailbox)).toBe(1);
  });

  test("a page that waits on the disconnect's row lock sees the new status and stores nothing", async () => {
    const mailbox = await f.addMailbox('racing@acme.example');
    // The disconnect holds the mailbox row while it changes it, as its shred step does.
    const shred = new pg.Client({ connectionString: f.t.database.url });
    await shred.connect();
    try {
      await shred.query('BEGIN');
      await shred.query('SELECT 1 FROM mailboxes WHERE id = $1 FOR UPDATE', [mailbox]);
      const ingest = f.ingest(mail({ subject: 'in flight' }), { mailboxId: mailbox }).then(
        () => 'stored',
        (err: { code?: string }) => err.code,
      );
      // The page has parsed and is now blocked on the row; give it time to get there.
      const waiting = await Promise.race([
        ingest,
        new Promise((r) => setTimeout(() => r('waiting'), 500)),
      ]);
      expect(waiting).toBe('waiting');
      await shred.query(`UPDATE mailboxes SET status = 'disconnecting' WHERE id = $1`, [mailbox]);
      await shred.query('COMMIT');
      expect(await ingest).toBe('mailbox_data_destroyed');
    } finally {
      await shred.end();
    }
    expect(await stored(mailbox)).toBe(0);
  });
});
