// The consent's one write: ONE tenant transaction creates the mailbox (or re-authorises the
// existing one of the same kind, keeping its cursor so sync resumes where it stopped), seals the
// grant under the mailbox key, queues the sync and records the audit and event rows.

import { randomUUID } from 'node:crypto';

import { emailBlindIndex, generateDataKey, mailboxAad, seal } from '../crypto/index.js';
import { reactivate } from '../mailboxes/status.js';
import { sealCredentials } from '../providers/open-mailbox.js';
import type { ProviderKind } from '../providers/provider-kind.js';
import { defaultBackfill } from '../providers/registry.js';
import type { Db } from '../store/db.js';
import { insertEvent } from '../store/event-store.js';
import { findLiveMailboxByAddress, insertMailbox } from '../store/mailbox-store.js';
import { enqueueSync } from '../sync/sync-jobs.js';
import { setBackfillLimits, setProgress } from '../sync/sync-store.js';
import type { Actor } from '../tenancy/actor.js';
import { audit } from '../tenancy/audit.js';
import type { KeyService } from '../tenancy/key-service.js';

export async function storeGrant(
  deps: { db: Db; keys: KeyService },
  kind: ProviderKind,
  tenantId: string,
  actorName: string,
  grant: { address: string; settings(ids: { tenantId: string; mailboxId: string }): unknown },
) {
  const actor: Actor = {
    tenantId,
    name: actorName,
    scopes: new Set(),
    requestId: null,
    clientIp: null,
  };
  const { db, keys } = deps;
  return db.tenantTx(
    tenantId,
    async (
      ex,
    ): Promise<
      | { fail: 'address_in_use' }
      | { id: string; settings: unknown; outcome: 'created' | 'reauthorized' }
    > => {
      const indexKey = await keys.tenantKey(ex, tenantId, 'index');
      const bidx = emailBlindIndex(indexKey.key, grant.address);
      const existing = await findLiveMailboxByAddress(ex, tenantId, bidx);
      if (existing && existing.provider !== kind) return { fail: 'address_in_use' };
      const id = existing?.id ?? randomUUID();
      const settings = grant.settings({ tenantId, mailboxId: id });
      const dek = existing ? await keys.mailboxKey(ex, tenantId, id) : generateDataKey();
      const credentialsCt = sealCredentials(dek, tenantId, id, settings);
      if (existing) {
        await reactivate(ex, tenantId, id, credentialsCt);
      } else {
        await insertMailbox(ex, {
          id,
          tenantId,
          provider: kind,
          addressCt: seal(dek, grant.address, mailboxAad('mailboxes.address', tenantId, id)),
          addressBidx: bidx,
          displayNameCt: null,
          credentialsCt,
        });
        await keys.createMailboxKey(ex, tenantId, id, dek);
        await setBackfillLimits(
          ex,
          tenantId,
          id,
          defaultBackfill.days,
          defaultBackfill.maxMessages,
        );
        await setProgress(ex, tenantId, id, 0, null);
      }
      await enqueueSync(ex, tenantId, id);
      await audit(ex, actor, 'mailbox.connect', 'mailbox', id, {
        provider: kind,
        reauthorized: Boolean(existing),
      });
      if (!existing) await insertEvent(ex, tenantId, 'mailbox.connected', id, { provider: kind });
      return { id, settings, outcome: existing ? 'reauthorized' : 'created' };
    },
  );
}
