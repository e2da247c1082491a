// What a ticket read costs the database (issue #19): a 50-message ticket or a 50-ticket page used to
// take ~57 statements (the mailbox key looked up once per row, a last-used write per request).
// Counted at the driver, per request; the audit record and key destruction still hold.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { type IngestFixture, makeIngestFixture } from '../../helpers/ingest.js';
import { mail } from '../../helpers/mail.js';
import { logStatements, type StatementLog } from '../../helpers/statement-log.js';

let f: IngestFixture;
let bigTicket = '';
let smallTicket = '';
let log: StatementLog;

beforeAll(async () => {
  f = await makeIngestFixture();
  const ids = Array.from({ length: 50 }, (_, i) => `big-${i}@client.example`);
  for (let i = 0; i < 50; i++) {
    const o = await f.ingest(
      mail({
        from: i % 2 ? 'Agent <agent@client.example>' : 'Pat <pat@client.example>',
        subject: 'Order late',
        messageId: ids[i],
        inReplyTo: i > 0 ? `<${ids[i - 1]}>` : undefined,
        text: `message ${i}`,
      }),
    );
    if (o.status !== 'stored') throw new Error('not stored');
    bigTicket = o.ticketId;
  }
  for (let i = 0; i < 60; i++) {
    const o = await f.ingest(mail({ from: `c${i}@client.example`, subject: `Case ${i}` }));
    if (o.status !== 'stored') throw new Error('not stored');
    if (i === 0) smallTicket = o.ticketId;
  }
  log = logStatements();
});
afterAll(async () => {
  log?.restore();
  await f?.t.close();
});

async function count(url: string): Promise<{ status: number; body: unknown; n: string[] }> {
  const { result: res, statements } = await log.during(() => f.api('GET', url));
  return { status: res.status, body: res.body, n: statements };
}

