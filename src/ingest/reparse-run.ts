// How the rebuild of derived views (reparse.ts) is run. As jobs: a worker that starts with a newer
// DERIVE_VERSION than some stored messages (and an hourly sweep, for rows an older replica still
// wrote during a rolling deploy) queues one `messages.reparse` chain per such mailbox. A job does
// one batch and queues the next, in the batch's transaction, a moment later: all chains share the
// named queue `reparse`, so across every worker at most one batch runs at a time, at a priority
// below every other job (graphile-worker takes lower numbers first), and ingest never waits for a
// rebuild; the pause between batches leaves the database to ingest. From the command line
// (`inlet reparse`), an operator runs the same batches at once, for one tenant or mailbox.
import { parseCronItems, type ParsedCronItem } from 'graphile-worker';

import { addJob, type JobPayloads } from '../jobs/registry.js';
import type { Db, Executor } from '../store/db.js';
import { type Actor, systemActor } from '../tenancy/actor.js';
import { DERIVE_VERSION } from './derive-version.js';
import {
  type BatchOptions,
  emptyCounts,
  reparseBatch,
  type ReparseCounts,
  type ReparseDeps,
  reparseOutcomes,
} from './reparse.js';
import { listStaleMailboxes, markAllStale } from './reparse-store.js';

export const reparseQueue = 'reparse';
export const reparseJobKey = (mailboxId: string) => `reparse:${mailboxId}`;
/** Below the default 0 of every other job: a rebuild runs only when nothing else is due. */
const lowPriority = 10;
/** Between one mailbox's batches. */
const pauseMs = 250;

export async function enqueueReparse(
  ex: Executor,
  tenantId: string,
  mailboxId: string,
  runAt?: Date,
): Promise<void> {
  await addJob(
    ex,
    'messages.reparse',
    { tenantId, mailboxId },
    {
      key: reparseJobKey(mailboxId),
      // A sweep finding a chain already queued leaves it where it stands.
      keyMode: 'preserve_run_at',
      queue: reparseQueue,
      priority: lowPriority,
      maxAttempts: 10,
      ...(runAt ? { runAt } : {}),
    },
  );
}

/** The `messages.reparse` job: one batch; the next is queued with it when rows remain. */
export async function runReparseJob(
  deps: ReparseDeps,
  { tenantId, mailboxId }: JobPayloads['messages.reparse'],
): Promise<void> {
  await reparseBatch(deps, systemActor(tenantId, 'reparse'), mailboxId, {
    onMore: (ex) => enqueueReparse(ex, tenantId, mailboxId, new Date(Date.now() + pauseMs)),
  });
}

/** The `messages.reparse-sweep` job: a chain for every mailbox with messages below the version. */
export async function sweepReparse(db: Db): Promise<number> {
  return db.tx(async (ex) => {
    const stale = await listStaleMailboxes(ex, DERIVE_VERSION);
    for (const m of stale) await enqueueReparse(ex, m.tenant_id, m.id);
    return stale.length;
  });
}

/** Queued by a starting worker: a minute later, so the rebuild never competes with start-up. */
export async function enqueueReparseSweep(ex: Executor): Promise<void> {
  await addJob(
    ex,
    'messages.reparse-sweep',
    {},
    {
      key: 'messages-reparse-sweep',
      keyMode: 'preserve_run_at',
      priority: lowPriority,
      maxAttempts: 3,
      runAt: new Date(Date.now() + 60_000),
    },
  );
}

export function reparseCronItems(): ParsedCronItem[] {
  return parseCronItems([
    {
      task: 'messages.reparse-sweep',
      match: '41 * * * *',
      identifier: 'messages-reparse-sweep',
      options: {
        backfillPeriod: 0,
        maxAttempts: 3,
        priority: lowPriority,
        jobKey: 'messages-reparse-sweep',
        jobKeyMode: 'preserve_run_at',
      },
    },
  ]);
}

export interface ReparseRunOptions {
  tenantId?: string;
  mailboxId?: string;
  /** Derive every inbound message again, whatever version made it (mail stored before versions existed). */
  all?: boolean;
  batch?: BatchOptions;
}

export interface MailboxRun {
  tenantId: string;
  mailboxId: string;
  counts: ReparseCounts;
}

/**
 * `inlet reparse`: every matching mailbox's batches, now, one mailbox after the other; `done` hears
 * of each mailbox as it finishes. Audited under `actorName` in each tenant.
 */
export async function reparseNow(
  deps: ReparseDeps,
  actorName: string,
  opts: ReparseRunOptions,
  done?: (run: MailboxRun) => void,
): Promise<MailboxRun[]> {
  const only = { tenantId: opts.tenantId, mailboxId: opts.mailboxId };
  const mailboxes = await deps.db.tx((ex) =>
    listStaleMailboxes(ex, opts.all ? null : DERIVE_VERSION, only),
  );
  const runs: MailboxRun[] = [];
  for (const m of mailboxes) {
    const actor: Actor = { ...systemActor(m.tenant_id, 'reparse'), name: actorName };
    if (opts.all) await deps.db.tenantTx(m.tenant_id, (ex) => markAllStale(ex, m.tenant_id, m.id));
    const counts = emptyCounts();
    for (;;) {
      const r = await reparseBatch(deps, actor, m.id, opts.batch);
      for (const o of reparseOutcomes) counts[o] += r.counts[o];
      if (!r.more) break;
    }
    const run = { tenantId: m.tenant_id, mailboxId: m.id, counts };
    runs.push(run);
    done?.(run);
  }
  return runs;
}
