import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { rescanMessageAttachments, ScanStillPendingError } from '../../../src/ingest/rescan.js';
import { type ClamdHandle, startClamd } from '../../helpers/clamd.js';
import { eicarBytes } from '../../helpers/eicar.js';
import { type IngestFixture, makeIngestFixture } from '../../helpers/ingest.js';
import { mail } from '../../helpers/mail.js';

let clamd: ClamdHandle | null;
let f: IngestFixture;

beforeAll(async () => {
  clamd = await startClamd();
  if (clamd)
    f = await makeIngestFixture({ CLAMD_PORT: String(clamd.port), CLAMD_TIMEOUT_MS: '10000' });
});
afterAll(async () => {
  await f?.t.close();
  await clamd?.dispose();
});

const pdf = Buffer.concat([
  Buffer.from('%PDF-1.4\n'),
  Buffer.alloc(2048, 0x41),
  Buffer.from('\n%%EOF\n'),
]);

type Attachment = {
  id: string;
  filename: string;
  scan_status: string;
  download_url: string | null;
  content_type: string;
};
async function attachmentsOf(ticketId: string): Promise<Attachment[]> {
  const t = await f.api<{ messages: { attachments: Attachment[] }[] }>(
    'GET',
    `/v1/tickets/${ticketId}`,
  );
  return t.body.messages.flatMap((m) => m.attachments);
}

describe('attachments and ClamAV', () => {
  test('EICAR is quarantined and never downloadable; a clean file downloads with safe headers', async (ctx) => {
    if (!clamd) return ctx.skip();
    const o = await f.ingest(
      mail({
        attachments: [
          { filename: 'invoice.pdf', contentType: 'application/pdf', content: pdf },
          { filename: 'eicar.com', contentType: 'application/octet-stream', content: eicarBytes() },
        ],
      }),
    );
    expect(o).toMatchObject({ status: 'stored', attachments: { clean: 1, infected: 1 } });
    const [clean, infected] = await attachmentsOf((o as { ticketId: string }).ticketId);
    expect(clean).toMatchObject({
      filename: 'invoice.pdf',
      scan_status: 'clean',
      content_type: 'application/pdf',
    });
    expect(infected).toMatchObject({
      filename: 'eicar.com',
      scan_status: 'infected',
      download_url: null,
    });

    const bad = await f.api<{ code: string }>('GET', `/v1/attachments/${infected!.id}/content`);
    expect(bad.status).toBe(403);
    expect(bad.body.code).toBe('attachment_not_clean');
    expect(bad.raw.includes(eicarBytes())).toBe(false);

    const good = await f.api('GET', clean!.download_url!);
    expect(good.status).toBe(200);
    expect(good.raw.equals(pdf)).toBe(true);
    expect(good.headers['content-disposition']).toBe(
      `attachment; filename="invoice.pdf"; filename*=UTF-8''invoice.pdf`,
    );
    expect(good.headers['x-content-type-options']).toBe('nosniff');
    const { rows } = await f.t.database.db.tx((c) =>
      c.query(
        `SELECT count(*)::int AS n FROM events WHERE type = 'attachment.scanned' AND data->>'status' = 'infected' AND resource_id = $1`,
        [infected!.id],
      ),
    );
    expect(rows[0].n).toBe(1);
  });

  test('an HTML attachment is served as opaque bytes, never rendered', async (ctx) => {
    if (!clamd) return ctx.skip();
    const o = await f.ingest(
      mail({
        attachments: [
          {
            filename: 'page.html',
            contentType: 'text/html',
            content: Buffer.from('<html><script>alert(1)</script></html>'),
          },
        ],
      }),
    );
    const [a] = await attachmentsOf((o as { ticketId: string }).ticketId);
    const res = await f.api('GET', a!.download_url!);
    expect(res.headers['content-type']).toBe('application/octet-stream');
    expect(String(res.headers['content-disposition'])).toMatch(/^attachment;/);
  });

  test('with clamd down the attachment stays pending (not downloadable) and turns clean once clamd is back', async (ctx) => {
    if (!clamd) return ctx.skip();
    const seen = Buffer.concat([pdf, Buffer.from('% seen before\n')]);
    expect(
      await f.ingest(
        mail({
          attachments: [{ filename: 'invoice.pdf', contentType: 'application/pdf', content: seen }],
        }),
      ),
    ).toMatchObject({ attachments: { clean: 1 } });
    await clamd.stop();
    // Bytes clamd passed minutes ago keep that verdict; new bytes wait for clamd.
    const again = await f.ingest(
      mail({
        attachments: [
          { filename: 'invoice-copy.pdf', contentType: 'application/pdf', content: seen },
        ],
      }),
    );
    expect(again).toMatchObject({ status: 'stored', attachments: { clean: 1, pending: 0 } });
    const report = Buffer.concat([pdf, Buffer.from('% another report\n')]);
    const o = await f.ingest(
      mail({
        attachments: [{ filename: 'report.pdf', contentType: 'application/pdf', content: report }],
      }),
    );
    expect(o).toMatchObject({ status: 'stored', attachments: { pending: 1 } });
    const { messageId, ticketId } = o as { messageId: string; ticketId: string };
    const [pending] = await attachmentsOf(ticketId);
    expect(pending).toMatchObject({ scan_status: 'pending', download_url: null });
    expect((await f.api('GET', `/v1/attachments/${pending!.id}/content`)).status).toBe(409);
    // A rescan job was queued with the message.
    const { rows } = await f.t.database.db.tx((c) =>
      c.query(
        `SELECT count(*)::int AS n FROM graphile_worker.jobs WHERE task_identifier = 'attachments.rescan'`,
      ),
    );
    expect(rows[0].n).toBeGreaterThanOrEqual(1);
    // The job while clamd is still down: fails (so it is retried), still pending.
    await expect(
      rescanMessageAttachments(f.t.container, f.tenant.id, messageId),
    ).rejects.toBeInstanceOf(ScanStillPendingError);
    await clamd.start();
    expect(await rescanMessageAttachments(f.t.container, f.tenant.id, messageId)).toMatchObject({
      clean: 1,
      pending: 0,
    });
    const [after] = await attachmentsOf(ticketId);
    expect(after).toMatchObject({ scan_status: 'clean' });
    expect((await f.api('GET', after!.download_url!)).status).toBe(200);
  });

  test('cid: images point at the attachment endpoint; remote images are not loaded', async (ctx) => {
    if (!clamd) return ctx.skip();
    const o = await f.ingest(
      mail({
        html: '<p>See <img src="cid:logo@x"> and <img src="https://tracker.example/p.gif"></p>',
        attachments: [
          {
            filename: 'logo.png',
            contentType: 'image/png',
            content: Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'),
            contentId: 'logo@x',
          },
        ],
      }),
    );
    const t = await f.api<{ messages: { html: string; attachments: Attachment[] }[] }>(
      'GET',
      `/v1/tickets/${(o as { ticketId: string }).ticketId}?html=true`,
    );
    const m = t.body.messages[0]!;
    expect(m.html).toContain(`/v1/attachments/${m.attachments[0]!.id}/content`);
    expect(m.html).not.toMatch(/\ssrc="https:\/\/tracker/);
    expect(m.html).toContain('data-remote-src');
  });
});
