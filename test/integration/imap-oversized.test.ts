// A message over INGEST_MAX_MESSAGE_BYTES, by the IMAP server's own RFC822.SIZE, is never
// downloaded: one huge mail cannot exhaust a worker's memory. It is recorded as parked (no raw
// copy; the original stays in the mailbox) and the mail around it is stored as usual.
import { describe, expect, it } from 'vitest';

import { syncMailbox } from '../../src/sync/sync-mailbox.js';
import { connectBody, customerMessage, newImapUser } from '../helpers/imap-mailbox.js';
import { imapTestbed } from '../helpers/imap-testbed.js';
import { bearer } from '../helpers/tenants.js';

const limit = 64 * 1024;
const bed = await imapTestbed({ INGEST_MAX_MESSAGE_BYTES: String(limit) });
const { dovecot } = bed;

describe.skipIf(!dovecot)(`IMAP message over the size limit${bed.skipReason}`, () => {
  it('is parked without being fetched, and the messages around it are stored', async () => {
    const u = await newImapUser(dovecot!);
    const before = customerMessage('small');
    const huge = customerMessage('huge');
    const hugeRaw = Buffer.concat([huge.raw, Buffer.from(`${'x'.repeat(998)}\r\n`.repeat(200))]);
    const after = customerMessage('small');
    for (const raw of [before.raw, hugeRaw, after.raw]) await dovecot!.append(u.user, 'INBOX', raw);
    const res = await bed.t.app.inject({
      method: 'POST',
      url: '/v1/mailboxes',
      headers: bearer(bed.tenant.token),
      payload: connectBody(dovecot!, bed.sink, u, { mark_seen: true }),
    });
    expect(res.statusCode).toBe(201);
    const id = res.json().id as string;

    expect(await syncMailbox(bed.t.container, bed.tenant.id, id)).toMatchObject({
      status: 'synced',
      stored: 2,
      parked: 1,
      duplicates: 0,
    });
    const rows = await bed.t.database.db.tx((ex) =>
      ex.query<{ error_code: string; has_raw: boolean; parked: boolean }>(
        'SELECT error_code, raw_ct IS NOT NULL AS has_raw, parked_at IS NOT NULL AS parked FROM ingest_failures WHERE mailbox_id = $1',
        [id],
      ),
    );
    expect(rows.rows).toEqual([{ error_code: 'message_too_large', has_raw: false, parked: true }]);
    const events = await bed.t.database.db.tx((ex) =>
      ex.query<{ type: string }>(
        `SELECT type FROM events WHERE tenant_id = $1 AND type = 'message.parked'`,
        [bed.tenant.id],
      ),
    );
    expect(events.rows).toHaveLength(1);

    // mark_seen flags what Inlet fetched: the two small ones, not the huge one.
    const listed = await dovecot!.list(u.user, 'INBOX');
    const seen = (raw: Buffer) =>
      listed
        .find((m) => m.raw.subarray(0, 200).equals(raw.subarray(0, 200)))!
        .flags.includes('\\Seen');
    expect([seen(before.raw), seen(hugeRaw), seen(after.raw)]).toEqual([true, false, true]);

    // The parked delivery is on record: the next sync neither fetches nor parks it again.
    expect(await syncMailbox(bed.t.container, bed.tenant.id, id)).toMatchObject({
      stored: 0,
      parked: 0,
      duplicates: 0,
    });
  });
});
