// security.md control 3 for Microsoft 365: Entra refuses a refresh that asks for a scope no longer
// consented (AADSTS65001). A mailbox whose Mail.Send was withdrawn keeps ingesting on a token for
// the rest, says send_granted false (one event), and the reply API answers 409 with no Graph send;
// once Mail.Send is consented again, the next token restores sending.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { mail } from '../helpers/mail.js';
import { makeMicrosoftHarness, type MicrosoftHarness } from '../helpers/microsoft.js';
import { grantEventsOf, tenantApi } from '../helpers/send-grant.js';

let h: MicrosoftHarness;
beforeAll(async () => {
  h = await makeMicrosoftHarness();
});
afterAll(async () => {
  await h?.close();
});

const api = tenantApi(() => h);
const grantEvents = (mailboxId: string) => grantEventsOf(h, mailboxId);

/** The consent changes, then the access token runs out (Graph answers 401): the session refreshes. */
function regrant(email: string, scopes: string[]) {
  h.fake.setGrantedScopes(email, scopes);
  h.fake.advanceTime(2 * 3600_000);
}

describe('a Microsoft 365 grant whose Mail.Send is withdrawn', () => {
  test('ingest goes on, replies get 409 mailbox_send_not_granted, consenting Mail.Send again restores sending', async () => {
    const email = 'desk@acme-grant.example';
    h.fake.addUser(email);
    const id = (await h.connect(email)).mailboxId!;
    await h.sync(id);

    regrant(email, ['User.Read', 'Mail.Read']);
    h.fake.deliver(email, mail({ to: email, subject: 'Door squeaks' }));
    expect(await h.sync(id)).toMatchObject({ status: 'synced' });
    const ticket = (
      (await api('GET', '/v1/tickets')).json().items as { id: string; subject: string }[]
    ).find((x) => x.subject === 'Door squeaks')!;
    expect(ticket).toBeDefined();
    expect((await api('GET', `/v1/mailboxes/${id}`)).json()).toMatchObject({
      status: 'active',
      send_granted: false,
    });
    expect(await grantEvents(id)).toEqual([{ send_granted: false }]);

    const refused = await api('POST', `/v1/tickets/${ticket.id}/replies`, { text: 'Oil it.' });
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ code: 'mailbox_send_not_granted' });
    expect(await h.owner('SELECT 1 FROM outbox WHERE ticket_id = $1', [ticket.id])).toEqual([]);
    expect(h.fake.sent(email)).toEqual([]);

    regrant(email, ['User.Read', 'Mail.Read', 'Mail.Send']);
    await h.sync(id);
    expect((await api('GET', `/v1/mailboxes/${id}`)).json().send_granted).toBe(true);
    expect(await grantEvents(id)).toEqual([{ send_granted: false }, { send_granted: true }]);
    const again = await api('POST', `/v1/tickets/${ticket.id}/replies`, { text: 'Oil it.' });
    expect(again.statusCode).toBe(202);
  });
});
