// A message over INGEST_MAX_MESSAGE_BYTES is parked (kept encrypted), and the agent still sees that
// it came: a stub with its sender, subject and threading, no body, and the message_too_large warning,
// on the ticket it would have joined. Replays leave neither a second record nor a second stub.
import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { type IngestFixture, makeIngestFixture } from '../../helpers/ingest.js';
import { mail } from '../../helpers/mail.js';

let f: IngestFixture;
beforeAll(async () => {
  f = await makeIngestFixture({ INGEST_MAX_MESSAGE_BYTES: String(64 * 1024) });
});
afterAll(() => f?.t.close());

const owner = async <T extends object>(sql: string, params: unknown[] = []) =>
  (await f.t.database.db.tx((c) => c.query<T>(sql, params))).rows;

interface MessageView {
  id: string;
  headers: { from: { address: string } | null; subject: string; oversize?: { bytes: number } };
  text: string | null;
  html: string | null;
  warnings: string[];
  attachments: unknown[];
}
const ticket = async (id: string) =>
  (
    await f.api<{ requester: { address: string }; messages: MessageView[] }>(
      'GET',
      `/v1/tickets/${id}`,
    )
  ).body;

const bigScan = () => ({
  filename: 'contract-scan.pdf',
  contentType: 'application/pdf',
  content: Buffer.alloc(80 * 1024, 7),
});

describe('a message over the size limit', () => {
  test('leaves a stub with its sender and subject on a new ticket, and stays parked with its bytes', async () => {
    const raw = mail({
      from: 'Noor Haddad <noor@client.example>',
      subject: 'Signed contract attached',
      text: 'Here is the signed contract.',
      attachments: [bigScan()],
    });
    expect(raw.length).toBeGreaterThan(64 * 1024);
    expect(await f.ingest(raw, { providerMessageId: 'big-stub-1' })).toEqual({
      status: 'parked',
      reason: 'message_too_large',
    });
    const [parked] = await owner<{ data: { message_id: string; ticket_id: string; size: number } }>(
      `SELECT data FROM events WHERE type = 'message.parked' AND data->>'reason' = 'message_too_large' ORDER BY position DESC LIMIT 1`,
    );
    expect(parked!.data.size).toBe(raw.length);
    const t = await ticket(parked!.data.ticket_id);
    expect(t.requester.address).toBe('noor@client.example');
    expect(t.messages).toHaveLength(1);
    expect(t.messages[0]).toMatchObject({
      id: parked!.data.message_id,
      headers: {
        from: { address: 'noor@client.example' },
        subject: 'Signed contract attached',
        oversize: { bytes: raw.length },
      },
      attachments: [],
      html: null,
    });
    expect(t.messages[0]!.text ?? '').toBe('');
    expect(t.messages[0]!.warnings).toContain('message_too_large');
    // The message itself is on record with its bytes, as before.
    expect(
      await owner(
        `SELECT 1 FROM ingest_failures WHERE provider_message_id = 'big-stub-1' AND parked_at IS NOT NULL AND raw_ct IS NOT NULL`,
      ),
    ).toHaveLength(1);

    // Delivered again: a duplicate, no second stub, no second parking.
    expect(await f.ingest(raw, { providerMessageId: 'big-stub-1' })).toMatchObject({
      status: 'duplicate',
    });
    expect((await ticket(parked!.data.ticket_id)).messages).toHaveLength(1);
    expect(
      await owner(
        `SELECT 1 FROM events WHERE type = 'message.parked' AND data->>'message_id' = $1`,
        [parked!.data.message_id],
      ),
    ).toHaveLength(1);
  });

  test('an oversized answer joins the ticket it answers', async () => {
    const firstId = `${randomUUID()}@client.example`;
    const first = await f.ingest(
      mail({ from: 'noor@client.example', subject: 'Printer offline', messageId: firstId }),
    );
    if (first.status !== 'stored') throw new Error(first.status);
    const answer = mail({
      from: 'noor@client.example',
      subject: 'Re: Printer offline',
      inReplyTo: `<${firstId}>`,
      references: `<${firstId}>`,
      attachments: [bigScan()],
    });
    expect(await f.ingest(answer)).toMatchObject({ status: 'parked' });
    const messages = (await ticket(first.ticketId)).messages;
    expect(messages).toHaveLength(2);
    expect(messages[1]!.warnings).toContain('message_too_large');
  });

  test('a header block longer than the size limit itself still leaves a stub', async () => {
    // 90 KiB of References (a long thread's ids): the block alone is over the 64 KiB limit.
    const ids = Array.from({ length: 1500 }, (_, i) => `<${i}.${randomUUID()}@client.example>`);
    const raw = mail({
      from: 'noor@client.example',
      subject: 'Re: Long thread',
      references: ids.join('\r\n '),
    });
    expect(raw.length).toBeGreaterThan(80 * 1024);
    expect(await f.ingest(raw)).toMatchObject({ status: 'parked', reason: 'message_too_large' });
    const [parked] = await owner<{ data: { ticket_id?: string } }>(
      `SELECT data FROM events WHERE type = 'message.parked' ORDER BY id DESC LIMIT 1`,
    );
    const t = await ticket(parked!.data.ticket_id!);
    expect(t.messages[0]!.headers.subject).toBe('Re: Long thread');
    expect(t.messages[0]!.warnings).toContain('message_too_large');
  });
});
