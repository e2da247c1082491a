// Issue #19 fix-first items and the ticket API a frontend polls: paging never skips tickets that
// share a page boundary's timestamp, messages list in arrival order, pages of messages, ETag/304.
import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { type IngestFixture, makeIngestFixture } from '../../helpers/ingest.js';
import { mail } from '../../helpers/mail.js';

let f: IngestFixture;
/** ticket id → Message-IDs in the order they arrived. */
const arrival = new Map<string, string[]>();

beforeAll(async () => {
  f = await makeIngestFixture();
  // 600 tickets in pages of 100: each page is one transaction, so its tickets share updated_at to
  // the microsecond. Every original is followed in the same page by its customer's follow-up.
  for (let p = 0; p < 6; p++) {
    const inputs = [];
    for (let i = 0; i < 50; i++) {
      const first = `${randomUUID()}@client.example`;
      const second = `${randomUUID()}@client.example`;
      inputs.push(
        mail({ messageId: first, from: `c${p}-${i}@client.example`, subject: `Case ${p}-${i}` }),
      );
      inputs.push(
        mail({
          messageId: second,
          from: `c${p}-${i}@client.example`,
          subject: `Re: Case ${p}-${i}`,
          inReplyTo: `<${first}>`,
          references: `<${first}>`,
        }),
      );
      arrival.set(`${p}-${i}`, [first, second]);
    }
    const out = await f.t.container.pipeline.ingestPage(
      inputs.map((raw) => ({
        tenantId: f.tenant.id,
        mailboxId: f.mailbox,
        providerMessageId: randomUUID(),
        raw,
      })),
    );
    expect(out.every((o) => o.status === 'stored')).toBe(true);
  }
  // 300 more single-message tickets so the list holds 600.
  for (let p = 0; p < 3; p++) {
    const inputs = Array.from({ length: 100 }, (_, i) =>
      mail({ from: `s${p}-${i}@client.example`, subject: `Single ${p}-${i}` }),
    );
    await f.t.container.pipeline.ingestPage(
      inputs.map((raw) => ({
        tenantId: f.tenant.id,
        mailboxId: f.mailbox,
        providerMessageId: randomUUID(),
        raw,
      })),
    );
  }
}, 120_000);
afterAll(async () => {
  await f?.t.close();
});

type Detail = {
  id: string;
  subject: string;
  participants: { address: string }[];
  messages: {
    id: string;
    html: string | null;
    text: string | null;
    headers: { message_id: string };
  }[];
  older_messages_cursor: string | null;
};

describe('ticket list paging', () => {
  test('paging 600 tickets with limit 200 returns each of the 600 once', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { body: { items: { id: string }[]; next_cursor: string | null } } = await f.api(
        'GET',
        `/v1/tickets?limit=200${cursor ? `&cursor=${cursor}` : ''}`,
      );
      seen.push(...res.body.items.map((t) => t.id));
      cursor = res.body.next_cursor;
    } while (cursor);
    expect(seen).toHaveLength(600);
    expect(new Set(seen).size).toBe(600);
  });

  test('updated_after returns only tickets changed after the time given', async () => {
    const before = new Date().toISOString();
    const some = (await f.api<{ items: { id: string }[] }>('GET', '/v1/tickets?limit=3')).body
      .items;
    await f.api('PATCH', `/v1/tickets/${some[2]!.id}`, { status: 'pending' });
    const res = await f.api<{ items: { id: string; status: string }[] }>(
      'GET',
      `/v1/tickets?updated_after=${encodeURIComponent(before)}`,
    );
    expect(res.body.items.map((t) => t.id)).toEqual([some[2]!.id]);
  });
});

