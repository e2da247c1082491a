// Named statements (`{ name, text, values }`) are prepared once per server connection and then sent
// as a bare Bind. node-postgres remembers which names it prepared per client connection; behind a
// transaction-mode pooler (PgBouncer before 1.21, or without max_prepared_statements) the next
// transaction of that client lands on another server connection, where the name is unknown, and
// the statement fails. With DATABASE_POOL_MODE=transaction every statement is therefore sent
// unnamed (parsed each time, as before the names were added); direct and session-pooled
// connections keep the saved parse and plan.
import type pg from 'pg';

type Query = (...args: unknown[]) => unknown;

export function sendStatementsUnnamed(pool: pg.Pool): void {
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as Query;
    (client as unknown as { query: Query }).query = (config: unknown, ...rest: unknown[]) => {
      if (config && typeof config === 'object' && 'name' in config && !('submit' in config)) {
        const { name: _name, ...unnamed } = config as { name?: string };
        return query(unnamed, ...rest);
      }
      return query(config, ...rest);
    };
  });
}
