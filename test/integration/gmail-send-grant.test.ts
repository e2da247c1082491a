// security.md control 3: the granted scopes are read on every token refresh, not only at consent.
// A Gmail user who takes gmail.send away keeps a mailbox that ingests, but the mailbox says so
// (send_granted false, one event), the reply API refuses with 409 and no send reaches Google; a
// later refresh that carries gmail.send again restores it.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { GMAIL_READONLY, GMAIL_SEND } from '../../src/providers/gmail/gmail-settings.js';
import { type GmailHarness, makeGmailHarness } from '../helpers/gmail.js';
import { mail } from '../helpers/mail.js';
import { grantEventsOf, tenantApi } from '../helpers/send-grant.js';
import { runSendJob } from '../helpers/send-job.js';

let h: GmailHarness;
beforeAll(async () => {
  h = await makeGmailHarness();
});
afterAll(async () => {
  await h?.close();
});

const api = tenantApi(() => h);
const grantEvents = (mailboxId: string) => grantEventsOf(h, mailboxId);
const sends = (email: string) =>
  h.fake.callLog().filter((c) => c.user === email && c.operation === 'users.messages.send').length;

/** The user changes the grant, then the cached access token runs out: the next call refreshes. */
function regrant(email: string, scopes: string[]) {
  h.fake.setGrantedScopes(email, ['openid', 'email', ...scopes]);
  h.fake.advanceTime(3600_000);
}

describe('a Gmail grant that loses gmail.send on refresh', () => {
  test('ingest goes on, replies get 409 mailbox_send_not_granted without a provider call, re-granting restores sending', async () => {
    const email = 'help@acme-grant.example';
    const { mailboxId } = await h.connect(email);
    const id = mailboxId!;
    h.fake.deliver(email, mail({ to: email, subject: 'Broken kettle' }));
    await h.sync(id);
    const ticket = (
      (await api('GET', '/v1/tickets')).json().items as { id: string; subject: string }[]
    ).find((x) => x.subject === 'Broken kettle')!;
    // Queued while sending was still granted; its job runs only after the grant narrowed.
    const queued = (
      await api('POST', `/v1/tickets/${ticket.id}/replies`, { text: 'Looking into it.' })
    ).json();
    expect((await api('GET', `/v1/mailboxes/${id}`)).json().send_granted).toBe(true);

    regrant(email, [GMAIL_READONLY]);
    h.fake.deliver(email, mail({ to: email, subject: 'Cold tea' }));
    expect(await h.sync(id)).toMatchObject({ status: 'synced' });
    const subjects = ((await api('GET', '/v1/tickets')).json().items as { subject: string }[]).map(
      (x) => x.subject,
    );
    expect(subjects).toContain('Cold tea');

    const mailbox = (await api('GET', `/v1/mailboxes/${id}`)).json();
    expect(mailbox).toMatchObject({ status: 'active', send_granted: false });
    expect(await grantEvents(id)).toEqual([{ send_granted: false }]);

    const refused = await api('POST', `/v1/tickets/${ticket.id}/replies`, { text: 'Any news?' });
    expect(refused.statusCode).toBe(409);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.json()).toMatchObject({ code: 'mailbox_send_not_granted' });
    const outbox = await h.owner<{ state: string }>(
      'SELECT state FROM outbox WHERE ticket_id = $1',
      [ticket.id],
    );
    expect(outbox).toEqual([{ state: 'queued' }]); // only the reply queued before

    expect(await runSendJob(h.t.container, h.tenant.id, queued.id)).toBe('failed');
    expect(sends(email)).toBe(0);

    // Refreshing again with the same narrow grant records nothing new.
    h.fake.advanceTime(3600_000);
    await h.sync(id);
    expect(await grantEvents(id)).toHaveLength(1);

    regrant(email, [GMAIL_READONLY, GMAIL_SEND]);
    await h.sync(id);
    expect((await api('GET', `/v1/mailboxes/${id}`)).json().send_granted).toBe(true);
    expect(await grantEvents(id)).toEqual([{ send_granted: false }, { send_granted: true }]);
    const again = await api('POST', `/v1/tickets/${ticket.id}/replies`, { text: 'Fixed now.' });
    expect(again.statusCode).toBe(202);
    expect(await runSendJob(h.t.container, h.tenant.id, again.json().id)).toBe('sent');
    expect(sends(email)).toBe(1);
  });
});
