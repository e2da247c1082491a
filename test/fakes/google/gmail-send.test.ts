// The fake's Gmail side, driven only through the real googleapis client: sending, errors, retries
// and quota.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { Connected } from './connect.js';
import { connect } from './connect.js';
import { ALICE, b64url, errorOf, mail, startAliceFake } from './gmail-test-setup.js';
import type { GoogleFake } from './index.js';
import { startGoogleFake } from './index.js';

let fake: GoogleFake;
let alice: Connected;

beforeEach(async () => {
  ({ fake, alice } = await startAliceFake());
});
afterEach(async () => fake.close());

describe('messages.send', () => {
  const reply = (subject: string, inReplyTo: string, from = ALICE) =>
    `From: ${from}\r\nTo: carol@customer.example\r\nSubject: ${subject}\r\nIn-Reply-To: ${inReplyTo}\r\nReferences: ${inReplyTo}\r\n\r\nThanks\r\n`;

  it('records a reply in the thread when threadId, References and Subject agree', async () => {
    const inbound = fake.deliver(ALICE, mail('Printer broken'));
    const { data } = await alice.gmail.users.messages.send({
      userId: 'me',
      requestBody: {
        raw: b64url(reply('Re: Printer broken', '<Printerbroken@customer.example>')),
        threadId: inbound.threadId,
      },
    });
    expect(data.threadId).toBe(inbound.threadId);
    expect(data.labelIds).toEqual(['SENT']);
    const sent = fake.sentMessages(ALICE);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.threadingRejected).toBeUndefined();
  });

  it('starts a new thread when the Subject does not match, as Gmail does', async () => {
    const inbound = fake.deliver(ALICE, mail('Printer broken'));
    const { data } = await alice.gmail.users.messages.send({
      userId: 'me',
      requestBody: {
        raw: b64url(reply('Something else', '<Printerbroken@customer.example>')),
        threadId: inbound.threadId,
      },
    });
    expect(data.threadId).not.toBe(inbound.threadId);
    expect(fake.sentMessages(ALICE)[0]!.threadingRejected).toMatch(/Subject/);
  });

  it('rejects header injection, foreign From and unknown threads; accepts an alias From', async () => {
    const injected =
      'From: alice@acme.example\r\nTo: carol@customer.example\r\nSubject: hi\nBcc: victim@evil.example\r\n\r\nx';
    const inj = await errorOf(
      alice.gmail.users.messages.send({ userId: 'me', requestBody: { raw: b64url(injected) } }),
    );
    expect(inj.status).toBe(400);
    expect(JSON.stringify(inj.response?.data)).toMatch(/bare LF/);
    const foreign = reply('hi', '<x@y>', 'mallory@evil.example');
    const from = await errorOf(
      alice.gmail.users.messages.send({ userId: 'me', requestBody: { raw: b64url(foreign) } }),
    );
    expect(JSON.stringify(from.response?.data)).toMatch(/mallory@evil.example is neither/);
    const unknownThread = alice.gmail.users.messages.send({
      userId: 'me',
      requestBody: { raw: b64url(reply('hi', '<x@y>')), threadId: 'abcdef0123456789' },
    });
    expect((await errorOf(unknownThread)).status).toBe(404);
    await alice.gmail.users.messages.send({
      userId: 'me',
      requestBody: { raw: b64url(reply('hi', '<x@y>', 'support@acme.example')) },
    });
    expect(fake.sentMessages(ALICE)).toHaveLength(1);
  });

  it('accepts a media upload when the per-call rootUrl points at the fake', async () => {
    const raw = reply('upload', '<x@y>');
    const { data } = await alice.gmail.users.messages.send(
      { userId: 'me', media: { mimeType: 'message/rfc822', body: raw } },
      { rootUrl: fake.gmailRootUrl },
    );
    expect(fake.sentMessages(ALICE).map((m) => [m.id, m.raw.toString()])).toEqual([[data.id, raw]]);
  });
});

describe('errors, retries and quota', () => {
  it('a 429 reaches the client only after googleapis retried the GET three times', async () => {
    fake.injectErrors(ALICE, [{ status: 429 }], 4);
    const e = await errorOf(alice.gmail.users.getProfile({ userId: 'me' }));
    expect(e.status).toBe(429);
    const calls = fake.callLog().filter((c) => c.operation === 'users.getProfile');
    expect(calls.map((c) => c.status)).toEqual([429, 429, 429, 429]);
  });

  it('a 429 on a GET that clears within the retries is invisible to the caller', async () => {
    fake.injectErrors(ALICE, [{ status: 500 }, { status: 429 }], 2);
    const { data } = await alice.gmail.users.getProfile({ userId: 'me' });
    expect(data.emailAddress).toBe(ALICE);
  });

  it('POST (send) and 403 rate errors are not retried by the client', async () => {
    fake.injectErrors(ALICE, [{ status: 429, operation: 'users.messages.send' }], 1);
    const raw = b64url('From: alice@acme.example\r\nTo: c@d.example\r\nSubject: s\r\n\r\nb');
    expect(
      (await errorOf(alice.gmail.users.messages.send({ userId: 'me', requestBody: { raw } })))
        .status,
    ).toBe(429);
    fake.injectErrors(ALICE, [{ status: 403, reason: 'userRateLimitExceeded' }], 1);
    const e = await errorOf(alice.gmail.users.getProfile({ userId: 'me' }));
    expect(e.response?.data).toMatchObject({
      error: { code: 403, errors: [{ reason: 'userRateLimitExceeded' }] },
    });
    const ops = fake
      .callLog()
      .filter((c) => c.status === 429 || c.status === 403)
      .map((c) => c.operation);
    expect(ops).toEqual(['users.messages.send', 'users.getProfile']);
  });

  it('meters quota units per user and answers 429 past the per-minute budget', async () => {
    await fake.close();
    fake = await startGoogleFake({ quotaPerUserPerMinute: 12 });
    fake.addUser(ALICE);
    alice = await connect(fake, ALICE);
    await alice.gmail.users.messages.list({ userId: 'me' });
    await alice.gmail.users.messages.list({ userId: 'me' });
    expect(fake.quotaUsed(ALICE)).toBe(10);
    await alice.gmail.users.getProfile({ userId: 'me' });
    const e = await errorOf(alice.gmail.users.messages.list({ userId: 'me' }, { retry: false }));
    expect(e.status).toBe(429);
    fake.advanceTime(61_000);
    expect(fake.quotaUsed(ALICE)).toBe(0);
    await alice.gmail.users.messages.list({ userId: 'me' });
  });

  it("refuses another user's mailbox and calls beyond the granted scopes", async () => {
    fake.addUser('bob@acme.example');
    expect(
      (await errorOf(alice.gmail.users.getProfile({ userId: 'bob@acme.example' }))).status,
    ).toBe(403);
    const sendOnly = await connect(fake, 'bob@acme.example', [
      'https://www.googleapis.com/auth/gmail.send',
    ]);
    const e = await errorOf(sendOnly.gmail.users.getProfile({ userId: 'me' }));
    expect(e.response?.data).toMatchObject({
      error: { code: 403, errors: [{ reason: 'insufficientPermissions' }] },
    });
  });
});
