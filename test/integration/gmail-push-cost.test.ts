// What one pushed Gmail message costs the database (issue #19), counted at the driver: the push
// receiver's statements and the sync job's, with their commits. A push-triggered sync carries one
// or two messages, so its bookkeeping used to outweigh the message: 6 statements for the push, 23
// and 5 commits for the sync (the cursor, progress and finish each in a transaction of their own,
// and a transaction asking which listed messages were stored already). And a burst of pushes over
// many mailboxes, with the real job runner and Pub/Sub's duplicate deliveries, stores every
// message once.
import type { Runner } from 'graphile-worker';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import {
  type GmailHarness,
  makeGmailHarness,
  pushAccount,
  pushAudience,
} from '../helpers/gmail.js';
import { mail } from '../helpers/mail.js';
import { logStatements, type StatementLog } from '../helpers/statement-log.js';
import { startTestWorker } from '../helpers/test-worker.js';

let h: GmailHarness;
let log: StatementLog;
let runner: Runner | null = null;
beforeAll(async () => {
  h = await makeGmailHarness();
  log = logStatements();
});
afterAll(async () => {
  log?.restore();
  await runner?.stop();
  await h?.close();
});

const commits = (s: string[]) => s.filter((x) => /\bCOMMIT\b/i.test(x)).length;