describe('ticket read cost', () => {
  test('a 50-message ticket, a small ticket and a 50-ticket page each take at most 4 statements, the mailbox key read once', async () => {
    for (const url of [
      `/v1/tickets/${bigTicket}`,
      `/v1/tickets/${smallTicket}`,
      '/v1/tickets?limit=50',
    ]) {
      await count(url); // the first request of a key may differ (nothing cached); the rest must not
      const r = await count(url);
      expect(r.status, url).toBe(200);
      // Authentication, BEGIN (role and tenant), the read (with its audit record, and a ticket's
      // page of messages), COMMIT.
      expect(r.n.length, `${url}:\n${r.n.join('\n')}`).toBeLessThanOrEqual(4);
      expect(r.n.filter((s) => /FROM data_keys WHERE/.test(s))).toHaveLength(0);
      expect(r.n.some((s) => /UPDATE api_keys/.test(s))).toBe(false);
    }
    const big = await count(`/v1/tickets/${bigTicket}?messages_limit=50`);
    expect((big.body as { messages: unknown[] }).messages).toHaveLength(50);
    expect((big.body as { message_count: number }).message_count).toBe(50);
    const list = await count('/v1/tickets?limit=50');
    expect((list.body as { items: unknown[] }).items).toHaveLength(50);
    // The list's audit record is written by the page's own statement: authentication, BEGIN, the
    // page with its record, COMMIT.
    expect(list.n.length, list.n.join('\n')).toBeLessThanOrEqual(4);
    const { rows } = await f.t.container.db.tx((ex) =>
      ex.query<{ detail: unknown }>(
        "SELECT detail FROM audit_log WHERE action = 'ticket.list' ORDER BY id DESC LIMIT 1",
      ),
    );
    expect(rows[0]!.detail).toEqual({ count: 50 });
    const last = await f.api<{ items: unknown[] }>('GET', '/v1/tickets?limit=200');
    const { rows: lastRows } = await f.t.container.db.tx((ex) =>
      ex.query<{ detail: unknown }>(
        "SELECT detail FROM audit_log WHERE action = 'ticket.list' ORDER BY id DESC LIMIT 1",
      ),
    );
    expect(lastRows[0]!.detail).toEqual({ count: last.body.items.length });
  });

  test('by default a ticket read shows its newest 20 messages, with a cursor to the older ones', async () => {
    type Page = {
      messages: { headers: { message_id: string } }[];
      message_count: number;
      older_messages_cursor: string | null;
    };
    const first = await f.api<Page>('GET', `/v1/tickets/${bigTicket}`);
    expect(first.body.messages.map((m) => m.headers.message_id)).toEqual(
      Array.from({ length: 20 }, (_, i) => `big-${30 + i}@client.example`),
    );
    expect(first.body.message_count).toBe(50);
    const seen = [...first.body.messages];
    for (let cursor = first.body.older_messages_cursor; cursor !== null;) {
      const older = await f.api<Page>('GET', `/v1/tickets/${bigTicket}?messages_before=${cursor}`);
      seen.unshift(...older.body.messages);
      cursor = older.body.older_messages_cursor;
    }
    expect(seen.map((m) => m.headers.message_id)).toEqual(
      Array.from({ length: 50 }, (_, i) => `big-${i}@client.example`),
    );
  });

  test('a page that is not the whole ticket lists everyone on every message, in arrival order, in the same four statements', async () => {
    const ids = Array.from({ length: 7 }, (_, i) => `people-${i}@client.example`);
    let ticket = '';
    for (let i = 0; i < 7; i++) {
      const o = await f.ingest(
        mail({
          from: `P${i} <p${i}@client.example>`,
          cc: i % 3 === 0 ? `C${i} <c${i}@client.example>` : undefined,
          subject: 'Who is on this',
          messageId: ids[i],
          inReplyTo: i > 0 ? `<${ids[i - 1]}>` : undefined,
        }),
      );
      if (o.status !== 'stored') throw new Error('not stored');
      ticket = o.ticketId;
    }
    type Page = { participants: { address: string }[]; older_messages_cursor: string | null };
    const everyone = (await f.api<Page>('GET', `/v1/tickets/${ticket}?messages_limit=200`)).body
      .participants;
    expect(everyone.map((p) => p.address)).toEqual([
      'p0@client.example',
      'support@acme.example',
      'c0@client.example',
      ...[1, 2, 3].map((i) => `p${i}@client.example`),
      'c3@client.example',
      ...[4, 5, 6].map((i) => `p${i}@client.example`),
      'c6@client.example',
    ]);
    // Newest page, a middle one (messages newer and older than it) and the oldest.
    let url = `/v1/tickets/${ticket}?messages_limit=3`;
    for (let pages = 0; ; pages++) {
      const r = await count(url);
      expect(r.status, url).toBe(200);
      expect((r.body as Page).participants, url).toEqual(everyone);
      expect(r.n.length, `${url}:\n${r.n.join('\n')}`).toBeLessThanOrEqual(4);
      const cursor = (r.body as Page).older_messages_cursor;
      if (cursor === null) {
        expect(pages).toBe(2);
        break;
      }
      url = `/v1/tickets/${ticket}?messages_limit=3&messages_before=${cursor}`;
    }
  });

  test('every read still writes its audit record, with the messages it showed', async () => {
    const before = await f.t.container.db.tx((ex) =>
      ex.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM audit_log WHERE action = 'ticket.read' AND resource_id = $1",
        [bigTicket],
      ),
    );
    await f.api('GET', `/v1/tickets/${bigTicket}?messages_limit=20`);
    const { rows } = await f.t.container.db.tx((ex) =>
      ex.query<{ n: number; detail: { messages: number } }>(
        "SELECT count(*) OVER ()::int AS n, detail FROM audit_log WHERE action = 'ticket.read' AND resource_id = $1 ORDER BY id DESC LIMIT 1",
        [bigTicket],
      ),
    );
    expect(rows[0]!.n).toBe(before.rows[0]!.n + 1);
    expect(rows[0]!.detail).toEqual({ messages: 20 });
    // A read that fails leaves no record behind.
    const missing = await f.api('GET', '/v1/tickets/00000000-0000-4000-8000-000000000000');
    expect(missing.status).toBe(404);
    const none = await f.t.container.db.tx((ex) =>
      ex.query(
        "SELECT 1 FROM audit_log WHERE action = 'ticket.read' AND resource_id = '00000000-0000-4000-8000-000000000000'",
      ),
    );
    expect(none.rows).toHaveLength(0);
  });

  test("a destroyed mailbox key stops that mailbox's reads at once: 410, and the list leaves its tickets out", async () => {
    const mb = await f.addMailbox('other@acme.example');
    const o = await f.ingest(mail({ subject: 'Elsewhere' }), { mailboxId: mb });
    if (o.status !== 'stored') throw new Error('not stored');
    expect((await f.api('GET', `/v1/tickets/${o.ticketId}`)).status).toBe(200);
    await f.t.container.db.tenantTx(f.tenant.id, (ex) =>
      f.t.container.keys.destroyMailboxKey(ex, f.tenant.id, mb),
    );
    expect((await f.api('GET', `/v1/tickets/${o.ticketId}`)).status).toBe(410);
    const list = await f.api<{ items: { id: string }[] }>('GET', '/v1/tickets?limit=200');
    expect(list.body.items.map((t) => t.id)).not.toContain(o.ticketId);
    expect(list.body.items.map((t) => t.id)).toContain(bigTicket);
  });

  test('last_used_at is written in batches, not per request, and shows in the key listing', async () => {
    const stamp = () =>
      f.t.container.db.tx((ex) =>
        ex.query<{ last_used_at: Date | null }>(
          'SELECT last_used_at FROM api_keys WHERE tenant_id = $1',
          [f.tenant.id],
        ),
      );
    await f.t.container.db.tx((ex) =>
      ex.query('UPDATE api_keys SET last_used_at = NULL WHERE tenant_id = $1', [f.tenant.id]),
    );
    const t0 = Date.now();
    await f.api('GET', '/v1/tickets?limit=1');
    expect((await stamp()).rows[0]!.last_used_at).toBeNull();
    const keys = await f.api<{ items: { last_used_at: string | null }[] }>('GET', '/v1/api-keys');
    expect(keys.status).toBe(200);
    const shown = keys.body.items[0]!.last_used_at;
    expect(shown).not.toBeNull();
    expect(new Date(shown!).getTime()).toBeGreaterThanOrEqual(t0 - 1000);
    // Shutdown writes what is pending.
    await f.api('GET', '/v1/tickets?limit=1');
    await f.t.container.tenants.close();
    expect((await stamp()).rows[0]!.last_used_at!.getTime()).toBeGreaterThanOrEqual(t0 - 1000);
  });
});
