// attachments.sha256 was a plain SHA-256 of each file: a dump could confirm a known file was
// received, even after the mailbox key was destroyed. The stored fingerprint is now keyed per tenant.
import { createHash } from 'node:crypto';

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

describe('attachment digests', () => {
  test('no plain content hash is stored; identical bytes share one keyed digest within the tenant', async () => {
    const file = Buffer.from(`%PDF-1.4\nknown public file ${Date.now()}\n%%EOF\n`);
    const sha = createHash('sha256').update(file).digest('hex');
    for (const text of ['first', 'second'])
      await f.ingest(
        mail({
          text,
          attachments: [{ filename: 'known.pdf', contentType: 'application/pdf', content: file }],
        }),
      );
    const { rows } = await f.t.database.db.tx((c) =>
      c.query<{ row: string; digest: Buffer }>(
        'SELECT to_jsonb(a)::text AS row, content_digest AS digest FROM attachments a',
      ),
    );
    expect(rows.length).toBe(2);
    for (const r of rows) {
      expect(r.row).not.toContain(sha);
      expect(r.row).not.toContain(Buffer.from(sha, 'hex').toString('base64'));
      expect(r.digest.length).toBe(32);
      expect(r.digest.equals(Buffer.from(sha, 'hex'))).toBe(false);
    }
    expect(rows[0]!.digest.equals(rows[1]!.digest)).toBe(true);
  });
});
