// EXPLAIN ANALYZE of the statement a store function sends, without changing the function: it gets an
// executor that runs its statement under EXPLAIN in a transaction that is then rolled back (a
// data-modifying statement really runs under ANALYZE). Tests and benches read from the plan how many
// rows a statement touched in a table, a figure that does not depend on how busy the machine is.
import type pg from 'pg';

import type { Db, Executor } from '../../src/store/db.js';

export interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  Plans?: PlanNode[];
}

export interface Explained {
  plan: PlanNode;
  executionMs: number;
}

class RolledBack extends Error {}

/** Runs `fn` with an executor whose first query is EXPLAINed (and its effects rolled back). */
export async function explainFirstQuery(
  db: Db,
  fn: (ex: Executor) => Promise<unknown>,
): Promise<Explained> {
  let out: Explained | null = null;
  await db
    .tx(async (client) => {
      const ex: Executor = {
        query: (async (q: string | pg.QueryConfig, values?: unknown[]) => {
          if (out) throw new Error('explainFirstQuery: the function sent more than one statement');
          const text = typeof q === 'string' ? q : q.text;
          const params = typeof q === 'string' ? values : (q.values ?? values);
          const { rows } = await client.query<{ 'QUERY PLAN': [Record<string, unknown>] }>(
            `EXPLAIN (ANALYZE, FORMAT JSON) ${text}`,
            params,
          );
          const top = rows[0]!['QUERY PLAN'][0]!;
          out = { plan: top.Plan as PlanNode, executionMs: top['Execution Time'] as number };
          return { rows: [], rowCount: 0 };
        }) as Executor['query'],
      };
      await fn(ex);
      throw new RolledBack();
    })
    .catch((err: unknown) => {
      if (!(err instanceof RolledBack)) throw err;
    });
  if (!out) throw new Error('explainFirstQuery: the function sent no statement');
  return out;
}

/** Rows the plan read from `relation`: rows returned plus rows filtered out, over every loop. */
export function rowsRead(node: PlanNode, relation: string): number {
  const own =
    node['Relation Name'] === relation
      ? ((node['Actual Rows'] ?? 0) + (node['Rows Removed by Filter'] ?? 0)) *
        (node['Actual Loops'] ?? 1)
      : 0;
  return own + (node.Plans ?? []).reduce((sum, p) => sum + rowsRead(p, relation), 0);
}
