// Consent phishing across tenants: tenant B starts a consent link and gets the owner of a mailbox
// that tenant A already connected to complete it. The provider only proves who owns the mailbox, not
// that the owner meant B, so an address already connected (and not disconnected) in another tenant
// is refused unless the operator allows shared mailboxes (CONSENT_ALLOW_SHARED_MAILBOXES). Tenant A
// releases the address by disconnecting its mailbox.
//
// Blind indexes are keyed per tenant, so the check computes the address's index under each other
// tenant's index key: one short transaction per tenant holding a live mailbox of this provider.
// Consent is rare; this is not on any hot path.
import { emailBlindIndex } from '../crypto/index.js';
import type { ProviderKind } from '../providers/provider-kind.js';
import type { Db } from '../store/db.js';
import { findLiveMailboxByAddress } from '../store/mailbox-store.js';
import type { KeyService } from '../tenancy/key-service.js';

export const ADDRESS_ELSEWHERE = 'address_in_use_elsewhere';

/** True when a tenant other than `tenantId` holds a live mailbox for `address`. */
export async function addressHeldElsewhere(
  deps: { db: Db; keys: KeyService },
  tenantId: string,
  kind: ProviderKind,
  address: string,
): Promise<boolean> {
  const others = await deps.db.tx(async (ex) =>
    (
      await ex.query<{ tenant_id: string }>(
        `SELECT DISTINCT tenant_id FROM mailboxes WHERE tenant_id <> $1 AND provider = $2 AND status <> 'disconnected'`,
        [tenantId, kind],
      )
    ).rows.map((r) => r.tenant_id),
  );
  for (const other of others) {
    const held = await deps.db.tenantTx(other, async (ex) => {
      const indexKey = await deps.keys.tenantKey(ex, other, 'index');
      return (
        (await findLiveMailboxByAddress(ex, other, emailBlindIndex(indexKey.key, address))) !== null
      );
    });
    if (held) return true;
  }
  return false;
}
