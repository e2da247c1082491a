// Releases what a dead worker process left locked. graphile-worker only frees jobs (and the named
// queue they hold — here a mailbox's `mailbox:<id>` queue) locked by a vanished worker after four
// hours; a worker killed mid-sync would stall that mailbox that long. Each process records a
// heartbeat for its graphile-worker ids; a worker id is dead when its heartbeat is older than the
// stale period, or when it has held a lock that long without ever writing one (a process killed
// between its pool's first job fetch and its first heartbeat). Any process's round unlocks the
// jobs and queues of dead ids, whatever their task.
//
// A live worker never looks dead: its pool's id is registered before the pool fetches (pool:create)
// and that event asks for a round at once, so its heartbeat follows its first lock within one round;
// a lock only counts once it is older than the stale period, as a heartbeat does. A process whose
// rounds keep failing for that long is taken for dead either way.
//
// The same rows say which worker processes (holders) are alive: lease routing forbids this
// worker the jobs flagged for the other live holders, and a holder found dead has its flag stripped
// from its jobs here, in the sweep that unlocks them (lease-routing.ts).
import type { Logger } from '../lib/logger.js';
import type { Db } from '../store/db.js';
import { stripHolderFlags } from './lease-routing.js';

export interface WorkerLiveness {
  tick(): Promise<void>;
  /** Other worker processes with a fresh heartbeat at the last round (resolves after the first). */
  otherHolders(): string[] | Promise<string[]>;
  stop(): Promise<void>;
}

export function startWorkerLiveness(
  deps: { db: Db; logger: Logger },
  opts: { holder: string; workerIds: () => string[]; everyMs: number; staleMs: number },
): WorkerLiveness {
  const log = deps.logger.child({ component: 'worker-liveness' });
  let running: Promise<void> | null = null;
  let others: string[] | null = null;
  let firstRound: () => void = () => undefined;
  const first = new Promise<void>((resolve) => (firstRound = resolve));

  const round = () =>
    deps.db.tx(async (ex) => {
      const ids = opts.workerIds();
      if (ids.length > 0) {
        await ex.query(
          `INSERT INTO worker_heartbeats (worker_id, holder, seen_at) SELECT id, $2, now() FROM unnest($1::text[]) AS id
         ON CONFLICT (worker_id) DO UPDATE SET seen_at = now(), holder = EXCLUDED.holder`,
          [ids, opts.holder],
        );
      }
      const { rows } = await ex.query<{ worker_id: string; holder: string }>(
        `DELETE FROM worker_heartbeats WHERE seen_at < now() - make_interval(secs => $1::double precision / 1000) RETURNING worker_id, holder`,
        [opts.staleMs],
      );
      const live = await ex.query<{ holder: string }>(
        'SELECT DISTINCT holder FROM worker_heartbeats WHERE holder <> $1',
        [opts.holder],
      );
      // Locks held past the stale period by ids with no heartbeat row: never written, or deleted
      // as stale just above. Both tables, as a job's queue is locked under the same id.
      const silent = await ex.query<{ locked_by: string }>(
        `SELECT l.locked_by FROM (
             SELECT locked_by, locked_at FROM graphile_worker._private_jobs WHERE locked_by IS NOT NULL
             UNION ALL
             SELECT locked_by, locked_at FROM graphile_worker._private_job_queues WHERE locked_by IS NOT NULL
           ) l
          WHERE l.locked_at < now() - make_interval(secs => $1::double precision / 1000)
            AND NOT EXISTS (SELECT 1 FROM worker_heartbeats h WHERE h.worker_id = l.locked_by)
          GROUP BY l.locked_by`,
        [opts.staleMs],
      );
      const dead = [
        ...new Set([...rows.map((r) => r.worker_id), ...silent.rows.map((r) => r.locked_by)]),
      ];
      if (dead.length > 0) {
        // A sync job that was running there and got a newer trigger meanwhile was superseded:
        // graphile-worker moved its key to a new job and set its attempts to the maximum, so it
        // would be deleted when it finished. It never will; unlocked, it would sit there looking
        // like a sync that failed for good. Sync jobs are always keyed, so no key means superseded.
        await ex.query(
          `DELETE FROM graphile_worker._private_jobs j USING graphile_worker._private_tasks t
            WHERE t.id = j.task_id AND t.identifier = 'mailbox.sync' AND j.key IS NULL
              AND j.locked_by = ANY($1::text[])`,
          [dead],
        );
        await ex.query('SELECT graphile_worker.force_unlock_workers($1::text[])', [dead]);
        // Its routed jobs would wait for it forever: anyone may run them now. (A process that
        // never wrote a heartbeat was never seen alive, so nobody kept off its jobs.)
        const alive = new Set(live.rows.map((r) => r.holder).concat(opts.holder));
        const gone = [...new Set(rows.map((r) => r.holder))].filter((h) => !alive.has(h));
        await stripHolderFlags(ex, gone);
        log.warn(
          { workers: dead.length, withoutHeartbeat: dead.length - rows.length },
          'released jobs locked by workers that stopped without shutting down',
        );
      }
      others = live.rows.map((r) => r.holder);
    });

  // A tick asked for while a round runs gets a round of its own right after it: the running round
  // read the worker ids before a pool that was just created, and that pool's heartbeat must be
  // written before it can be killed with jobs locked (else nobody ever unlocks them).
  let again = false;
  const tick = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        await round().catch((err: unknown) => log.warn({ err }, 'worker heartbeat failed'));
        firstRound();
      } while (again);
    })().finally(() => {
      running = null;
    });
    return running;
  };
  const timer = setInterval(() => {
    void tick();
  }, opts.everyMs);
  timer.unref();
  void tick();

  return {
    tick,
    // Until a first round has read them, a failed one included, nobody is known to be alive.
    otherHolders: () => others ?? first.then(() => others ?? []),
    async stop() {
      clearInterval(timer);
      await running;
      // A clean stop releases its own locks (graphile-worker's graceful shutdown); drop the rows.
      await deps.db
        .tx((ex) => ex.query('DELETE FROM worker_heartbeats WHERE holder = $1', [opts.holder]))
        .catch(() => undefined);
    },
  };
}
