// The fake's Gmail side, driven only through the real googleapis client.
import type { GaxiosError } from 'gaxios';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { Connected } from './connect.js';
import { connect } from './connect.js';
import type { GoogleFake } from './index.js';
import { startGoogleFake } from './index.js';

const ALICE = 'alice@acme.example';
let fake: GoogleFake;
let alice: Connected;

const mail = (subject: string, extra = '') =>
  Buffer.from(
    `From: Carol <carol@customer.example>\r\nTo: ${ALICE}\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '')}@customer.example>\r\n${extra}` +
      `Content-Type: text/plain; charset=utf-8\r\n\r\nHello — ünïcode body\r\n`,
  );
const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

async function errorOf(p: Promise<unknown>): Promise<GaxiosError> {
  // googleapis and google-auth-library each carry their own gaxios copy, so `instanceof
  // GaxiosError` depends on which client made the call; check the shape instead.
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(Error);
  expect((e as GaxiosError).response?.status).toBeTypeOf('number');
  return e as GaxiosError;
}

beforeEach(async () => {
  fake = await startGoogleFake();
  fake.addUser(ALICE, { aliases: ['support@acme.example'] });
  fake.configurePush({
    endpoint: `${fake.url}/nowhere`,
    audience: 'aud',
    serviceAccountEmail: 'push@inlet-test.iam.gserviceaccount.com',
    maxAttempts: 1,
  });
  alice = await connect(fake, ALICE);
});
afterEach(async () => fake.close());

describe('profile, watch, history and raw fetch', () => {
  it('getProfile answers with the mailbox address and a string historyId', async () => {
    const { data } = await alice.gmail.users.getProfile({ userId: 'me' });
    expect(data.emailAddress).toBe(ALICE);
    expect(data.historyId).toBe(fake.historyId(ALICE));
    expect(typeof data.historyId).toBe('string');
  });

  it('watch validates the topic and returns historyId and an expiration string', async () => {
    const bad = await errorOf(
      alice.gmail.users.watch({
        userId: 'me',
        requestBody: { topicName: 'projects/other/topics/x' },
      }),
    );
    expect(bad.status).toBe(400);
    const unpublishable = await errorOf(
      alice.gmail.users.watch({
        userId: 'me',
        requestBody: { topicName: `projects/${fake.projectId}/topics/other` },
      }),
    );
    expect(unpublishable.status).toBe(403);
    const { data } = await alice.gmail.users.watch({
      userId: 'me',
      requestBody: {
        topicName: `projects/${fake.projectId}/topics/gmail-push`,
        labelIds: ['INBOX'],
        labelFilterBehavior: 'include',
      },
    });
    expect(data.historyId).toBe(fake.historyId(ALICE));
    expect(Number(data.expiration)).toBeGreaterThan(Date.now() + 6 * 86_400_000);
    await alice.gmail.users.stop({ userId: 'me' });
    expect(fake.watchOf(ALICE)).toBeUndefined();
  });

  it('deliver shows up in history.list and messages.get raw returns the delivered bytes', async () => {
    const start = (await alice.gmail.users.getProfile({ userId: 'me' })).data.historyId!;
    const raw = mail('First question');
    const delivered = fake.deliver(ALICE, raw);
    const { data } = await alice.gmail.users.history.list({
      userId: 'me',
      startHistoryId: start,
      historyTypes: ['messageAdded'],
      labelId: 'INBOX',
    });
    expect(data.history?.[0]?.messagesAdded?.[0]?.message?.id).toBe(delivered.id);
    expect(data.historyId).toBe(delivered.historyId);
    const got = await alice.gmail.users.messages.get({
      userId: 'me',
      id: delivered.id,
      format: 'raw',
    });
    expect(Buffer.from(got.data.raw!, 'base64url').equals(raw)).toBe(true);
    expect(got.data.labelIds).toContain('INBOX');
    const meta = await alice.gmail.users.messages.get({
      userId: 'me',
      id: delivered.id,
      format: 'metadata',
      metadataHeaders: ['Subject'],
    });
    expect(meta.data.payload?.headers).toEqual([{ name: 'Subject', value: 'First question' }]);
  });

  it('an empty history page carries only historyId', async () => {
    const start = fake.historyId(ALICE);
    const { data } = await alice.gmail.users.history.list({ userId: 'me', startHistoryId: start });
    expect(data).toEqual({ historyId: start });
  });

  it('pages history with maxResults / pageToken', async () => {
    const start = fake.historyId(ALICE);
    const ids = [1, 2, 3].map((n) => fake.deliver(ALICE, mail(`Q${n}`)).id);
    const seen: string[] = [];
    let pageToken: string | undefined;
    do {
      const { data } = await alice.gmail.users.history.list({
        userId: 'me',
        startHistoryId: start,
        maxResults: 2,
        pageToken,
      });
      seen.push(...(data.history ?? []).map((h) => h.messagesAdded![0]!.message!.id!));
      pageToken = data.nextPageToken ?? undefined;
    } while (pageToken);
    expect(seen).toEqual(ids);
  });

  it('a startHistoryId older than the retained window answers 404 notFound', async () => {
    const old = fake.historyId(ALICE);
    fake.deliver(ALICE, mail('later'));
    fake.expireHistoryBefore(ALICE, fake.historyId(ALICE));
    const e = await errorOf(alice.gmail.users.history.list({ userId: 'me', startHistoryId: old }));
    expect(e.status).toBe(404);
    expect(e.response?.data).toMatchObject({
      error: { code: 404, status: 'NOT_FOUND', errors: [{ reason: 'notFound' }] },
    });
  });

  it('rejects unknown query parameters with 400', async () => {
    const e = await errorOf(alice.gmail.users.messages.list({ userId: 'me', bogus: 'x' } as never));
    expect(e.status).toBe(400);
    expect(e.response?.data).toMatchObject({ error: { status: 'INVALID_ARGUMENT' } });
  });

  it('messages.list filters by label and pages newest first', async () => {
    const a = fake.deliver(ALICE, mail('A'));
    const b = fake.deliver(ALICE, mail('B'));
    fake.deliver(ALICE, mail('spam'), { labelIds: ['SPAM'] });
    const first = await alice.gmail.users.messages.list({
      userId: 'me',
      labelIds: ['INBOX'],
      maxResults: 1,
      q: 'newer_than:2d',
    });
    expect(first.data.messages?.map((m) => m.id)).toHaveLength(1);
    const second = await alice.gmail.users.messages.list({
      userId: 'me',
      labelIds: ['INBOX'],
      maxResults: 1,
      pageToken: first.data.nextPageToken!,
    });
    expect([first.data.messages![0]!.id, second.data.messages![0]!.id].sort()).toEqual(
      [a.id, b.id].sort(),
    );
    expect(second.data.nextPageToken).toBeUndefined();
  });
});

