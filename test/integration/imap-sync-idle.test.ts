// New mail through IMAP IDLE: real Dovecot, real PostgreSQL, the real graphile-worker runner and
// handlers; mail after mail on one IDLE session, and a new mailbox watched right after its first sync.
import type { Runner } from 'graphile-worker';
import { afterAll, describe, expect, it } from 'vitest';

import { type IdleSupervisor, startIdleSupervisor } from '../../src/sync/idle-supervisor.js';
import { fast, imapIdleBed } from '../helpers/imap-idle-bed.js';
import {
  counts,
  customerMessage,
  imapLogins,
  imapSessions,
  waitFor,
} from '../helpers/imap-mailbox.js';
import { bearer } from '../helpers/tenants.js';
import { startTestWorker } from '../helpers/test-worker.js';

const bed = await imapIdleBed();
const { dovecot, supervisors, heartbeats, connectMailbox } = bed;
let runner: Runner | null = null;
// Registered after the bed's hooks, so the runner stops before the app closes.
afterAll(async () => {
  await runner?.stop();
});

/** The real worker (graphile-worker with Inlet's handlers) and an IDLE supervisor on fast leases. */
async function startWorkerAndWatch(): Promise<IdleSupervisor> {
  runner = await startTestWorker(bed.t, { concurrency: 2, pollInterval: 1000 });
  const sup = startIdleSupervisor(
    { db: bed.t.database.db, keys: bed.t.container.keys, logger: bed.t.container.logger },
    fast,
  );
  supervisors.push(sup);
  return sup;
}

async function stopWorkerAndWatch(sup: IdleSupervisor): Promise<void> {
  await sup.stop();
  await runner?.stop();
  runner = null;
}

describe.skipIf(!dovecot)(`IMAP IDLE${bed.skipReason}`, () => {
  it('a message APPENDed after connect becomes a ticket through IDLE within seconds', async () => {
    const { id, user } = await connectMailbox();
    const sup = await startWorkerAndWatch();
    await waitFor('IDLE watch', async () => sup.watching().includes(id));
    await waitFor(
      'initial sync',
      async () =>
        (
          await bed.t.app.inject({
            method: 'GET',
            url: `/v1/mailboxes/${id}`,
            headers: bearer(bed.tenant.token),
          })
        ).json().sync.last_sync_at,
    );
    await waitFor('IDLE session', async () => (await imapSessions(dovecot!, user)) >= 1);

    const started = Date.now();
    await dovecot!.append(user, 'INBOX', customerMessage('idle').raw);
    await waitFor(
      'ticket from IDLE',
      async () => (await counts(bed.t.database.db, id)).tickets === 1,
      10_000,
      20,
    );
    const ms = Date.now() - started;
    console.log(`APPEND → ticket through IDLE: ${ms} ms`);
    expect(ms).toBeLessThan(5000);
    await stopWorkerAndWatch(sup);
  });

  it('mail after mail to a watched mailbox is synced over the IDLE session: no login per mail', async () => {
    const { id, user } = await connectMailbox();
    const sup = await startWorkerAndWatch();
    await waitFor('IDLE watch', async () => sup.watching().includes(id));
    await waitFor('IDLE session', async () => (await imapSessions(dovecot!, user)) >= 1);
    // The connect's first sync may still be running on a login of its own: let it finish.
    await waitFor('quiet', async () => (await imapSessions(dovecot!, user)) === 1, 10_000);
    const before = await imapLogins(dovecot!, user);
    for (let i = 1; i <= 5; i++) {
      await dovecot!.append(user, 'INBOX', customerMessage('reuse').raw);
      await waitFor(
        `ticket ${i}`,
        async () => (await counts(bed.t.database.db, id)).tickets === i,
        10_000,
        20,
      );
    }
    // The only new logins are the test's own APPENDs (one each): the five syncs IDLE triggered ran on
    // the session IDLE holds, and IDLE resumed after each (every mail after the first was announced).
    expect((await imapLogins(dovecot!, user)) - before).toBe(5);
    expect(await imapSessions(dovecot!, user)).toBe(1);
    await stopWorkerAndWatch(sup);
    expect(await counts(bed.t.database.db, id)).toMatchObject({ messages: 5, deliveries: 5 });
  });

  it('a mailbox renumbered under its IDLE session gets its next mail once, and keeps every earlier one once', async () => {
    const { id, user } = await connectMailbox();
    const sup = await startWorkerAndWatch();
    await waitFor('IDLE session', async () => (await imapSessions(dovecot!, user)) >= 1);
    for (let i = 1; i <= 3; i++) await dovecot!.append(user, 'INBOX', customerMessage('uv').raw);
    await waitFor('three tickets', async () => (await counts(bed.t.database.db, id)).tickets === 3);
    // Dovecot says nothing to the IDLE session when the folder is renumbered; the next mail ends it
    // (BYE), the watch logs in again, and the sync resyncs: three held by Message-ID, one new.
    await dovecot!.resetUidValidity(user, 'INBOX');
    await dovecot!.append(user, 'INBOX', customerMessage('uv-after').raw);
    await waitFor('the new mail', async () => (await counts(bed.t.database.db, id)).tickets === 4);
    await new Promise((r) => setTimeout(r, 1_500)); // a late second copy would show up here
    expect(await counts(bed.t.database.db, id)).toMatchObject({
      messages: 4,
      tickets: 4,
      distinctIds: 4,
    });
    await stopWorkerAndWatch(sup);
  });

  it('a new mailbox gets its IDLE connection right after its first sync, not at the next renew tick', async () => {
    await Promise.all(supervisors.splice(0).map((s) => s.stop()));
    await Promise.all(heartbeats.splice(0).map((h) => h.stop()));
    // A renew interval far longer than the test: only the hook can start the watch in time.
    const sup = startIdleSupervisor(
      { db: bed.t.database.db, keys: bed.t.container.keys, logger: bed.t.container.logger },
      { renewEveryMs: 120_000, leaseMs: 360_000 },
    );
    supervisors.push(sup);
    await sup.tick();
    runner = await startTestWorker(bed.t, {
      concurrency: 2,
      pollInterval: 1000,
      hooks: { afterSync: (id) => sup.pickUp(id) },
    });
    const connected = Date.now();
    const { id } = await connectMailbox();
    await waitFor(
      'IDLE watch on the new mailbox',
      async () => sup.watching().includes(id),
      30_000,
      50,
    );
    console.log(`connect → IDLE watching: ${Date.now() - connected} ms (renew interval 120 s)`);
    await runner.stop();
    runner = null;
  });
});
