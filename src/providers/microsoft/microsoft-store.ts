// SQL of the Microsoft provider: re-sealing one mailbox's credentials with fields changed (MSAL
// cache, subscription), and the owner-role lookups of push routing and subscription upkeep.
import type { DataKey } from '../../crypto/index.js';
import type { Executor } from '../../store/db.js';
import type { KeyService } from '../../tenancy/key-service.js';
import { openCredentials, sealCredentials } from '../open-mailbox.js';
import { type MicrosoftCredentials, parseMicrosoftCredentials } from './microsoft-settings.js';

/** Latest stored credentials with `patch` applied, row locked; nothing once the mailbox is being disconnected. */
export async function patchCredentials(
  ex: Executor,
  keys: KeyService,
  tenantId: string,
  mailboxId: string,
  patch: Partial<MicrosoftCredentials>,
): Promise<boolean> {
  const { rows } = await ex.query<{ credentials_ct: Buffer | null }>(
    `SELECT credentials_ct FROM mailboxes WHERE tenant_id = $1 AND id = $2 AND provider = 'graph' AND status NOT IN ('disconnected') FOR UPDATE`,
    [tenantId, mailboxId],
  );
  const ct = rows[0]?.credentials_ct;
  if (!ct) return false;
  const dek: DataKey = await keys.mailboxKey(ex, tenantId, mailboxId);
  const next = {
    ...parseMicrosoftCredentials(
      await openCredentials({ ex, purpose: 'credentials_update' }, dek, tenantId, mailboxId, ct),
    ),
    ...patch,
  };
  await ex.query('UPDATE mailboxes SET credentials_ct = $3 WHERE tenant_id = $1 AND id = $2', [
    tenantId,
    mailboxId,
    sealCredentials(dek, tenantId, mailboxId, next),
  ]);
  return true;
}

export interface SubscribedMailbox {
  tenant_id: string;
  mailbox_id: string;
  status: string;
  credentials_ct: Buffer | null;
}

/** Mailboxes whose stored push channel is one of these Graph subscription ids (owner role). */
export async function mailboxesBySubscription(
  ex: Executor,
  ids: string[],
): Promise<Map<string, SubscribedMailbox>> {
  const { rows } = await ex.query<SubscribedMailbox & { sub: string }>(
    `SELECT tenant_id, id AS mailbox_id, status, credentials_ct, push_channel->>'id' AS sub FROM mailboxes
      WHERE provider = 'graph' AND push_channel->>'id' = ANY($1::text[])`,
    [ids],
  );
  return new Map(rows.map((r) => [r.sub, r]));
}

/** Active mailboxes without a subscription or with one expiring before `before` (owner role). */
export async function subscriptionsDue(
  ex: Executor,
  before: Date | null,
): Promise<{ tenant_id: string; mailbox_id: string }[]> {
  const { rows } = await ex.query<{ tenant_id: string; mailbox_id: string }>(
    `SELECT tenant_id, id AS mailbox_id FROM mailboxes
      WHERE provider = 'graph' AND status = 'active' AND ($1::timestamptz IS NULL OR push_expires_at IS NULL OR push_expires_at < $1)
      ORDER BY created_at, id`,
    [before],
  );
  return rows;
}
