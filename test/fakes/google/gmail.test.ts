// The fake's Gmail side, driven only through the real googleapis client: profile, watch, history,
// raw fetch, formats and scopes.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { Connected } from './connect.js';
import { connect } from './connect.js';
import { ALICE, errorOf, mail, startAliceFake } from './gmail-test-setup.js';
import type { GoogleFake } from './index.js';

let fake: GoogleFake;
let alice: Connected;

beforeEach(async () => {
  ({ fake, alice } = await startAliceFake());
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
