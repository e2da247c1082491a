// How the rebuild of derived views runs (src/ingest/reparse-run.ts): the sweep a starting worker
// queues finds the mailboxes holding messages an older derivation made, each gets a chain of
// low-priority batch jobs that ends when none is left, the metric counts the progress; and an
// operator's `inlet reparse` does the same at once, audited as the operator.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { DERIVE_VERSION } from '../../../src/ingest/derive-version.js';
import { sweepReparse } from '../../../src/ingest/reparse-run.js';
import { runCli } from '../../helpers/cli.js';
import { type IngestFixture, makeIngestFixture } from '../../helpers/ingest.js';
import { mail } from '../../helpers/mail.js';
import { startTestWorker } from '../../helpers/test-worker.js';

let f: IngestFixture;
beforeAll(async () => {
  f = await makeIngestFixture();
});
afterAll(() => f?.t.close());

const owner = async <T extends object>(sql: string, params: unknown[] = []) =>
  (await f.t.database.owner.tx((c) => c.query<T>(sql, params))).rows;

async function mailboxWithOldMessages(address: string, n: number): Promise<string> {
  const mailbox = await f.addMailbox(address);
  for (let i = 0; i < n; i++)
    await f.ingest(mail({ subject: `Question ${i}`, text: `Question ${i}, please help.` }), {
      mailboxId: mailbox,
    });
  await owner('UPDATE messages SET derive_version = $2 WHERE mailbox_id = $1', [
    mailbox,
    DERIVE_VERSION - 1,
  ]);
  return mailbox;
}

const versions = async (mailbox: string) =>
  (
    await owner<{ v: number }>(
      'SELECT derive_version AS v FROM messages WHERE mailbox_id = $1 ORDER BY id',
      [mailbox],
    )
  ).map((r) => r.v);

const reparseAudits = (mailbox: string) =>
  owner<{ actor: string; detail: { messages: number; unchanged: number } }>(
    `SELECT actor, detail FROM audit_log WHERE action = 'message.reparse' AND resource_id = $1 ORDER BY id`,
    [mailbox],
  );

async function metric(outcome: string): Promise<number> {
  const text = await f.t.container.metrics.metrics();
  const m = new RegExp(`^inlet_reparse_messages_total\\{outcome="${outcome}"\\} (\\d+)`, 'm').exec(
    text,
  );
  return m ? Number(m[1]) : 0;
}

describe('the reparse jobs', () => {
  test('the sweep queues a chain per stale mailbox; its batches run at low priority in one queue until nothing is left', async () => {
    const a = await mailboxWithOldMessages('chain-a@acme.example', 27);
    const b = await mailboxWithOldMessages('chain-b@acme.example', 2);
    const current = await mailboxWithOldMessages('current@acme.example', 1);
    await owner('UPDATE messages SET derive_version = $2 WHERE mailbox_id = $1', [
      current,
      DERIVE_VERSION,
    ]);
    const unchangedBefore = await metric('unchanged');

    expect(await sweepReparse(f.t.database.db)).toBe(2);
    const queued = await owner<{ queue_name: string; priority: number; key: string }>(
      `SELECT queue_name, priority, key FROM graphile_worker.jobs WHERE task_identifier = 'messages.reparse' ORDER BY key`,
    );
    expect(queued).toEqual(
      [a, b]
        .map((m) => ({ queue_name: 'reparse', priority: 10, key: `reparse:${m}` }))
        .sort((x, y) => x.key.localeCompare(y.key)),
    );
    // A second sweep while they wait queues nothing more.
    await sweepReparse(f.t.database.db);
    expect(
      await owner(`SELECT 1 FROM graphile_worker.jobs WHERE task_identifier = 'messages.reparse'`),
    ).toHaveLength(2);

    const worker = await startTestWorker(f.t, { concurrency: 2, pollInterval: 100 });
    try {
      await expect
        .poll(
          async () =>
            (
              await owner(
                `SELECT 1 FROM graphile_worker.jobs WHERE task_identifier = 'messages.reparse'`,
              )
            ).length,
          { timeout: 30_000, interval: 200 },
        )
        .toBe(0);
    } finally {
      await worker.stop();
    }
    expect(await versions(a)).toEqual(Array(27).fill(DERIVE_VERSION));
    expect(await versions(b)).toEqual([DERIVE_VERSION, DERIVE_VERSION]);
    // 27 messages in batches of 25: the first batch queued the second.
    const audits = await reparseAudits(a);
    expect(audits.map((r) => [r.actor, r.detail.messages, r.detail.unchanged])).toEqual([
      ['system:reparse', 25, 25],
      ['system:reparse', 2, 2],
    ]);
    expect(await reparseAudits(current)).toEqual([]);
    expect((await metric('unchanged')) - unchangedBefore).toBe(29);
    expect(await sweepReparse(f.t.database.db)).toBe(0);
  });

  test('inlet reparse runs it now for one mailbox, audited as the operator; --all derives current messages again', async () => {
    const mine = await mailboxWithOldMessages('cli@acme.example', 2);
    const other = await mailboxWithOldMessages('cli-other@acme.example', 1);
    const env = {
      DATABASE_URL: f.t.database.url,
      INLET_MASTER_KEYS: f.keyring,
      LOG_LEVEL: 'warn',
      CLAMD_PORT: '1',
    };
    const run = runCli(['reparse', '--mailbox', mine], env);
    expect((await run.exited).code, run.output()).toBe(0);
    expect(run.output()).toContain(`mailbox ${mine}: {"rebuilt":0,"unchanged":2,`);
    expect(run.output()).toContain('1 mailboxes reparsed');
    expect(await versions(mine)).toEqual([DERIVE_VERSION, DERIVE_VERSION]);
    expect(await versions(other)).toEqual([DERIVE_VERSION - 1]);
    expect((await reparseAudits(mine)).map((r) => r.actor)).toEqual(['operator']);

    const again = runCli(['reparse', '--mailbox', mine], env);
    expect((await again.exited).code, again.output()).toBe(0);
    expect(again.output()).toContain('0 mailboxes reparsed');

    const all = runCli(['reparse', '--mailbox', mine, '--all'], env);
    expect((await all.exited).code, all.output()).toBe(0);
    expect(all.output()).toContain(`mailbox ${mine}: {"rebuilt":0,"unchanged":2,`);

    const bad = runCli(['reparse', '--mailbox', 'not-a-uuid'], env);
    expect((await bad.exited).code).toBe(2);
    expect(bad.output()).toContain('usage: inlet reparse');
  });
});
