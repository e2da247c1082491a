// Hostile provider notifications against the real routes and the strict provider fakes. Graph: any
// validationToken is echoed as inert text; a batch of items queues work only when one of them
// carries a real subscription with its exact clientState (near misses, other types, floods queue
// nothing) and the answer is always 202. Gmail Pub/Sub: a token that is not Google's own signed
// push token is refused with 401 before the body counts; a genuine token with any body is
// acknowledged and never a 500.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type GmailHarness, makeGmailHarness } from '../helpers/gmail.js';
import { makeMicrosoftHarness, type MicrosoftHarness } from '../helpers/microsoft.js';
import { fuzzParams, fuzzTimeout } from './fuzz-runs.js';

let ms: MicrosoftHarness;
let gm: GmailHarness;
let graph: { mailboxId: string; subscriptionId: string; clientState: string };
let gmailMailbox: string;
let validPush: string;

beforeAll(async () => {
  ms = await makeMicrosoftHarness();
  ms.fake.addUser('fuzz@acme.example');
  const { mailboxId } = await ms.connect('fuzz@acme.example');
  await ms.sync(mailboxId!);
  await ms.fake.settle();
  const [sub] = ms.fake.subscriptions('fuzz@acme.example');
  graph = { mailboxId: mailboxId!, subscriptionId: sub!.id, clientState: sub!.clientState! };

  gm = await makeGmailHarness();
  gmailMailbox = (await gm.connect('fuzz@acme.example')).mailboxId!;
  validPush = await gm.fake.signPushToken();
}, 180_000);

afterAll(async () => {
  await ms?.close();
  await gm?.close();
});

const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('<img src=x onerror=alert(1)>', '<script>alert(1)</script>', '\r\nX: y', ''),
);

/** A notification item: genuine, a near miss of the genuine one, or junk of any shape. */
const graphItem = fc.oneof(
  fc
    .constantFrom('genuine', 'case', 'prefix', 'suffix', 'swapped', 'upper-id')
    .map((how) => ({ how })),
  fc.record({ how: fc.constant('junk'), value: fc.jsonValue({ maxDepth: 2 }) }),
  fc.record({
    how: fc.constant('shaped'),
    subscriptionId: fc.oneof(text, fc.integer()),
    clientState: fc.oneof(text, fc.constant(null)),
    lifecycleEvent: fc.constantFrom(
      'missed',
      'subscriptionRemoved',
      'reauthorizationRequired',
      'x',
    ),
  }),
);

function materialise(i: { how: string; [k: string]: unknown }, lifecycle: boolean): unknown {
  const { subscriptionId: id, clientState: cs } = graph;
  const event = lifecycle ? { lifecycleEvent: 'missed' } : { changeType: 'created' };
  const item = (subscriptionId: unknown, clientState: unknown) => ({
    subscriptionId,
    clientState,
    resource: 'Users/x/Messages/y',
    ...event,
  });
  switch (i.how) {
    case 'genuine':
      return item(id, cs);
    case 'case':
      return item(id, cs.toUpperCase() === cs ? cs.toLowerCase() : cs.toUpperCase());
    case 'prefix':
      return item(id, cs.slice(0, -1));
    case 'suffix':
      return item(id, `${cs}\u0000`);
    case 'swapped':
      return item(cs, id);
    case 'upper-id':
      return item(id.toUpperCase(), cs);
    case 'junk':
      return i.value;
    default:
      return { ...i, how: undefined };
  }
}

