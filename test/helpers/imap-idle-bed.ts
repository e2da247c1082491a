// What the IMAP IDLE tests start from: the IMAP testbed, the idle supervisors and worker heartbeats
// a test starts (all stopped after the file, before the app closes), and a fresh Dovecot user
// connected as a mailbox.
import { afterAll, expect } from 'vitest';

import type { IdleSupervisor } from '../../src/sync/idle-supervisor.js';
import type { WorkerLiveness } from '../../src/sync/worker-liveness.js';
import { connectBody, newImapUser } from './imap-mailbox.js';
import { type ImapTestbed, imapTestbed } from './imap-testbed.js';
import { bearer } from './tenants.js';

/** A lease short enough to expire, and be renewed, within one test. */
export const fast = { renewEveryMs: 300, leaseMs: 2000 };

export interface ImapIdleBed extends ImapTestbed {
  supervisors: IdleSupervisor[];
  heartbeats: WorkerLiveness[];
  connectMailbox(): Promise<{ id: string; user: string }>;
}

export async function imapIdleBed(): Promise<ImapIdleBed> {
  const bed = (await imapTestbed()) as ImapIdleBed;
  bed.supervisors = [];
  bed.heartbeats = [];
  bed.connectMailbox = async () => {
    const u = await newImapUser(bed.dovecot!);
    const res = await bed.t.app.inject({
      method: 'POST',
      url: '/v1/mailboxes',
      headers: bearer(bed.tenant.token),
      payload: connectBody(bed.dovecot!, bed.sink, u),
    });
    expect(res.statusCode).toBe(201);
    return { id: res.json().id, user: u.user };
  };
  // Registered after the testbed's hooks, so it runs before them: nothing watches a closed app.
  afterAll(async () => {
    await Promise.all(bed.supervisors.map((s) => s.stop()));
    await Promise.all(bed.heartbeats.map((h) => h.stop()));
  });
  return bed;
}
