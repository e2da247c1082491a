// Which listed messages a sync need not download. A re-list names mail the mailbox already took in:
// by provider id after an expired Gmail history id or a crash mid-page; under new provider ids
// after an IMAP UIDVALIDITY change, where the listing's Message-ID (IMAP ENVELOPE) still finds it.
// The second kind is recorded as a duplicate delivery here, as the pipeline would have done after
// fetching and parsing it, so the next re-list finds it by provider id.
import { messageIdBlindIndex, normaliseMessageId } from '../crypto/index.js';
import type { RemoteMessageRef } from '../providers/mail-provider.js';
import type { Db } from '../store/db.js';
import { deliveredAmong, heldByMessageId } from '../store/delivery-store.js';
import { insertDuplicateDeliveries } from '../store/inbound-store.js';
import type { KeyService } from '../tenancy/key-service.js';

export async function alreadyHeld(
  deps: { db: Db; keys: KeyService },
  tenantId: string,
  mailboxId: string,
  items: Pick<RemoteMessageRef, 'providerMessageId' | 'rfcMessageId'>[],
): Promise<Set<string>> {
  if (items.length === 0) return new Set();
  return deps.db.tenantTx(tenantId, async (ex) => {
    const held = await deliveredAmong(
      ex,
      tenantId,
      mailboxId,
      items.map((i) => i.providerMessageId),
    );
    const byId = items.filter(
      (i) =>
        !held.has(i.providerMessageId) &&
        i.rfcMessageId &&
        normaliseMessageId(i.rfcMessageId) !== '',
    );
    if (byId.length === 0) return held;
    const indexKey = (await deps.keys.tenantKey(ex, tenantId, 'index')).key;
    const bidxs = byId.map((i) => messageIdBlindIndex(indexKey, i.rfcMessageId!));
    const found = await heldByMessageId(ex, tenantId, mailboxId, bidxs);
    const again = byId.flatMap((i, k) => {
      const messageId = found.get(bidxs[k]!.toString('hex'));
      return messageId ? [{ providerMessageId: i.providerMessageId, messageId }] : [];
    });
    // Two listed items with one Message-ID are both duplicates of the stored message.
    await insertDuplicateDeliveries(ex, tenantId, mailboxId, again);
    for (const d of again) held.add(d.providerMessageId);
    return held;
  });
}
