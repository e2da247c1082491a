import type { Executor } from './db.js';

export type MailboxProviderKind = 'local' | 'imap' | 'gmail' | 'graph';
export type MailboxStatus = 'active' | 'reauth_required' | 'error' | 'disconnecting' | 'disconnected';

export interface MailboxRow {
  id: string;
  tenant_id: string;
  provider: MailboxProviderKind;
  status: MailboxStatus;
  address_ct: Buffer | null;
  display_name_ct: Buffer | null;
  credentials_ct: Buffer | null;
  created_at: Date;
  updated_at: Date;
  disconnected_at: Date | null;
}

const columns = 'id, tenant_id, provider, status, address_ct, display_name_ct, credentials_ct, created_at, updated_at, disconnected_at';

export async function insertMailbox(ex: Executor, m: { id: string; tenantId: string; provider: MailboxProviderKind; addressCt: Buffer; addressBidx: Buffer; displayNameCt: Buffer | null; credentialsCt: Buffer | null }): Promise<MailboxRow> {
  const { rows } = await ex.query<MailboxRow>(
    `INSERT INTO mailboxes (id, tenant_id, provider, address_ct, address_bidx, display_name_ct, credentials_ct)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${columns}`,
    [m.id, m.tenantId, m.provider, m.addressCt, m.addressBidx, m.displayNameCt, m.credentialsCt],
  );
  return rows[0]!;
}

export async function findMailbox(ex: Executor, tenantId: string, id: string): Promise<MailboxRow | null> {
  const { rows } = await ex.query<MailboxRow>(`SELECT ${columns} FROM mailboxes WHERE tenant_id = $1 AND id = $2`, [tenantId, id]);
  return rows[0] ?? null;
}

/** The row locked for the rest of the transaction (disconnect: one request at a time per mailbox). */
export async function lockMailbox(ex: Executor, tenantId: string, id: string): Promise<MailboxRow | null> {
  const { rows } = await ex.query<MailboxRow>(`SELECT ${columns} FROM mailboxes WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, [tenantId, id]);
  return rows[0] ?? null;
}

export async function listMailboxes(ex: Executor, tenantId: string): Promise<MailboxRow[]> {
  const { rows } = await ex.query<MailboxRow>(`SELECT ${columns} FROM mailboxes WHERE tenant_id = $1 ORDER BY created_at, id`, [tenantId]);
  return rows;
}

export async function setMailboxStatus(ex: Executor, tenantId: string, id: string, status: MailboxStatus): Promise<void> {
  await ex.query(
    `UPDATE mailboxes SET status = $3, updated_at = now(), disconnected_at = CASE WHEN $3 = 'disconnected' THEN now() ELSE disconnected_at END
      WHERE tenant_id = $1 AND id = $2`,
    [tenantId, id, status],
  );
}

export async function setMailboxCursor(ex: Executor, tenantId: string, id: string, cursor: unknown): Promise<void> {
  await ex.query('UPDATE mailboxes SET cursor = $3, updated_at = now() WHERE tenant_id = $1 AND id = $2', [tenantId, id, JSON.stringify(cursor)]);
}

export async function findMailboxTenant(ex: Executor, id: string): Promise<{ tenant_id: string; provider: MailboxProviderKind; status: MailboxStatus } | null> {
  const { rows } = await ex.query<{ tenant_id: string; provider: MailboxProviderKind; status: MailboxStatus }>('SELECT tenant_id, provider, status FROM mailboxes WHERE id = $1', [id]);
  return rows[0] ?? null;
}
