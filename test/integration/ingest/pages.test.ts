// A page of messages is stored in one transaction, and must come out exactly as if its messages had
// been stored one after another: same tickets, rules, kinds, numbers and duplicates.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import type { IngestInput, IngestOutcome } from '../../../src/ingest/pipeline.js';
import { findCorpus, listMessageFiles } from '../../corpus/run-corpus.js';
import { type IngestFixture, makeIngestFixture } from '../../helpers/ingest.js';
import { mail } from '../../helpers/mail.js';
import { bearer, createTenant } from '../../helpers/tenants.js';

let f: IngestFixture;
beforeAll(async () => {
  f = await makeIngestFixture();
});
afterAll(async () => {
  await f?.t.close();
});

type Script = Omit<IngestInput, 'tenantId' | 'mailboxId'>[];

const tokens = new Map<string, string>();
const tenantToken = async (tenantId: string) => tokens.get(tenantId)!;

async function freshMailbox(): Promise<{ tenantId: string; mailboxId: string }> {
  const tenant = await createTenant(f.t, `pages-${randomUUID()}`);
  tokens.set(tenant.id, tenant.token);
  const res = await f.t.app.inject({
    method: 'POST',
    url: '/v1/mailboxes',
    headers: bearer(tenant.token),
    payload: { provider: 'local', address: 'support@acme.example' },
  });
  return { tenantId: tenant.id, mailboxId: res.json().id };
}

/** Outcomes with ids replaced by the order they first appeared in, so two tenants compare. */
function normalise(outcomes: IngestOutcome[]): unknown[] {
  const ids = new Map<string, number>();
  const idx = (id: string | null) =>
    id === null ? null : (ids.get(id) ?? ids.set(id, ids.size).get(id));
  return outcomes.map((o) =>
    o.status === 'stored'
      ? { ...o, messageId: idx(o.messageId), ticketId: idx(o.ticketId) }
      : o.status === 'duplicate'
        ? { ...o, messageId: idx(o.messageId) }
        : o,
  );
}

async function tenantState(tenantId: string): Promise<unknown> {
  const rows = async (sql: string) =>
    (await f.t.database.db.tx((c) => c.query(sql, [tenantId]))).rows;
  return {
    events: await rows(
      `SELECT type, count(*)::int AS n FROM events WHERE tenant_id = $1 GROUP BY type ORDER BY type`,
    ),
    tickets:
      await rows(`SELECT number, status, (SELECT count(*)::int FROM ticket_participants p WHERE p.ticket_id = t.id) AS participants,
      (SELECT count(*)::int FROM messages m WHERE m.ticket_id = t.id) AS messages FROM tickets t WHERE tenant_id = $1 ORDER BY number`),
    deliveries: await rows(
      `SELECT outcome, count(*)::int AS n FROM message_deliveries WHERE tenant_id = $1 GROUP BY outcome ORDER BY outcome`,
    ),
  };
}

async function oneByOneVersusPages(script: Script, pageSize: number): Promise<void> {
  const [a, b] = [await freshMailbox(), await freshMailbox()];
  const single: IngestOutcome[] = [];
  for (const s of script) single.push(await f.t.container.pipeline.ingest({ ...a, ...s }));
  const paged: IngestOutcome[] = [];
  for (let i = 0; i < script.length; i += pageSize) {
    paged.push(
      ...(await f.t.container.pipeline.ingestPage(
        script.slice(i, i + pageSize).map((s) => ({ ...b, ...s })),
      )),
    );
  }
  expect(normalise(paged)).toEqual(normalise(single));
  expect(await tenantState(b.tenantId)).toEqual(await tenantState(a.tenantId));
}

