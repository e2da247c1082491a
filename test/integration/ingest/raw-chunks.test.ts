// The original .eml kept as separately sealed chunks (migration 0009, src/store/raw-store.ts): stored
// and served byte for byte, isolated per tenant, deleted with the message, and pre-0009 originals in
// messages.raw_ct still served. Tampered chunks: raw-chunks-tamper.test.ts.
import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { seal } from '../../../src/crypto/index.js';
import { legacyRawAad, rawChunkBytes } from '../../../src/store/raw-store.js';
import { mail } from '../../helpers/mail.js';
import { rawChunksBed } from '../../helpers/raw-chunks-bed.js';
import { createTenant } from '../../helpers/tenants.js';

const bed = rawChunksBed();
const { sql, sizedMail, store, download, sha, chunkRows, readAudits, expectRefused } = bed;

beforeAll(() => bed.start());
afterAll(() => bed.close());

describe('original messages in sealed chunks', () => {
  test('a message above one chunk is stored in chunks and downloads byte-identical, with its length and audit record', async () => {
    const raw = sizedMail(3);
    const id = await store(raw);
    const [row] = await sql<{ raw_ct: Buffer | null; raw_size: string; raw_chunks: number }>(
      'SELECT raw_ct, raw_size, raw_chunks FROM messages WHERE id = $1',
      [id],
    );
    expect(row).toMatchObject({ raw_ct: null, raw_size: String(raw.length), raw_chunks: 3 });
    const chunks = await chunkRows(id);
    expect(chunks.map((c) => c.seq)).toEqual([0, 1, 2]);
    // Sealed: no chunk carries the plaintext it stands for.
    expect(
      chunks.some((c) => c.chunk_ct.includes(raw.subarray(rawChunkBytes, rawChunkBytes + 64))),
    ).toBe(false);

    const res = await download(id);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^message\/rfc822/);
    expect(res.headers['content-disposition']).toBe(`attachment; filename="${id}.eml"`);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(Number(res.headers['content-length'])).toBe(raw.length);
    expect(sha(res.rawPayload)).toBe(sha(raw));
    expect(await readAudits(id)).toBe(1);
  });

  test('a small message is one chunk and downloads byte-identical', async () => {
    const raw = mail({ subject: 'small one', text: 'see attached' });
    const id = await store(raw);
    expect((await chunkRows(id)).map((c) => c.seq)).toEqual([0]);
    const res = await download(id);
    expect(res.statusCode).toBe(200);
    expect(res.rawPayload.equals(raw)).toBe(true);
  });

  test("another tenant can neither read nor write a tenant's chunks", async () => {
    const id = await store(mail({ text: 'see attached' }));
    const other = await createTenant(bed.f.t, 'Other');
    expect((await download(id, other.token)).statusCode).toBe(404);
    const seen = await bed.f.t.database.db.tenantTx(
      other.id,
      async (ex) => (await ex.query('SELECT count(*)::int AS n FROM message_raw_chunks')).rows[0].n,
    );
    expect(seen).toBe(0);
    const own = await bed.f.t.database.db.tenantTx(
      bed.f.tenant.id,
      async (ex) =>
        (
          await ex.query(
            'SELECT count(*)::int AS n FROM message_raw_chunks WHERE message_id = $1',
            [id],
          )
        ).rows[0].n,
    );
    expect(own).toBe(1);
    await expect(
      bed.f.t.database.db.tenantTx(other.id, (ex) =>
        ex.query(
          'INSERT INTO message_raw_chunks (tenant_id, message_id, seq, chunk_ct) VALUES ($1, $2, 5, $3)',
          [bed.f.tenant.id, id, Buffer.alloc(60)],
        ),
      ),
    ).rejects.toThrow(/row-level security/);
    await expect(
      bed.f.t.database.db.tenantTx(other.id, (ex) =>
        ex.query('UPDATE message_raw_chunks SET chunk_ct = $1', [Buffer.alloc(60)]),
      ),
    ).rejects.toThrow(/permission denied/);
  });

  test('deleting a message, or its whole mailbox, removes its chunks', async () => {
    const one = await store(sizedMail(2));
    expect(await chunkRows(one)).toHaveLength(2);
    await sql('DELETE FROM messages WHERE id = $1', [one]);
    expect(await chunkRows(one)).toHaveLength(0);

    const mailbox = await bed.f.addMailbox(`purge-${randomUUID().slice(0, 8)}@acme.example`);
    const o = await bed.f.ingest(sizedMail(2), { mailboxId: mailbox });
    if (o.status !== 'stored') throw new Error('not stored');
    expect(await chunkRows(o.messageId)).toHaveLength(2);
    await sql('DELETE FROM mailboxes WHERE id = $1', [mailbox]);
    expect(await chunkRows(o.messageId)).toHaveLength(0);
  });

  test('an original stored before chunking (messages.raw_ct) still downloads byte-identical', async () => {
    const raw = mail({ subject: 'from before 0009', text: 'see attached' });
    const id = await store(raw);
    // Rewrite the row as the pre-0009 code wrote it: the whole original sealed in raw_ct, no chunks.
    await bed.f.t.database.db.tenantTx(bed.f.tenant.id, async (ex) => {
      const dek = await bed.f.t.container.keys.mailboxKey(ex, bed.f.tenant.id, bed.f.mailbox);
      await ex.query('DELETE FROM message_raw_chunks WHERE message_id = $1', [id]);
      await ex.query(
        'UPDATE messages SET raw_size = NULL, raw_chunks = NULL, raw_ct = $2 WHERE id = $1',
        [id, seal(dek, raw, legacyRawAad(bed.f.tenant.id, bed.f.mailbox, id))],
      );
    });
    const res = await download(id);
    expect(res.statusCode).toBe(200);
    expect(Number(res.headers['content-length'])).toBe(raw.length);
    expect(res.rawPayload.equals(raw)).toBe(true);
    expect(await readAudits(id)).toBe(1);
    // Sealed for another message, it is refused.
    const other = await store(mail({ text: 'see attached' }));
    const [legacy] = await sql<{ raw_ct: Buffer }>('SELECT raw_ct FROM messages WHERE id = $1', [
      id,
    ]);
    await sql('DELETE FROM message_raw_chunks WHERE message_id = $1', [other]);
    await sql('UPDATE messages SET raw_size = NULL, raw_chunks = NULL, raw_ct = $2 WHERE id = $1', [
      other,
      legacy!.raw_ct,
    ]);
    await expectRefused(other);
  });
});
