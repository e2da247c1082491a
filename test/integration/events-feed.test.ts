// GET /v1/events under concurrent writers: events are recorded by 20 writers whose transactions
// commit out of id order (each holds its ids while others commit); a reader polling the feed during
// the writes must see every event exactly once, in feed order, never skipping one that committed late.
import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { insertEvent } from '../../src/store/event-store.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { bearer, createTenant, operatorKey, testKeyring } from '../helpers/tenants.js';

let t: TestApp;
let tenant: { id: string; token: string };
let other: { id: string; token: string };

beforeAll(async () => {
  t = await makeTestApp({
    INLET_OPERATOR_KEY: operatorKey,
    INLET_MASTER_KEYS: testKeyring(),
    DATABASE_POOL_MAX: '30',
  });
  tenant = await createTenant(t, 'Acme');
  other = await createTenant(t, 'Other');
});
afterAll(async () => {
  await t?.close();
});

type Feed = {
  items: { id: string; type: string; data: Record<string, unknown> }[];
  next_cursor: string;
};
const feed = async (token: string, query: string): Promise<Feed> => {
  const res = await t.app.inject({
    method: 'GET',
    url: `/v1/events?${query}`,
    headers: bearer(token),
  });
  expect(res.statusCode).toBe(200);
  return res.json();
};

describe('events feed', () => {
  test('20 concurrent writers: the feed read during the writes returns every event once, in order', async () => {
    const writers = 20;
    const perWriter = 15;
    let writing = true;
    const write = async (w: number) => {
      for (let i = 0; i < perWriter; i++) {
        await t.container.db.tenantTx(tenant.id, async (ex) => {
          await insertEvent(ex, tenant.id, 'ticket.updated', randomUUID(), {
            change: 'status',
            status: `w${w}-${i}-a`,
          });
          // Hold the transaction open with its id taken, so later ids commit first.
          await ex.query('SELECT pg_sleep($1)', [Math.random() * 0.03]);
          await insertEvent(ex, tenant.id, 'ticket.updated', randomUUID(), {
            change: 'status',
            status: `w${w}-${i}-b`,
          });
        });
      }
    };
    const seen: string[] = [];
    const statuses: string[] = [];
    const read = async () => {
      let cursor = '';
      for (;;) {
        const stillWriting = writing;
        const page = await feed(tenant.token, `limit=37${cursor ? `&after=${cursor}` : ''}`);
        for (const e of page.items) {
          seen.push(e.id);
          statuses.push(String(e.data.status));
        }
        cursor = page.next_cursor;
        if (!stillWriting && page.items.length === 0) return;
      }
    };
    const reader = read();
    await Promise.all(Array.from({ length: writers }, (_, w) => write(w)));
    writing = false;
    await reader;

    expect(seen).toHaveLength(writers * perWriter * 2);
    expect(new Set(seen).size).toBe(seen.length);
    // Each writer's events appear in the order it wrote them (a before b, i before i+1).
    for (let w = 0; w < writers; w++) {
      const mine = statuses.filter((s) => s.startsWith(`w${w}-`));
      expect(mine).toEqual(
        Array.from({ length: perWriter }, (_, i) => [`w${w}-${i}-a`, `w${w}-${i}-b`]).flat(),
      );
    }
    // Reading again from the start gives the same sequence: the order is stable.
    const again: string[] = [];
    let cursor = '';
    for (;;) {
      const page = await feed(tenant.token, `limit=500${cursor ? `&after=${cursor}` : ''}`);
      if (page.items.length === 0) break;
      again.push(...page.items.map((e) => e.id));
      cursor = page.next_cursor;
    }
    expect(again).toEqual(seen);
    // Another tenant sees none of it.
    expect((await feed(other.token, 'limit=500')).items).toEqual([]);
  }, 120_000);

  test('types filter, bad cursor and unknown types', async () => {
    await t.container.db.tenantTx(other.id, (ex) =>
      insertEvent(ex, other.id, 'mailbox.purged', randomUUID()),
    );
    await t.container.db.tenantTx(other.id, (ex) =>
      insertEvent(ex, other.id, 'ticket.created', randomUUID(), {
        number: 1,
        mailbox_id: randomUUID(),
      }),
    );
    const only = await feed(other.token, 'types=ticket.created');
    expect(only.items.map((e) => e.type)).toEqual(['ticket.created']);
    expect(only.items[0]!.data).toMatchObject({ number: 1 });
    expect(only.items[0]!.data.ticket_id).toMatch(/^[0-9a-f-]{36}$/);
    const bad = await t.app.inject({
      method: 'GET',
      url: '/v1/events?after=abc',
      headers: bearer(other.token),
    });
    expect(bad.statusCode).toBe(400);
    const unknown = await t.app.inject({
      method: 'GET',
      url: '/v1/events?types=ticket.exploded',
      headers: bearer(other.token),
    });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().code).toBe('validation_failed');
  });
});
