// A mailbox's waiting sync keeps its place in the queue when more mail arrives for it (issue #19,
// Gmail push under load). With graphile-worker's 'replace' mode every trigger gave the waiting job
// a new run_at, so a mailbox receiving mail faster than the busy queue drained was always behind
// the others and waited until its mail stopped coming.
import { afterAll, beforeAll, expect, test } from 'vitest';

import { enqueueSync, syncJobKey } from '../../src/sync/sync-jobs.js';
import { type IngestFixture, makeIngestFixture } from '../helpers/ingest.js';

let f: IngestFixture;
beforeAll(async () => {
  f = await makeIngestFixture();
});
afterAll(async () => {
  await f?.t.close();
});

test('a new trigger joins the mailbox’s waiting sync where it stands, ahead of syncs queued after it', async () => {
  const a = f.mailbox;
  const b = await f.addMailbox('billing@acme.example');
  const trigger = (mailboxId: string) =>
    f.t.container.db.tenantTx(f.tenant.id, (ex) => enqueueSync(ex, f.tenant.id, mailboxId));
  await trigger(a);
  await trigger(b);
  await trigger(a); // more mail for a while both wait
  const { rows } = await f.t.container.db.tx((ex) =>
    ex.query<{ key: string; revision: number }>(
      `SELECT key, revision FROM graphile_worker._private_jobs
        WHERE key = ANY($1) AND locked_at IS NULL ORDER BY priority, run_at, id`,
      [[syncJobKey(a), syncJobKey(b)]],
    ),
  );
  // Still one job per mailbox (the triggers coalesced), in the order they first asked. The second
  // trigger of a found its job waiting unchanged and wrote nothing (migration 0022): no new row
  // version for vacuum, no revision.
  expect(rows.map((r) => r.key)).toEqual([syncJobKey(a), syncJobKey(b)]);
  expect(rows[0]!.revision).toBe(0);
});

test('a trigger still revives a waiting sync that failed before, and still starts a new one beside a running sync', async () => {
  const a = await f.addMailbox('retry@acme.example');
  const trigger = () =>
    f.t.container.db.tenantTx(f.tenant.id, (ex) => enqueueSync(ex, f.tenant.id, a));
  const job = async () =>
    (
      await f.t.container.db.tx((ex) =>
        ex.query<{ attempts: number; revision: number; locked: boolean }>(
          `SELECT attempts, revision, locked_at IS NOT NULL AS locked FROM graphile_worker._private_jobs
            WHERE key = $1`,
          [syncJobKey(a)],
        ),
      )
    ).rows;
  await trigger();
  // The job ran once and failed: it waits for its retry with attempts 1.
  await f.t.database.owner.tx((ex) =>
    ex.query(
      `UPDATE graphile_worker._private_jobs SET attempts = 1, last_error = 'x' WHERE key = $1`,
      [syncJobKey(a)],
    ),
  );
  await trigger();
  expect(await job()).toEqual([{ attempts: 0, revision: 1, locked: false }]);
  // A worker holds it: new mail needs a sync after this one, so a new job takes the key.
  await f.t.database.owner.tx((ex) =>
    ex.query(
      `UPDATE graphile_worker._private_jobs SET locked_at = now(), locked_by = 'w' WHERE key = $1`,
      [syncJobKey(a)],
    ),
  );
  await trigger();
  expect(await job()).toEqual([{ attempts: 0, revision: 0, locked: false }]);
});