describe('ticket detail', () => {
  test('every ticket lists its messages in arrival order', async () => {
    const all: { id: string; subject: string }[] = [];
    let cursor: string | null = null;
    do {
      const res: {
        body: { items: { id: string; subject: string }[]; next_cursor: string | null };
      } = await f.api('GET', `/v1/tickets?limit=200${cursor ? `&cursor=${cursor}` : ''}`);
      all.push(...res.body.items);
      cursor = res.body.next_cursor;
    } while (cursor);
    let checked = 0;
    for (const t of all.filter((x) => x.subject.startsWith('Case '))) {
      const d = await f.api<Detail>('GET', `/v1/tickets/${t.id}`);
      expect(d.body.messages.map((m) => m.headers.message_id)).toEqual(
        arrival.get(t.subject.slice('Case '.length)),
      );
      checked++;
    }
    expect(checked).toBe(300);
  });

  test('messages come newest page first with a cursor to older pages; HTML only when asked; participants listed', async () => {
    const first = `${randomUUID()}@client.example`;
    const o = await f.ingest(
      mail({
        messageId: first,
        from: 'Pat <pat@client.example>',
        subject: 'Long thread',
        html: '<p>hello <b>there</b></p>',
      }),
    );
    if (o.status !== 'stored') throw new Error('not stored');
    const ids = [first];
    for (let i = 0; i < 4; i++) {
      const id = `${randomUUID()}@client.example`;
      await f.ingest(
        mail({
          messageId: id,
          from: 'Pat <pat@client.example>',
          cc: 'Lee <lee@client.example>',
          subject: 'Re: Long thread',
          inReplyTo: `<${ids.at(-1)}>`,
        }),
      );
      ids.push(id);
    }
    const p1 = await f.api<Detail>('GET', `/v1/tickets/${o.ticketId}?messages_limit=2`);
    expect(p1.body.messages.map((m) => m.headers.message_id)).toEqual(ids.slice(3));
    expect(p1.body.participants.map((p) => p.address)).toEqual(
      expect.arrayContaining(['pat@client.example', 'lee@client.example']),
    );
    const p2 = await f.api<Detail>(
      'GET',
      `/v1/tickets/${o.ticketId}?messages_limit=2&messages_before=${p1.body.older_messages_cursor}`,
    );
    expect(p2.body.messages.map((m) => m.headers.message_id)).toEqual(ids.slice(1, 3));
    const p3 = await f.api<Detail>(
      'GET',
      `/v1/tickets/${o.ticketId}?messages_limit=2&messages_before=${p2.body.older_messages_cursor}&html=true`,
    );
    expect(p3.body.messages.map((m) => m.headers.message_id)).toEqual([first]);
    expect(p3.body.older_messages_cursor).toBeNull();
    expect(p3.body.messages[0]!.html).toContain('<b>there</b>');
    const plain = await f.api<Detail>('GET', `/v1/tickets/${o.ticketId}?messages_limit=200`);
    expect(plain.body.messages).toHaveLength(5);
    expect(plain.body.messages[0]!.html).toBeNull();
  });

  test('ETag / If-None-Match: 304 while unchanged, 200 with a new tag after a change', async () => {
    const o = await f.ingest(mail({ subject: 'Polled' }));
    if (o.status !== 'stored') throw new Error('not stored');
    const url = `/v1/tickets/${o.ticketId}`;
    const first = await f.t.app.inject({
      method: 'GET',
      url,
      headers: { authorization: `Bearer ${f.tenant.token}` },
    });
    const etag = String(first.headers.etag);
    expect(etag).toMatch(/^".+"$/);
    const again = await f.t.app.inject({
      method: 'GET',
      url,
      headers: { authorization: `Bearer ${f.tenant.token}`, 'if-none-match': etag },
    });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    await f.api('PATCH', url, { status: 'solved' });
    const changed = await f.t.app.inject({
      method: 'GET',
      url,
      headers: { authorization: `Bearer ${f.tenant.token}`, 'if-none-match': etag },
    });
    expect(changed.statusCode).toBe(200);
    expect(changed.headers.etag).not.toBe(etag);
  });
});
