// The original .eml kept as separately sealed chunks (migration 0009, src/store/raw-store.ts): stored
// and served byte for byte, refused when chunks are missing, extra, swapped or recounted, isolated
// per tenant, deleted with the message, and pre-0009 originals in messages.raw_ct still served.
import { createHash, randomBytes, randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { seal } from '../../../src/crypto/index.js';
import { legacyRawAad, rawChunkBytes } from '../../../src/store/raw-store.js';
import { systemActor } from '../../../src/tenancy/actor.js';
import { type IngestFixture, makeIngestFixture } from '../../helpers/ingest.js';
import { mail } from '../../helpers/mail.js';
import { bearer, createTenant } from '../../helpers/tenants.js';

let f: IngestFixture;

beforeAll(async () => {
  f = await makeIngestFixture();
});
afterAll(async () => {
  await f?.t.close();
});

/** Owner-role SQL (bypasses RLS through the service_owner policy), as an attacker with the database would. */
const sql = <T = Record<string, unknown>>(text: string, values: unknown[] = []) =>
  f.t.database.db.tx(async (c) => (await c.query(text, values)).rows as T[]);

/** A message whose original spans `chunks` chunks (the last one partly filled). */
function sizedMail(chunks: number): Buffer {
  const target = Math.floor((chunks - 0.5) * rawChunkBytes);
  const attachment = randomBytes(Math.floor((target * 3) / 4) - 2000);
  const raw = mail({
    subject: `sized ${chunks}`,
    text: 'see attached',
    attachments: [
      { filename: 'blob.bin', contentType: 'application/octet-stream', content: attachment },
    ],
  });
  expect(Math.max(1, Math.ceil(raw.length / rawChunkBytes))).toBe(chunks);
  return raw;
}

async function store(raw: Buffer): Promise<string> {
  const o = await f.ingest(raw);
  if (o.status !== 'stored') throw new Error(`not stored: ${o.status}`);
  // No clamd here: give the attachment the clean verdict a scanner would, so the original may be
  // served (raw-quarantine.test.ts covers the rule itself).
  await sql(`UPDATE attachments SET scan_status = 'clean' WHERE message_id = $1`, [o.messageId]);
  return o.messageId;
}

const download = (messageId: string, token = f.tenant.token) =>
  f.t.app.inject({ method: 'GET', url: `/v1/messages/${messageId}/raw`, headers: bearer(token) });
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const chunkRows = (messageId: string) =>
  sql<{ seq: number; chunk_ct: Buffer }>(
    'SELECT seq, chunk_ct FROM message_raw_chunks WHERE message_id = $1 ORDER BY seq',
    [messageId],
  );
const readAudits = async (messageId: string) =>
  (
    await sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit_log WHERE action = 'message.read_raw' AND resource_id = $1`,
      [messageId],
    )
  )[0]!.n;

async function expectRefused(messageId: string): Promise<void> {
  const res = await download(messageId);
  expect(res.statusCode).toBe(500);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.json()).toMatchObject({ code: 'decryption_failed' });
  expect(res.body).not.toContain('see attached');
  // Nothing was served, so nothing is recorded as read.
  expect(await readAudits(messageId)).toBe(0);
}

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

  test('swapping the first two chunks is refused before anything is sent', async () => {
    const id = await store(sizedMail(3));
    const [c0, c1] = await chunkRows(id);
    await sql('UPDATE message_raw_chunks SET chunk_ct = $2 WHERE message_id = $1 AND seq = 0', [
      id,
      c1!.chunk_ct,
    ]);
    await sql('UPDATE message_raw_chunks SET chunk_ct = $2 WHERE message_id = $1 AND seq = 1', [
      id,
      c0!.chunk_ct,
    ]);
    await expectRefused(id);
  });

  test('swapping two later chunks never serves them: the stream ends short of its declared length', async () => {
    const raw = sizedMail(3);
    const id = await store(raw);
    const [, c1, c2] = await chunkRows(id);
    await sql('UPDATE message_raw_chunks SET chunk_ct = $2 WHERE message_id = $1 AND seq = 1', [
      id,
      c2!.chunk_ct,
    ]);
    await sql('UPDATE message_raw_chunks SET chunk_ct = $2 WHERE message_id = $1 AND seq = 2', [
      id,
      c1!.chunk_ct,
    ]);
    // The service refuses the swapped chunk itself (a clear CryptoError), after the intact first one.
    const got = await f.t.container.tickets.rawMessage(systemActor(f.tenant.id, 'test'), id);
    const seen: Buffer[] = [];
    await expect(
      (async () => {
        for await (const chunk of got.chunks) seen.push(chunk);
      })(),
    ).rejects.toMatchObject({ code: 'decryption_failed' });
    expect(Buffer.concat(seen).equals(raw.subarray(0, rawChunkBytes))).toBe(true);
    // Over HTTP the response cannot turn into an error once it has started: the connection is cut
    // short of the declared Content-Length, so no client takes it for the complete original.
    await expect(download(id)).rejects.toThrow(/destroyed before completion/);
  });

  test('a missing chunk is refused', async () => {
    const id = await store(sizedMail(3));
    await sql('DELETE FROM message_raw_chunks WHERE message_id = $1 AND seq = 1', [id]);
    await expectRefused(id);
  });

  test('an extra chunk is refused', async () => {
    const id = await store(sizedMail(2));
    const [c0] = await chunkRows(id);
    await sql(
      'INSERT INTO message_raw_chunks (tenant_id, message_id, seq, chunk_ct) VALUES ($1, $2, 2, $3)',
      [f.tenant.id, id, c0!.chunk_ct],
    );
    await expectRefused(id);
  });

  test('a changed chunk count is refused, also when the rows are trimmed to match it', async () => {
    const a = await store(sizedMail(3));
    await sql('UPDATE messages SET raw_chunks = 2 WHERE id = $1', [a]);
    await expectRefused(a);
    const b = await store(sizedMail(3));
    // Truncation made consistent with the row: the count and size bound in every chunk still differ.
    const [c0, c1] = await chunkRows(b);
    await sql('DELETE FROM message_raw_chunks WHERE message_id = $1 AND seq = 2', [b]);
    await sql('UPDATE messages SET raw_chunks = 2, raw_size = $2 WHERE id = $1', [
      b,
      c0!.chunk_ct.length + c1!.chunk_ct.length - 2 * 46,
    ]);
    await expectRefused(b);
  });

  test("a small message's chunk edited, deleted, or taken from another message is refused", async () => {
    const edited = await store(mail({ text: 'see attached' }));
    // Every bit of one ciphertext byte flipped (writing a fixed byte left it unchanged 1 time in 256).
    await sql(
      `UPDATE message_raw_chunks SET chunk_ct = set_byte(chunk_ct, 39, get_byte(chunk_ct, 39) # 255) WHERE message_id = $1`,
      [edited],
    );
    await expectRefused(edited);

    const deleted = await store(mail({ text: 'see attached' }));
    await sql('DELETE FROM message_raw_chunks WHERE message_id = $1', [deleted]);
    await expectRefused(deleted);

    // Same size, so only the additional data (message id) tells them apart.
    const body = 'see attached ' + 'x'.repeat(100);
    const mid = randomUUID();
    const a = await store(
      mail({
        text: body,
        messageId: `a${mid}@client.example`,
        date: 'Mon, 1 Jan 2024 00:00:00 +0000',
      }),
    );
    const b = await store(
      mail({
        text: body,
        messageId: `b${mid}@client.example`,
        date: 'Mon, 1 Jan 2024 00:00:00 +0000',
      }),
    );
    const [ca] = await chunkRows(a);
    const [cb] = await chunkRows(b);
    expect(ca!.chunk_ct.length).toBe(cb!.chunk_ct.length);
    await sql('UPDATE message_raw_chunks SET chunk_ct = $2 WHERE message_id = $1 AND seq = 0', [
      b,
      ca!.chunk_ct,
    ]);
    await expectRefused(b);
  });

  test("another tenant can neither read nor write a tenant's chunks", async () => {
    const id = await store(mail({ text: 'see attached' }));
    const other = await createTenant(f.t, 'Other');
    expect((await download(id, other.token)).statusCode).toBe(404);
    const seen = await f.t.database.db.tenantTx(
      other.id,
      async (ex) => (await ex.query('SELECT count(*)::int AS n FROM message_raw_chunks')).rows[0].n,
    );
    expect(seen).toBe(0);
    const own = await f.t.database.db.tenantTx(
      f.tenant.id,
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
      f.t.database.db.tenantTx(other.id, (ex) =>
        ex.query(
          'INSERT INTO message_raw_chunks (tenant_id, message_id, seq, chunk_ct) VALUES ($1, $2, 5, $3)',
          [f.tenant.id, id, Buffer.alloc(60)],
        ),
      ),
    ).rejects.toThrow(/row-level security/);
    await expect(
      f.t.database.db.tenantTx(other.id, (ex) =>
        ex.query('UPDATE message_raw_chunks SET chunk_ct = $1', [Buffer.alloc(60)]),
      ),
    ).rejects.toThrow(/permission denied/);
  });

  test('deleting a message, or its whole mailbox, removes its chunks', async () => {
    const one = await store(sizedMail(2));
    expect(await chunkRows(one)).toHaveLength(2);
    await sql('DELETE FROM messages WHERE id = $1', [one]);
    expect(await chunkRows(one)).toHaveLength(0);

    const mailbox = await f.addMailbox(`purge-${randomUUID().slice(0, 8)}@acme.example`);
    const o = await f.ingest(sizedMail(2), { mailboxId: mailbox });
    if (o.status !== 'stored') throw new Error('not stored');
    expect(await chunkRows(o.messageId)).toHaveLength(2);
    await sql('DELETE FROM mailboxes WHERE id = $1', [mailbox]);
    expect(await chunkRows(o.messageId)).toHaveLength(0);
  });

  test('an original stored before chunking (messages.raw_ct) still downloads byte-identical', async () => {
    const raw = mail({ subject: 'from before 0009', text: 'see attached' });
    const id = await store(raw);
    // Rewrite the row as the pre-0009 code wrote it: the whole original sealed in raw_ct, no chunks.
    await f.t.database.db.tenantTx(f.tenant.id, async (ex) => {
      const dek = await f.t.container.keys.mailboxKey(ex, f.tenant.id, f.mailbox);
      await ex.query('DELETE FROM message_raw_chunks WHERE message_id = $1', [id]);
      await ex.query(
        'UPDATE messages SET raw_size = NULL, raw_chunks = NULL, raw_ct = $2 WHERE id = $1',
        [id, seal(dek, raw, legacyRawAad(f.tenant.id, f.mailbox, id))],
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
