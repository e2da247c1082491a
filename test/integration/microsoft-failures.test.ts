// What goes wrong with Microsoft 365 mailboxes, through the strict fake: forged notifications store
// nothing, the validation handshake is answered, a removed subscription is recreated without losing
// mail, an evicted delta token resyncs without duplicates, a 429 storm still takes every message
// once, and revoked consent parks the mailbox (reauth_required, with its event) with no more calls.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { mail } from '../helpers/mail.js';
import { makeMicrosoftHarness, type MicrosoftHarness } from '../helpers/microsoft.js';
import { bearer, operatorKey } from '../helpers/tenants.js';

let h: MicrosoftHarness;
beforeAll(async () => {
  h = await makeMicrosoftHarness();
});
afterAll(async () => {
  await h?.close();
});

const counts = async (mailboxId: string) =>
  (
    await h.owner<{ messages: number; distinct_ids: number }>(
      `SELECT (SELECT count(*)::int FROM messages WHERE mailbox_id = $1) AS messages,
          (SELECT count(DISTINCT message_id_bidx)::int FROM messages WHERE mailbox_id = $1) AS distinct_ids`,
      [mailboxId],
    )
  )[0]!;

async function connected(email: string): Promise<string> {
  h.fake.addUser(email);
  const { mailboxId } = await h.connect(email);
  await h.sync(mailboxId!);
  await h.fake.settle();
  await h.clearJobs();
  return mailboxId!;
}

