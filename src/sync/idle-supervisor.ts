// Holds one IMAP IDLE connection per active mailbox that announces mail over a held connection across every worker replica. Ownership is a
// lease row in the database: the holder renews it every few seconds; a worker that dies stops
// renewing, its leases expire and the next supervisor tick elsewhere takes them over. A supervisor
// that cannot renew (database unreachable) drops its connections before its leases can expire, so
// two workers never IDLE on one mailbox for longer than one renew interval.
//
// IDLE only says "something changed"; the work is the keyed `mailbox.sync` job, so a burst of
// notifications (and the one sent after every reconnect) coalesces into one sync.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

import type { Logger } from '../lib/logger.js';
import { recordSyncFailure } from '../mailboxes/status.js';
import type { MailProvider } from '../providers/mail-provider.js';
import { type ProviderFactoryDeps, providerForMailbox } from '../providers/open-mailbox.js';
import { isProviderError } from '../providers/provider-errors.js';
import { kindsWhere } from '../providers/registry.js';
import type { Db } from '../store/db.js';
import type { KeyService } from '../tenancy/key-service.js';
import { stripHolderFlags } from './lease-routing.js';
import { enqueueSync } from './sync-jobs.js';
import {
  acquireLeases,
  fairLeaseShare,
  type MailboxRef,
  releaseLeases,
  renewLeases,
} from './sync-store.js';

export interface IdleSupervisorDeps {
  db: Db;
  keys: KeyService;
  logger: Logger;
  providerDeps?: ProviderFactoryDeps;
  /** Opens a mailbox's provider; defaults to providerForMailbox. Tests wrap it to count connections. */
  openProvider?: (tenantId: string, mailboxId: string) => Promise<MailProvider>;
  /** Called when mail may have arrived; defaults to enqueueing the keyed sync job. */
  onChange?: (tenantId: string, mailboxId: string) => Promise<void>;
}

export interface IdleSupervisorOptions {
  /** Unique per process; defaults to host:pid:random. */
  holder?: string;
  /** How often leases are renewed and free ones taken (default 10 s). */
  renewEveryMs?: number;
  /** Lease lifetime; a holder silent for this long loses its mailboxes (default 30 s). */
  leaseMs?: number;
  /** IDLE connections this process holds at most (default 1000). */
  maxConnections?: number;
}

export interface IdleSupervisor {
  readonly holder: string;
  /** Mailbox ids this supervisor currently watches. */
  watching(): string[];
  /** One renew/acquire round (runs on a timer; exposed for tests). */
  tick(): Promise<void>;
  /**
   * A mailbox just synced in this process: when nobody watches it yet (a new mailbox, whose first
   * sync has just run), take a round now instead of at the next timer tick, so IDLE starts within
   * a moment of the connect rather than up to one renew interval later.
   */
  pickUp(mailboxId: string): void;
  /** Stops every watch. release=false leaves the leases to expire, as a crashed worker would. */
  stop(opts?: { release?: boolean }): Promise<void>;
}

