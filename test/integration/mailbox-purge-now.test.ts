// Purge timing and de-duplication (issue #11 item 6): with a delay of 0 two purge runs of one
// deletion write one completion and one audit record; the delay is read when the purge runs, not
// fixed at the DELETE; an operator can purge a disconnected mailbox at once.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { purgeMailbox } from '../../src/mailboxes/purge.js';
import { purgeNow } from '../../src/mailboxes/purge-now.js';
import { type IngestFixture, makeIngestFixture } from '../helpers/ingest.js';
import { mail } from '../helpers/mail.js';

let f: IngestFixture;
beforeAll(async () => {
  f = await makeIngestFixture({ MAILBOX_PURGE_DELAY_HOURS: '24' });
});
afterAll(async () => {
  await f?.t.close();
});

const owner = async <T extends object>(sql: string, params: unknown[]) =>
  (await f.t.database.db.tx((c) => c.query<T>(sql, params))).rows;
const messagesOf = async (mailboxId: string) =>
  (
    await owner<{ n: number }>('SELECT count(*)::int AS n FROM messages WHERE mailbox_id = $1', [
      mailboxId,
    ])
  )[0]!.n;
const purgeAudits = async (mailboxId: string, action = 'mailbox.purge') =>
  (
    await owner<{ n: number }>(
      'SELECT count(*)::int AS n FROM audit_log WHERE action = $2 AND resource_id = $1',
      [mailboxId, action],
    )
  )[0]!.n;

async function disconnectedMailbox(address: string): Promise<string> {
  const id = await f.addMailbox(address);
  for (let i = 0; i < 3; i++)
    await f.ingest(mail({ to: address, text: `m${i}` }), { mailboxId: id });
  expect((await f.api('DELETE', `/v1/mailboxes/${id}`)).status).toBe(200);
  return id;
}

describe('purge timing', () => {
  test('two purge runs of one deletion at once complete it once, with one audit record', async () => {
    const id = await disconnectedMailbox('twice@acme.example');
    const deps = { ...f.t.container.disconnectDeps, purgeDelayMs: 0 };
    const outcomes = await Promise.all([
      purgeMailbox(deps, { tenantId: f.tenant.id, mailboxId: id }),
      purgeMailbox(deps, { tenantId: f.tenant.id, mailboxId: id }),
    ]);
    expect(outcomes.sort()).toEqual(['already_completed', 'completed']);
    expect(await purgeAudits(id)).toBe(1);
    expect(await messagesOf(id)).toBe(0);
  });

  test('the purge delay is the one configured when the purge runs, counted from the request', async () => {
    const id = await disconnectedMailbox('later@acme.example');
    const run = (delayMs: number) =>
      purgeMailbox(
        { ...f.t.container.disconnectDeps, purgeDelayMs: delayMs },
        { tenantId: f.tenant.id, mailboxId: id },
      );
    expect(await run(24 * 3_600_000)).toBe('scheduled');
    expect(await messagesOf(id)).toBe(3);
    // The operator lowered MAILBOX_PURGE_DELAY_HOURS to 0 after the DELETE: the pending purge follows.
    expect(await run(0)).toBe('completed');
    expect(await messagesOf(id)).toBe(0);
  });

  test('operator purge-now deletes a disconnected mailbox at once and is audited', async () => {
    const id = await disconnectedMailbox('now@acme.example');
    expect(await messagesOf(id)).toBe(3);
    expect(await purgeNow(f.t.container.disconnectDeps, id)).toBe('completed');
    expect(await messagesOf(id)).toBe(0);
    expect(await purgeAudits(id, 'mailbox.purge_now')).toBe(1);
    expect(await purgeAudits(id)).toBe(1);
    await expect(purgeNow(f.t.container.disconnectDeps, f.mailbox)).rejects.toMatchObject({
      code: 'not_found',
    });
  });
});