describe('microsoft 365 failures', () => {
  test('validation handshake echoes the decoded token as text/plain; forged and unknown notifications store nothing', async () => {
    const id = await connected('forged@acme.example');
    const res = await h.t.app.inject({
      method: 'POST',
      url: '/v1/webhooks/graph/notifications?validationToken=Validation%3A%20Testing%20%3Cb%3E%26',
      headers: { 'content-type': 'text/plain' },
      payload: '',
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toBe('Validation: Testing <b>&');

    const [sub] = h.fake.subscriptions('forged@acme.example');
    const item = (over: Record<string, unknown>) => ({
      value: [
        {
          subscriptionId: sub!.id,
          clientState: sub!.clientState,
          changeType: 'created',
          resource: 'Users/x/Messages/y',
          ...over,
        },
      ],
    });
    const wrong = await h.fake.postRaw(
      'https://inlet.test/v1/webhooks/graph/notifications',
      item({ clientState: 'guessed' }),
    );
    const unknown = await h.fake.postRaw(
      'https://inlet.test/v1/webhooks/graph/notifications',
      item({ subscriptionId: '00000000-0000-4000-8000-000000000000' }),
    );
    const lifecycle = await h.fake.postRaw('https://inlet.test/v1/webhooks/graph/lifecycle', {
      value: [
        { subscriptionId: sub!.id, clientState: 'guessed', lifecycleEvent: 'subscriptionRemoved' },
      ],
    });
    expect([wrong.status, unknown.status, lifecycle.status]).toEqual([202, 202, 202]);
    expect(await h.syncJobs(id)).toBe(0);
    expect(await h.owner('SELECT 1 FROM graphile_worker.jobs')).toHaveLength(0);
    const metrics = (
      await h.t.app.inject({ method: 'GET', url: '/metrics', headers: bearer(operatorKey) })
    ).body;
    expect(metrics).toMatch(
      /inlet_graph_notifications_total\{kind="change",outcome="client_state_mismatch"\} 1/,
    );
    expect(metrics).toMatch(
      /inlet_graph_notifications_total\{kind="change",outcome="unknown_subscription"\} 1/,
    );
    // The genuine one is taken.
    expect(
      (await h.fake.postRaw('https://inlet.test/v1/webhooks/graph/notifications', item({}))).status,
    ).toBe(202);
    expect(await h.syncJobs(id)).toBe(1);
    // Once a genuine one was checked (its mailbox's secrets kept open), a guess is still refused.
    await h.clearJobs();
    await h.fake.postRaw(
      'https://inlet.test/v1/webhooks/graph/notifications',
      item({ clientState: 'guessed' }),
    );
    expect(await h.syncJobs(id)).toBe(0);
    expect(
      (await h.t.app.inject({ method: 'GET', url: '/metrics', headers: bearer(operatorKey) })).body,
    ).toMatch(/inlet_graph_notifications_total\{kind="change",outcome="client_state_mismatch"\} 2/);
  });

  test('subscription removed → lifecycle event → recreated, and mail from the gap is not lost', async () => {
    const email = 'removed@acme.example';
    const id = await connected(email);
    const [old] = h.fake.subscriptions(email);
    h.fake.removeSubscription(old!.id);
    await h.fake.settle();
    // Mail arriving while there is no subscription: no notification at all.
    h.fake.deliver(email, mail({ to: email, subject: 'in the gap' }));
    await h.fake.settle();
    expect(
      h.fake.deliveries().filter((d) => d.kind === 'notification' && d.subscriptionId === old!.id),
    ).toHaveLength(0);
    const [task] = await h.owner<{ key: string }>(
      `SELECT key FROM graphile_worker.jobs WHERE key = $1`,
      [`subscription:${id}`],
    );
    expect(task).toBeDefined();
    await h.subscriptionTask(id);
    const [fresh] = h.fake.subscriptions(email);
    expect(fresh!.id).not.toBe(old!.id);
    expect(
      (
        await h.owner<{ id: string }>(
          `SELECT push_channel->>'id' AS id FROM mailboxes WHERE id = $1`,
          [id],
        )
      )[0]!.id,
    ).toBe(fresh!.id);
    expect(await h.sync(id)).toMatchObject({ stored: 1 });
    // Notifications flow on the new one.
    await h.clearJobs();
    h.fake.deliver(email, mail({ to: email, subject: 'after' }));
    await h.fake.settle();
    expect(await h.syncJobs(id)).toBe(1);
    expect(await h.sync(id)).toMatchObject({ stored: 1 });
  });

  test('evicted delta token → bounded resync, nothing downloaded twice, no duplicates', async () => {
    const email = 'delta@acme.example';
    const id = await connected(email);
    for (let i = 0; i < 4; i++) h.fake.deliver(email, mail({ to: email, subject: `early ${i}` }));
    expect(await h.sync(id)).toMatchObject({ stored: 4 });
    for (let i = 0; i < 3; i++)
      h.fake.deliver(email, mail({ to: email, subject: `while evicted ${i}` }));
    h.fake.expireDeltaTokens(email);
    const values = () =>
      h.fake.calls().filter((c) => c.mailbox === email && c.path.endsWith('/$value')).length;
    const before = values();
    expect(await h.sync(id)).toMatchObject({ status: 'synced', stored: 3, duplicates: 4 });
    expect(values() - before).toBe(3);
    expect(h.fake.calls().filter((c) => c.mailbox === email && c.status === 410)).toHaveLength(1);
    expect(await counts(id)).toEqual({ messages: 7, distinct_ids: 7 });
  });

  test('a 429 storm with Retry-After: every message once, never more than 4 requests in flight', async () => {
    const email = 'storm@acme.example';
    const id = await connected(email);
    for (let i = 0; i < 12; i++) h.fake.deliver(email, mail({ to: email, subject: `storm ${i}` }));
    h.fake.throttleNext(email, 9, { retryAfterSec: 1 });
    const runs = await h.syncThrough(id);
    expect(runs.at(-1)).toMatchObject({ status: 'synced' });
    expect(await counts(id)).toEqual({ messages: 12, distinct_ids: 12 });
    expect(h.fake.calls().filter((c) => c.mailbox === email && c.status === 429)).toHaveLength(9);
    expect(h.fake.peakConcurrency(email)).toBeLessThanOrEqual(4);
  });

  test('revoked consent → reauth_required with its event; no more calls to Microsoft for the mailbox', async () => {
    const email = 'revoked@acme.example';
    const id = await connected(email);
    h.fake.revokeUser(email);
    h.fake.advanceTime(2 * 3600_000); // the cached access token has expired too
    h.runtime.apps.delete(id); // a fresh process: nothing cached in memory
    h.fake.deliver(email, mail({ to: email, subject: 'after revoke' }));
    await h.fake.settle();
    expect(await h.sync(id)).toMatchObject({ status: 'reauth_required' });
    const [row] = await h.owner<{ status: string }>('SELECT status FROM mailboxes WHERE id = $1', [
      id,
    ]);
    expect(row!.status).toBe('reauth_required');
    expect(
      await h.owner(
        `SELECT 1 FROM events WHERE resource_id = $1 AND type = 'mailbox.reauth_required'`,
        [id],
      ),
    ).toHaveLength(1);
    const calls = h.fake.calls().length;
    expect(await h.sync(id)).toMatchObject({ status: 'skipped' });
    await h.subscriptionTask(id);
    expect(h.fake.calls().length).toBe(calls);
    expect(
      await h.owner(
        `SELECT 1 FROM events WHERE resource_id = $1 AND type = 'mailbox.reauth_required'`,
        [id],
      ),
    ).toHaveLength(1);

    // Consenting again resumes from the stored delta link: only what arrived since is listed and fetched.
    const again = await h.connect(email);
    expect(again.location!.searchParams.get('outcome')).toBe('reauthorized');
    h.fake.deliver(email, mail({ to: email, subject: 'after re-consent' }));
    const values = h.fake.calls().filter((c) => c.path.endsWith('/$value')).length;
    expect(await h.sync(id)).toMatchObject({ status: 'synced', stored: 2, duplicates: 0 });
    expect(h.fake.calls().filter((c) => c.path.endsWith('/$value')).length - values).toBe(2);
  });

  test('disconnect deletes the subscription, clears the tokens and says consent is not revocable by the app', async () => {
    const email = 'leaving@acme.example';
    const id = await connected(email);
    expect(h.fake.subscriptions(email)).toHaveLength(1);
    const cleared: string[] = [];
    const save = h.runtime.saveCredentials;
    h.runtime.saveCredentials = async (tenantId, mailboxId, patch) => {
      if (patch.tokenCache !== undefined) cleared.push(patch.tokenCache);
      await save(tenantId, mailboxId, patch);
    };
    const res = await h.t.app.inject({
      method: 'DELETE',
      url: `/v1/mailboxes/${id}`,
      headers: bearer(h.tenant.token),
    });
    h.runtime.saveCredentials = save;
    expect(res.statusCode).toBe(200);
    expect(res.json().deletion).toMatchObject({
      push_stop: 'stopped',
      grant_revoke: 'not_revocable',
    });
    expect(h.fake.subscriptions(email)).toHaveLength(0);
    expect(cleared).toEqual(['']);
    expect(
      h.fake
        .calls()
        .filter((c) => c.method === 'DELETE' && c.path.startsWith('/v1.0/subscriptions/'))
        .map((c) => c.status),
    ).toContain(204);
  });
});
