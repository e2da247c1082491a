// What the role serve and worker log in with may do beyond the application's needs. Tenant
// isolation rests on row-level security, which a superuser, a BYPASSRLS role or the tables' owner
// (and anyone who can SET ROLE to it) simply switches off: injected SQL would RESET ROLE and read
// every tenant or delete the audit log. Production refuses such a DATABASE_URL at start-up.
import type { Executor } from './db.js';

export interface LoginRoleReport {
  role: string;
  /** Empty when the role is an ordinary non-owner login; otherwise one sentence per problem. */
  problems: string[];
}

export async function inspectLoginRole(ex: Executor): Promise<LoginRoleReport> {
  const { rows } = await ex.query<{
    role: string;
    superuser: boolean;
    bypassrls: boolean;
    owned: string[];
    schema_owner: boolean;
  }>(
    `SELECT r.rolname AS role, r.rolsuper AS superuser, r.rolbypassrls AS bypassrls,
            coalesce((SELECT array_agg(DISTINCT pg_get_userbyid(c.relowner)::text)
                        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                       WHERE n.nspname IN ('public', 'graphile_worker') AND c.relkind IN ('r', 'p', 'v', 'S')
                         AND pg_has_role(r.oid, c.relowner, 'MEMBER')), '{}') AS owned,
            pg_has_role(r.oid, (SELECT nspowner FROM pg_namespace WHERE nspname = 'public'), 'MEMBER')
              AS schema_owner
       FROM pg_roles r WHERE r.rolname = session_user`,
  );
  const row = rows[0];
  if (!row) return { role: 'unknown', problems: ['the login role is not in pg_roles'] };
  const problems: string[] = [];
  if (row.superuser) problems.push(`role ${row.role} is a superuser`);
  if (row.bypassrls) problems.push(`role ${row.role} has BYPASSRLS`);
  for (const owner of row.owned)
    problems.push(
      owner === row.role
        ? `role ${row.role} owns Inlet's tables`
        : `role ${row.role} can SET ROLE to ${owner}, which owns Inlet's tables`,
    );
  if (row.schema_owner && !row.superuser)
    problems.push(`role ${row.role} owns (or can act as the owner of) schema public`);
  return { role: row.role, problems };
}