describe('gmail push cost', () => {
  test('one pushed message: the push is one statement; its sync commits its message, cursor and finish once', async () => {
    const email = 'cost@acme-cost.example';
    const { mailboxId } = await h.connect(email);
    const id = mailboxId!;
    await h.sync(id);
    await h.fake.settlePushes();
    await h.clearJobs();
    for (let round = 0; round < 2; round++) {
      h.fake.holdPushes();
      h.fake.deliver(email, mail({ to: email, subject: `cost ${round}` }));
      const push = await log.during(async () => {
        h.fake.releasePushes();
        await h.fake.settlePushes();
      });
      expect(await h.syncJobs(id)).toBe(1);
      const before = (
        await h.owner<{ cursor: unknown }>('SELECT cursor FROM mailboxes WHERE id = $1', [id])
      )[0]!;
      const sync = await log.during(() => h.sync(id));
      expect(sync.result).toMatchObject({ stored: 1, duplicates: 0 });
      const shown = `push:\n${push.statements.join('\n')}\nsync:\n${sync.statements.join('\n')}`;
      // The mailbox lookup and the enqueue in one statement (was BEGIN, lookup, COMMIT, BEGIN,
      // enqueue, COMMIT, then lookup and enqueue).
      expect(push.statements.length, shown).toBe(1);
      expect(commits(push.statements), shown).toBe(0);
      // Opening the mailbox (BEGIN with the tenant and one read of its state, row and key in one
      // round trip, the audit record of the credentials decrypt (security.md control 5), COMMIT),
      // then one transaction: BEGIN with the ingest keys and the mailbox's lock, the dedupe lock,
      // the page lookup, the message with its new ticket and its original in one statement, the
      // cursor, progress and finish, COMMIT (was 23 statements in 5 transactions, then 12 in 2,
      // then 9, then 10 with the audit record in a transaction of its own).
      expect(sync.statements.length, shown).toBeLessThanOrEqual(10);
      expect(
        sync.statements.filter((s) => /^\s*INSERT INTO audit_log/i.test(s)),
        shown,
      ).toHaveLength(1);
      expect(
        sync.statements.filter((s) => /message_raw_chunks/i.test(s)),
        shown,
      ).toHaveLength(1);
      expect(commits(sync.statements), shown).toBe(2);
      expect(
        sync.statements.filter((s) => /^\s*UPDATE mailboxes/i.test(s)),
        shown,
      ).toHaveLength(1);
      // What the user sees is unchanged: the cursor moved to Gmail's history id, the sync is done.
      const [row] = await h.owner<{ cursor: { historyId: string }; last_sync_at: Date | null }>(
        'SELECT cursor, last_sync_at FROM mailboxes WHERE id = $1',
        [id],
      );
      expect(row!.cursor).not.toEqual(before.cursor);
      expect(row!.cursor.historyId).toBe(String(h.fake.historyId(email)));
      expect(row!.last_sync_at).not.toBeNull();
      // The new ticket's event still comes before its message's, though both are one statement now.
      const events = await h.owner<{ type: string; resource_id: string }>(
        `SELECT type, resource_id FROM events WHERE tenant_id = (SELECT tenant_id FROM mailboxes WHERE id = $1) ORDER BY id DESC LIMIT 2`,
        [id],
      );
      expect(events.map((e) => e.type).reverse()).toEqual(['ticket.created', 'message.received']);
      await h.clearJobs();
    }
  });

  test('the one push statement queues a sync only when it is due: not for a history id the cursor reaches, always while backfilling, never for a parked mailbox', async () => {
    const email = 'due@acme-due.example';
    const id = (await h.connect(email)).mailboxId!;
    await h.sync(id);
    await h.fake.settlePushes();
    await h.clearJobs();
    const { cursor } = (
      await h.owner<{ cursor: { historyId: string } }>(
        'SELECT cursor FROM mailboxes WHERE id = $1',
        [id],
      )
    )[0]!;
    const stored = Number(cursor.historyId);
    const push = async (historyId: number) => {
      const data = Buffer.from(JSON.stringify({ emailAddress: email, historyId })).toString(
        'base64',
      );
      const body = { message: { data, messageId: String(historyId) }, subscription: 's' };
      expect((await h.fake.pushRaw(body, await h.fake.signPushToken())).status).toBe(204);
      return h.syncJobs(id);
    };
    const outcomes = async () =>
      h.t.container.metrics.getSingleMetricAsString('inlet_gmail_pushes_total');
    // Covered: the stored cursor already reaches it (a late or duplicated push).
    expect(await push(stored)).toBe(0);
    expect(await push(stored - 1)).toBe(0);
    expect(await outcomes()).toMatch(/outcome="covered"} 2/);
    // Past the cursor: queued, once however often it is pushed.
    expect(await push(stored + 1)).toBe(1);
    expect(await push(stored + 2)).toBe(1);
    await h.clearJobs();
    // A backfilling cursor never covers a push.
    await h.owner(
      `UPDATE mailboxes SET cursor = jsonb_set(cursor, '{backfill}', '{"pageToken": null, "done": 0}') WHERE id = $1`,
      [id],
    );
    expect(await push(stored)).toBe(1);
    await h.clearJobs();
    // A parked mailbox (re-authentication needed) queues nothing.
    await h.owner(`UPDATE mailboxes SET status = 'reauth_required' WHERE id = $1`, [id]);
    expect(await push(stored + 5)).toBe(0);
    expect(await outcomes()).toMatch(/outcome="inactive"} 1/);
    await h.owner(`UPDATE mailboxes SET status = 'active', cursor = $2 WHERE id = $1`, [
      id,
      JSON.stringify(cursor),
    ]);
  });

  test('a burst of pushes over 12 mailboxes, each delivered twice, stores every message once and leaves every cursor at Gmail’s', async () => {
    const emails = Array.from({ length: 12 }, (_, i) => `burst${i}@acme-burst.example`);
    const ids = new Map<string, string>();
    for (const email of emails) ids.set(email, (await h.connect(email)).mailboxId!);
    for (const id of ids.values()) await h.sync(id);
    await h.fake.settlePushes();
    await h.clearJobs();
    h.fake.configurePush({
      endpoint: h.pushEndpoint,
      audience: pushAudience,
      serviceAccountEmail: pushAccount,
      maxPerSecond: 0,
      duplicate: true,
    });
    runner = await startTestWorker(h.t, { concurrency: 4, pollInterval: 500 });
    const delivered: { mailboxId: string; id: string }[] = [];
    for (let round = 0; round < 5; round++) {
      for (const email of emails)
        delivered.push({
          mailboxId: ids.get(email)!,
          id: h.fake.deliver(email, mail({ to: email, subject: `burst ${round}` })).id,
        });
      await new Promise((r) => setTimeout(r, 50));
    }
    await h.fake.settlePushes();
    const mailboxIds = [...ids.values()];
    const stored = async () =>
      h.owner<{ mailbox_id: string; provider_message_id: string; n: number }>(
        `SELECT d.mailbox_id, d.provider_message_id, count(m.id)::int AS n
           FROM message_deliveries d LEFT JOIN messages m ON m.id = d.message_id
          WHERE d.mailbox_id = ANY($1::uuid[]) GROUP BY 1, 2`,
        [mailboxIds],
      );
    const deadline = Date.now() + 60_000;
    while ((await stored()).length < delivered.length && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 200));
    await runner.stop();
    runner = null;
    const rows = await stored();
    expect(rows.map((r) => `${r.mailbox_id}/${r.provider_message_id}`).sort()).toEqual(
      delivered.map((d) => `${d.mailboxId}/${d.id}`).sort(),
    );
    expect(rows.every((r) => r.n === 1)).toBe(true);
    const [counts] = await h.owner<{ messages: number; tickets: number }>(
      `SELECT (SELECT count(*)::int FROM messages WHERE mailbox_id = ANY($1::uuid[])) AS messages,
              (SELECT count(*)::int FROM tickets WHERE mailbox_id = ANY($1::uuid[])) AS tickets`,
      [mailboxIds],
    );
    expect(counts).toEqual({ messages: delivered.length, tickets: delivered.length });
    for (const [email, id] of ids) {
      const [row] = await h.owner<{ cursor: { historyId: string } }>(
        'SELECT cursor FROM mailboxes WHERE id = $1',
        [id],
      );
      expect(row!.cursor.historyId, email).toBe(String(h.fake.historyId(email)));
    }
    h.fake.configurePush({
      endpoint: h.pushEndpoint,
      audience: pushAudience,
      serviceAccountEmail: pushAccount,
      maxPerSecond: 0,
    });
  });
});
