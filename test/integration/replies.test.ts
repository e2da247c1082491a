// Agents' replies end to end: the API stores and queues them, the send job delivers them through a
// real SMTP server (sink) and files them in a real Dovecot's Sent folder, and the customer's answer
// threads back; header injection and Idempotency-Key reuse. Faults are in replies-faults.test.ts.
import { randomUUID } from 'node:crypto';

import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { verifyOutboundMessageId } from '../../src/crypto/index.js';
import { mail } from '../helpers/mail.js';
import { startRepliesBed } from '../helpers/replies-bed.js';
import { createTenant } from '../helpers/tenants.js';

const bed = await startRepliesBed();
const { dovecot, mailboxWithTicket, post, owner, outboxOf, runJob, delivered, counts } = bed;
const d = dovecot ? describe : describe.skip;

beforeAll(() => bed.start());
afterAll(() => bed.close());

d('replies', () => {
  test('a reply reaches the customer from the mailbox, threaded, signed, filed in Sent; the answer joins the ticket', async () => {
    const m = await mailboxWithTicket();
    const pdf = Buffer.from('%PDF-1.4 invoice');
    const res = await post(m.ticketId, {
      text: 'We are on it.',
      html: '<p>We are <b>on it</b>.</p>',
      cc: ['Boss <boss@client.example>'],
      attachments: [
        {
          filename: 'invoice.pdf',
          content_type: 'application/pdf',
          content_base64: pdf.toString('base64'),
        },
      ],
    });
    expect(res.statusCode).toBe(202);
    const reply = res.json();
    expect(reply).toMatchObject({ ticket_id: m.ticketId, state: 'queued' });

    const outboxId = (await outboxOf(reply.id)).id;
    expect(
      await owner('SELECT queue_name, max_attempts FROM graphile_worker.jobs WHERE key = $1', [
        `reply:${outboxId}`,
      ]),
    ).toEqual([{ queue_name: `send:${m.mailboxId}`, max_attempts: 10 }]);
    expect(
      await owner(
        `SELECT actor FROM audit_log WHERE action = 'reply.create' AND resource_id = $1`,
        [m.ticketId],
      ),
    ).toEqual([{ actor: expect.stringMatching(/^key:/) }]);

    expect(await runJob(reply.id)).toBe('sent');
    const [sent, ...more] = delivered(reply.message_id);
    expect(more).toHaveLength(0);
    expect(sent!.envelope.rcptTo.sort()).toEqual([
      'boss@client.example',
      'customer@client.example',
    ]);
    const parsed = await simpleParser(sent!.raw);
    expect(parsed.from?.value).toEqual([{ name: 'Acme Support', address: m.user }]);
    expect(parsed.to && !Array.isArray(parsed.to) ? parsed.to.value : null).toEqual([
      { name: 'Customer', address: 'customer@client.example' },
    ]);
    expect(parsed.subject).toBe(`Re: Printer on fire [#${m.ticketNumber}]`);
    expect(parsed.inReplyTo).toBe(`<${m.customerId}>`);
    expect(parsed.references).toEqual(['<root@client.example>', `<${m.customerId}>`]);
    expect(parsed.messageId).toBe(reply.message_id);
    expect(parsed.headers.get('auto-submitted')).toBe('no');
    expect(
      parsed.attachments.map((a) => [a.filename, a.contentType, a.content.equals(pdf)]),
    ).toEqual([['invoice.pdf', 'application/pdf', true]]);
    const signingKey = await bed.f.t.container.db.tenantTx(
      bed.f.tenant.id,
      async (ex) => (await bed.f.t.container.keys.tenantKey(ex, bed.f.tenant.id, 'signing')).key,
    );
    expect(verifyOutboundMessageId(signingKey, bed.f.tenant.id, reply.message_id)).toEqual({
      outboundId: outboxId,
    });
    const other = await createTenant(bed.f.t, 'Other');
    expect(verifyOutboundMessageId(signingKey, other.id, reply.message_id)).toBeNull();
    expect(
      (await dovecot!.list(m.user, 'Sent')).filter((s) => s.raw.includes(reply.message_id)),
    ).toHaveLength(1);
    expect(await outboxOf(reply.id)).toMatchObject({ state: 'sent', attempts: 1 });
    expect(
      await owner('SELECT 1 FROM events WHERE type = $1 AND resource_id = $2', [
        'reply.sent',
        reply.id,
      ]),
    ).toHaveLength(1);

    const answer = await bed.f.ingest(
      mail({
        to: m.user,
        subject: 'Thanks!',
        inReplyTo: reply.message_id,
        references: `<${m.customerId}> ${reply.message_id}`,
      }),
      { mailboxId: m.mailboxId },
    );
    expect(answer).toMatchObject({
      status: 'stored',
      ticketId: m.ticketId,
      threadRule: 'in_reply_to',
      kind: 'human',
    });
    const ticket = await bed.f.api<{
      messages: { direction: string; kind: string; thread_rule: string }[];
    }>('GET', `/v1/tickets/${m.ticketId}`);
    expect(ticket.body.messages.map((x) => [x.direction, x.kind, x.thread_rule])).toEqual([
      ['inbound', 'human', 'new_ticket'],
      ['outbound', 'agent_reply', 'outbound'],
      ['inbound', 'human', 'in_reply_to'],
    ]);
  });

  test('line breaks or control characters in anything that becomes a header are refused, and nothing is stored', async () => {
    const m = await mailboxWithTicket();
    const before = await counts();
    const attempts: [string, unknown][] = [
      ['cc[0]', { text: 'x', cc: ['a@client.example\r\nBcc: victim@evil.example'] }],
      ['cc[0]', { text: 'x', cc: ['"Evil\rName" <a@client.example>'] }],
      [
        'attachments[0].filename',
        {
          text: 'x',
          attachments: [
            { filename: 'report\n.txt', content_type: 'text/plain', content_base64: 'aGk=' },
          ],
        },
      ],
      [
        'attachments[0].content_type',
        {
          text: 'x',
          attachments: [
            {
              filename: 'a.txt',
              content_type: 'text/plain\r\nBcc: v@evil.example',
              content_base64: 'aGk=',
            },
          ],
        },
      ],
    ];
    for (const [field, body] of attempts) {
      const res = await post(m.ticketId, body);
      expect(res.statusCode, field).toBe(400);
      expect(res.json()).toMatchObject({ code: 'header_injection', field });
    }
    // NUL is refused for every field of every request before it reaches a route.
    const nul = await post(m.ticketId, {
      text: 'x',
      attachments: [
        { filename: 'a\u0000b.txt', content_type: 'text/plain', content_base64: 'aGk=' },
      ],
    });
    expect(nul.statusCode).toBe(400);
    expect(nul.json().errors[0].path).toBe('body/attachments/0/filename');
    expect(await counts()).toEqual(before);
    // The inbound subject is attacker data: an RFC 2047-encoded newline must not become a Bcc, and
    // must not make the ticket unanswerable either: the reply's subject carries it on one line.
    const evil = await mailboxWithTicket('=?UTF-8?Q?Hello=0ABcc:_victim@evil.example?=');
    const res = await post(evil.ticketId, { text: 'x' });
    expect(res.statusCode).toBe(202);
    // (src/tickets/ticket-token.test.ts shows the subject it gets.)
    // Not an injection, but not one plain address either: a group, a quoted local part with '@', two addresses.
    for (const cc of [
      'friends: a@b.example;',
      '"victim@corp.example x"@evil.example',
      'a@b.example, c@d.example',
    ]) {
      expect((await post(m.ticketId, { text: 'x', cc: [cc] })).json()).toMatchObject({
        code: 'validation_failed',
        field: 'cc[0]',
      });
    }
  });

  test('the same Idempotency-Key: same body → same reply, one delivery; different body → 409', async () => {
    const m = await mailboxWithTicket();
    const key = `reply-${randomUUID()}`;
    const first = await post(m.ticketId, { text: 'Once only' }, key);
    const again = await post(m.ticketId, { text: 'Once only' }, key);
    expect([first.statusCode, again.statusCode]).toEqual([202, 202]);
    expect(again.json()).toEqual(first.json());
    expect(again.headers['idempotent-replayed']).toBe('true');
    const changed = await post(m.ticketId, { text: 'Once only!' }, key);
    expect(changed.statusCode).toBe(409);
    expect(changed.json().code).toBe('idempotency_conflict');
    expect(await owner('SELECT 1 FROM outbox WHERE idempotency_key = $1', [key])).toHaveLength(1);
    const id = first.json().id as string;
    expect(await runJob(id)).toBe('sent');
    expect(await runJob(id, 2)).toBe('nothing_to_do');
    expect((await post(m.ticketId, { text: 'Once only' }, key)).json()).toMatchObject({
      id,
      state: 'sent',
    });
    expect(delivered(first.json().message_id)).toHaveLength(1);
    // Racing twins: one row, both answered with it.
    const twinKey = randomUUID();
    const twins = await Promise.all([
      post(m.ticketId, { text: 'twin' }, twinKey),
      post(m.ticketId, { text: 'twin' }, twinKey),
    ]);
    expect(twins.map((r) => r.statusCode)).toEqual([202, 202]);
    expect(twins[0]!.json().id).toBe(twins[1]!.json().id);
    expect(await owner('SELECT 1 FROM outbox WHERE idempotency_key = $1', [twinKey])).toHaveLength(
      1,
    );
    expect((await post(m.ticketId, { text: 'x' }, null)).json().code).toBe('validation_failed');
    expect((await post(m.ticketId, { text: 'x' }, 'bad\tkey')).json().code).toBe(
      'validation_failed',
    );
  });
});