/** A worker process's name in leases and heartbeats: host:pid:random. */
export const newHolderName = () => `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;

/** Gives leases up; the mailboxes' waiting jobs stop being routed here (lease-routing.ts). */
const giveUp = (db: Db, holder: string, ids: string[]) =>
  db.tx(async (ex) => {
    await releaseLeases(ex, holder, ids);
    await stripHolderFlags(ex, [holder], ids);
  });

interface Watch {
  ref: MailboxRef;
  abort: AbortController;
  done: Promise<void>;
}

export function startIdleSupervisor(
  deps: IdleSupervisorDeps,
  opts: IdleSupervisorOptions = {},
): IdleSupervisor {
  const holder = opts.holder ?? newHolderName();
  const renewEveryMs = opts.renewEveryMs ?? 10_000;
  const leaseMs = opts.leaseMs ?? 30_000;
  const maxConnections = opts.maxConnections ?? 1000;
  const log = deps.logger.child({ component: 'idle-supervisor', holder });
  const watches = new Map<string, Watch>();
  const connectionKinds = kindsWhere('holdsConnection');
  let lastRenewed = Date.now();
  let stopping = false;
  let running: Promise<void> | null = null;

  const open =
    deps.openProvider ??
    ((tenantId: string, mailboxId: string) =>
      deps.db.tenantTx(tenantId, (ex) =>
        providerForMailbox(ex, deps.keys, tenantId, mailboxId, 'idle', {
          ...deps.providerDeps,
          logger: log,
        }),
      ));
  const changed =
    deps.onChange ??
    ((tenantId: string, mailboxId: string) =>
      deps.db.tenantTx(tenantId, (ex) => enqueueSync(ex, tenantId, mailboxId)));

  function startWatch(ref: MailboxRef): void {
    const abort = new AbortController();
    const notify = () => {
      changed(ref.tenant_id, ref.mailbox_id).catch((err: unknown) =>
        log.error(
          { err, mailbox: ref.mailbox_id },
          'could not enqueue sync after IDLE notification',
        ),
      );
    };
    const done = (async () => {
      let provider: MailProvider | null = null;
      let keepLease = false;
      try {
        provider = await open(ref.tenant_id, ref.mailbox_id);
        if (!provider.watch) return; // poll-only provider: the fallback poll covers it
        if (abort.signal.aborted) return;
        await provider.watch(notify, abort.signal);
        keepLease = abort.signal.aborted;
      } catch (err) {
        if (isProviderError(err) && err.kind === 'auth_revoked') {
          await deps.db
            .tenantTx(ref.tenant_id, (ex) =>
              recordSyncFailure(ex, ref.tenant_id, ref.mailbox_id, 'auth_revoked'),
            )
            .catch(() => undefined);
          log.warn({ mailbox: ref.mailbox_id }, 'IMAP login refused; mailbox needs reconnecting');
        } else {
          log.warn(
            { mailbox: ref.mailbox_id, errCode: (err as { code?: unknown })?.code ?? null },
            'IDLE watch ended with an error',
          );
        }
      } finally {
        await provider?.close().catch(() => undefined);
        watches.delete(ref.mailbox_id);
        // Give the mailbox back unless we are stopping (stop() decides) so a later tick can retry.
        if (!keepLease && !stopping)
          await giveUp(deps.db, holder, [ref.mailbox_id]).catch(() => undefined);
      }
    })();
    watches.set(ref.mailbox_id, { ref, abort, done });
  }

  async function round(): Promise<void> {
    if (stopping) return;
    let mine: string[];
    try {
      mine = await deps.db.tx((ex) => renewLeases(ex, holder, leaseMs));
      lastRenewed = Date.now();
    } catch (err) {
      log.warn({ err }, 'could not renew IDLE leases');
      // Another worker may take our mailboxes once the leases run out: let go before that.
      if (Date.now() - lastRenewed > leaseMs - renewEveryMs)
        for (const w of watches.values()) w.abort.abort();
      return;
    }
    const held = new Set(mine);
    for (const [id, w] of watches) if (!held.has(id)) w.abort.abort(); // lease lost or mailbox no longer active
    if (stopping) return;
    // Unknown share (query failed): keep what we hold and take what is free, as before.
    const share = await deps.db
      .tx((ex) => fairLeaseShare(ex, holder, connectionKinds, leaseMs))
      .catch(() => maxConnections);
    const target = Math.min(maxConnections, share);
    if (held.size > target) {
      await handOver([...held].slice(target));
      return;
    }
    const got = await deps.db
      .tx((ex) => acquireLeases(ex, holder, connectionKinds, leaseMs, target - held.size))
      .catch((err: unknown) => {
        log.warn({ err }, 'could not acquire IDLE leases');
        return [] as MailboxRef[];
      });
    for (const ref of got) if (!watches.has(ref.mailbox_id) && !stopping) startWatch(ref);
    if (got.length > 0)
      log.info({ acquired: got.length, holding: watches.size }, 'IDLE leases acquired');
  }

  /** Gives mailboxes above this worker's share back: IDLE stopped first, then the lease released so
   *  another worker's next tick takes it (its IDLE start triggers a catch-up sync, so nothing that
   *  arrived in between is missed). */
  async function handOver(ids: string[]): Promise<void> {
    const ending = ids.map((id) => watches.get(id)).filter((w): w is Watch => w !== undefined);
    for (const w of ending) w.abort.abort();
    await Promise.all(ending.map((w) => w.done));
    await giveUp(deps.db, holder, ids).catch((err: unknown) =>
      log.warn({ err }, 'could not hand over IDLE leases'),
    );
    log.info(
      { released: ids.length, holding: watches.size },
      'IDLE leases handed over to a worker that joined',
    );
  }

  const tick = (): Promise<void> => {
    running ??= round().finally(() => {
      running = null;
    });
    return running;
  };
  const timer = setInterval(() => {
    void tick();
  }, renewEveryMs);
  timer.unref();
  void tick();

  return {
    holder,
    watching: () => [...watches.keys()],
    tick,
    pickUp(mailboxId) {
      if (stopping || watches.has(mailboxId)) return;
      // A round already under way may have listed mailboxes before this one existed: one more after it.
      void tick().then(() => (watches.has(mailboxId) ? undefined : tick()));
    },
    async stop({ release = true } = {}) {
      if (stopping) return;
      stopping = true;
      clearInterval(timer);
      await running?.catch(() => undefined);
      const all = [...watches.values()];
      for (const w of all) w.abort.abort();
      await Promise.all(all.map((w) => w.done));
      if (release)
        await deps.db
          .tx((ex) => releaseLeases(ex, holder))
          .catch((err: unknown) => log.warn({ err }, 'could not release IDLE leases'));
      log.info({ released: release }, 'IDLE supervisor stopped');
    },
  };
}
