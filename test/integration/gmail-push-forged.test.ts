// Forged, unsigned, expired or misaddressed Gmail pushes through the strict Google fake: each is
// refused with 401 and queues nothing; only the genuine push queues a sync.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { type GmailHarness, makeGmailHarness } from '../helpers/gmail.js';

let h: GmailHarness;
beforeAll(async () => {
  h = await makeGmailHarness();
});
afterAll(async () => {
  await h?.close();
});

const allSyncJobs = async () =>
  (
    await h.owner<{ n: number }>(
      `SELECT count(*)::int AS n FROM graphile_worker.jobs WHERE task_identifier = 'mailbox.sync'`,
    )
  )[0]!.n;

describe('gmail push verification', () => {
  test('forged, unsigned, expired or misaddressed pushes → 401 and nothing queued', async () => {
    const email = 'push@acme-forged.example';
    await h.connect(email);
    await h.fake.settlePushes();
    await h.clearJobs();
    const data = Buffer.from(
      JSON.stringify({ emailAddress: email, historyId: Number(h.fake.historyId(email)) + 50 }),
    ).toString('base64');
    const body = {
      message: { data, messageId: '1', publishTime: new Date().toISOString() },
      subscription: 'projects/inlet-test/subscriptions/s',
    };
    const now = Math.floor(Date.now() / 1000);
    const cases = {
      unsigned: undefined,
      forgedSignature: await h.fake.signPushToken({ key: 'forged' }),
      wrongAudience: await h.fake.signPushToken({ aud: 'https://evil.example/hook' }),
      expired: await h.fake.signPushToken({ iat: now - 7200, exp: now - 3600 }),
      otherAccount: await h.fake.signPushToken({ email: 'someone@evil.iam.gserviceaccount.com' }),
      unverifiedEmail: await h.fake.signPushToken({ emailVerified: false }),
      wrongIssuer: await h.fake.signPushToken({ iss: 'https://evil.example' }),
    };
    for (const [name, token] of Object.entries(cases)) {
      expect((await h.fake.pushRaw(body, token)).status, name).toBe(401);
    }
    expect(await allSyncJobs()).toBe(0);
    // The genuine token for the same body is accepted and queues the sync.
    expect((await h.fake.pushRaw(body, await h.fake.signPushToken())).status).toBe(204);
    expect(await allSyncJobs()).toBe(1);
    // A genuinely signed push carrying `data`: the status it is answered with.
    const pushData = async (data: object) =>
      (
        await h.fake.pushRaw(
          {
            ...body,
            message: {
              ...body.message,
              data: Buffer.from(JSON.stringify(data)).toString('base64url'),
            },
          },
          await h.fake.signPushToken(),
        )
      ).status;
    // A push for an address Inlet does not hold is acknowledged (no redelivery storm) and counted.
    expect(await pushData({ emailAddress: 'nobody@else.example', historyId: '77' })).toBe(204);
    expect(await h.t.container.metrics.getSingleMetricAsString('inlet_gmail_pushes_total')).toMatch(
      /outcome="unknown_mailbox"} 1/,
    );
    expect(await allSyncJobs()).toBe(1);
    // A genuine push naming an empty address is acknowledged as malformed, not a 500 that Pub/Sub
    // would redeliver for days (found by test/fuzz/webhook-fuzz.test.ts).
    for (const emailAddress of ['', '   '])
      expect(await pushData({ emailAddress, historyId: '0' })).toBe(204);
    expect(await allSyncJobs()).toBe(1);
  });
});
