// Sender authenticity end to end (security.md controls 42-44, bad inputs 17-19): the receiving
// server's Authentication-Results decide, a DMARC failure keeps mail off existing tickets unless it
// answers one of our replies, and deceptive display names are flagged with the real address.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { purgeMailbox } from '../../../src/mailboxes/purge.js';
import { type IngestFixture, makeIngestFixture, signedMessageId } from '../../helpers/ingest.js';
import { mail, type TestMail } from '../../helpers/mail.js';

let f: IngestFixture;
beforeAll(async () => {
  f = await makeIngestFixture({ TRUSTED_AUTHSERV_IDS: 'MX.acme.example' });
});
afterAll(async () => {
  await f?.t.close();
});

const stored = (o: Awaited<ReturnType<IngestFixture['ingest']>>) => {
  if (o.status !== 'stored') throw new Error(`expected stored, got ${JSON.stringify(o)}`);
  return o;
};

/** What the receiving server (mx.acme.example) prepends, above everything the sender wrote. */
const received = (dmarc: 'pass' | 'fail', m: TestMail) =>
  Buffer.concat([
    Buffer.from(
      `Authentication-Results: mx.acme.example; spf=${dmarc} smtp.mailfrom=client.example; dkim=none; dmarc=${dmarc} header.from=client.example\r\n`,
    ),
    mail(m),
  ]);
// The sender's own copy, claiming everything passed.
const forged = {
  'Authentication-Results':
    'mx.acme.example; spf=pass smtp.mailfrom=client.example; dkim=pass header.d=client.example; dmarc=pass header.from=client.example',
};

interface MessageView {
  thread_rule: string;
  sender_auth: Record<string, unknown> | null;
}
interface TicketView {
  status: string;
  message_count: number;
  requester: { name: string; address: string } | null;
  messages: MessageView[];
}
const ticket = async (id: string) => (await f.api<TicketView>('GET', `/v1/tickets/${id}`)).body;

