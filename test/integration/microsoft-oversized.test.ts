// A Microsoft 365 message far over INGEST_MAX_MESSAGE_BYTES is not downloaded (its $value stream is
// cancelled past the limit), yet the agent learns that the customer wrote: its internet headers
// ($select=internetMessageHeaders) make a stub on the ticket it answers. Listed again by a second
// sync, it makes no second stub.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { makeMicrosoftHarness, type MicrosoftHarness } from '../helpers/microsoft.js';
import { parkedEvents, syncOversizedAnswer } from '../helpers/oversized-answer.js';

let h: MicrosoftHarness;
beforeAll(async () => {
  h = await makeMicrosoftHarness({}, { INGEST_MAX_MESSAGE_BYTES: String(64 * 1024) });
});
afterAll(async () => {
  await h?.close();
});

describe('a Microsoft 365 message over the size limit', () => {
  test('leaves a stub of its headers on the ticket it answers, once', async () => {
    const email = 'big@acme-big.example';
    h.fake.addUser(email);
    const id = (await h.connect(email)).mailboxId!;
    expect(await h.sync(id)).toMatchObject({ status: 'synced' });
    const { ticketId } = await syncOversizedAnswer(h, id, email, (raw) =>
      h.fake.deliver(email, raw),
    );

    expect(await h.sync(id)).toMatchObject({ status: 'synced', stored: 0, parked: 0 });
    expect(await parkedEvents(h, id)).toHaveLength(1);
    expect(await h.owner(`SELECT 1 FROM messages WHERE ticket_id = $1`, [ticketId])).toHaveLength(
      2,
    );
  });
});
