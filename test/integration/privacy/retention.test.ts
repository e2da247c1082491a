// Retention policies: a tenant policy (inactive 365 days, closed 30 days) and a mailbox override
// (inactive 1000 days, no closed rule). The dry run's counts equal the real run's; exactly the due
// tickets go, with their messages, attachments and originals; a receipt records the counts.
import { afterAll, beforeAll, expect, test } from 'vitest';

import { type IngestFixture, makeIngestFixture } from '../../helpers/ingest.js';
import { mail } from '../../helpers/mail.js';

let f: IngestFixture;
beforeAll(async () => {
  f = await makeIngestFixture();
});
afterAll(async () => {
  await f?.t.close();
});

const owner = async <T extends object>(sql: string, params: unknown[] = []) =>
  (await f.t.database.db.tx((ex) => ex.query<T>(sql, params))).rows;

test('dry run equals the real run; only due tickets go; the mailbox override replaces the tenant policy', async () => {
  const mbB = await f.addMailbox('sales@acme.example');
  const ticket = async (
    label: string,
    mailboxId: string,
    age: { activity: number; updated?: number; status?: string },
  ) => {
    const pdf = {
      filename: `${label}.pdf`,
      contentType: 'application/pdf',
      content: Buffer.from(`%PDF-1.4 ${label}`),
    };
    const o = await f.ingest(
      mail({
        to: mailboxId === mbB ? 'sales@acme.example' : 'support@acme.example',
        subject: label,
        text: label,
        attachments: [pdf],
      }),
      { mailboxId },
    );
    if (o.status !== 'stored') throw new Error('ingest failed');
    await owner(
      `UPDATE tickets SET last_activity_at = now() - make_interval(days => $2), updated_at = now() - make_interval(days => $3), status = $4 WHERE id = $1`,
      [o.ticketId, age.activity, age.updated ?? age.activity, age.status ?? 'open'],
    );
    return o.ticketId;
  };
  const ids = {
    a1: await ticket('a1-inactive', f.mailbox, { activity: 400 }),
    a2: await ticket('a2-closed-long-ago', f.mailbox, {
      activity: 10,
      updated: 40,
      status: 'closed',
    }),
    a3: await ticket('a3-recent', f.mailbox, { activity: 2 }),
    a4: await ticket('a4-closed-recently', f.mailbox, { activity: 5, status: 'closed' }),
    b1: await ticket('b1-kept-by-override', mbB, { activity: 400, updated: 400, status: 'closed' }),
    b2: await ticket('b2-very-old', mbB, { activity: 1200 }),
  };
  expect(
    (
      await f.api('PUT', '/v1/retention-policies', {
        mailbox_id: null,
        inactive_days: 365,
        closed_days: 30,
      })
    ).status,
  ).toBe(200);
  const set = await f.api<{ items: unknown[] }>('PUT', '/v1/retention-policies', {
    mailbox_id: mbB,
    inactive_days: 1000,
    closed_days: null,
  });
  expect(set.body.items).toHaveLength(2);

  const dry = await f.api<{ counts: Record<string, number> }>('POST', '/v1/retention-runs', {
    dry_run: true,
  });
  expect(dry.status).toBe(200);
  expect(dry.body.counts).toMatchObject({ tickets: 3, messages: 3, attachments: 3 });
  const real = await f.api<{
    id: string;
    kind: string;
    counts: Record<string, number>;
    detail: { backups_unreadable_within_days: number };
  }>('POST', '/v1/retention-runs', { dry_run: false });
  expect(real.status).toBe(201);
  expect(real.body.kind).toBe('retention');
  expect(real.body.counts).toEqual(dry.body.counts);
  expect(real.body.detail.backups_unreadable_within_days).toBe(37);

  const left = (
    await owner<{ id: string }>('SELECT id FROM tickets WHERE tenant_id = $1', [f.tenant.id])
  )
    .map((r) => r.id)
    .sort();
  expect(left).toEqual([ids.a3, ids.a4, ids.b1].sort());
  expect(
    (
      await owner<{ n: number }>('SELECT count(*)::int AS n FROM messages WHERE tenant_id = $1', [
        f.tenant.id,
      ])
    )[0]!.n,
  ).toBe(3);
  expect(
    (
      await owner<{ n: number }>(
        'SELECT count(*)::int AS n FROM message_raw_chunks WHERE tenant_id = $1',
        [f.tenant.id],
      )
    )[0]!.n,
  ).toBe(3);
  expect(
    (
      await f.api<{ counts: Record<string, number> }>('POST', '/v1/retention-runs', {
        dry_run: true,
      })
    ).body.counts.tickets,
  ).toBe(0);
  const [receipt] = await owner<{ counts: Record<string, number> }>(
    `SELECT counts FROM privacy_receipts WHERE id = $1`,
    [real.body.id],
  );
  expect(receipt!.counts).toEqual(dry.body.counts);
  const audit = await f.api<{ items: { action: string }[] }>(
    'GET',
    '/v1/audit?action=retention.run',
  );
  expect(audit.body.items).toHaveLength(1);
});
