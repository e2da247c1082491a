// Counts the SQL statements a piece of code sends, at the driver: every pooled client, simple and
// extended protocol alike. Used to show what a request costs the database.
import pg from 'pg';

export interface StatementLog {
  /** Runs `fn` and returns what it returned with the statements sent meanwhile. */
  during<T>(fn: () => Promise<T>): Promise<{ result: T; statements: string[] }>;
  /** Puts the driver's own query method back (afterAll). */
  restore(): void;
}

export function logStatements(): StatementLog {
  const realQuery = pg.Client.prototype.query;
  let statements: string[] | null = null;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    if (statements) {
      const q = args[0] as string | { text: string };
      statements.push(typeof q === 'string' ? q : q.text);
    }
    return (realQuery as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof realQuery;
  return {
    async during(fn) {
      const seen: string[] = [];
      statements = seen;
      try {
        return { result: await fn(), statements: seen };
      } finally {
        statements = null;
      }
    },
    restore() {
      pg.Client.prototype.query = realQuery;
    },
  };
}
