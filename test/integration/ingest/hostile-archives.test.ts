// security.md items 21 (archive bombs) and 25 (password-protected archive) end to end through a
// real clamd with the shipped switches (AlertExceedsMax, AlertEncrypted): none of them may come
// out `clean` or downloadable, the mail text is still ingested, and clamd answers rather than
// grinding (the scanner's deadline would make them `pending`, which this also rejects).
// Archives are built at test time (test/helpers/hostile-zip.ts); no bomb is committed.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { zip } from '../../../src/lib/zip.js';
import { type ClamdHandle, startClamd } from '../../helpers/clamd.js';
import {
  encryptedZip,
  inflatingZip,
  nestedZip,
  overlappingZip,
  traversingTar,
} from '../../helpers/hostile-zip.js';
import { type IngestFixture, makeIngestFixture } from '../../helpers/ingest.js';
import { mail } from '../../helpers/mail.js';

let clamd: ClamdHandle | null;
let f: IngestFixture;

beforeAll(async () => {
  clamd = await startClamd();
  if (clamd)
    f = await makeIngestFixture({ CLAMD_PORT: String(clamd.port), CLAMD_TIMEOUT_MS: '60000' });
});
afterAll(async () => {
  await f?.t.close();
  await clamd?.dispose();
});

type Attachment = {
  id: string;
  filename: string;
  scan_status: string;
  download_url: string | null;
};

async function ingestZips(files: Record<string, Buffer>, text: string) {
  const o = await f.ingest(
    mail({
      text,
      attachments: Object.entries(files).map(([filename, content]) => ({
        filename,
        contentType: 'application/zip',
        content,
      })),
    }),
  );
  expect(o).toMatchObject({ status: 'stored' });
  const t = await f.api<{ messages: { text: string; attachments: Attachment[] }[] }>(
    'GET',
    `/v1/tickets/${(o as { ticketId: string }).ticketId}`,
  );
  const byName = new Map(t.body.messages[0]!.attachments.map((a) => [a.filename, a]));
  return { text: t.body.messages[0]!.text, byName };
}

async function detailOf(id: string): Promise<string> {
  const { rows } = await f.t.database.db.tx((c) =>
    c.query<{ scan_detail: string }>('SELECT scan_detail FROM attachments WHERE id = $1', [id]),
  );
  return rows[0]!.scan_detail;
}

async function expectBlocked(a: Attachment | undefined, status: string): Promise<void> {
  expect(a).toMatchObject({ scan_status: status, download_url: null });
  const res = await f.api<{ code: string }>('GET', `/v1/attachments/${a!.id}/content`);
  expect(res.status).toBe(403);
  expect(res.body.code).toBe('attachment_not_clean');
}

describe('hostile archives through clamd', () => {
  test('a password-protected zip is refused; the body with the password is still ingested', async (ctx) => {
    if (!clamd) return ctx.skip();
    const { text, byName } = await ingestZips(
      { 'invoice.zip': encryptedZip('Summer2026') },
      'Invoice attached, the password is Summer2026',
    );
    expect(text).toContain('the password is Summer2026');
    await expectBlocked(byName.get('invoice.zip'), 'infected');
    expect(await detailOf(byName.get('invoice.zip')!.id)).toMatch(/^Heuristics\.Encrypted\.Zip/);
  });

  test('zip bombs are never clean: nested, inflating past the entry limit, overlapping entries', async (ctx) => {
    if (!clamd) return ctx.skip();
    const { byName } = await ingestZips(
      {
        'nested.zip': nestedZip(),
        'inflating.zip': inflatingZip(),
        'overlapping.zip': overlappingZip(20, 1),
        'overlap-bomb.zip': overlappingZip(),
        'fine.zip': zip([{ name: 'notes.txt', data: Buffer.from('Printer on floor 3 jams.\n') }]),
      },
      'see attached',
    );
    expect(byName.get('fine.zip')).toMatchObject({ scan_status: 'clean' });
    const nested = byName.get('nested.zip');
    expect(nested?.scan_status).not.toBe('clean');
    await expectBlocked(nested, nested!.scan_status);
    expect(await detailOf(nested!.id)).toMatch(/Heuristics\.Limits\.Exceeded|size_limit/);
    // clamd alone answered OK for these two (ClamAV 1.4); archive-limits.ts refuses them.
    await expectBlocked(byName.get('inflating.zip'), 'scan_failed');
    expect(await detailOf(byName.get('inflating.zip')!.id)).toBe('archive_limit:entry_size');
    await expectBlocked(byName.get('overlapping.zip'), 'scan_failed');
    expect(await detailOf(byName.get('overlapping.zip')!.id)).toBe('archive_limit:overlap');
    // The full-size bomb claims 4 GB from 54 KB: refused on what it claims before any overlap.
    await expectBlocked(byName.get('overlap-bomb.zip'), 'scan_failed');
    expect(await detailOf(byName.get('overlap-bomb.zip')!.id)).toBe('archive_limit:total_size');
  });

  test('a tar with a ../ member is stored and scanned as one opaque file, never unpacked', async (ctx) => {
    if (!clamd) return ctx.skip();
    const tar = traversingTar();
    const { byName } = await ingestZips({ '../../backup.tar': tar }, 'logs attached');
    const [a] = [...byName.values()];
    // The name is display data (no path); the bytes come back exactly as sent, one attachment.
    expect(byName.size).toBe(1);
    expect(a!.filename).not.toMatch(/[/\\]/);
    expect(a).toMatchObject({ scan_status: 'clean' });
    const res = await f.api('GET', a!.download_url!);
    expect(res.raw.equals(tar)).toBe(true);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });
});
