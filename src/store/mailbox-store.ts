// SQL for the mailboxes table. Callers own the transaction: tenant transactions for one tenant's
// rows, owner transactions for the cross-tenant queries at the end (upkeep, push routing).
import type { ProviderKind } from '../providers/provider-kind.js';
import type { Executor } from './db.js';

export type MailboxStatus =
  'active' | 'reauth_required' | 'error' | 'disconnecting' | 'disconnected';

export interface MailboxRow {
  id: string;
  tenant_id: string;
  provider: ProviderKind;
  status: MailboxStatus;
  address_ct: Buffer | null;
  display_name_ct: Buffer | null;
  credentials_ct: Buffer | null;
  /** False while the provider's latest token lacks the send scope (replies are refused). */
  send_granted: boolean;
  created_at: Date;
  updated_at: Date;
  disconnected_at: Date | null;
}

const columns =
  'id, tenant_id, provider, status, address_ct, display_name_ct, credentials_ct, send_granted, created_at, updated_at, disconnected_at';
/** The columns of MailboxRow, for statements elsewhere that read the row with more. */
export const mailboxColumns = columns;

export async function insertMailbox(
  ex: Executor,
  m: {
    id: string;
    tenantId: string;
    provider: ProviderKind;
    addressCt: Buffer;
    addressBidx: Buffer;
    displayNameCt: Buffer | null;
    credentialsCt: Buffer | null;
  },
): Promise<MailboxRow> {
  const { rows } = await ex.query<MailboxRow>(
    `INSERT INTO mailboxes (id, tenant_id, provider, address_ct, address_bidx, display_name_ct, credentials_ct)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${columns}`,
    [m.id, m.tenantId, m.provider, m.addressCt, m.addressBidx, m.displayNameCt, m.credentialsCt],
  );
  return rows[0]!;
}

export async function findMailbox(
  ex: Executor,
  tenantId: string,
  id: string,
): Promise<MailboxRow | null> {
  const { rows } = await ex.query<MailboxRow>(
    `SELECT ${columns} FROM mailboxes WHERE tenant_id = $1 AND id = $2`,
    [tenantId, id],
  );
  return rows[0] ?? null;
}

/** The row locked for the rest of the transaction (disconnect: one request at a time per mailbox). */
export async function lockMailbox(
  ex: Executor,
  tenantId: string,
  id: string,
): Promise<MailboxRow | null> {
  const { rows } = await ex.query<MailboxRow>(
    `SELECT ${columns} FROM mailboxes WHERE tenant_id = $1 AND id = $2 FOR UPDATE`,
    [tenantId, id],
  );
  return rows[0] ?? null;
}

export async function listMailboxes(ex: Executor, tenantId: string): Promise<MailboxRow[]> {
  const { rows } = await ex.query<MailboxRow>(
    `SELECT ${columns} FROM mailboxes WHERE tenant_id = $1 ORDER BY created_at, id`,
    [tenantId],
  );
  return rows;
}

/** The provider cursor, stored verbatim; the pipeline moves it in the transaction that stored the
 *  messages it covers, the sync job for a step that stored nothing (an item gone, an empty page). */
export async function setMailboxCursor(
  ex: Executor,
  tenantId: string,
  id: string,
  cursor: unknown,
): Promise<void> {
  await ex.query(
    'UPDATE mailboxes SET cursor = $3, updated_at = now() WHERE tenant_id = $1 AND id = $2',
    [tenantId, id, JSON.stringify(cursor)],
  );
}

export async function findMailboxTenant(
  ex: Executor,
  id: string,
): Promise<{ tenant_id: string; provider: ProviderKind; status: MailboxStatus } | null> {
  const { rows } = await ex.query<{
    tenant_id: string;
    provider: ProviderKind;
    status: MailboxStatus;
  }>('SELECT tenant_id, provider, status FROM mailboxes WHERE id = $1', [id]);
  return rows[0] ?? null;
}

export interface AddressMatch {
  id: string;
  provider: ProviderKind;
  status: MailboxStatus;
}

/** The tenant's live (not disconnected) mailbox with this address blind index, if any (locked). */
export async function findLiveMailboxByAddress(
  ex: Executor,
  tenantId: string,
  addressBidx: Buffer,
): Promise<AddressMatch | null> {
  const { rows } = await ex.query<AddressMatch>(
    `SELECT id, provider, status FROM mailboxes WHERE tenant_id = $1 AND address_bidx = $2 AND status <> 'disconnected' FOR UPDATE`,
    [tenantId, addressBidx],
  );
  return rows[0] ?? null;
}

export async function setPushChannel(
  ex: Executor,
  tenantId: string,
  id: string,
  channel: unknown,
  expiresAt: Date | null,
): Promise<void> {
  await ex.query(
    'UPDATE mailboxes SET push_channel = $3, push_expires_at = $4 WHERE tenant_id = $1 AND id = $2',
    [tenantId, id, channel === null ? null : JSON.stringify(channel), expiresAt],
  );
}

// ---- owner-role queries ----

export interface MailboxTarget {
  tenant_id: string;
  mailbox_id: string;
  status: MailboxStatus;
  cursor: unknown;
}

/** Tenants with at least one live mailbox of this kind (push routing computes one blind index per tenant). */
export async function tenantsWithLiveMailboxes(
  ex: Executor,
  provider: ProviderKind,
): Promise<string[]> {
  const { rows } = await ex.query<{ tenant_id: string }>(
    `SELECT DISTINCT tenant_id FROM mailboxes WHERE provider = $1 AND status <> 'disconnected'`,
    [provider],
  );
  return rows.map((r) => r.tenant_id);
}

/** Live mailboxes of this kind with one of these (tenant, address blind index) pairs. */
export async function liveMailboxesByAddress(
  ex: Executor,
  provider: ProviderKind,
  pairs: { tenantId: string; bidx: Buffer }[],
): Promise<MailboxTarget[]> {
  if (pairs.length === 0) return [];
  const { rows } = await ex.query<MailboxTarget>(
    `SELECT m.tenant_id, m.id AS mailbox_id, m.status, m.cursor
       FROM mailboxes m JOIN unnest($2::uuid[], $3::bytea[]) AS p(tenant_id, bidx) ON m.tenant_id = p.tenant_id AND m.address_bidx = p.bidx
      WHERE m.provider = $1 AND m.status <> 'disconnected'`,
    [provider, pairs.map((p) => p.tenantId), pairs.map((p) => p.bidx)],
  );
  return rows;
}
