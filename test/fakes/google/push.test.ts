// Pub/Sub push from the fake: envelope shape, OIDC token verified with jose and with
// google-auth-library against the fake's certs, redelivery, duplicates, reordering, rate cap.
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { connect, oauthClient } from './connect.js';
import type { GoogleFake } from './index.js';
import { startGoogleFake } from './index.js';

const ALICE = 'alice@acme.example';
const SA = 'gmail-push@inlet-test.iam.gserviceaccount.com';

interface Received {
  auth: string | undefined;
  body: { message: { data: string; messageId: string; publishTime: string }; subscription: string };
}

let fake: GoogleFake;
let webhook: Server;
let endpoint: string;
let received: Received[];
let answer: number[];

beforeEach(async () => {
  received = [];
  answer = [];
  webhook = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        auth: req.headers.authorization,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Received['body'],
      });
      res.writeHead(answer.shift() ?? 204);
      res.end();
    });
  });
  await new Promise<void>((r) => webhook.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/webhooks/gmail`;
  fake = await startGoogleFake();
  fake.addUser(ALICE);
  fake.configurePush({
    endpoint,
    audience: endpoint,
    serviceAccountEmail: SA,
    maxPerSecond: 0,
    minBackoffMs: 10,
  });
});
afterEach(async () => {
  await fake.close();
  await new Promise<void>((r) => webhook.close(() => r()));
});

const decode = (r: Received) =>
  JSON.parse(Buffer.from(r.body.message.data, 'base64').toString('utf8')) as {
    emailAddress: string;
    historyId: number;
  };

async function watchInbox() {
  const alice = await connect(fake, ALICE);
  await alice.gmail.users.watch({
    userId: 'me',
    requestBody: { topicName: `projects/${fake.projectId}/topics/gmail-push`, labelIds: ['INBOX'] },
  });
  return alice;
}

describe('push delivery', () => {
  it('publishes on watch and on each matching delivery with a verifiable OIDC token', async () => {
    await watchInbox();
    const delivered = fake.deliver(ALICE, Buffer.from('From: c@d.example\r\nSubject: x\r\n\r\nhi'));
    fake.deliver(ALICE, Buffer.from('From: me\r\n\r\ndraft'), { labelIds: ['DRAFT'] });
    await fake.settlePushes();
    expect(received).toHaveLength(2);
    const last = received[1]!;
    expect(decode(last)).toEqual({ emailAddress: ALICE, historyId: Number(delivered.historyId) });
    expect(last.body.subscription).toMatch(/^projects\/inlet-test\/subscriptions\//);
    const token = last.auth!.replace(/^Bearer /, '');
    const { payload, protectedHeader } = await jwtVerify(
      token,
      createRemoteJWKSet(new URL(fake.jwksUrl)),
      {
        issuer: fake.issuer,
        audience: endpoint,
      },
    );
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload).toMatchObject({ email: SA, email_verified: true });
    const ticket = await oauthClient(fake).verifyIdToken({ idToken: token, audience: endpoint });
    expect(ticket.getPayload()?.email).toBe(SA);
  });

  it('forged and expired tokens fail verification', async () => {
    const jwks = createRemoteJWKSet(new URL(fake.jwksUrl));
    const forged = await fake.signPushToken({ key: 'forged' });
    await expect(
      jwtVerify(forged, jwks, { issuer: fake.issuer, audience: endpoint }),
    ).rejects.toThrow();
    const expired = await fake.signPushToken({
      iat: Math.floor(Date.now() / 1000) - 7200,
      exp: Math.floor(Date.now() / 1000) - 3600,
    });
    await expect(
      jwtVerify(expired, jwks, { issuer: fake.issuer, audience: endpoint }),
    ).rejects.toThrow(/exp/);
    const res = await fake.pushRaw(
      { message: { data: 'e30=', messageId: '1' }, subscription: 's' },
      forged,
    );
    expect(res.status).toBe(204);
    expect(received[0]!.auth).toBe(`Bearer ${forged}`);
  });

  it('redelivers the same messageId after a non-success answer', async () => {
    await watchInbox();
    await fake.settlePushes();
    received = [];
    answer = [500, 503];
    fake.deliver(ALICE, Buffer.from('Subject: y\r\n\r\nbody'));
    await fake.settlePushes();
    expect(received.map((r) => r.body.message.messageId)).toEqual(
      Array(3).fill(received[0]!.body.message.messageId),
    );
    expect(
      fake
        .pushAttempts()
        .slice(-3)
        .map((a) => a.status),
    ).toEqual([500, 503, 204]);
  });

  it('can duplicate and reverse pushes', async () => {
    fake.configurePush({
      endpoint,
      audience: endpoint,
      serviceAccountEmail: SA,
      maxPerSecond: 0,
      duplicate: true,
    });
    await watchInbox();
    await fake.settlePushes();
    received = [];
    fake.holdPushes();
    const a = fake.deliver(ALICE, Buffer.from('Subject: a\r\n\r\n'));
    const b = fake.deliver(ALICE, Buffer.from('Subject: b\r\n\r\n'));
    fake.releasePushes({ reverse: true });
    await fake.settlePushes();
    const ids = received.map((r) => String(decode(r).historyId));
    expect(ids.sort()).toEqual([a.historyId, a.historyId, b.historyId, b.historyId].sort());
    expect(received.findIndex((r) => String(decode(r).historyId) === b.historyId)).toBeLessThan(
      received.findIndex((r) => String(decode(r).historyId) === a.historyId),
    );
  });

  it('stops publishing once the watch lapses after 7 days or is stopped', async () => {
    const alice = await watchInbox();
    await fake.settlePushes();
    fake.advanceTime(7 * 86_400_000 + 1000);
    fake.deliver(ALICE, Buffer.from('Subject: late\r\n\r\n'));
    await alice.auth.refreshAccessToken(); // the fake's clock moved, the client's did not
    await alice.gmail.users.watch({
      userId: 'me',
      requestBody: { topicName: `projects/${fake.projectId}/topics/gmail-push` },
    });
    await alice.gmail.users.stop({ userId: 'me' });
    fake.deliver(ALICE, Buffer.from('Subject: after stop\r\n\r\n'));
    await fake.settlePushes();
    expect(received).toHaveLength(2);
    fake.pushNow(ALICE);
    await fake.settlePushes();
    expect(decode(received[2]!).historyId).toBe(Number(fake.historyId(ALICE)));
  });

  it('drops notifications above one per second per user by default', async () => {
    fake.configurePush({ endpoint, audience: endpoint, serviceAccountEmail: SA });
    await watchInbox();
    fake.deliver(ALICE, Buffer.from('Subject: a\r\n\r\n'));
    await fake.settlePushes();
    expect(received).toHaveLength(1);
    expect(fake.pushAttempts().some((a) => a.status === -1)).toBe(true);
    fake.advanceTime(1500);
    fake.deliver(ALICE, Buffer.from('Subject: b\r\n\r\n'));
    await fake.settlePushes();
    expect(received).toHaveLength(2);
  });
});
