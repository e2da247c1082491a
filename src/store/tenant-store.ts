import type { Executor } from './db.js';

export interface TenantRow {
  id: string;
  name: string;
  created_at: Date;
}

export async function insertTenant(ex: Executor, id: string, name: string): Promise<TenantRow> {
  const { rows } = await ex.query<TenantRow>(
    'INSERT INTO tenants (id, name) VALUES ($1, $2) RETURNING id, name, created_at',
    [id, name],
  );
  return rows[0]!;
}

export async function listTenantIds(ex: Executor): Promise<string[]> {
  const { rows } = await ex.query<{ id: string }>('SELECT id FROM tenants ORDER BY created_at');
  return rows.map((r) => r.id);
}
