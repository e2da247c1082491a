// Data-subject export and erasure by address (scope privacy:manage), on real PostgreSQL with two
// mailboxes. Pat writes to both; Quinn answers on Pat's first ticket and has a ticket of her own; an
// agent's reply to Pat is still queued. Export holds exactly Pat's data and is downloadable once,
// audited. Erasure's dry run equals the real counts; afterwards nothing in a full decrypted read of the
// tenant nor in any column of any table holds Pat's markers or address index (beyond the erasure
// record itself), Quinn's messages are intact, and a second erasure is a no-op answering the same receipt.
import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, expect, test } from 'vitest';

import { addressIndex } from '../../../src/privacy/person-data.js';
import { runSubjectRequest } from '../../../src/privacy/subject-requests.js';
import { type IngestFixture, makeIngestFixture } from '../../helpers/ingest.js';
import { mail } from '../../helpers/mail.js';
import { bearer } from '../../helpers/tenants.js';
import { readZip } from '../../helpers/zip.js';

let f: IngestFixture;
let mbB: string;
const tickets: Record<string, string> = {};
beforeAll(async () => {
  f = await makeIngestFixture();
  mbB = await f.addMailbox('sales@acme.example');
  const pdf = {
    filename: 'pat.pdf',
    contentType: 'application/pdf',
    content: Buffer.from('%PDF-1.4 PAT-MARK-attachment'),
  };
  const p1 = await f.ingest(
    mail({
      from: 'Pat <pat@client.example>',
      subject: 'Order',
      text: 'PAT-MARK-1 my order',
      messageId: 'pat-1@client.example',
      attachments: [pdf],
    }),
  );
  const q1 = await f.ingest(
    mail({
      from: 'Quinn <quinn@client.example>',
      subject: 'Re: Order',
      text: 'QUINN-MARK-1 about it',
      inReplyTo: '<pat-1@client.example>',
    }),
  );
  const p2 = await f.ingest(
    mail({
      from: 'pat@client.example',
      to: 'sales@acme.example',
      subject: 'Invoice',
      text: 'PAT-MARK-2 invoice',
    }),
    { mailboxId: mbB },
  );
  const q3 = await f.ingest(
    mail({ from: 'quinn@client.example', subject: 'Hers', text: 'QUINN-MARK-3 alone' }),
  );
  for (const o of [p1, q1, p2, q3]) if (o.status !== 'stored') throw new Error('ingest failed');
  if (
    p1.status !== 'stored' ||
    q1.status !== 'stored' ||
    p2.status !== 'stored' ||
    q3.status !== 'stored'
  )
    return;
  expect(q1.ticketId).toBe(p1.ticketId);
  Object.assign(tickets, { shared: p1.ticketId, patOnly: p2.ticketId, quinnOnly: q3.ticketId });
  // ClamAV's verdict on Pat's attachment (no clamd in this file).
  await owner(`UPDATE attachments SET scan_status = 'clean' WHERE tenant_id = $1`, [f.tenant.id]);
  // The agent answers Pat; the reply is still queued when the requests come. (Import-only mailboxes
  // cannot send; mailbox A stands in for an IMAP one whose send job has not run yet.)
  await owner(`UPDATE mailboxes SET provider = 'imap' WHERE id = $1`, [f.mailbox]);
  const reply = await f.t.app.inject({
    method: 'POST',
    url: `/v1/tickets/${p1.ticketId}/replies`,
    headers: { ...bearer(f.tenant.token), 'idempotency-key': randomUUID() },
    payload: { text: 'AGENT-TO-PAT we are on it' },
  });
  expect(reply.statusCode, reply.body).toBe(202);
});
afterAll(async () => {
  await f?.t.close();
});

const owner = async <T extends object>(sql: string, params: unknown[] = []) =>
  (await f.t.database.db.tx((ex) => ex.query<T>(sql, params))).rows;
const run = (id: string) =>
  runSubjectRequest(f.t.container.privacyDeps, { tenantId: f.tenant.id, requestId: id });

test("export: exactly Pat's messages (both mailboxes), originals, clean attachments and the reply to her; once; audited", async () => {
  const created = await f.api<{ id: string; state: string }>('POST', '/v1/subject-requests', {
    type: 'export',
    address: 'PAT@client.example',
  });
  expect(created.status).toBe(202);
  expect(created.body.state).toBe('queued');
  await run(created.body.id);
  const done = await f.api<{
    state: string;
    progress: { done: number; total: number };
    counts: Record<string, number>;
    download_url: string;
  }>('GET', `/v1/subject-requests/${created.body.id}`);
  expect(done.body).toMatchObject({
    state: 'completed',
    progress: { done: 3, total: 3 },
    counts: { messages: 3, originals: 3, attachments: 1, tickets: 2 },
  });

  const dl = await f.api('GET', done.body.download_url);
  expect(dl.status).toBe(200);
  expect(dl.headers['content-type']).toBe('application/zip');
  const files = readZip(dl.raw);
  const all = [...files.values()].map((b) => b.toString('utf8')).join('\n');
  expect(all).toContain('PAT-MARK-1');
  expect(all).toContain('PAT-MARK-2');
  expect(all).toContain('PAT-MARK-attachment');
  expect(all).toContain('AGENT-TO-PAT');
  expect(all).not.toContain('QUINN-MARK');
  expect([...files.keys()].filter((n) => n.endsWith('.eml'))).toHaveLength(3); // the reply's composed MIME too
  expect(
    JSON.parse(files.get('export.json')!.toString())
      .tickets.map((t: { id: string }) => t.id)
      .sort(),
  ).toEqual([tickets.shared, tickets.patOnly].sort());

  // Once: the second download is refused, and the zip is gone from the database.
  expect((await f.api('GET', done.body.download_url)).status).toBe(410);
  expect(
    (
      await owner<{ n: number }>(
        'SELECT count(*)::int AS n FROM subject_requests WHERE export_ct IS NOT NULL OR address_ct IS NOT NULL',
      )
    )[0]!.n,
  ).toBe(0);
  const audit = await f.api<{ items: { action: string; resource_id: string }[] }>(
    'GET',
    `/v1/audit?resource_type=subject_request&resource_id=${created.body.id}`,
  );
  expect(audit.body.items.map((i) => i.action).sort()).toEqual([
    'export.create',
    'export.download',
    'subject_request.complete',
  ]);
  const [event] = await owner<{ type: string; data: unknown }>(
    `SELECT type, data FROM events WHERE resource_id = $1`,
    [created.body.id],
  );
  expect(event).toEqual({ type: 'subject_request.completed', data: { type: 'export' } });
});

