// Mailboxes as tenants see them. Content (address, display name, credentials) is sealed under the
// mailbox's own data key; the address also gets a blind index so one address is connected once.
// Reads of content are audited in the same transaction.
import { randomUUID } from 'node:crypto';
import { emailBlindIndex, generateDataKey, openText, seal, type DataKey } from '../crypto/index.js';
import { AppError, notFound } from '../errors.js';
import type { Db, Executor } from '../store/db.js';
import * as store from '../store/mailbox-store.js';
import type { Actor } from '../tenancy/actor.js';
import { audit } from '../tenancy/audit.js';
import type { KeyService } from '../tenancy/key-service.js';
import { readSyncViews, type SyncView } from '../sync/sync-store.js';

export interface MailboxView {
  id: string;
  provider: store.MailboxProviderKind;
  status: store.MailboxStatus;
  address: string | null;
  display_name: string | null;
  created_at: string;
  /** Sync state (remote mailboxes); null for local ones. */
  sync?: SyncView | null;
}

export interface MailboxService {
  createLocal(actor: Actor, input: { address: string; displayName: string | null }): Promise<MailboxView>;
  list(actor: Actor): Promise<MailboxView[]>;
  get(actor: Actor, id: string): Promise<MailboxView>;
  disconnect(actor: Actor, id: string): Promise<MailboxView>;
}

const aad = (m: { tenant_id: string; id: string }, field: string) => ({ tenantId: m.tenant_id, scope: m.id, field: `mailboxes.${field}`, rowId: m.id });

export function decryptMailbox(row: store.MailboxRow, dek: DataKey | null): MailboxView {
  return {
    id: row.id,
    provider: row.provider,
    status: row.status,
    address: dek && row.address_ct ? openText(dek, row.address_ct, aad(row, 'address')) : null,
    display_name: dek && row.display_name_ct ? openText(dek, row.display_name_ct, aad(row, 'display_name')) : null,
    created_at: row.created_at.toISOString(),
  };
}

export function makeMailboxService(deps: { db: Db; keys: KeyService }): MailboxService {
  const { db, keys } = deps;

  async function load(ex: Executor, actor: Actor, id: string): Promise<store.MailboxRow> {
    const row = await store.findMailbox(ex, actor.tenantId, id);
    if (!row) throw notFound('mailbox');
    return row;
  }

  return {
    createLocal: (actor, input) =>
      db.tenantTx(actor.tenantId, async (ex) => {
        const id = randomUUID();
        const ids = { tenant_id: actor.tenantId, id };
        const indexKey = await keys.tenantKey(ex, actor.tenantId, 'index');
        // Seal with a fresh key held in memory, insert the row, then store that key wrapped.
        const dek = generateDataKey();
        const addressCt = seal(dek, input.address, aad(ids, 'address'));
        const displayNameCt = input.displayName === null ? null : seal(dek, input.displayName, aad(ids, 'display_name'));
        const row = await store
          .insertMailbox(ex, {
            id,
            tenantId: actor.tenantId,
            provider: 'local',
            addressCt,
            addressBidx: emailBlindIndex(indexKey.key, input.address),
            displayNameCt,
            credentialsCt: null,
          })
          .catch((err: { code?: string }) => {
            if (err.code === '23505') throw new AppError('conflict', 'This address is already connected.');
            throw err;
          });
        await keys.createMailboxKey(ex, actor.tenantId, id, dek);
        await audit(ex, actor, 'mailbox.connect', 'mailbox', id, { provider: 'local' });
        return { ...decryptMailbox(row, dek), sync: null };
      }),

    list: (actor) =>
      db.tenantTx(actor.tenantId, async (ex) => {
        const rows = await store.listMailboxes(ex, actor.tenantId);
        const out: MailboxView[] = [];
        const syncs = await readSyncViews(ex, actor.tenantId, rows.filter((r) => r.provider !== 'local').map((r) => r.id));
        for (const row of rows) {
          const dek = row.status === 'disconnected' ? null : await keys.mailboxKey(ex, actor.tenantId, row.id);
          out.push({ ...decryptMailbox(row, dek), sync: syncs.get(row.id) ?? null });
        }
        await audit(ex, actor, 'mailbox.list', 'mailbox', null, { count: out.length });
        return out;
      }),

    get: (actor, id) =>
      db.tenantTx(actor.tenantId, async (ex) => {
        const row = await load(ex, actor, id);
        const view: MailboxView = { ...decryptMailbox(row, await keys.mailboxKey(ex, actor.tenantId, id)), sync: row.provider === 'local' ? null : (await readSyncViews(ex, actor.tenantId, [id])).get(id) ?? null };
        await audit(ex, actor, 'mailbox.read', 'mailbox', id);
        return view;
      }),

    disconnect: (actor, id) =>
      db.tenantTx(actor.tenantId, async (ex) => {
        const row = await load(ex, actor, id);
        await keys.destroyMailboxKey(ex, actor.tenantId, id);
        await store.setMailboxStatus(ex, actor.tenantId, id, 'disconnected');
        await audit(ex, actor, 'mailbox.disconnect', 'mailbox', id, { provider: row.provider });
        return decryptMailbox({ ...row, status: 'disconnected' }, null);
      }),
  };
}
