// Mailboxes as tenants see them. Content (address, display name, credentials) is sealed under the
// mailbox's own data key; the address also gets a blind index so one address is connected once.
// Reads of content are audited in the same transaction.
import { randomUUID } from 'node:crypto';

import {
  type DataKey,
  emailBlindIndex,
  generateDataKey,
  mailboxAad,
  openText,
  seal,
} from '../crypto/index.js';
import { AppError, notFound } from '../errors.js';
import { providerForMailbox } from '../providers/open-mailbox.js';
import type { ProviderKind } from '../providers/provider-kind.js';
import { capabilitiesOf } from '../providers/registry.js';
import type { Db, Executor } from '../store/db.js';
import { findReceipts, type ReceiptRow } from '../store/deletion-store.js';
import { insertEvent } from '../store/event-store.js';
import * as store from '../store/mailbox-store.js';
import { readSyncViews, type SyncView } from '../sync/sync-store.js';
import type { Actor } from '../tenancy/actor.js';
import { audit } from '../tenancy/audit.js';
import type { KeyService } from '../tenancy/key-service.js';
import { beginDisconnect, type DisconnectDeps, finishDisconnect } from './disconnect.js';

/** The deletion receipt as the API shows it (no content: ids, outcomes, times, row counts). */
export interface DeletionView {
  requested_at: string;
  requested_by: string;
  /** The purge deadline (MAILBOX_PURGE_DELAY_HOURS after the request). */
  purge_after: string;
  push_stop: 'pending' | 'stopped' | 'failed' | 'not_applicable';
  push_error: string | null;
  grant_revoke: 'pending' | 'revoked' | 'not_revocable' | 'failed' | 'not_applicable';
  grant_error: string | null;
  key_destroyed_at: string | null;
  purge_started_at: string | null;
  rows_purged: Record<string, number>;
  completed_at: string | null;
}

export function deletionView(r: ReceiptRow): DeletionView {
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  return {
    requested_at: r.requested_at.toISOString(),
    requested_by: r.requested_by,
    purge_after: r.purge_after.toISOString(),
    push_stop: r.push_stop,
    push_error: r.push_error_class,
    grant_revoke: r.grant_revoke,
    grant_error: r.grant_error_class,
    key_destroyed_at: iso(r.key_destroyed_at),
    purge_started_at: iso(r.purge_started_at),
    rows_purged: Object.fromEntries(Object.entries(r.rows_purged).map(([k, v]) => [k, Number(v)])),
    completed_at: iso(r.completed_at),
  };
}

export interface MailboxView {
  id: string;
  provider: ProviderKind;
  status: store.MailboxStatus;
  address: string | null;
  display_name: string | null;
  /** False while the grant lacks the send scope: replies are refused until a re-consent. */
  send_granted: boolean;
  created_at: string;
  /** Sync state (remote mailboxes); null for local ones. */
  sync?: SyncView | null;
  /** Present once a disconnect was requested. */
  deletion?: DeletionView | null;
}

export interface MailboxService {
  createLocal(
    actor: Actor,
    input: { address: string; displayName: string | null },
  ): Promise<MailboxView>;
  list(actor: Actor): Promise<MailboxView[]>;
  get(actor: Actor, id: string): Promise<MailboxView>;
  /** Stops push, revokes the grant, destroys the data key and schedules the purge (see disconnect.ts).
   *  Repeating it is harmless and returns the same state. */
  disconnect(actor: Actor, id: string): Promise<MailboxView>;
}

const isLeaving = (r: store.MailboxRow) =>
  r.status === 'disconnecting' || r.status === 'disconnected';

const silent = {
  child: () => silent,
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
  error: () => undefined,
} as unknown as DisconnectDeps['logger'];

const aad = (m: { tenant_id: string; id: string }, field: 'address' | 'display_name') =>
  mailboxAad(`mailboxes.${field}`, m.tenant_id, m.id);

export function decryptMailbox(row: store.MailboxRow, dek: DataKey | null): MailboxView {
  return {
    id: row.id,
    provider: row.provider,
    status: row.status,
    address: dek && row.address_ct ? openText(dek, row.address_ct, aad(row, 'address')) : null,
    display_name:
      dek && row.display_name_ct
        ? openText(dek, row.display_name_ct, aad(row, 'display_name'))
        : null,
    send_granted: row.send_granted,
    created_at: row.created_at.toISOString(),
  };
}