describe('formats and scopes', () => {
  it('format=full returns the MIME tree with decoded base64url part bodies', async () => {
    const raw = Buffer.from(
      'From: c@d.example\r\nSubject: parts\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary="b1"\r\n\r\n' +
        '--b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n' +
        Buffer.from('plain body').toString('base64') +
        '\r\n--b1\r\nContent-Type: text/html\r\n\r\n<p>html</p>\r\n--b1--\r\n',
    );
    const { id } = fake.deliver(ALICE, raw);
    const { data } = await alice.gmail.users.messages.get({ userId: 'me', id });
    expect(data.payload?.mimeType).toBe('multipart/alternative');
    expect(data.payload?.parts?.map((p) => [p.partId, p.mimeType])).toEqual([
      ['0', 'text/plain'],
      ['1', 'text/html'],
    ]);
    expect(Buffer.from(data.payload!.parts![0]!.body!.data!, 'base64url').toString()).toBe(
      'plain body',
    );
    expect(data.snippet).toBe('plain body');
    expect(data.raw).toBeUndefined();
  });

  it('a gmail.metadata-only grant may not use q or fetch raw', async () => {
    fake.addUser('meta@acme.example');
    const meta = await connect(fake, 'meta@acme.example', [
      'https://www.googleapis.com/auth/gmail.metadata',
    ]);
    const { id } = fake.deliver('meta@acme.example', mail('m'));
    expect(
      (await errorOf(meta.gmail.users.messages.list({ userId: 'me', q: 'newer_than:1d' }))).status,
    ).toBe(403);
    expect(
      (await errorOf(meta.gmail.users.messages.get({ userId: 'me', id, format: 'raw' }))).status,
    ).toBe(403);
    expect(
      (await meta.gmail.users.messages.get({ userId: 'me', id, format: 'metadata' })).data.id,
    ).toBe(id);
  });
});

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
