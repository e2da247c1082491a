// The original .eml carries every attachment inside it: GET /v1/messages/{id}/raw must not become a
// way around quarantine. What the API returns is scanned by the real clamd, which decodes the MIME
// of a whole message as it does for mail on disk.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { rescanMessageAttachments } from '../../../src/ingest/rescan.js';
import { type ClamdScanner, makeClamdScanner } from '../../../src/scanner/clamd-scanner.js';
import { type ClamdHandle, startClamd } from '../../helpers/clamd.js';
import { eicarBytes } from '../../helpers/eicar.js';
import { type IngestFixture, makeIngestFixture } from '../../helpers/ingest.js';
import { mail } from '../../helpers/mail.js';

let clamd: ClamdHandle | null;
let scanner: ClamdScanner;
let f: IngestFixture;

beforeAll(async () => {
  clamd = await startClamd();
  if (!clamd) return;
  scanner = makeClamdScanner({
    host: clamd.host,
    port: clamd.port,
    timeoutMs: 10_000,
    maxStreamBytes: 30 * 1024 * 1024,
    maxIdleSessions: 0,
  });
  f = await makeIngestFixture({ CLAMD_PORT: String(clamd.port), CLAMD_TIMEOUT_MS: '10000' });
});
afterAll(async () => {
  await f?.t.close();
  await scanner?.close();
  await clamd?.dispose();
});

const pdf = Buffer.concat([
  Buffer.from('%PDF-1.4\n'),
  Buffer.alloc(1024, 0x42),
  Buffer.from('\n%%EOF\n'),
]);

describe('raw download and quarantine', () => {
  test('the original of a message with an infected attachment is refused (409, parts named) and nothing returned scans infected', async (ctx) => {
    if (!clamd) return ctx.skip();
    const eml = mail({
      attachments: [
        { filename: 'invoice.pdf', contentType: 'application/pdf', content: pdf },
        { filename: 'eicar.com', contentType: 'application/octet-stream', content: eicarBytes() },
      ],
    });
    // Control: clamd finds the attachment inside the .eml itself, so the check below can see it.
    expect(await scanner.scan(eml)).toMatchObject({ verdict: 'infected' });
    const o = await f.ingest(eml);
    expect(o).toMatchObject({ status: 'stored', attachments: { clean: 1, infected: 1 } });
    const { messageId, ticketId } = o as { messageId: string; ticketId: string };
    const t = await f.api<{ messages: { attachments: { id: string; scan_status: string }[] }[] }>(
      'GET',
      `/v1/tickets/${ticketId}`,
    );
    const infected = t.body.messages[0]!.attachments.find((a) => a.scan_status === 'infected')!;

    const res = await f.api<{ code: string; parts: unknown[] }>(
      'GET',
      `/v1/messages/${messageId}/raw`,
    );
    expect(await scanner.scan(res.raw)).toEqual({ verdict: 'clean' });
    expect(res.raw.includes(eicarBytes())).toBe(false);
    expect(res.raw.includes(eicarBytes().toString('base64').slice(0, 40))).toBe(false);
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('original_not_clean');
    expect(res.body.parts).toEqual([{ attachment_id: infected.id, scan_status: 'infected' }]);
  });

  test('a pending attachment holds the original back until its scan comes back clean; then the original is served whole', async (ctx) => {
    if (!clamd) return ctx.skip();
    const eml = mail({
      attachments: [
        {
          filename: 'later.pdf',
          contentType: 'application/pdf',
          content: Buffer.concat([pdf, Buffer.from('% later\n')]),
        },
      ],
    });
    await clamd.stop();
    const o = await f.ingest(eml);
    expect(o).toMatchObject({ status: 'stored', attachments: { pending: 1 } });
    const { messageId } = o as { messageId: string };
    const held = await f.api<{ code: string; parts: { scan_status: string }[] }>(
      'GET',
      `/v1/messages/${messageId}/raw`,
    );
    expect(held.status).toBe(409);
    expect(held.body.parts).toMatchObject([{ scan_status: 'pending' }]);
    await clamd.start();
    expect(await rescanMessageAttachments(f.t.container, f.tenant.id, messageId)).toMatchObject({
      clean: 1,
    });
    const served = await f.api('GET', `/v1/messages/${messageId}/raw`);
    expect(served.status).toBe(200);
    expect(served.raw.equals(eml)).toBe(true);
  });

  test('a message with only clean attachments (or none) is served as received', async (ctx) => {
    if (!clamd) return ctx.skip();
    const eml = mail({
      attachments: [{ filename: 'ok.pdf', contentType: 'application/pdf', content: pdf }],
    });
    const o = (await f.ingest(eml)) as { messageId: string };
    const res = await f.api('GET', `/v1/messages/${o.messageId}/raw`);
    expect(res.status).toBe(200);
    expect(res.raw.equals(eml)).toBe(true);
  });
});
