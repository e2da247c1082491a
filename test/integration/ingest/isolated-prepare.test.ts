// INGEST_ISOLATE_ABOVE_BYTES: large messages are parsed and sanitised on a worker thread with a time
// budget (docs/security-controls.md#isolated-preparation). What an operator sees: the same ticket as without isolation, and a
// message that overruns the budget fails its attempts with prepare_timeout and is then parked —
// the worker is not stuck on it.
import { randomBytes } from 'node:crypto';

import { afterAll, describe, expect, test } from 'vitest';

import { type IngestFixture, makeIngestFixture } from '../../helpers/ingest.js';
import { mail } from '../../helpers/mail.js';

const fixtures: IngestFixture[] = [];
afterAll(async () => {
  for (const f of fixtures) await f.t.close();
});
const fixture = async (env: Record<string, string>) => {
  const f = await makeIngestFixture(env);
  fixtures.push(f);
  return f;
};

type Attachment = {
  filename: string;
  size: number;
  digest: string;
  content_type: string;
  declared_type: string;
  inline: boolean;
  flags: string[];
};
type Message = {
  html: string | null;
  text: string | null;
  reply: string | null;
  kind: string;
  thread_rule: string;
  warnings: string[];
  attachments: Attachment[];
};

describe('isolated preparation of large messages', () => {
  test('a message prepared on the worker thread becomes the same ticket as one prepared inline', async () => {
    const raw = mail({
      subject: 'Scanned contract',
      html: '<p>See <b>attached</b><img src="cid:logo@x"></p><script>steal()</script>',
      attachments: [
        {
          filename: 'contract.pdf',
          contentType: 'application/pdf',
          content: Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(1536 * 1024)]),
        },
        {
          filename: 'logo.png',
          contentType: 'image/png',
          content: randomBytes(3000),
          contentId: 'logo@x',
        },
      ],
    });
    expect(raw.length).toBeGreaterThan(1024 * 1024);
    const views: unknown[] = [];
    for (const env of [
      { INGEST_ISOLATE_ABOVE_BYTES: String(1024 * 1024) },
      { INGEST_ISOLATE_ABOVE_BYTES: '0' },
    ]) {
      const f = await fixture(env);
      const o = await f.ingest(raw);
      expect(o).toMatchObject({ status: 'stored', newTicket: true });
      const t = await f.api<{ messages: Message[] }>(
        'GET',
        `/v1/tickets/${(o as { ticketId: string }).ticketId}?html=true`,
      );
      const m = t.body.messages[0]!;
      // Everything the pipeline derives from the bytes; ids and times differ between the two runs.
      views.push({
        html: m.html?.replace(/\/v1\/attachments\/[0-9a-f-]+\//g, '/v1/attachments/ID/') ?? null,
        text: m.text,
        reply: m.reply,
        kind: m.kind,
        thread_rule: m.thread_rule,
        warnings: m.warnings,
        attachments: m.attachments.map((a) => ({
          filename: a.filename,
          size: a.size,
          digest: a.digest.length /* keyed per tenant: the two fixtures differ */,
          content_type: a.content_type,
          declared_type: a.declared_type,
          inline: a.inline,
          flags: a.flags,
        })),
      });
    }
    const [isolated, inline] = views as Message[];
    expect(isolated!.html).toContain('<b>attached</b>');
    expect(isolated!.html).not.toContain('script');
    expect(isolated!.attachments.map((a) => a.size)).toEqual([1536 * 1024 + 9, 3000]);
    expect(isolated).toEqual(inline);
  });

  test('a message over the budget fails its attempt with prepare_timeout, is parked after the last, and the next one is stored', async () => {
    const f = await fixture({
      INGEST_ISOLATE_ABOVE_BYTES: String(1024 * 1024),
      INGEST_PREPARE_BUDGET_MS: '100',
      INGEST_MAX_ATTEMPTS: '2',
    });
    // About 27 MB: parsing it takes well over 100 ms on any machine.
    const big = mail({
      subject: 'Huge',
      attachments: [
        {
          filename: 'dump.bin',
          contentType: 'application/octet-stream',
          content: randomBytes(20 * 1024 * 1024),
        },
      ],
    });
    await expect(f.ingest(big, { providerMessageId: 'huge-1' })).rejects.toMatchObject({
      code: 'prepare_timeout',
    });
    const count = async (sql: string) =>
      (await f.t.database.db.tx((c) => c.query<{ n: number }>(sql))).rows[0]!.n;
    expect(
      await count(
        `SELECT attempts AS n FROM ingest_failures WHERE provider_message_id = 'huge-1' AND error_code = 'prepare_timeout' AND parked_at IS NULL`,
      ),
    ).toBe(1);
    expect(await f.ingest(big, { providerMessageId: 'huge-1' })).toEqual({
      status: 'parked',
      reason: 'prepare_timeout',
    });
    // Small mail is prepared inline as before.
    expect(await f.ingest(mail({ subject: 'Small' }))).toMatchObject({ status: 'stored' });
  });
});
