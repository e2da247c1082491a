// A Microsoft 365 mailbox end to end through the strict fake with the real MSAL and Graph client, real
// PostgreSQL and Inlet listening for Graph's validation requests and notifications: consent → mail →
// notification → ticket → agent reply sent as our MIME (Message-ID, In-Reply-To, References) into
// Sent Items → the customer's answer joins the ticket. The same for a shared mailbox (polled).
import { randomUUID } from 'node:crypto';

import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { mail } from '../helpers/mail.js';
import { makeMicrosoftHarness, type MicrosoftHarness, tenantApi } from '../helpers/microsoft.js';
import { runSendJob } from '../helpers/send-job.js';

let h: MicrosoftHarness;
beforeAll(async () => {
  h = await makeMicrosoftHarness();
});
afterAll(async () => {
  await h?.close();
});

const api = (method: 'GET' | 'POST', url: string, payload?: unknown) =>
  tenantApi(h, method, url, payload);

async function replyAndSend(ticketId: string, text: string) {
  const reply = (await api('POST', `/v1/tickets/${ticketId}/replies`, { text })).json();
  return { reply, outcome: await runSendJob(h.t.container, h.tenant.id, reply.id) };
}

describe('microsoft 365 mailbox flow', () => {
  test('consent → mail → notification → ticket → reply in Sent Items with our ids → answer joins the ticket', async () => {
    const email = 'support@acme-flow.example';
    h.fake.addUser(email);
    // Exchange Online stamps its field, with no authserv-id, above the copies the sender wrote.
    h.fake.deliver(
      email,
      Buffer.concat([
        Buffer.from(
          'Authentication-Results: spf=pass (sender IP is 192.0.2.9)\r\n smtp.mailfrom=client.example; dkim=none (message not signed)\r\n header.d=none;dmarc=bestguesspass action=none\r\n header.from=client.example;compauth=pass reason=109\r\n',
        ),
        mail({
          to: email,
          subject: 'Old question',
          headers: {
            'Authentication-Results': 'dmarc=pass action=none header.from=client.example',
          },
        }),
      ]),
    );

    // The sign-in URL asks for the fewest delegated scopes, with PKCE, at the configured authority.
    const url = await h.startUrl();
    expect(url.origin + url.pathname).toBe(`${h.fake.origin}/organizations/oauth2/v2.0/authorize`);
    expect(url.searchParams.get('scope')!.split(' ').sort()).toEqual([
      'Mail.Read',
      'Mail.Send',
      'User.Read',
      'offline_access',
      'openid',
      'profile',
    ]);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');

    const back = await h.connect(email);
    expect(back.status).toBe(303);
    expect(Object.fromEntries(back.location!.searchParams)).toMatchObject({
      status: 'connected',
      outcome: 'created',
    });
    const id = back.mailboxId!;
    expect((await api('GET', `/v1/mailboxes/${id}`)).json()).toMatchObject({
      provider: 'graph',
      status: 'active',
      address: email,
    });
    // Tokens only sealed; the subscription exists, validated against Inlet's own endpoints.
    const [row] = await h.owner<{
      c: Buffer;
      push_expires_at: Date | null;
      push_channel: { id: string };
    }>('SELECT credentials_ct AS c, push_expires_at, push_channel FROM mailboxes WHERE id = $1', [
      id,
    ]);
    expect(row!.c.toString('latin1')).not.toMatch(/refresh_token|RefreshToken|secret/i);
    const [sub] = h.fake.subscriptions(email);
    expect(sub).toMatchObject({
      changeType: 'created',
      notificationUrl: 'https://inlet.test/v1/webhooks/graph/notifications',
      lifecycleNotificationUrl: 'https://inlet.test/v1/webhooks/graph/lifecycle',
    });
    expect(sub!.clientState!.length).toBeGreaterThanOrEqual(32);
    expect(row!.push_channel.id).toBe(sub!.id);
    expect(
      h.fake
        .deliveries()
        .filter((d) => d.kind === 'validation')
        .map((d) => d.status),
    ).toEqual([200, 200]);

    expect(await h.sync(id)).toMatchObject({ status: 'synced', stored: 1 });
    await h.clearJobs();

    // New mail → Graph notifies → a keyed sync is queued → one ticket.
    const customerId = `${randomUUID()}@client.example`;
    h.fake.deliver(
      email,
      mail({
        to: email,
        subject: 'Printer on fire',
        messageId: customerId,
        references: '<root@client.example>',
      }),
    );
    await h.fake.settle();
    expect(
      h.fake
        .deliveries()
        .filter((d) => d.kind === 'notification')
        .map((d) => d.status),
    ).toEqual([202]);
    expect(await h.syncJobs(id)).toBe(1);
    expect(await h.sync(id)).toMatchObject({ stored: 1, duplicates: 0 });
    const ticket = (
      (await api('GET', '/v1/tickets')).json().items as { id: string; subject: string }[]
    ).find((x) => x.subject === 'Printer on fire')!;
    expect(ticket).toBeDefined();
    const old = (
      (await api('GET', '/v1/tickets')).json().items as { id: string; subject: string }[]
    ).find((x) => x.subject === 'Old question')!;
    expect(
      (await api('GET', `/v1/tickets/${old.id}`)).json().messages[0].sender_auth,
    ).toMatchObject({ verified: false, dmarc: 'bestguesspass', spf: 'pass', authserv_id: null });

    // The agent's reply leaves as our MIME through sendMail and sits in Sent Items.
    const { reply, outcome } = await replyAndSend(ticket.id, 'We are on it.');
    expect(outcome).toBe('sent');
    const sent = h.fake.sent(email);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.via).toBe('sendMail');
    const parsed = await simpleParser(sent[0]!.mime);
    expect(parsed.messageId).toBe(reply.message_id);
    expect(parsed.inReplyTo).toBe(`<${customerId}>`);
    expect(parsed.references).toEqual(['<root@client.example>', `<${customerId}>`]);
    expect(h.fake.sentItems(email).map((m) => m.internetMessageId)).toContain(reply.message_id);
    // A retry after a crash finds the reply in Sent Items instead of sending it twice.
    expect(
      await h.t.container.db.tenantTx(h.tenant.id, async (ex) =>
        (
          await h.t.container.providerFor(ex, h.t.container.keys, h.tenant.id, id, 'send')
        ).findSentByMessageId(reply.message_id),
      ),
    ).toBe(true);

    // The customer answers; it joins the ticket.
    h.fake.deliver(
      email,
      mail({
        to: email,
        subject: 'Re: Printer on fire',
        inReplyTo: reply.message_id,
        references: `<${customerId}> ${reply.message_id}`,
      }),
    );
    await h.fake.settle();
    expect(await h.sync(id)).toMatchObject({ stored: 1 });
    const full = (await api('GET', `/v1/tickets/${ticket.id}`)).json();
    expect(full.messages.map((m: { direction: string }) => m.direction)).toEqual([
      'inbound',
      'outbound',
      'inbound',
    ]);
  });

  test('a shared mailbox: consent by a delegate, polled (no subscription), reply from the shared address, answer joins', async () => {
    h.fake.addUser('agent@acme-shared.example');
    h.fake.addSharedMailbox('help@acme-shared.example', ['agent@acme-shared.example']);
    h.fake.addUser('outsider@acme-shared.example');
    h.fake.addSharedMailbox('private@acme-shared.example', []);

    const denied = await h.connect('outsider@acme-shared.example', {
      sharedMailbox: 'private@acme-shared.example',
    });
    expect(denied.location!.searchParams.get('error')).toBe('shared_mailbox_denied');

    const url = await h.startUrl({ shared_mailbox: 'help@acme-shared.example' });
    expect(url.searchParams.get('scope')!.split(' ')).toEqual(
      expect.arrayContaining(['Mail.Read.Shared', 'Mail.Send.Shared']),
    );
    const back = await h.connect('agent@acme-shared.example', {
      sharedMailbox: 'help@acme-shared.example',
    });
    const id = back.mailboxId!;
    expect((await api('GET', `/v1/mailboxes/${id}`)).json()).toMatchObject({
      provider: 'graph',
      status: 'active',
      address: 'help@acme-shared.example',
    });
    expect(h.fake.subscriptions('help@acme-shared.example')).toHaveLength(0);

    const customerId = `${randomUUID()}@client.example`;
    h.fake.deliver(
      'help@acme-shared.example',
      mail({ to: 'help@acme-shared.example', subject: 'Shared question', messageId: customerId }),
    );
    expect(await h.sync(id)).toMatchObject({ stored: 1 });
    const ticket = (
      (await api('GET', '/v1/tickets')).json().items as { id: string; subject: string }[]
    ).find((x) => x.subject === 'Shared question')!;
    const { reply, outcome } = await replyAndSend(ticket.id, 'Answer from the team.');
    expect(outcome).toBe('sent');
    const [sent] = h.fake.sent('help@acme-shared.example');
    const parsed = await simpleParser(sent!.mime);
    expect(parsed.from!.value[0]!.address).toBe('help@acme-shared.example');
    expect(parsed.messageId).toBe(reply.message_id);
    expect(parsed.inReplyTo).toBe(`<${customerId}>`);
    h.fake.deliver(
      'help@acme-shared.example',
      mail({
        to: 'help@acme-shared.example',
        subject: 'Re: Shared question',
        inReplyTo: reply.message_id,
      }),
    );
    expect(await h.sync(id)).toMatchObject({ stored: 1 });
    const full = (await api('GET', `/v1/tickets/${ticket.id}`)).json();
    expect(full.messages.map((m: { direction: string }) => m.direction)).toEqual([
      'inbound',
      'outbound',
      'inbound',
    ]);
  });

  test('the logs of these flows hold no token, mailbox or customer address, no subject', () => {
    // DESIGN promise 8 and security.md control 4: logs go to the operator's pipeline, not the tenant's.
    const logs = h.t.logs.join('');
    expect(logs.length).toBeGreaterThan(1000);
    for (const leak of [
      /eyJ0eXAiOiJKV1Qi\./,
      /"1\.AQ/,
      /acme-flow\.example|acme-shared\.example/,
      /@client\.example/,
      /Printer on fire|Old question/,
    ])
      expect(logs).not.toMatch(leak);
  });
});
