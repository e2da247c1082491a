// What a DMARC failure changes when a page is decided: no identity is linked, and the verdicts go
// into the sealed headers document the API reads.
import { describe, expect, test } from 'vitest';

import { mail } from '../../../test/helpers/mail.js';
import {
  decide,
  emptyLookup,
  hex,
  index,
  item,
  stored,
} from '../../../test/helpers/page-decide.js';

const trust = { ids: ['mx.acme.example'], idless: false };
const withResults = (dmarc: string, raw: Buffer) =>
  Buffer.concat([
    Buffer.from(`Authentication-Results: mx.acme.example; spf=pass; dmarc=${dmarc}\r\n`),
    raw,
  ]);

describe('deciding a page with sender authentication', () => {
  test('a sender that failed DMARC adds no participant (its From and Cc may be anyone)', async () => {
    const m = () => mail({ from: 'alice@client.example', cc: 'mallory@evil.example' });
    const { plan } = decide(
      [await item(withResults('fail', m())), await item(withResults('pass', m()))],
      emptyLookup(),
      [],
      trust,
    );
    expect(plan.messages.map((x) => x.participants.map(hex))).toEqual([
      [],
      [hex(index.email('alice@client.example')), hex(index.email('mallory@evil.example'))],
    ]);
    expect(plan.messages.map((x) => x.headers.sender_auth?.dmarc)).toEqual(['fail', 'pass']);
  });

  test('a subject token of a known participant does not carry a DMARC failure onto the ticket', async () => {
    const lookup = emptyLookup();
    lookup.tokens.set(1042, {
      ticketId: 'stored-t',
      participants: new Set([hex(index.email('alice@client.example'))]),
    });
    const raw = mail({ from: 'alice@client.example', subject: 'Re: [#1042]' });
    const passing = decide([await item(withResults('pass', raw))], lookup, [], trust).plan;
    expect(stored(passing.outcomes[0])).toMatchObject({
      ticketId: 'stored-t',
      threadRule: 'subject_token',
    });
    const failing = decide([await item(withResults('fail', raw))], lookup, [], trust).plan;
    expect(stored(failing.outcomes[0])).toMatchObject({
      newTicket: true,
      threadRule: 'new_ticket',
    });
    expect(failing.messages[0]!.headers.sender_auth?.withheld_from).toBe('stored-t');
  });
});
