// Mail around a disconnect (issue #11 items 2–3) and Message-ID reuse (#15): a duplicate only ever
// points at a message that stays readable, a tenant's ticket list survives one disconnected
// mailbox awaiting its purge, and only the same Message-ID with the same content is stored once.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { type IngestFixture, makeIngestFixture } from '../../helpers/ingest.js';
import { mail } from '../../helpers/mail.js';

let f: IngestFixture;

beforeAll(async () => {
  f = await makeIngestFixture({ MAILBOX_PURGE_DELAY_HOURS: '24' });
});
afterAll(async () => {
  await f?.t.close();
});

const storedIn = async (messageId: string) =>
  (
    await f.t.database.db.tx((c) =>
      c.query<{ mailbox_id: string }>('SELECT mailbox_id FROM messages WHERE id = $1', [messageId]),
    )
  ).rows[0]?.mailbox_id;

describe('dedupe and disconnect', () => {
  test('mail held by a disconnected mailbox awaiting its purge is stored again by a reconnected mailbox and by any other active mailbox; the ticket list stays readable', async () => {
    const old = await f.addMailbox('help@acme.example');
    const sales = await f.addMailbox('sales@acme.example');
    const msgs = [1, 2, 3].map((i) =>
      mail({ to: 'help@acme.example', subject: `Order ${i}`, text: `Where is order ${i}?` }),
    );
    for (const m of msgs)
      expect(await f.ingest(m, { mailboxId: old })).toMatchObject({ status: 'stored' });
    const kept = (await f.ingest(mail({ subject: 'Unrelated', text: 'hello' }))) as {
      ticketId: string;
    };
    expect((await f.api('DELETE', `/v1/mailboxes/${old}`)).status).toBe(200);

    // One disconnected mailbox awaiting its purge does not take the tenant's list down.
    const list = await f.api<{ items: { id: string }[] }>('GET', '/v1/tickets?limit=200');
    expect(list.status).toBe(200);
    expect(list.body.items.map((t) => t.id)).toContain(kept.ticketId);
    const byRequester = await f.api<{ items: { id: string }[] }>(
      'GET',
      '/v1/tickets?requester=customer@client.example',
    );
    expect(byRequester.status).toBe(200);

    // Reconnected under the same address (a new mailbox): the same mail is stored, not a duplicate of the doomed copy.
    const again = await f.addMailbox('help@acme.example');
    for (const m of msgs) {
      const o = await f.ingest(m, { mailboxId: again });
      expect(o).toMatchObject({ status: 'stored' });
      expect(await storedIn((o as { messageId: string }).messageId)).toBe(again);
    }
    // Another active mailbox receiving it: a duplicate of the readable copy, never of the doomed one.
    for (const m of msgs) {
      const o = await f.ingest(m, { mailboxId: sales });
      expect(o.status).toBe('duplicate');
      expect(await storedIn((o as { messageId: string }).messageId)).toBe(again);
    }
    const after = await f.api<{ items: { subject: string }[] }>('GET', '/v1/tickets?limit=200');
    expect(after.status).toBe(200);
    expect(after.body.items.filter((t) => t.subject.startsWith('Order ')).length).toBe(3);
  });

  test('with no other copy, a second active mailbox stores mail the disconnected one held', async () => {
    const a = await f.addMailbox('a@acme.example');
    const b = await f.addMailbox('b@acme.example');
    const m = mail({ to: 'a@acme.example, b@acme.example', text: 'to both' });
    expect(await f.ingest(m, { mailboxId: a })).toMatchObject({ status: 'stored' });
    expect((await f.api('DELETE', `/v1/mailboxes/${a}`)).status).toBe(200);
    const o = await f.ingest(m, { mailboxId: b });
    expect(o).toMatchObject({ status: 'stored' });
    const t = await f.api('GET', `/v1/tickets/${(o as { ticketId: string }).ticketId}`);
    expect(t.status).toBe(200);
  });

  test('the same Message-ID with different content is stored as its own message; identical content still once, also across two mailboxes', async () => {
    const second = await f.addMailbox('billing@acme.example');
    const id = `reused-${Date.now()}@sender.example`;
    const first = mail({ messageId: id, subject: 'Invoice', text: 'Invoice for March' });
    const other = mail({ messageId: id, subject: 'Invoice', text: 'Invoice for April' });
    const a = await f.ingest(first);
    const b = await f.ingest(other);
    expect(a).toMatchObject({ status: 'stored' });
    expect(b).toMatchObject({ status: 'stored' });
    expect((b as { messageId: string }).messageId).not.toBe((a as { messageId: string }).messageId);
    expect(await f.ingest(first)).toEqual({
      status: 'duplicate',
      messageId: (a as { messageId: string }).messageId,
    });
    expect(await f.ingest(other, { mailboxId: second })).toEqual({
      status: 'duplicate',
      messageId: (b as { messageId: string }).messageId,
    });
    // In one page too: the identical copy is a duplicate, the different one stored.
    const third = mail({ messageId: id, subject: 'Invoice', text: 'Invoice for May' });
    const page = await f.t.container.pipeline.ingestPage(
      [third, third, first].map((raw, i) => ({
        tenantId: f.tenant.id,
        mailboxId: second,
        providerMessageId: `p-${id}-${i}`,
        raw,
      })),
    );
    expect(page.map((o) => o.status)).toEqual(['stored', 'duplicate', 'duplicate']);
  });
});
