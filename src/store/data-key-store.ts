// SQL for wrapped data keys. Callers own the transaction (see store/db.ts).
import type { Executor } from './db.js';

export type KeyPurpose = 'index' | 'signing' | 'tenant' | 'mailbox';

export interface DataKeyRow {
  id: string;
  tenant_id: string;
  purpose: KeyPurpose;
  mailbox_id: string | null;
  kek_id: string | null;
  wrapped: Buffer | null;
  destroyed_at: Date | null;
}

export const dataKeyColumns = 'id, tenant_id, purpose, mailbox_id, kek_id, wrapped, destroyed_at';
const columns = dataKeyColumns;

export async function insertDataKey(
  ex: Executor,
  row: {
    id: string;
    tenantId: string;
    purpose: KeyPurpose;
    mailboxId: string | null;
    kekId: string;
    wrapped: Buffer;
  },
): Promise<void> {
  await ex.query(
    'INSERT INTO data_keys (id, tenant_id, purpose, mailbox_id, kek_id, wrapped) VALUES ($1, $2, $3, $4, $5, $6)',
    [row.id, row.tenantId, row.purpose, row.mailboxId, row.kekId, row.wrapped],
  );
}

export async function findTenantKey(
  ex: Executor,
  tenantId: string,
  purpose: Exclude<KeyPurpose, 'mailbox'>,
): Promise<DataKeyRow | null> {
  const { rows } = await ex.query<DataKeyRow>(
    `SELECT ${columns} FROM data_keys WHERE tenant_id = $1 AND purpose = $2`,
    [tenantId, purpose],
  );
  return rows[0] ?? null;
}

export async function findMailboxKey(
  ex: Executor,
  tenantId: string,
  mailboxId: string,
): Promise<DataKeyRow | null> {
  const { rows } = await ex.query<DataKeyRow>(
    `SELECT ${columns} FROM data_keys WHERE tenant_id = $1 AND mailbox_id = $2`,
    [tenantId, mailboxId],
  );
  return rows[0] ?? null;
}

export async function findDataKeyById(
  ex: Executor,
  tenantId: string,
  id: string,
): Promise<DataKeyRow | null> {
  const { rows } = await ex.query<DataKeyRow>(
    `SELECT ${columns} FROM data_keys WHERE tenant_id = $1 AND id = $2`,
    [tenantId, id],
  );
  return rows[0] ?? null;
}

/** Crypto-shredding: the only copy of the wrapped key goes; every ciphertext under it is unreadable. */
export async function destroyMailboxKey(
  ex: Executor,
  tenantId: string,
  mailboxId: string,
): Promise<boolean> {
  const { rowCount } = await ex.query(
    'UPDATE data_keys SET wrapped = NULL, kek_id = NULL, destroyed_at = now() WHERE tenant_id = $1 AND mailbox_id = $2 AND wrapped IS NOT NULL',
    [tenantId, mailboxId],
  );
  return (rowCount ?? 0) > 0;
}

/** Keys not yet wrapped by `activeKekId`, oldest first, in batches (locked so two rotations don't collide). */
export async function lockKeysToRewrap(
  ex: Executor,
  activeKekId: string,
  limit: number,
  skipIds: readonly string[] = [],
): Promise<DataKeyRow[]> {
  const { rows } = await ex.query<DataKeyRow>(
    `SELECT ${columns} FROM data_keys WHERE wrapped IS NOT NULL AND kek_id <> $1 AND NOT (id = ANY($3::uuid[]))
      ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
    [activeKekId, limit, skipIds],
  );
  return rows;
}

export async function updateWrapped(
  ex: Executor,
  tenantId: string,
  id: string,
  kekId: string,
  wrapped: Buffer,
): Promise<void> {
  await ex.query(
    'UPDATE data_keys SET kek_id = $3, wrapped = $4, rewrapped_at = now() WHERE tenant_id = $1 AND id = $2',
    [tenantId, id, kekId, wrapped],
  );
}

export async function kekIdsInUse(ex: Executor): Promise<string[]> {
  const { rows } = await ex.query<{ kek_id: string }>(
    'SELECT DISTINCT kek_id FROM data_keys WHERE wrapped IS NOT NULL',
  );
  return rows.map((r) => r.kek_id);
}
