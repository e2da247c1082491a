import type { Executor } from './db.js';

export interface ApiKeyRow {
  id: string;
  tenant_id: string;
  prefix: string;
  secret_hash: Buffer;
  name: string;
  scopes: string[];
  created_at: Date;
  created_by: string;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const columns =
  'id, tenant_id, prefix, secret_hash, name, scopes, created_at, created_by, last_used_at, revoked_at';

export async function insertApiKey(
  ex: Executor,
  k: {
    id: string;
    tenantId: string;
    prefix: string;
    hash: Buffer;
    name: string;
    scopes: readonly string[];
    createdBy: string;
  },
): Promise<ApiKeyRow> {
  const { rows } = await ex.query<ApiKeyRow>(
    `INSERT INTO api_keys (id, tenant_id, prefix, secret_hash, name, scopes, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${columns}`,
    [k.id, k.tenantId, k.prefix, k.hash, k.name, k.scopes, k.createdBy],
  );
  return rows[0]!;
}

/**
 * Authentication lookup: runs before any tenant is known, so outside a tenant transaction. One
 * statement, named so it is parsed and planned once per connection.
 */
export async function findApiKeyByPrefix(ex: Executor, prefix: string): Promise<ApiKeyRow | null> {
  const { rows } = await ex.query<ApiKeyRow>({
    name: 'inlet-api-key-by-prefix',
    text: `SELECT ${columns} FROM api_keys WHERE prefix = $1`,
    values: [prefix],
  });
  return rows[0] ?? null;
}

/** Last-used stamps of one tenant's keys, batched in memory by tenancy/api-key-usage.ts. */
export async function touchApiKeys(
  ex: Executor,
  tenantId: string,
  ids: string[],
  at: Date[],
): Promise<void> {
  await ex.query({
    name: 'inlet-touch-api-keys',
    text: `UPDATE api_keys k SET last_used_at = greatest(k.last_used_at, u.at)
             FROM unnest($2::uuid[], $3::timestamptz[]) AS u(id, at)
            WHERE k.tenant_id = $1 AND k.id = u.id`,
    values: [tenantId, ids, at],
  });
}

export async function listApiKeys(ex: Executor, tenantId: string): Promise<ApiKeyRow[]> {
  const { rows } = await ex.query<ApiKeyRow>(
    `SELECT ${columns} FROM api_keys WHERE tenant_id = $1 ORDER BY created_at, id`,
    [tenantId],
  );
  return rows;
}

export async function revokeApiKey(
  ex: Executor,
  tenantId: string,
  id: string,
): Promise<ApiKeyRow | null> {
  const { rows } = await ex.query<ApiKeyRow>(
    `UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE tenant_id = $1 AND id = $2 RETURNING ${columns}`,
    [tenantId, id],
  );
  return rows[0] ?? null;
}
