// Gmail failure paths through the strict Google fake (forged pushes: gmail-push-forged.test.ts): every
// way the consent callback can go wrong (nothing is created), a dead grant (reauth_required, no further Google calls, resumed
// by re-consent), a 429 storm (backoff, every message once), and an access token Google refuses
// before its expiry or a message gone before its fetch (refresh once; skip the gone one), and a reply
// left waiting to retry after an answer that may have meant "sent" when the mailbox is disconnected.
import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { consent } from '../fakes/google/connect.js';
import { type GmailHarness, makeGmailHarness } from '../helpers/gmail.js';
import { mail } from '../helpers/mail.js';
import { runSendJob } from '../helpers/send-job.js';
import { bearer, createTenant } from '../helpers/tenants.js';

let h: GmailHarness;
beforeAll(async () => {
  h = await makeGmailHarness();
});
afterAll(async () => {
  await h?.close();
});

const mailboxCount = async () =>
  (
    await h.owner<{ n: number }>(
      `SELECT count(*)::int AS n FROM mailboxes WHERE provider = 'gmail'`,
    )
  )[0]!.n;
const googleCalls = (email: string) => h.fake.callLog().filter((c) => c.user === email).length;

describe('gmail failures', () => {
  test('callback failures redirect or show a page with a stable code and create nothing', async () => {
    const before = await mailboxCount();
    h.fake.addUser('denied@acme-cb.example');
    const browse = async (url: URL, email: string) => {
      url.searchParams.set('login_hint', email);
      return consent(url.toString());
    };
    // access_denied on the consent screen
    h.fake.setConsentOutcome('access_denied');
    let back = await h.callback(await browse(await h.startUrl(), 'denied@acme-cb.example'));
    expect([back.status, back.location?.searchParams.get('error')]).toEqual([303, 'access_denied']);
    expect(back.body).toContain('Access was not granted');
    // Only one of the two scopes ticked; no refresh token.
    for (const [outcome, code] of [
      ['partial_scopes', 'scope_missing'],
      ['no_refresh_token', 'no_refresh_token'],
    ] as const) {
      h.fake.setConsentOutcome(outcome);
      back = await h.callback(await browse(await h.startUrl(), 'denied@acme-cb.example'));
      expect([back.status, back.location?.searchParams.get('error')], outcome).toEqual([303, code]);
    }
    h.fake.setConsentOutcome('consent');

    // The same state twice: the second use is refused.
    const query = await browse(await h.startUrl(), 'denied@acme-cb.example');
    const first = await h.callback(query);
    expect(first.location?.searchParams.get('status')).toBe('connected');
    const again = await h.callback(query);
    expect([again.status, again.location?.searchParams.get('error')]).toEqual([303, 'state_used']);

    // A state of another tenant with this tenant's id swapped in, a made-up state, no state: 400 page.
    const other = await createTenant(h.t, 'Other');
    const foreign = new URL(await h.startUrl(other.token)).searchParams.get('state')!;
    const [payload, sig] = foreign.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    const swapped = `${Buffer.from(JSON.stringify({ ...claims, t: h.tenant.id })).toString('base64url')}.${sig}`;
    for (const state of [swapped, 'made-up', '']) {
      const res = await h.callback(new URLSearchParams({ state, code: 'x' }));
      expect([res.status, res.location], state).toEqual([400, null]);
      expect(res.body).toContain('state_invalid');
      expect(res.body).toContain('<h1>Gmail mailbox not connected</h1>');
    }
    // Expired state.
    const stale = await browse(await h.startUrl(), 'denied@acme-cb.example');
    await h.owner(
      `UPDATE oauth_states SET expires_at = now() - interval '1 second' WHERE used_at IS NULL`,
    );
    expect((await h.callback(stale)).location?.searchParams.get('error')).toBe('state_expired');

    // Only the one successful connect created a mailbox; nothing else did.
    expect(await mailboxCount()).toBe(before + 1);
  });

  test('invalid_grant → reauth_required, event, no further Google calls; re-consent resumes from the cursor', async () => {
    const email = 'grant@acme-grant.example';
    const id = (await h.connect(email)).mailboxId!;
    h.fake.deliver(email, mail({ to: email, subject: 'before' }));
    expect(await h.sync(id)).toMatchObject({ stored: 1 });

    const mark = h.fake.callLog().length;
    h.fake.revokeUser(email); // the user removed the app in their Google account
    h.fake.deliver(email, mail({ to: email, subject: 'during outage 1' }));
    await h.fake.settlePushes();
    expect(await h.sync(id)).toMatchObject({ status: 'reauth_required' });
    const view = (
      await h.t.app.inject({
        method: 'GET',
        url: `/v1/mailboxes/${id}`,
        headers: { authorization: `Bearer ${h.tenant.token}` },
      })
    ).json();
    expect(view).toMatchObject({
      status: 'reauth_required',
      sync: { last_error_class: 'auth_revoked' },
    });
    expect(
      await h.owner(
        `SELECT type FROM events WHERE resource_id = $1 AND type = 'mailbox.reauth_required'`,
        [id],
      ),
    ).toHaveLength(1);
    // Gmail said 401, the one refresh attempt got invalid_grant (Google no longer names the user then).
    expect(
      h.fake
        .callLog()
        .slice(mark)
        .map((c) => `${c.operation} ${c.status}`),
    ).toEqual(['users.history.list 401', 'oauth.token 400']);

    // From now on nothing reaches Google for this mailbox: syncs skip, pushes queue nothing.
    const calls = googleCalls(email);
    await h.clearJobs();
    h.fake.deliver(email, mail({ to: email, subject: 'during outage 2' }));
    h.fake.pushNow(email);
    await h.fake.settlePushes();
    expect(await h.syncJobs(id)).toBe(0);
    expect(await h.sync(id)).toMatchObject({ status: 'skipped' });
    expect(googleCalls(email)).toBe(calls);
    expect(
      await h.owner(
        `SELECT type FROM events WHERE resource_id = $1 AND type = 'mailbox.reauth_required'`,
        [id],
      ),
    ).toHaveLength(1);

    // The user consents again through the same flow: same mailbox, sync picks up what it missed.
    const again = await h.connect(email);
    expect(Object.fromEntries(again.location!.searchParams)).toMatchObject({
      status: 'connected',
      outcome: 'reauthorized',
      mailbox_id: id,
    });
    expect(await h.sync(id)).toMatchObject({ status: 'synced', stored: 2, duplicates: 0 });
    const subjects = (
      await h.t.app.inject({
        method: 'GET',
        url: '/v1/tickets?limit=200',
        headers: { authorization: `Bearer ${h.tenant.token}` },
      })
    )
      .json()
      .items.map((x: { subject: string }) => x.subject);
    expect(subjects).toEqual(
      expect.arrayContaining(['before', 'during outage 1', 'during outage 2']),
    );
  });

  test('a 429 storm → backoff, then every message ingested exactly once', async () => {
    const email = 'storm@acme-storm.example';
    const id = (await h.connect(email)).mailboxId!;
    expect(await h.sync(id)).toMatchObject({ status: 'synced' });
    for (let i = 0; i < 8; i++) h.fake.deliver(email, mail({ to: email, subject: `storm ${i}` }));
    h.fake.injectErrors(
      email,
      [{ status: 429 }, { status: 403, reason: 'userRateLimitExceeded' }, { status: 429 }],
      3,
    );
    const first = await h.sync(id);
    expect(first).toMatchObject({ status: 'synced', stored: 8, duplicates: 0 });
    const log = h.fake
      .callLog()
      .filter((c) => c.user === email && c.operation.startsWith('users.'));
    const limited = log.filter((c) => c.status === 429 || c.status === 403);
    expect(limited).toHaveLength(3);
    // Each retry waited: no burst of requests right after a rate-limit answer.
    const after = log[log.indexOf(limited[0]!) + 1]!;
    expect(after.at - limited[0]!.at).toBeGreaterThanOrEqual(20);

    // A storm longer than one call's patience ends the sync as rate_limited (the job retries later),
    // and the retry stores the rest without duplicates.
    for (let i = 0; i < 3; i++)
      h.fake.deliver(email, mail({ to: email, subject: `late storm ${i}` }));
    h.fake.injectErrors(email, [{ status: 429 }], 6);
    await expect(h.sync(id)).rejects.toMatchObject({ kind: 'rate_limited' });
    expect(
      (
        await h.owner<{ c: string }>('SELECT last_error_class AS c FROM mailboxes WHERE id = $1', [
          id,
        ])
      )[0]!.c,
    ).toBe('rate_limited');
    await new Promise((r) => setTimeout(r, 300));
    h.t.container.providerDeps.gmail!.notBefore.clear();
    expect(await h.sync(id)).toMatchObject({ stored: 3, duplicates: 0 });
    expect(
      (
        await h.owner<{ n: number }>(
          'SELECT count(*)::int AS n FROM messages WHERE mailbox_id = $1',
          [id],
        )
      )[0]!.n,
    ).toBe(11);
  });

  test('an access token refused mid-sync is refreshed once; a message deleted before its fetch is skipped', async () => {
    const email = 'refresh@acme-refresh.example';
    const id = (await h.connect(email)).mailboxId!;
    expect(await h.sync(id)).toMatchObject({ status: 'synced' });
    const gone = h.fake.deliver(email, mail({ to: email, subject: 'deleted before the fetch' }));
    const kept = h.fake.deliver(email, mail({ to: email, subject: 'kept' }));
    const mark = h.fake.callLog().length;
    // Google revoked the cached access token (its clock, not ours): the first messages.get answers
    // 401; after the refresh the same message answers 404 (deleted meanwhile).
    h.fake.injectErrors(
      email,
      [
        { status: 401, operation: 'users.messages.get' },
        { status: 404, operation: 'users.messages.get' },
      ],
      2,
    );
    expect(await h.sync(id)).toMatchObject({ status: 'synced', stored: 1 });
    const log = h.fake.callLog().slice(mark);
    expect(log.map((c) => `${c.operation} ${c.status}`)).toEqual([
      'users.history.list 200',
      'users.messages.get 401',
      'oauth.token 200',
      'users.messages.get 404',
      'users.messages.get 200',
    ]);
    expect(log[1]!.path).toContain(gone.id);
    expect(log[3]!.path).toContain(gone.id);
    const stored = await h.owner<{ id: string }>(
      'SELECT provider_message_id AS id FROM message_deliveries WHERE mailbox_id = $1',
      [id],
    );
    expect(stored.map((r) => r.id)).toEqual([kept.id]);
    // The mailbox is not parked: the refreshed token serves the next sync without another refresh.
    h.fake.deliver(email, mail({ to: email, subject: 'after the refresh' }));
    const before = h.fake.callLog().length;
    expect(await h.sync(id)).toMatchObject({ status: 'synced', stored: 1 });
    expect(
      h.fake
        .callLog()
        .slice(before)
        .some((c) => c.operation === 'oauth.token'),
    ).toBe(false);
  });

  test('a reply waiting to retry after a 502 from messages.send ends delivery_unknown when its mailbox is disconnected', async () => {
    const email = 'unknown@acme-unknown.example';
    const id = (await h.connect(email)).mailboxId!;
    h.fake.deliver(email, mail({ to: email, subject: 'Where is my parcel' }));
    expect(await h.sync(id)).toMatchObject({ stored: 1 });
    const api = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown) =>
      h.t.app.inject({
        method,
        url,
        headers: { ...bearer(h.tenant.token), 'idempotency-key': randomUUID() },
        payload: payload as never,
      });
    const ticket = (
      (await api('GET', '/v1/tickets')).json().items as { id: string; subject: string }[]
    ).find((t) => t.subject === 'Where is my parcel')!;
    const reply = (
      await api('POST', `/v1/tickets/${ticket.id}/replies`, { text: 'On its way.' })
    ).json();
    const outbox = async () =>
      (
        await h.owner<{ state: string; failure_reason: string | null }>(
          'SELECT state, failure_reason FROM outbox WHERE message_id = $1',
          [reply.id],
        )
      )[0];
    // A gateway answer after the request went out: Google may have sent it, so the job plans a retry
    // that would look in Sent first.
    h.fake.injectErrors(email, [{ status: 502, operation: 'users.messages.send' }], 1);
    await expect(runSendJob(h.t.container, h.tenant.id, reply.id, 1)).rejects.toMatchObject({
      kind: 'transient',
    });
    expect(await outbox()).toMatchObject({ state: 'sending' });
    expect((await api('DELETE', `/v1/mailboxes/${id}`)).statusCode).toBe(200);
    // Sent can no longer be asked: the reply may have arrived, so it is not "cancelled".
    expect(await outbox()).toEqual({ state: 'failed', failure_reason: 'delivery_unknown' });
    const events = await h.owner<{ type: string }>(
      `SELECT type FROM events WHERE resource_id = $1 AND type LIKE 'reply.%'`,
      [reply.id],
    );
    expect(events.map((e) => e.type)).toEqual(['reply.failed']);
    expect(await runSendJob(h.t.container, h.tenant.id, reply.id, 2)).toBe('nothing_to_do');
    expect(h.fake.sentMessages(email)).toHaveLength(0);
  });
});
