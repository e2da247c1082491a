// The pool, the Executor type every store function takes, and the two transaction shapes:
// `tx` for operator/system work and `tenantTx` for anything that touches tenant rows. The pool logs
// in as DATABASE_URL's login role, never the owner: a member of inlet_service (rows for
// cross-tenant bookkeeping, no DDL, audit log append-only) and of inlet_app. A tenant transaction
// switches to inlet_app and sets the tenant with SET LOCAL, so row-level security applies and
// nothing leaks to the next user of the pooled connection (this also works behind a
// transaction-mode pooler, where session state is not kept). A RESET ROLE lands back on the login
// role, which cannot become the owner (store/role-check.ts, checked at start-up).
import pg from 'pg';

import { AppError } from '../errors.js';

export type Executor = Pick<pg.ClientBase, 'query'>;

export const appRole = 'inlet_app';

export interface Db {
  pool: pg.Pool;
  /** Runs `fn` in a transaction as the login role (operator commands, worker bookkeeping). */
  tx<T>(fn: (ex: pg.PoolClient) => Promise<T>): Promise<T>;
  /** Runs `fn` in a transaction as the application role with the tenant set; RLS applies. */
  tenantTx<T>(tenantId: string, fn: (ex: pg.PoolClient) => Promise<T>): Promise<T>;
  /**
   * One read as the application role with the tenant set (RLS applies), in ONE round trip instead
   * of tenantTx's three: the role, the tenant and `sql` go as one simple query, which PostgreSQL
   * runs as one implicit transaction (SET LOCAL ends with it; an error rolls it back). A simple
   * query has no bind parameters, so `sql` may embed only literals made by sqlUuid.
   */
  tenantRead<R extends pg.QueryResultRow>(tenantId: string, sql: string): Promise<R[]>;
  /**
   * tenantTx whose first read goes with BEGIN and the tenant setting as one simple query: one round
   * trip, not two (the ingest of a pushed message opens with one). As with tenantRead, `opening`
   * may embed only literals made by sqlUuid; its rows are handed to `fn`.
   */
  tenantTxOpening<R extends pg.QueryResultRow, T>(
    tenantId: string,
    opening: string,
    fn: (ex: pg.PoolClient, rows: R[]) => Promise<T>,
  ): Promise<T>;
  close(): Promise<void>;
}

export function makePool(url: string, max: number): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    // Fail fast when the database is down so /readyz answers 503 instead of hanging.
    connectionTimeoutMillis: 3000,
    idleTimeoutMillis: 30_000,
    application_name: 'inlet',
  });
  // A client losing its connection (database restart, failover) must not crash the process: the
  // query in flight fails and is retried by its caller; an idle client is simply dropped.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A UUID as an SQL literal, for the simple queries of tenantRead; anything else is refused. */
export function sqlUuid(value: string): string {
  if (!uuidPattern.test(value)) throw new AppError('internal', 'not a UUID');
  return `'${value}'::uuid`;
}

/** One round trip: the tenant id is a validated UUID, so it can be inlined in the simple query. */
function tenantBegin(tenantId: string): string {
  if (!uuidPattern.test(tenantId)) throw new AppError('internal', 'tenant context missing');
  return `BEGIN; SET LOCAL ROLE ${appRole}; SELECT set_config('inlet.tenant_id', '${tenantId}', true)`;
}

export function makeDb(pool: pg.Pool): Db {
  async function run<T>(
    fn: (c: pg.PoolClient, opened: pg.QueryResultRow[]) => Promise<T>,
    begin = 'BEGIN',
  ): Promise<T> {
    const client = await pool.connect();
    let broken = false;
    try {
      const began = (await client.query(begin)) as pg.QueryResult | pg.QueryResult[];
      // A multi-statement BEGIN answers one result per statement; the last is the opening read's.
      const result = await fn(client, Array.isArray(began) ? began.at(-1)!.rows : []);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch {
        broken = true;
      }
      throw err;
    } finally {
      client.release(broken);
    }
  }
  return {
    pool,
    tx: (fn) => run(fn),
    tenantTx: (tenantId, fn) => run(fn, tenantBegin(tenantId)),
    tenantTxOpening: <R extends pg.QueryResultRow, T>(
      tenantId: string,
      opening: string,
      fn: (ex: pg.PoolClient, rows: R[]) => Promise<T>,
    ) => run((ex, rows) => fn(ex, rows as R[]), `${tenantBegin(tenantId)}; ${opening}`),
    tenantRead: async <R extends pg.QueryResultRow>(tenantId: string, sql: string) => {
      if (!uuidPattern.test(tenantId)) throw new AppError('internal', 'tenant context missing');
      const results = (await pool.query(
        `SET LOCAL ROLE ${appRole}; SELECT set_config('inlet.tenant_id', '${tenantId}', true); ${sql}`,
      )) as unknown as pg.QueryResult<R>[];
      return results[2]!.rows;
    },
    close: () => pool.end(),
  };
}

/** True for errors that mean "the database is not reachable right now" (retry later, 503). */
export function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code ?? '';
  return (
    [
      'ECONNREFUSED',
      'ECONNRESET',
      'ETIMEDOUT',
      'ENOTFOUND',
      '57P01',
      '57P02',
      '57P03',
      '08000',
      '08003',
      '08006',
    ].includes(code) ||
    // A pooled client whose backend ended between two statements (failover, pg_terminate_backend)
    // refuses the next one with "… is not queryable" and no code.
    /timeout exceeded when trying to connect|Connection terminated|is not queryable/i.test(
      String((err as Error | null)?.message ?? ''),
    )
  );
}
