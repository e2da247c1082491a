// Data keys on top of the keyring: created wrapped, unwrapped on use, destroyed for
// crypto-shredding, and re-wrapped under the active KEK by `inlet keys rotate`.
//
// Caching (issue #19): what is cached, per process and bounded, is only the unwrap result, keyed by
// the wrapped bytes and KEK id of the row. The row itself is read on every use — by a request's own
// query (a ticket read joins its mailbox's key row, see `unwrap`) or by the lookups below, once per
// mailbox per request — so a destroyed key (wrapped set to NULL) answers 410 at once in every
// process, and a rotated key's new wrapping is a different cache entry. A cache of rows or of keys
// by mailbox id would keep a shredded mailbox readable for its lifetime in other processes; the
// lookup it would save is folded into queries the request makes anyway.
import { createHash } from 'node:crypto';

import {
  type DataKey,
  dataKeyContext,
  generateDataKey,
  type KeyProvider,
  MissingKeyError,
} from '../crypto/index.js';
import { AppError } from '../errors.js';
import * as store from '../store/data-key-store.js';
import type { Db, Executor } from '../store/db.js';

export interface KeyService {
  readonly provider: KeyProvider;
  createTenantKeys(ex: Executor, tenantId: string): Promise<void>;
  /** Stores `dek` (or a new key) wrapped, as the mailbox's key; insert the mailbox row first. */
  createMailboxKey(
    ex: Executor,
    tenantId: string,
    mailboxId: string,
    dek?: DataKey,
  ): Promise<DataKey>;
  /**
   * A key row the caller read with its own query (say joined to a ticket); null when there is none.
   * 410 mailbox_data_destroyed once the key has been destroyed.
   */
  unwrap(row: store.DataKeyRow | null, what: string): Promise<DataKey>;
  /** 410 mailbox_data_destroyed once the key has been destroyed. */
  mailboxKey(ex: Executor, tenantId: string, mailboxId: string): Promise<DataKey>;
  tenantKey(
    ex: Executor,
    tenantId: string,
    purpose: 'index' | 'signing' | 'tenant',
  ): Promise<DataKey>;
  keyById(ex: Executor, tenantId: string, id: string): Promise<DataKey>;
  /** The three keys ingest needs (mailbox, index, signing), from rows the caller fetched with its own lookups. */
  ingestKeys(
    rows: store.DataKeyRow[],
  ): Promise<{ mailbox: DataKey; index: DataKey; signing: DataKey }>;
  destroyMailboxKey(ex: Executor, tenantId: string, mailboxId: string): Promise<boolean>;
  /**
   * Re-wraps every live data key under the active KEK. A key that cannot be unwrapped (tampered,
   * or its KEK already gone) is reported in `failed` and left as it is; the others still rotate.
   */
  rewrapAll(db: Db): Promise<{ rewrapped: number; failed: string[] }>;
  /** KEK ids that wrap stored data keys but are missing from the keyring (boot refuses to start).
   *  KEKs the provider knows it destroyed are not missing: their data is shredded (an old backup). */
  missingKekIds(ex: Executor): Promise<string[]>;
  /** Forgets every unwrapped key held in memory (after a KEK is destroyed). */
  clearCache(): void;
}

const cacheLimit = 5000;

export function makeKeyService(provider: KeyProvider): KeyService {
  const cache = new Map<string, Buffer>();

  async function unwrapRow(row: store.DataKeyRow | null, what: string): Promise<DataKey> {
    if (!row) throw new AppError('internal', `${what} key is missing`);
    if (!row.wrapped || !row.kek_id) {
      throw new AppError(
        'mailbox_data_destroyed',
        'The data of this mailbox was destroyed when it was disconnected.',
      );
    }
    const cacheKey = createHash('sha256')
      .update(row.id)
      .update(row.kek_id)
      .update(row.wrapped)
      .digest('base64');
    let key = cache.get(cacheKey);
    if (!key) {
      try {
        key = await provider.unwrap(
          { kekId: row.kek_id, wrapped: row.wrapped },
          dataKeyContext(row.tenant_id, row.id),
        );
      } catch (err) {
        // A key row restored from a backup older than the retention window: its KEK is gone for good.
        if (err instanceof MissingKeyError && provider.isDestroyed?.(row.kek_id)) {
          throw new AppError(
            'mailbox_data_destroyed',
            'This data was destroyed: the key that protected it no longer exists.',
          );
        }
        throw err;
      }
      if (cache.size >= cacheLimit) cache.delete(cache.keys().next().value as string);
      cache.set(cacheKey, key);
    }
    return { id: row.id, key };
  }

  async function create(
    ex: Executor,
    tenantId: string,
    purpose: store.KeyPurpose,
    mailboxId: string | null,
    dek = generateDataKey(),
  ): Promise<DataKey> {
    const w = await provider.wrap(dek.key, dataKeyContext(tenantId, dek.id));
    await store.insertDataKey(ex, {
      id: dek.id,
      tenantId,
      purpose,
      mailboxId,
      kekId: w.kekId,
      wrapped: w.wrapped,
    });
    return dek;
  }

  return {
    provider,
    createTenantKeys: async (ex, tenantId) => {
      for (const purpose of ['index', 'signing', 'tenant'] as const)
        await create(ex, tenantId, purpose, null);
    },
    unwrap: unwrapRow,
    createMailboxKey: (ex, tenantId, mailboxId, dek) =>
      create(ex, tenantId, 'mailbox', mailboxId, dek),
    mailboxKey: async (ex, tenantId, mailboxId) =>
      unwrapRow(await store.findMailboxKey(ex, tenantId, mailboxId), 'mailbox'),
    tenantKey: async (ex, tenantId, purpose) =>
      unwrapRow(await store.findTenantKey(ex, tenantId, purpose), purpose),
    keyById: async (ex, tenantId, id) =>
      unwrapRow(await store.findDataKeyById(ex, tenantId, id), 'data'),
    ingestKeys: async (rows) => {
      const pick = (p: store.KeyPurpose) => rows.find((r) => r.purpose === p) ?? null;
      return {
        mailbox: await unwrapRow(pick('mailbox'), 'mailbox'),
        index: await unwrapRow(pick('index'), 'index'),
        signing: await unwrapRow(pick('signing'), 'signing'),
      };
    },
    destroyMailboxKey: async (ex, tenantId, mailboxId) => {
      const destroyed = await store.destroyMailboxKey(ex, tenantId, mailboxId);
      cache.clear();
      return destroyed;
    },
    rewrapAll: async (db) => {
      let rewrapped = 0;
      const failed: string[] = [];
      for (;;) {
        const n = await db.tx(async (ex) => {
          const rows = await store.lockKeysToRewrap(ex, provider.activeKeyId, 200, failed);
          for (const row of rows) {
            const context = dataKeyContext(row.tenant_id, row.id);
            let plain: Buffer;
            try {
              plain = await provider.unwrap({ kekId: row.kek_id!, wrapped: row.wrapped! }, context);
            } catch {
              failed.push(row.id);
              continue;
            }
            const w = await provider.wrap(plain, context);
            plain.fill(0);
            await store.updateWrapped(ex, row.tenant_id, row.id, w.kekId, w.wrapped);
            rewrapped++;
          }
          return rows.length;
        });
        if (n === 0) return { rewrapped, failed };
      }
    },
    missingKekIds: async (ex) =>
      (await store.kekIdsInUse(ex)).filter(
        (id) => !provider.keyIds().includes(id) && !provider.isDestroyed?.(id),
      ),
    clearCache: () => cache.clear(),
  };
}
