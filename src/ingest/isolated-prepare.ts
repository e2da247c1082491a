// Large messages are prepared (parsed, sanitised, reply-extracted) in a worker thread that is
// terminated when it overruns its time budget or heap cap (docs/security-controls.md#isolated-preparation): a poison message
// cannot stall the other mailboxes of this worker, whose messages keep being prepared on the
// main thread meanwhile. Small messages stay on the main thread: every stage is linear (see
// bench/hostile-*-bench.ts), so below INGEST_ISOLATE_ABOVE_BYTES the worst case is a fraction of a
// second, and handing them to a thread would cost more CPU than they take (measured: total CPU
// per message rose when every message was parsed on a worker).
//
// One thread, lazily started, one message at a time in arrival order; the budget runs from when
// the thread takes the message. A thread that overran or died is replaced on the next message.
import { Worker } from 'node:worker_threads';

import { AppError, isErrorCode } from '../errors.js';
import type { Logger } from '../lib/logger.js';
import type { PreparedMessage } from './prepare.js';
import type { PrepareReply, PrepareRequest } from './prepare-worker.js';
import type { IngestLimits } from './types.js';

export interface IsolationOptions {
  /** Wall-clock budget per message on the thread. */
  budgetMs: number;
  /** V8 old-generation cap of the thread; a message that needs more fails instead of the process. */
  maxHeapMb: number;
}

export interface IsolatedPrepare {
  prepare(raw: Buffer, limits: IngestLimits): Promise<PreparedMessage>;
  close(): Promise<void>;
}

// Under tsx (dev, tests) the sibling is TypeScript and the thread needs the same loader.
const fromSource = import.meta.url.endsWith('.ts');
const workerUrl = new URL(
  fromSource ? './prepare-worker.ts' : './prepare-worker.js',
  import.meta.url,
);

interface Job {
  raw: Buffer;
  limits: IngestLimits;
  resolve(p: PreparedMessage): void;
  reject(err: unknown): void;
}

export function makeIsolatedPrepare(opts: IsolationOptions & { logger: Logger }): IsolatedPrepare {
  let worker: { thread: Worker; ready: Promise<boolean> } | null = null;
  let closed = false;
  const queue: Job[] = [];
  let busy = false;

  const spawn = (): { thread: Worker; ready: Promise<boolean> } => {
    const thread = new Worker(workerUrl, {
      execArgv: fromSource
        ? [...process.execArgv.filter((a) => a !== '--expose-gc'), '--import', 'tsx']
        : undefined,
      resourceLimits: { maxOldGenerationSizeMb: opts.maxHeapMb },
    });
    thread.unref();
    // Resolves true once its modules are loaded, false if it died first (e.g. the heap cap is too
    // small to load them).
    const ready = new Promise<boolean>((resolve) => {
      const settle = (alive: boolean) => () => {
        thread.off('message', up);
        thread.off('error', down);
        thread.off('exit', down);
        resolve(alive);
      };
      const up = settle(true);
      const down = settle(false);
      thread.on('message', up);
      thread.on('error', down);
      thread.on('exit', down);
    });
    return { thread, ready };
  };

  const next = (): void => {
    if (busy || closed) return;
    const job = queue.shift();
    if (!job) return;
    busy = true;
    const current = (worker ??= spawn());
    // Held while it works, so a job in flight keeps the process alive; idle, it does not.
    current.thread.ref();
    void current.ready.then((alive) => {
      if (alive) return run(job, current.thread);
      if (worker === current) worker = null;
      busy = false;
      job.reject(
        new AppError('prepare_crashed', 'the preparing thread could not start', undefined, 500),
      );
      next();
    });
  };

  const run = (job: Job, w: Worker): void => {
    let settled = false;
    const finish = (fn: () => void, discard: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      w.off('message', onMessage);
      w.off('error', onError);
      w.off('exit', onExit);
      if (discard) {
        if (worker?.thread === w) worker = null;
        void w.terminate();
      } else {
        w.unref();
      }
      busy = false;
      fn();
      next();
    };
    const timer = setTimeout(() => {
      opts.logger.warn(
        { budgetMs: opts.budgetMs, bytes: job.raw.length },
        'message preparation over budget; worker thread terminated',
      );
      finish(
        () =>
          job.reject(
            new AppError(
              'prepare_timeout',
              `preparing the message took longer than ${opts.budgetMs} ms`,
              undefined,
              422,
            ),
          ),
        true,
      );
    }, opts.budgetMs);
    const onMessage = (reply: PrepareReply) => {
      if ('ready' in reply) return;
      if (reply.ok) {
        // Structured clone hands typed arrays back as plain Uint8Arrays: views as Buffers again, no copy.
        const asBuffer = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
        for (const a of reply.prepared.attachments) a.content = asBuffer(a.content);
        for (const a of reply.prepared.parsed.attachments) a.content = asBuffer(a.content);
        finish(() => job.resolve(reply.prepared), false);
      } else {
        const e = reply.error;
        finish(
          () =>
            job.reject(
              isErrorCode(e.code)
                ? new AppError(e.code, e.message, undefined, e.status ?? 500)
                : new Error(e.message),
            ),
          false,
        );
      }
    };
    const onError = (err: Error & { code?: string }) => {
      const code =
        err.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'prepare_out_of_memory' : 'prepare_crashed';
      opts.logger.warn({ code }, 'message preparation failed on its worker thread');
      const message =
        code === 'prepare_out_of_memory'
          ? 'the message could not be prepared within the memory limit'
          : 'the preparing thread failed';
      finish(() => job.reject(new AppError(code, message, undefined, 422)), true);
    };
    const onExit = () =>
      finish(
        () =>
          job.reject(
            new AppError('prepare_crashed', 'the preparing thread exited', undefined, 500),
          ),
        true,
      );
    w.on('message', onMessage);
    w.on('error', onError);
    w.on('exit', onExit);
    // A copy of exactly the message's bytes, moved to the thread: the caller keeps its buffer (it
    // is stored as the original afterwards), and a view into a larger buffer is not cloned whole.
    const copy = new Uint8Array(job.raw);
    w.postMessage({ raw: copy, limits: job.limits } satisfies PrepareRequest, [copy.buffer]);
  };

  return {
    prepare(raw, limits) {
      if (closed) return Promise.reject(new Error('isolated prepare is closed'));
      return new Promise((resolve, reject) => {
        queue.push({ raw, limits, resolve, reject });
        next();
      });
    },
    async close() {
      closed = true;
      for (const job of queue.splice(0)) job.reject(new Error('isolated prepare is closed'));
      await worker?.thread.terminate();
      worker = null;
    },
  };
}
