// The decide step of storing a page, without a database: messages go in with what the page lookup
// found, the plan comes out (tickets, rules, kinds, participants, status, bounce links, jobs).
import { describe, expect, test } from 'vitest';

import { mail } from '../../test/helpers/mail.js';
import {
  decide,
  dsn,
  emptyLookup,
  hex,
  index,
  indexKey,
  item,
  ownId,
  stored,
} from '../../test/helpers/page-decide.js';
import { ticketUpdates } from './page-decide.js';
import { keyPage, loopThreshold } from './page-keys.js';

describe('deciding a page', () => {
  test('a first message opens a ticket with its subject and requester; its sender takes part', async () => {
    const { plan } = decide([
      await item(mail({ from: 'Pat <pat@client.example>', subject: 'Printer on fire' })),
    ]);
    expect(plan.tickets).toEqual([
      {
        id: 'ticket-1',
        mailboxId: 'mailbox',
        subject: 'Printer on fire',
        requester: { name: 'Pat', address: 'pat@client.example' },
        requesterBidx: index.email('pat@client.example'),
      },
    ]);
    const o = stored(plan.outcomes[0]);
    expect(o).toMatchObject({ ticketId: 'ticket-1', newTicket: true, kind: 'human' });
    expect(o.threadRule).toBe('new_ticket');
    expect(plan.messages[0]!.participants.map(hex)).toEqual([
      hex(index.email('pat@client.example')),
    ]);
    expect(plan.touched.size).toBe(0);
  });

  test('a reply later in the page joins the ticket its original opened; one to a stored message joins and reopens that ticket', async () => {
    const lookup = emptyLookup();
    lookup.known.set(hex(index.messageId('old@client.example')), {
      id: 'm0',
      ticketId: 'stored-t',
    });
    const { plan } = decide(
      [
        await item(mail({ messageId: 'first@client.example' })),
        await item(mail({ inReplyTo: '<first@client.example>', subject: 'Re: Help needed' })),
        await item(mail({ references: '<x@y> <old@client.example>' })),
      ],
      lookup,
    );
    expect(plan.tickets.map((t) => t.id)).toEqual(['ticket-1']);
    expect(plan.outcomes.map((o) => stored(o).ticketId)).toEqual([
      'ticket-1',
      'ticket-1',
      'stored-t',
    ]);
    expect(plan.outcomes.map((o) => stored(o).threadRule)).toEqual([
      'new_ticket',
      'in_reply_to',
      'references',
    ]);
    // Only the existing ticket is touched: its status and activity follow the message's kind.
    expect([...plan.touched]).toEqual([['stored-t', ['human']]]);
    expect(ticketUpdates(plan.touched, new Map([['stored-t', { status: 'solved' }]]))).toEqual([
      { id: 'stored-t', status: 'open', activity: true },
    ]);
  });

  test('an auto-reply joins without reopening the ticket, and its sender does not take part', async () => {
    const lookup = emptyLookup();
    lookup.known.set(hex(index.messageId('q@client.example')), { id: 'm0', ticketId: 't' });
    const { plan } = decide(
      [
        await item(
          mail({ inReplyTo: '<q@client.example>', headers: { 'Auto-Submitted': 'auto-replied' } }),
        ),
      ],
      lookup,
    );
    expect(stored(plan.outcomes[0])).toMatchObject({ ticketId: 't', kind: 'auto_reply' });
    expect(plan.messages[0]!.participants).toEqual([]);
    expect(ticketUpdates(plan.touched, new Map([['t', { status: 'solved' }]]))).toEqual([
      { id: 't', status: 'solved', activity: false },
    ]);
  });

  test('a bounce of a reply Inlet signed is linked to it and carries its recipients in the headers', async () => {
    const lookup = emptyLookup();
    lookup.known.set(hex(index.messageId(ownId)), { id: 'reply', ticketId: 't' });
    const { plan } = decide([await item(dsn(`<${ownId}>`))], lookup);
    const o = stored(plan.outcomes[0]);
    expect(o).toMatchObject({ ticketId: 't', kind: 'bounce', threadRule: 'bounce_original' });
    expect(plan.bounceLinks).toEqual([
      {
        bounceMessageId: o.messageId,
        originalBidx: index.messageId(ownId),
        recipients: [expect.objectContaining({ address: 'pat@client.example', status: '5.1.1' })],
      },
    ]);
    expect(plan.messages[0]!.headers.bounce?.recipients[0]).toMatchObject({
      address: 'pat@client.example',
      action: 'failed',
    });
    // A bounce of a message Inlet did not sign links nothing.
    expect(decide([await item(dsn('<someone@else.example>'))]).plan.bounceLinks).toEqual([]);
  });

  test('a sender past the loop threshold on one ticket is a loop, counting the page’s own messages', async () => {
    const lookup = emptyLookup();
    lookup.known.set(hex(index.messageId('q@client.example')), { id: 'm0', ticketId: 't' });
    const from = 'bot@client.example';
    lookup.loopCounts.set(`t:${hex(index.email(from))}`, loopThreshold - 1);
    const reply = () => item(mail({ from, inReplyTo: '<q@client.example>' }));
    const { plan } = decide([await reply(), await reply(), await reply()], lookup);
    expect(plan.outcomes.map((o) => stored(o).kind)).toEqual(['human', 'loop', 'loop']);
    // The person's message reopens the ticket; the loops after it change nothing.
    expect(ticketUpdates(plan.touched, new Map([['t', { status: 'closed' }]]))).toEqual([
      { id: 't', status: 'open', activity: true },
    ]);
    expect(plan.touched.get('t')).toEqual(['human', 'loop', 'loop']);
  });

  test('the same message twice in a page is stored once; a delivery seen before or twice is a duplicate', async () => {
    const raw = mail({ messageId: 'twice@client.example', text: 'same' });
    const lookup = emptyLookup();
    const earlier = mail({ messageId: 'earlier@client.example' });
    const earlierItem = await item(earlier);
    lookup.dedupe.set(hex(keyPage([earlierItem], index, indexKey)[0]!.dedupeBidx), 'stored-m');
    const { plan } = decide(
      [
        await item(raw, { providerMessageId: 'a' }),
        await item(raw, { providerMessageId: 'b' }),
        await item(raw, { providerMessageId: 'a' }),
        await item(raw, { providerMessageId: 'seen' }),
        { ...earlierItem, input: { ...earlierItem.input, providerMessageId: 'c' } },
      ],
      lookup,
      ['seen'],
    );
    const first = stored(plan.outcomes[0]);
    expect(plan.outcomes.slice(1)).toEqual([
      { status: 'duplicate', messageId: first.messageId },
      { status: 'duplicate', messageId: null },
      { status: 'duplicate', messageId: null },
      { status: 'duplicate', messageId: 'stored-m' },
    ]);
    expect(plan.duplicates).toEqual([
      { providerMessageId: 'b', messageId: first.messageId },
      { providerMessageId: 'c', messageId: 'stored-m' },
    ]);
    expect(plan.messages).toHaveLength(1);
  });

  test('a subject token is honoured only from a participant: not from a stranger, nor from an auto-reply’s sender', async () => {
    const lookup = emptyLookup();
    const pat = 'pat@client.example';
    lookup.tokens.set(42, { ticketId: 't42', participants: new Set([hex(index.email(pat))]) });
    const { plan } = decide(
      [
        await item(mail({ from: pat, subject: 'More [#42]' })),
        await item(mail({ from: 'eve@evil.example', subject: 'Re: [#42]' })),
      ],
      lookup,
    );
    expect(stored(plan.outcomes[0])).toMatchObject({
      ticketId: 't42',
      threadRule: 'subject_token',
    });
    expect(stored(plan.outcomes[1])).toMatchObject({ ticketId: 'ticket-1', newTicket: true });

    // A token naming a ticket this page opened: the decision asks for the numbers of the tickets
    // opened so far, then honours the token for the opener (a person), not for an auto-reply's sender.
    const robot = 'ooo@client.example';
    const { plan: p2, yielded } = decide([
      await item(mail({ from: pat, cc: robot, subject: 'New' })),
      await item(mail({ from: pat, subject: 'Re: New [#1000]' })),
      await item(mail({ from: robot, subject: 'Later [#1000]' })),
    ]);
    expect(yielded.map((y) => y.map((t) => t.id))).toEqual([['ticket-1']]);
    expect(p2.outcomes.map((o) => stored(o).ticketId)).toEqual([
      'ticket-1',
      'ticket-1',
      'ticket-1',
    ]);
    expect(stored(p2.outcomes[1]).threadRule).toBe('subject_token');
    const { plan: p3 } = decide([
      await item(
        mail({ from: robot, subject: 'Away', headers: { 'Auto-Submitted': 'auto-replied' } }),
      ),
      await item(mail({ from: robot, subject: 'Re: Away [#1000]' })),
    ]);
    expect(p3.outcomes.map((o) => stored(o).ticketId)).toEqual(['ticket-1', 'ticket-2']);
    expect(p3.tickets.map((t) => t.id)).toEqual(['ticket-2']);
  });

  test('attachments the scanner did not answer for are counted pending and rescanned', async () => {
    const attachment = (name: string) => ({
      filename: name,
      contentType: 'text/plain',
      content: Buffer.from(name),
    });
    const { plan } = decide([
      await item(mail({ attachments: [attachment('a.txt'), attachment('b.txt')] }), {
        scans: ['clean', 'pending'],
      }),
      await item(mail({ attachments: [attachment('c.txt')] })),
    ]);
    expect(plan.outcomes.map((o) => stored(o).attachments)).toEqual([
      { clean: 1, infected: 0, pending: 1, scan_failed: 0 },
      { clean: 1, infected: 0, pending: 0, scan_failed: 0 },
    ]);
    expect(plan.rescans).toEqual([plan.messages[0]!.id]);
  });
});
