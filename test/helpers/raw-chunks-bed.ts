// The bed of the sealed-chunk tests (raw-chunks*.test.ts): an ingest fixture without clamd, messages
// sized to a number of chunks, owner-role SQL to tamper with the rows, and the download they check.
import { createHash, randomBytes } from 'node:crypto';

import { expect } from 'vitest';

import { rawChunkBytes } from '../../src/store/raw-store.js';
import { type IngestFixture, makeIngestFixture } from './ingest.js';
import { mail } from './mail.js';
import { bearer } from './tenants.js';

export function rawChunksBed() {
  let f: IngestFixture;

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

  return {
    /** The ingest fixture; there once start has run (in a beforeAll). */
    get f() {
      return f;
    },
    async start() {
      f = await makeIngestFixture();
    },
    async close() {
      await f?.t.close();
    },
    sql,
    sizedMail,
    store,
    download,
    sha: (b: Buffer) => createHash('sha256').update(b).digest('hex'),
    chunkRows,
    readAudits,
    expectRefused,
  };
}