describe('pages', () => {
  test('threading inside one page: replies, references, provider threads, tokens, duplicates, loops, bounces', async () => {
    const p = (raw: Buffer, extra: Partial<Script[number]> = {}) => ({
      raw,
      providerMessageId: randomUUID(),
      ...extra,
    });
    const first = mail({
      messageId: 'p1@client.example',
      from: 'alice@client.example',
      subject: 'Printer on fire',
    });
    const script: Script = [
      p(first),
      p(
        mail({
          messageId: 'p2@client.example',
          subject: 'Re: Printer',
          inReplyTo: '<p1@client.example>',
        }),
      ),
      p(
        mail({
          messageId: 'p3@client.example',
          subject: 'x',
          references: '<nope@x> <p2@client.example>',
        }),
      ),
      p(mail({ subject: 'Thread A' }), { providerThreadId: 'thread-1' }),
      p(mail({ subject: 'other subject' }), { providerThreadId: 'thread-1' }),
      // Ticket numbers of a fresh tenant start at 1001: a participant's token joins, a stranger's does not.
      p(mail({ from: 'alice@client.example', subject: 'Re: [#1001] Printer' })),
      p(mail({ from: 'mallory@evil.example', subject: 'Re: [#1001] Printer' })),
      p(
        mail({
          from: 'bob@client.example',
          subject: 'Re: [#1004] token of a ticket this page opens later',
        }),
      ),
      p(first), // same Message-ID, another delivery: a duplicate
      p(
        mail({
          subject: 'Automatic reply: Printer',
          inReplyTo: '<p1@client.example>',
          headers: { 'Auto-Submitted': 'auto-replied' },
        }),
      ),
      ...Array.from({ length: 10 }, (_, i) =>
        p(
          mail({
            from: 'robot@loop.example',
            messageId: `loop-${i}@loop.example`,
            subject: 'Ping',
            ...(i ? { inReplyTo: `<loop-${i - 1}@loop.example>` } : {}),
          }),
        ),
      ),
    ];
    const repeat = script[3]!;
    script.push({ ...repeat }); // the same delivery twice in one page
    await oneByOneVersusPages(script, 25);
    await oneByOneVersusPages(script, 4);
  });

  test('the corpus stores the same way one by one and in pages', async () => {
    const corpus = findCorpus();
    if ('skip' in corpus) return;
    const files = listMessageFiles(corpus.dir).slice(0, 120);
    const script: Script = files.map((file, i) => ({
      raw: readFileSync(file.abs),
      providerMessageId: `c${i}`,
    }));
    await oneByOneVersusPages(script, 25);
  });

  test('two pages racing over the same messages in opposite orders store each message once', async () => {
    const a = await freshMailbox();
    const res = await f.t.app.inject({
      method: 'POST',
      url: '/v1/mailboxes',
      headers: bearer(await tenantToken(a.tenantId)),
      payload: { provider: 'local', address: 'billing@acme.example' },
    });
    const second = res.json().id as string;
    const raws = Array.from({ length: 20 }, (_, i) =>
      mail({ messageId: `race-${i}@client.example`, subject: `Race ${i}` }),
    );
    const page = (mailboxId: string, order: Buffer[]) =>
      order.map((raw, i) => ({
        tenantId: a.tenantId,
        mailboxId,
        raw,
        providerMessageId: `r${i}-${mailboxId}`,
      }));
    const [x, y] = await Promise.all([
      f.t.container.pipeline.ingestPage(page(a.mailboxId, raws)),
      f.t.container.pipeline.ingestPage(page(second, [...raws].reverse())),
    ]);
    const stored = [...x, ...y].filter((o) => o.status === 'stored').length;
    expect(stored).toBe(20);
    expect([...x, ...y].filter((o) => o.status === 'duplicate')).toHaveLength(20);
    const { rows } = await f.t.database.db.tx((c) =>
      c.query('SELECT count(*)::int AS n FROM messages WHERE tenant_id = $1', [a.tenantId]),
    );
    expect(rows[0].n).toBe(20);
  });

  test('a message the database refuses is retried alone: the rest of its page is stored, it is parked', async () => {
    const m = await freshMailbox();
    await f.t.database.owner.tx((c) =>
      c.query(
        `ALTER TABLE messages ADD CONSTRAINT no_poison CHECK (provider_thread_id IS DISTINCT FROM 'poison') NOT VALID`,
      ),
    );
    try {
      const page = [
        mail({ subject: 'one' }),
        mail({ subject: 'poison' }),
        mail({ subject: 'three' }),
      ].map((raw, i) => ({
        ...m,
        raw,
        providerMessageId: `x${i}`,
        providerThreadId: i === 1 ? 'poison' : null,
        maxAttempts: 1,
        cursor: { at: i },
      }));
      const out = await f.t.container.pipeline.ingestPage(page);
      expect(out.map((o) => o.status)).toEqual(['stored', 'parked', 'stored']);
    } finally {
      await f.t.database.owner.tx((c) => c.query('ALTER TABLE messages DROP CONSTRAINT no_poison'));
    }
    const { rows } = await f.t.database.db.tx((c) =>
      c.query('SELECT cursor FROM mailboxes WHERE id = $1', [m.mailboxId]),
    );
    expect(rows[0].cursor).toEqual({ at: 2 });
  });
});