describe('sender authenticity', () => {
  test('a spoofed customer (DMARC fail, forged pass below) naming a ticket opens a new one for review', async () => {
    const t = stored(
      await f.ingest(
        received('pass', {
          from: 'Alice <alice@client.example>',
          messageId: 'orig-18@client.example',
          subject: 'Invoice question',
        }),
      ),
    );
    expect((await ticket(t.ticketId)).messages[0]!.sender_auth).toEqual({
      verified: true,
      dmarc: 'pass',
      spf: 'pass',
      dkim: 'none',
      authserv_id: 'mx.acme.example',
      trusted_header: true,
      deception: [],
      address: 'alice@client.example',
      withheld_from_ticket_id: null,
    });
    await f.api('PATCH', `/v1/tickets/${t.ticketId}`, { status: 'solved' });

    // Subject token, In-Reply-To of Alice's mail and the same provider thread: each would join.
    const spoof = stored(
      await f.ingest(
        received('fail', {
          from: 'Alice <alice@client.example>',
          subject: `Re: Invoice question [#${t.ticketNumber}]`,
          inReplyTo: '<orig-18@client.example>',
          headers: forged,
        }),
      ),
    );
    expect(spoof).toMatchObject({ newTicket: true, threadRule: 'new_ticket', kind: 'human' });
    expect(spoof.ticketId).not.toBe(t.ticketId);
    const original = await ticket(t.ticketId);
    expect([original.status, original.message_count]).toEqual(['solved', 1]);
    expect((await ticket(spoof.ticketId)).messages[0]!.sender_auth).toMatchObject({
      verified: false,
      dmarc: 'fail',
      spf: 'fail',
      authserv_id: 'mx.acme.example',
      withheld_from_ticket_id: t.ticketId,
    });
  });

  test('DMARC fail: a provider thread is not followed; an answer to our signed reply still joins', async () => {
    const t = stored(
      await f.ingest(received('pass', { messageId: 'orig-43@client.example' }), {
        providerThreadId: 'thread-43',
      }),
    );
    const viaThread = stored(
      await f.ingest(received('fail', { subject: 'Re: Help needed' }), {
        providerThreadId: 'thread-43',
      }),
    );
    expect(viaThread).toMatchObject({ newTicket: true, threadRule: 'new_ticket' });
    // The thread still leads to the real ticket: the spoof did not become its newest message.
    const next = stored(
      await f.ingest(received('pass', { subject: 'Re: Help needed' }), {
        providerThreadId: 'thread-43',
      }),
    );
    expect(next).toMatchObject({ ticketId: t.ticketId, threadRule: 'provider_thread' });

    // Our reply, as the mailbox's Sent copy comes back: its Message-ID is HMAC-signed for the tenant.
    const ourId = await signedMessageId(f, '1f4e2c9a-8d7b-4c3e-9a1f-2b3c4d5e6f70');
    stored(
      await f.ingest(
        mail({
          from: 'support@acme.example',
          messageId: ourId.slice(1, -1),
          inReplyTo: '<orig-43@client.example>',
        }),
      ),
    );
    // Only a recipient of that reply knows its id: a customer with broken DMARC still lands here.
    const answer = stored(await f.ingest(received('fail', { inReplyTo: ourId })));
    expect(answer).toMatchObject({
      ticketId: t.ticketId,
      threadRule: 'in_reply_to',
      newTicket: false,
    });
    const view = await ticket(t.ticketId);
    expect(view.messages.at(-1)!.sender_auth).toMatchObject({
      verified: false,
      withheld_from_ticket_id: null,
    });
  });

  test("a field under an id the mailbox does not trust is not the receiver's: unverified, nothing withheld", async () => {
    const t = stored(await f.ingest(mail({ messageId: 'orig-x@client.example' })));
    const other = stored(
      await f.ingest(
        Buffer.concat([
          Buffer.from('Authentication-Results: mx.elsewhere.example; dmarc=fail\r\n'),
          mail({ inReplyTo: '<orig-x@client.example>' }),
        ]),
      ),
    );
    expect(other).toMatchObject({ ticketId: t.ticketId, threadRule: 'in_reply_to' });
    expect((await ticket(t.ticketId)).messages[1]!.sender_auth).toMatchObject({
      verified: false,
      trusted_header: false,
      dmarc: null,
    });
  });

  test('a helpdesk finds withheld mail: ?review=sender_unverified lists it, message.received names the claimed ticket', async () => {
    // A mailbox of its own, so the queue below holds only this test's tickets; the claimed ticket
    // is in another mailbox of the tenant (Message-IDs are looked up tenant-wide).
    const mailboxId = await f.addMailbox('billing@acme.example');
    const claimedBox = await f.addMailbox('sales@acme.example');
    const t = stored(
      await f.ingest(received('pass', { messageId: 'orig-rv@client.example' }), {
        mailboxId: claimedBox,
      }),
    );
    const spoof = stored(
      await f.ingest(received('fail', { inReplyTo: '<orig-rv@client.example>' }), { mailboxId }),
    );
    // Unverified but claiming nothing: a new ticket like any other, not a review case.
    const plain = stored(await f.ingest(received('fail', { subject: 'Hello' }), { mailboxId }));
    expect([spoof.newTicket, plain.newTicket]).toEqual([true, true]);

    const queue = await f.api<{ items: { id: string }[] }>(
      'GET',
      `/v1/tickets?review=sender_unverified&mailbox_id=${mailboxId}`,
    );
    expect(queue.status).toBe(200);
    expect(queue.body.items.map((i) => i.id)).toEqual([spoof.ticketId]);
    const all = await f.api<{ items: { id: string }[] }>(
      'GET',
      `/v1/tickets?mailbox_id=${mailboxId}`,
    );
    expect(all.body.items).toHaveLength(2);

    const events = await f.api<{ items: { type: string; data: Record<string, unknown> }[] }>(
      'GET',
      '/v1/events?types=message.received&limit=500',
    );
    const eventOf = (id: string) => events.body.items.find((e) => e.data.message_id === id)?.data;
    expect(eventOf(spoof.messageId)).toMatchObject({
      ticket_id: spoof.ticketId,
      withheld_from_ticket_id: t.ticketId,
    });
    expect(eventOf(plain.messageId)).toMatchObject({ withheld_from_ticket_id: null });

    const bad = await f.api('GET', '/v1/tickets?review=everything');
    expect(bad).toMatchObject({ status: 400, body: { code: 'validation_failed' } });

    // The claimed ticket's mailbox is disconnected and purged: the spoof still awaits review.
    expect((await f.api('DELETE', `/v1/mailboxes/${claimedBox}`)).status).toBe(200);
    const deps = { ...f.t.container.disconnectDeps, purgeDelayMs: 0 };
    expect(await purgeMailbox(deps, { tenantId: f.tenant.id, mailboxId: claimedBox })).toBe(
      'completed',
    );
    expect((await f.api('GET', `/v1/tickets/${t.ticketId}`)).status).toBe(404);
    const after = await f.api<{ items: { id: string }[] }>(
      'GET',
      `/v1/tickets?review=sender_unverified&mailbox_id=${mailboxId}`,
    );
    expect(after.body.items.map((i) => i.id)).toEqual([spoof.ticketId]);
  });

  test('deceptive display names are flagged and the real addr-spec is the requester', async () => {
    const cases: [string, string, string[]][] = [
      [
        '"ceo@corp.example" <attacker@evil.example>',
        'attacker@evil.example',
        ['display_name_address'],
      ],
      [
        '"victim@corp.example x"@evil.example',
        '"victim@corp.example x"@evil.example',
        ['local_part_address'],
      ],
      ['"Bob \u202Emoc.elpmaxe@bob" <x@evil.example>', 'x@evil.example', ['bidi_control']],
      ['"\u0410lice" <alice@evil.example>', 'alice@evil.example', ['mixed_script']],
    ];
    for (const [from, address, flags] of cases) {
      const o = stored(await f.ingest(received('pass', { from })));
      const view = await ticket(o.ticketId);
      expect(view.requester?.address).toBe(address);
      expect(view.messages[0]!.sender_auth).toMatchObject({ deception: flags, address });
    }
  });
});