export type MailboxServiceDeps = { db: Db; keys: KeyService } & Partial<DisconnectDeps>;

export function makeMailboxService(deps: MailboxServiceDeps): MailboxService {
  const { db, keys } = deps;
  const disconnectDeps: DisconnectDeps = {
    db,
    keys,
    logger: deps.logger ?? silent,
    providerFor:
      deps.providerFor ?? ((ex, k, t, m, purpose) => providerForMailbox(ex, k, t, m, purpose)),
    purgeDelayMs: deps.purgeDelayMs ?? 24 * 3_600_000,
    ...(deps.providerTimeoutMs === undefined ? {} : { providerTimeoutMs: deps.providerTimeoutMs }),
  };

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
        const displayNameCt =
          input.displayName === null
            ? null
            : seal(dek, input.displayName, aad(ids, 'display_name'));
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
            if (err.code === '23505')
              throw new AppError('conflict', 'This address is already connected.');
            throw err;
          });
        await keys.createMailboxKey(ex, actor.tenantId, id, dek);
        await audit(ex, actor, 'mailbox.connect', 'mailbox', id, { provider: 'local' });
        await insertEvent(ex, actor.tenantId, 'mailbox.connected', id, { provider: 'local' });
        return { ...decryptMailbox(row, dek), sync: null };
      }),

    list: (actor) =>
      db.tenantTx(actor.tenantId, async (ex) => {
        const rows = await store.listMailboxes(ex, actor.tenantId);
        const out: MailboxView[] = [];
        const syncs = await readSyncViews(
          ex,
          actor.tenantId,
          rows.filter((r) => capabilitiesOf(r.provider).syncs).map((r) => r.id),
        );
        const leaving = await findReceipts(
          ex,
          actor.tenantId,
          rows.filter(isLeaving).map((r) => r.id),
        );
        for (const row of rows) {
          const dek =
            row.status === 'disconnected'
              ? null
              : await keys.mailboxKey(ex, actor.tenantId, row.id);
          const receipt = leaving.get(row.id);
          out.push({
            ...decryptMailbox(row, dek),
            sync: syncs.get(row.id) ?? null,
            ...(receipt ? { deletion: deletionView(receipt) } : {}),
          });
        }
        await audit(ex, actor, 'mailbox.list', 'mailbox', null, { count: out.length });
        return out;
      }),

    get: (actor, id) =>
      db.tenantTx(actor.tenantId, async (ex) => {
        const row = await load(ex, actor, id);
        const receipt = isLeaving(row)
          ? (await findReceipts(ex, actor.tenantId, [id])).get(id)
          : undefined;
        if (row.status === 'disconnected') {
          // The data is gone (410 as for all its content); the problem document carries the receipt.
          throw new AppError(
            'mailbox_data_destroyed',
            'The data of this mailbox was destroyed when it was disconnected.',
            receipt ? { deletion: deletionView(receipt) } : undefined,
          );
        }
        const view: MailboxView = {
          ...decryptMailbox(row, await keys.mailboxKey(ex, actor.tenantId, id)),
          sync: !capabilitiesOf(row.provider).syncs
            ? null
            : ((await readSyncViews(ex, actor.tenantId, [id])).get(id) ?? null),
        };
        if (receipt) view.deletion = deletionView(receipt);
        await audit(ex, actor, 'mailbox.read', 'mailbox', id);
        return view;
      }),

    disconnect: async (actor, id) => {
      const before = await db.tenantTx(actor.tenantId, async (ex) => {
        const row = await store.lockMailbox(ex, actor.tenantId, id);
        if (!row) throw notFound('mailbox');
        await beginDisconnect(disconnectDeps, ex, actor, row);
        return row;
      });
      if (before.status !== 'disconnected')
        await finishDisconnect(disconnectDeps, actor.tenantId, id);
      return db.tenantTx(actor.tenantId, async (ex) => {
        const row = await load(ex, actor, id);
        const receipt = (await findReceipts(ex, actor.tenantId, [id])).get(id);
        return {
          ...decryptMailbox(row, null),
          ...(receipt ? { deletion: deletionView(receipt) } : {}),
        };
      });
    },
  };
}