test('erase: dry run = real counts; no trace of Pat afterwards; Quinn intact; a second erase answers the same receipt', async () => {
  const dry = await f.api<{ counts: Record<string, number>; dry_run: boolean; id: null }>(
    'POST',
    '/v1/subject-requests',
    { type: 'erase', address: 'pat@client.example', dry_run: true },
  );
  expect(dry.status).toBe(200);
  expect(dry.body).toMatchObject({ dry_run: true, id: null });
  expect(dry.body.counts).toMatchObject({ messages: 3, attachments: 1, tickets: 1, outbox: 1 });

  const real = await f.api<{ id: string }>('POST', '/v1/subject-requests', {
    type: 'erase',
    address: 'pat@client.example',
  });
  expect(real.status).toBe(202);
  await run(real.body.id);
  const receipt = await f.api<{
    state: string;
    counts: Record<string, number>;
    windows: { live: string; backups_unreadable_within_days: number };
  }>('GET', `/v1/subject-requests/${real.body.id}`);
  expect(receipt.body.state).toBe('completed');
  expect(receipt.body.counts).toEqual(dry.body.counts);
  expect(receipt.body.windows).toEqual({ live: 'immediately', backups_unreadable_within_days: 37 });

  // Everything the tenant holds, decrypted through the API: no Pat, all of Quinn.
  const list = await f.api<{ items: { id: string }[] }>('GET', '/v1/tickets?limit=200');
  expect(list.body.items.map((t) => t.id).sort()).toEqual(
    [tickets.shared, tickets.quinnOnly].sort(),
  );
  let decrypted = JSON.stringify(list.body);
  for (const t of list.body.items) {
    const detail = await f.api<{
      messages: { id: string; attachments: { download_url: string | null }[] }[];
    }>('GET', `/v1/tickets/${t.id}`);
    decrypted += JSON.stringify(detail.body);
    for (const m of detail.body.messages) {
      decrypted += (await f.api('GET', `/v1/messages/${m.id}/raw`)).raw.toString('utf8');
      for (const a of m.attachments)
        if (a.download_url) decrypted += (await f.api('GET', a.download_url)).raw.toString('utf8');
    }
  }
  expect(decrypted).not.toMatch(/PAT-MARK|AGENT-TO-PAT|pat@client\.example/i);
  expect(decrypted).toContain('QUINN-MARK-1');
  expect(decrypted).toContain('QUINN-MARK-3');
  // The shared ticket now takes its subject and requester from Quinn's message.
  expect(list.body.items.find((t) => t.id === tickets.shared)).toMatchObject({
    subject: 'Re: Order',
    requester: { address: 'quinn@client.example' },
  });

  // Every column of every table, as text: no marker, no index of Pat's address except on the
  // erasure request itself (it is what makes a repeated erasure answer the same receipt).
  const bidx = (
    await f.t.database.db.tenantTx(f.tenant.id, (ex) =>
      addressIndex(ex, f.t.container.keys, f.tenant.id, 'pat@client.example'),
    )
  ).toString('hex');
  const tables = await owner<{ t: string }>(
    `SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public'`,
  );
  for (const { t } of tables) {
    const hits = await owner<{ n: number }>(
      `SELECT count(*)::int AS n FROM "${t}" x WHERE x::text ILIKE '%PAT-MARK%' OR x::text ILIKE '%pat@client%' OR ($1 AND x::text LIKE '%' || $2 || '%')`,
      [t !== 'subject_requests', bidx],
    );
    expect(hits[0]!.n, t).toBe(0);
  }
  expect(await owner<{ state: string }>('SELECT state FROM outbox')).toEqual([]);

  // Idempotent: the second erasure finds nothing and answers the first receipt.
  const again = await f.api<{ id: string; counts: Record<string, number> }>(
    'POST',
    '/v1/subject-requests',
    { type: 'erase', address: 'pat@client.example' },
  );
  expect(again.status).toBe(200);
  expect(again.body).toMatchObject({ id: real.body.id, counts: receipt.body.counts });
  expect(
    (
      await owner<{ n: number }>(
        `SELECT count(*)::int AS n FROM privacy_receipts WHERE kind = 'erasure'`,
      )
    )[0]!.n,
  ).toBe(1);
});

test('an API key without privacy:manage is refused', async () => {
  const key = await f.api<{ token: string }>('POST', '/v1/api-keys', {
    name: 'reader',
    scopes: ['tickets:read'],
  });
  const res = await f.t.app.inject({
    method: 'POST',
    url: '/v1/subject-requests',
    headers: bearer(key.body.token),
    payload: { type: 'export', address: 'pat@client.example' },
  });
  expect(res.statusCode).toBe(403);
});
