// A Gmail message far over INGEST_MAX_MESSAGE_BYTES is not downloaded (its format=raw answer is cut
// off at the cap), yet the agent learns that the customer wrote: format=metadata gives its headers
// for a stub on the ticket it answers, with its size from sizeEstimate. A resync that lists it
// again makes no second stub.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { type GmailHarness, makeGmailHarness } from '../helpers/gmail.js';
import { parkedEvents, syncOversizedAnswer } from '../helpers/oversized-answer.js';

let h: GmailHarness;
beforeAll(async () => {
  h = await makeGmailHarness({}, { INGEST_MAX_MESSAGE_BYTES: String(64 * 1024) });
});
afterAll(async () => {
  await h?.close();
});

describe('a Gmail message over the size limit', () => {
  test('leaves a stub of its headers and size on the ticket it answers, once', async () => {
    const email = 'big@acme-big.example';
    const id = (await h.connect(email)).mailboxId!;
    expect(await h.sync(id)).toMatchObject({ status: 'synced' });
    const { big, ticketId, stub } = await syncOversizedAnswer(h, id, email, (raw) =>
      h.fake.deliver(email, raw),
    );
    expect(stub.headers.oversize).toEqual({ bytes: big.length });
    expect((await parkedEvents(h, id)).map((e) => e.data.size)).toEqual([big.length]);

    // History lost: the resync lists both again; neither is stored, parked or stubbed twice.
    h.fake.expireHistoryBefore(email, h.fake.historyId(email));
    expect(await h.sync(id)).toMatchObject({ status: 'synced', stored: 0, parked: 0 });
    expect(await parkedEvents(h, id)).toHaveLength(1);
    expect(await h.owner(`SELECT 1 FROM messages WHERE ticket_id = $1`, [ticketId])).toHaveLength(
      2,
    );
  });
});
