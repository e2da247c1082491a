import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { type IngestFixture, makeIngestFixture } from '../../helpers/ingest.js';
import { mail } from '../../helpers/mail.js';

let f: IngestFixture;
const ids: { ticketId: string; messageId: string; number: number }[] = [];

beforeAll(async () => {
  f = await makeIngestFixture();
  for (let i = 0; i < 5; i++) {
    const o = await f.ingest(
      mail({
        from: i % 2 ? 'Bob <bob@client.example>' : 'Ann <ann@client.example>',
        subject: `Case ${i} — crème brûlée`,
        text: `Body ${i}\n\nOn Mon, someone wrote:\n> quoted ${i}`,
      }),
    );
    if (o.status !== 'stored') throw new Error('not stored');
    ids.push({ ticketId: o.ticketId, messageId: o.messageId, number: o.ticketNumber });
  }
});
afterAll(async () => {
  await f?.t.close();
});

type Summary = {
  id: string;
  number: number;
  status: string;
  subject: string;
  requester: { address: string } | null;
  message_count: number;
};

describe('tickets API', () => {
  test('lists tickets newest first with cursor pagination and filters', async () => {
    const p1 = await f.api<{ items: Summary[]; next_cursor: string }>('GET', '/v1/tickets?limit=2');
    expect(p1.status).toBe(200);
    expect(p1.body.items.map((t) => t.number)).toEqual([ids[4]!.number, ids[3]!.number]);
    const p2 = await f.api<{ items: Summary[]; next_cursor: string | null }>(
      'GET',
      `/v1/tickets?limit=2&cursor=${p1.body.next_cursor}`,
    );
    expect(p2.body.items.map((t) => t.number)).toEqual([ids[2]!.number, ids[1]!.number]);
    const p3 = await f.api<{ items: Summary[]; next_cursor: string | null }>(
      'GET',
      `/v1/tickets?limit=2&cursor=${p2.body.next_cursor}`,
    );
    expect(p3.body.items).toHaveLength(1);
    expect(p3.body.next_cursor).toBeNull();
    const bob = await f.api<{ items: Summary[] }>(
      'GET',
      '/v1/tickets?requester=BOB@client.example',
    );
    expect(bob.body.items.map((t) => t.requester?.address)).toEqual([
      'bob@client.example',
      'bob@client.example',
    ]);
    expect(bob.body.items[0]!.subject).toContain('crème brûlée');
    await f.api('PATCH', `/v1/tickets/${ids[0]!.ticketId}`, { status: 'pending' });
    const pending = await f.api<{ items: Summary[] }>('GET', '/v1/tickets?status=pending');
    expect(pending.body.items.map((t) => t.id)).toEqual([ids[0]!.ticketId]);
    const other = await f.api<{ items: Summary[] }>(
      'GET',
      `/v1/tickets?mailbox_id=00000000-0000-4000-8000-000000000000`,
    );
    expect(other.body.items).toEqual([]);
    const since = await f.api<{ items: Summary[] }>(
      'GET',
      `/v1/tickets?updated_since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`,
    );
    expect(since.body.items).toEqual([]);
    expect((await f.api('GET', '/v1/tickets?status=bogus')).status).toBe(400);
    expect((await f.api('GET', '/v1/tickets?cursor=bm9wZQ')).status).toBe(400);
  });

  test('one ticket with its decrypted message: text, extracted reply, classification, thread rule', async () => {
    const res = await f.api<
      Summary & {
        messages: {
          text: string;
          reply: string;
          kind: string;
          thread_rule: string;
          headers: { from: { address: string } };
        }[];
      }
    >('GET', `/v1/tickets/${ids[1]!.ticketId}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ number: ids[1]!.number, message_count: 1 });
    const m = res.body.messages[0]!;
    expect(m).toMatchObject({
      kind: 'human',
      thread_rule: 'new_ticket',
      headers: { from: { address: 'bob@client.example' } },
    });
    expect(m.text).toContain('> quoted 1');
    expect(m.reply.trim()).toBe('Body 1');
  });

  test('the original .eml is returned byte for byte', async () => {
    const res = await f.api('GET', `/v1/messages/${ids[2]!.messageId}/raw`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^message\/rfc822/);
    expect(res.raw.toString('utf8')).toContain('Subject: Case 2 — crème brûlée');
  });

  test('every content read writes exactly one audit record', async () => {
    const before = await f.t.database.db.tx(
      async (c) =>
        (await c.query(`SELECT action, count(*)::int AS n FROM audit_log GROUP BY action`)).rows,
    );
    const count = (rows: { action: string; n: number }[], a: string) =>
      rows.find((r) => r.action === a)?.n ?? 0;
    await f.api('GET', '/v1/tickets');
    await f.api('GET', `/v1/tickets/${ids[0]!.ticketId}`);
    await f.api('GET', `/v1/messages/${ids[0]!.messageId}/raw`);
    const after = await f.t.database.db.tx(
      async (c) =>
        (await c.query(`SELECT action, count(*)::int AS n FROM audit_log GROUP BY action`)).rows,
    );
    for (const a of ['ticket.list', 'ticket.read', 'message.read_raw'])
      expect(count(after, a) - count(before, a), a).toBe(1);
  });

  test("another tenant's ticket, message and attachment ids are 404", async () => {
    const { createTenant, bearer } = await import('../../helpers/tenants.js');
    const other = await createTenant(f.t, 'Other');
    for (const url of [
      `/v1/tickets/${ids[0]!.ticketId}`,
      `/v1/messages/${ids[0]!.messageId}/raw`,
      `/v1/attachments/${ids[0]!.messageId}/content`,
    ]) {
      const res = await f.t.app.inject({ method: 'GET', url, headers: bearer(other.token) });
      expect(res.statusCode, url).toBe(404);
    }
    const patch = await f.t.app.inject({
      method: 'PATCH',
      url: `/v1/tickets/${ids[0]!.ticketId}`,
      headers: bearer(other.token),
      payload: { status: 'closed' },
    });
    expect(patch.statusCode).toBe(404);
    expect((await f.api<Summary>('GET', `/v1/tickets/${ids[0]!.ticketId}`)).body.status).toBe(
      'pending',
    );
  });
});
