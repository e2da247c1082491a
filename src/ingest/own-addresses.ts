// The tenant's own connected addresses, for classification (mail from ourselves is an echo).
// Decrypted per message: a tenant has a handful of mailboxes and the data keys are cached unwrapped.
import { openText } from '../crypto/index.js';
import type { Executor } from '../store/db.js';
import { listMailboxes } from '../store/mailbox-store.js';
import type { KeyService } from '../tenancy/key-service.js';

export async function ownAddresses(ex: Executor, keys: KeyService, tenantId: string): Promise<string[]> {
  const out: string[] = [];
  for (const m of await listMailboxes(ex, tenantId)) {
    if (m.status === 'disconnected' || !m.address_ct) continue;
    const dek = await keys.mailboxKey(ex, tenantId, m.id);
    out.push(openText(dek, m.address_ct, { tenantId, scope: m.id, field: 'mailboxes.address', rowId: m.id }).toLowerCase());
  }
  return out;
}
