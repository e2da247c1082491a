// Disconnecting mailbox A keeps mailbox B's messages that were threaded into A's tickets: such a
// ticket moves to B (same number and status; subject and requester re-derived from B's own message
// and sealed under B's key), A's messages in it are purged, and tickets holding only A's mail go.
import { afterAll, beforeAll, expect, test } from 'vitest';

import { purgeMailbox } from '../../../src/mailboxes/purge.js';
import { type IngestFixture, makeIngestFixture } from '../../helpers/ingest.js';
import { mail } from '../../helpers/mail.js';

let f: IngestFixture;
beforeAll(async () => {
  f = await makeIngestFixture();
});
afterAll(async () => {
  await f?.t.close();
});

interface Ticket {
  mailbox_id: string;
  number: number;
  subject: string;
  requester: { address: string } | null;
  messages: { mailbox_id: string; text: string }[];
}

test("purging A keeps B's messages in the shared ticket, which moves to B", async () => {
  const mbB = await f.addMailbox('sales@acme.example');
  const first = await f.ingest(
    mail({
      from: 'Alice <alice@client.example>',
      subject: 'Order 1',
      text: 'A-ONLY first message',
      messageId: 'order-1@client.example',
    }),
  );
  const onlyA = await f.ingest(
    mail({ from: 'Carol <carol@client.example>', subject: 'Other', text: 'A-ONLY other ticket' }),
  );
  const reply = await f.ingest(
    mail({
      from: 'Bob <bob@client.example>',
      to: 'sales@acme.example',
      subject: 'Re: Order 1',
      text: 'B-KEEP from Bob',
      inReplyTo: '<order-1@client.example>',
    }),
    { mailboxId: mbB },
  );
  if (first.status !== 'stored' || reply.status !== 'stored' || onlyA.status !== 'stored')
    throw new Error('ingest failed');
  expect(reply.ticketId).toBe(first.ticketId);

  expect((await f.api('DELETE', `/v1/mailboxes/${f.mailbox}`)).status).toBeLessThan(300);
  // At once: the ticket is B's, its header comes from B's message.
  const moved = await f.api<Ticket>('GET', `/v1/tickets/${first.ticketId}`);
  expect(moved.status).toBe(200);
  expect(moved.body).toMatchObject({
    mailbox_id: mbB,
    number: first.ticketNumber,
    subject: 'Re: Order 1',
    requester: { address: 'bob@client.example' },
  });

  await f.t.database.db.tx((ex) =>
    ex.query(`UPDATE deletion_receipts SET purge_after = now() WHERE mailbox_id = $1`, [f.mailbox]),
  );
  expect(
    await purgeMailbox(f.t.container.disconnectDeps, {
      tenantId: f.tenant.id,
      mailboxId: f.mailbox,
    }),
  ).toBe('completed');

  const after = await f.api<Ticket>('GET', `/v1/tickets/${first.ticketId}`);
  expect(after.status).toBe(200);
  expect(after.body.messages.map((m) => [m.mailbox_id, m.text.trim()])).toEqual([
    [mbB, 'B-KEEP from Bob'],
  ]);
  expect(JSON.stringify(after.body)).not.toContain('A-ONLY');
  expect((await f.api('GET', `/v1/tickets/${onlyA.ticketId}`)).status).toBe(404);
  const [counts] = (
    await f.t.database.db.tx((ex) =>
      ex.query<{ rows_purged: Record<string, number> }>(
        'SELECT rows_purged FROM deletion_receipts WHERE mailbox_id = $1',
        [f.mailbox],
      ),
    )
  ).rows;
  expect(counts!.rows_purged).toMatchObject({ messages: 2, tickets: 1 });
});