describe('Graph notifications under hostile input', () => {
  it(
    'echoes any validationToken as inert text/plain',
    async () => {
      await fc.assert(
        fc.asyncProperty(text, async (token) => {
          const res = await ms.t.app.inject({
            method: 'POST',
            url: `/v1/webhooks/graph/notifications?validationToken=${encodeURIComponent(token.replace(/[\ud800-\udfff]/gu, '\ufffd'))}`,
          });
          // A NUL is refused (400 problem+json) like anywhere in a URL; anything else comes back verbatim.
          if (token.includes('\u0000')) {
            expect(res.statusCode).toBe(400);
            return;
          }
          expect(res.statusCode).toBe(200);
          expect(res.headers['content-type']).toMatch(/^text\/plain/);
          expect(res.headers['x-content-type-options']).toBe('nosniff');
          expect(res.body).toBe(token.replace(/[\ud800-\udfff]/gu, '\ufffd'));
        }),
        fuzzParams(100),
      );
    },
    fuzzTimeout(100, 100),
  );

  it(
    'queues a sync only for a genuine item, and always answers 202',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.boolean(),
          fc.array(graphItem, { maxLength: 5 }),
          fc.constantFrom('array', 'object', 'flood', 'bare'),
          async (lifecycle, items, wrap) => {
            await ms.clearJobs();
            const values = items.map((i) => materialise(i, lifecycle));
            const payload =
              wrap === 'array'
                ? { value: values }
                : wrap === 'flood'
                  ? { value: Array.from({ length: 1001 }, () => values[0] ?? {}) }
                  : wrap === 'object'
                    ? { value: Object.fromEntries(values.map((v, n) => [n, v])) }
                    : values;
            const res = await ms.t.app.inject({
              method: 'POST',
              url: `/v1/webhooks/graph/${lifecycle ? 'lifecycle' : 'notifications'}`,
              payload: payload as object,
            });
            // A NUL anywhere in a body is refused up front (400 problem+json); Graph never sends one.
            if (JSON.stringify(payload).includes('\\u0000')) {
              expect([res.statusCode, res.json().code]).toEqual([400, 'validation_failed']);
              expect(await ms.syncJobs(graph.mailboxId)).toBe(0);
              return;
            }
            expect(res.statusCode).toBe(202);
            const genuine = wrap === 'array' && items.some((i) => i.how === 'genuine');
            expect(await ms.syncJobs(graph.mailboxId)).toBe(genuine ? 1 : 0);
          },
        ),
        fuzzParams(100),
      );
    },
    fuzzTimeout(100, 200),
  );
});

describe('Gmail Pub/Sub pushes under hostile input', () => {
  it(
    'refuses every token but a genuine one with 401, and acknowledges any body under a genuine one',
    async () => {
      const tokens = fc.oneof(
        fc.constant('valid'),
        text.map((t) => `Bearer ${t}`),
        fc.constantFrom('forged', 'audience', 'expired', 'unverified', 'issuer', 'none'),
      );
      const data = fc.oneof(
        fc.jsonValue({ maxDepth: 2 }).map((v) => Buffer.from(JSON.stringify(v)).toString('base64')),
        fc
          .record({
            emailAddress: fc.oneof(
              text,
              fc.constant('fuzz@acme.example'),
              fc.constant('FUZZ@ACME.EXAMPLE'),
            ),
            historyId: fc.oneof(
              fc.bigInt({ min: -1n, max: 10n ** 25n }).map(String),
              fc.integer(),
              text,
            ),
          })
          .map((v) => Buffer.from(JSON.stringify(v)).toString('base64url')),
        text,
      );
      const now = Math.floor(Date.now() / 1000);
      const signed: Record<string, string> = {
        valid: validPush,
        forged: await gm.fake.signPushToken({ key: 'forged' }),
        audience: await gm.fake.signPushToken({ aud: 'https://evil.example/hook' }),
        expired: await gm.fake.signPushToken({ iat: now - 7200, exp: now - 3600 }),
        unverified: await gm.fake.signPushToken({ emailVerified: false }),
        issuer: await gm.fake.signPushToken({ iss: 'https://evil.example' }),
      };
      await fc.assert(
        fc.asyncProperty(tokens, data, async (token, message) => {
          const authorization =
            token in signed ? `Bearer ${signed[token]}` : token === 'none' ? undefined : token;
          const res = await gm.t.app.inject({
            method: 'POST',
            url: '/v1/webhooks/google/pubsub',
            headers: authorization === undefined ? {} : { authorization },
            payload: { message: { data: message, messageId: '1' }, subscription: 'projects/p/s' },
          });
          if (token === 'valid') expect(res.statusCode).toBe(204);
          else {
            expect(res.statusCode).toBe(401);
            expect(res.json().code).toBe('unauthenticated');
          }
        }),
        fuzzParams(100),
      );
      // The genuine mailbox is still connected and in order after all of it.
      expect((await gm.sync(gmailMailbox)).status).toBe('synced');
    },
    fuzzTimeout(100, 200),
  );
});
