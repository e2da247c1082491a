// Sealed chunks of an original .eml (src/store/raw-store.ts) that were swapped, removed, added,
// recounted, edited or taken from another message are refused, and never served as the original.
import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { rawChunkBytes } from '../../../src/store/raw-store.js';
import { systemActor } from '../../../src/tenancy/actor.js';
import { mail } from '../../helpers/mail.js';
import { rawChunksBed } from '../../helpers/raw-chunks-bed.js';

const bed = rawChunksBed();
const { sql, sizedMail, store, download, chunkRows, expectRefused } = bed;

beforeAll(() => bed.start());
afterAll(() => bed.close());

describe('tampered sealed chunks', () => {
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
    const got = await bed.f.t.container.tickets.rawMessage(
      systemActor(bed.f.tenant.id, 'test'),
      id,
    );
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
      [bed.f.tenant.id, id, c0!.chunk_ct],
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
});
