// Where the pipeline bench's CPU goes (issue #19): the same corpus through successively larger
// parts of the pipeline, and the least any pipeline keeping Inlet's promises could spend.
//   prepare        parse + sanitise + reply extraction + attachment ids (prepare.ts), no I/O
//   prepare + scan the above plus every attachment's clamd verdict (scan-attachments.ts, its cache)
//   floor          parse-only, plus each message's original sealed and stored in one INSERT per
//                  page, plus clamd scanning what the pipeline had to scan (every distinct
//                  attachment; that part cannot shrink without scanning less)
// Counts come from the pipeline's own metrics (scans against verdict-cache answers) and from a
// counter on the driver's query() (statements, transactions).
import pg from 'pg';

import type { Container } from '../../src/container.js';
import { generateDataKey, seal } from '../../src/crypto/index.js';
import { prepareMessage } from '../../src/ingest/prepare.js';
import { scanAttachments } from '../../src/ingest/scan-attachments.js';
import { defaultIngestLimits } from '../../src/ingest/types.js';
import { makeVerdictCache } from '../../src/ingest/verdict-cache.js';
import { makeLimiter } from '../../src/lib/limiter.js';
import { rawLayout } from '../../src/store/raw-store.js';

type Pool = (
  items: Buffer[],
  concurrency: number,
  fn: (raw: Buffer) => Promise<unknown>,
) => Promise<void>;

/** Statements sent through any pg client of this process, and how many were COMMITs. */
export function countStatements(): { read(): { statements: number; commits: number } } {
  let statements = 0;
  let commits = 0;
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  proto.query = function (this: unknown, ...args: unknown[]) {
    statements++;
    const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string }).text;
    if (text === 'COMMIT') commits++;
    return original.apply(this, args);
  };
  return { read: () => ({ statements, commits }) };
}

/** A run of prepareMessage over the corpus at the worker's concurrency. */
export const preparePass = (messages: Buffer[], concurrency: number, pool: Pool) => () =>
  pool(messages, concurrency, (raw) => prepareMessage(raw, defaultIngestLimits));

/** prepareMessage and then every attachment's verdict, through a fresh verdict cache. */
export function prepareScanPass(
  c: Container,
  messages: Buffer[],
  concurrency: number,
  pool: Pool,
): () => Promise<void> {
  const slots = makeLimiter(16);
  const cache = makeVerdictCache({ maxEntries: 10_000, ttlMs: 10 * 60_000 });
  const tenant = crypto.randomUUID();
  return () =>
    pool(messages, concurrency, async (raw) => {
      const p = await prepareMessage(raw, defaultIngestLimits);
      await scanAttachments(c.scanner, slots, cache, tenant, p.attachments);
    });
}

/**
 * The storing part of the floor: each message's original sealed (one chunk per MiB, as raw-store
 * does) and inserted, pages of 50 messages in one transaction and one statement each, into a bench
 * table shaped like message_raw_chunks. No other row, index or lookup.
 */
export async function rawOnlyPass(
  c: Container,
  messages: Buffer[],
  concurrency: number,
): Promise<() => Promise<void>> {
  await c.db.pool.query(
    'CREATE TABLE IF NOT EXISTS bench_raw_floor (tenant_id uuid, message_id uuid, seq int, chunk_ct bytea)',
  );
  const dek = generateDataKey();
  const tenantId = crypto.randomUUID();
  const pages: Buffer[][] = [];
  for (let i = 0; i < messages.length; i += 50) pages.push(messages.slice(i, i + 50));
  return async () => {
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < pages.length) {
          const page = pages[next++]!;
          const params: unknown[] = [];
          const values: string[] = [];
          for (const raw of page) {
            const id = crypto.randomUUID();
            const { chunks } = rawLayout(raw.length);
            const size = Math.ceil(raw.length / chunks);
            for (let seq = 0; seq < chunks; seq++) {
              const ct = seal(dek, raw.subarray(seq * size, (seq + 1) * size), {
                tenantId,
                scope: tenantId,
                field: 'messages.raw_chunk',
                rowId: `${id}/${seq}`,
              });
              const at = params.push(tenantId, id, seq, ct) - 3;
              values.push(`($${at}::uuid, $${at + 1}::uuid, $${at + 2}::int, $${at + 3}::bytea)`);
            }
          }
          const client = await c.db.pool.connect();
          try {
            await client.query('BEGIN');
            await client.query(
              `INSERT INTO bench_raw_floor (tenant_id, message_id, seq, chunk_ct) VALUES ${values.join(', ')}`,
              params,
            );
            await client.query('COMMIT');
          } finally {
            client.release();
          }
        }
      }),
    );
  };
}

/** CPU per message over one pass: Node (whole process, and its main thread), PostgreSQL, clamd. */
export interface PassCpu {
  perSec: number;
  node: number;
  main: number;
  postgres: number | null;
  clamd: number | null;
}

export interface Breakdown {
  /** Node CPU of parse-only and of the whole pipeline, as in cpuMsPerMessage. */
  parse: number;
  pipeline: number;
  /** PostgreSQL's and clamd's CPU during the pipeline pass. */
  postgres: number | null;
  clamd: number | null;
  /** Node CPU of prepareMessage alone (parse, sanitise, reply) at the same concurrency. */
  prepare: number;
  /** prepareMessage and then each attachment's verdict (clamd or the verdict cache). */
  prepareScan: PassCpu;
  /** The floor's storing part: each original sealed and inserted, one statement per page. */
  rawOnly: PassCpu;
  /** Node's main thread during the pipeline pass (the rest is V8's GC and compiler threads). */
  mainThread: number;
  /** Per message during the pipeline pass: clamd scans, verdict-cache answers, SQL statements, transactions. */
  scans: number;
  cached: number;
  statements: number;
  transactions: number;
}

/** Each figure's median over the rounds (each pass runs once a round, so one figure per round is noisy). */
export function medianBreakdown(bs: Breakdown[]): Breakdown {
  const med = <T>(f: (b: Breakdown) => T): T => {
    const xs = bs.map(f);
    if (xs.some((x) => x === null)) return null as T;
    return (xs as number[]).sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] as T;
  };
  const pass = (f: (b: Breakdown) => PassCpu): PassCpu => ({
    perSec: med((b) => f(b).perSec),
    node: med((b) => f(b).node),
    main: med((b) => f(b).main),
    postgres: med((b) => f(b).postgres),
    clamd: med((b) => f(b).clamd),
  });
  return {
    parse: med((b) => b.parse),
    pipeline: med((b) => b.pipeline),
    postgres: med((b) => b.postgres),
    clamd: med((b) => b.clamd),
    prepare: med((b) => b.prepare),
    prepareScan: pass((b) => b.prepareScan),
    rawOnly: pass((b) => b.rawOnly),
    mainThread: med((b) => b.mainThread),
    scans: med((b) => b.scans),
    cached: med((b) => b.cached),
    statements: med((b) => b.statements),
    transactions: med((b) => b.transactions),
  };
}

export function printBreakdown(b: Breakdown, rounds: number): void {
  const f = (n: number | null) => (n === null ? 'n/a' : n.toFixed(2));
  console.log(
    `where Node's CPU goes (ms per message, medians of ${rounds} round(s)): pipeline ${f(b.pipeline)} = parse ${f(b.parse)} + sanitise, reply, ids ${f(b.prepare - b.parse)} + scan client ${f(b.prepareScan.node - b.prepare)} + classify, thread, seal, store ${f(b.pipeline - b.prepareScan.node)}; main thread ${f(b.mainThread)}, V8's GC and compiler threads ${f(b.pipeline - b.mainThread)}`,
  );
  console.log(
    `  per message: ${b.scans.toFixed(2)} clamd scans (one INSTREAM each, kept-alive sessions) + ${b.cached.toFixed(2)} verdict-cache answers; ${b.statements.toFixed(2)} SQL statements, ${b.transactions.toFixed(2)} transactions`,
  );
  const storeOnly = b.rawOnly.node + (b.rawOnly.postgres ?? 0);
  console.log(
    `  floor ${f(b.parse + storeOnly + (b.clamd ?? 0))} ms: parse-only ${f(b.parse)} + sealing and inserting only each original (Node ${f(b.rawOnly.node)} + PostgreSQL ${f(b.rawOnly.postgres)}) + clamd for the scans above ${f(b.clamd)}; the pipeline: ${f(b.pipeline + (b.postgres ?? 0) + (b.clamd ?? 0))}`,
  );
}
