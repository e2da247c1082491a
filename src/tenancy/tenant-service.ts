// Tenants and API keys. A tenant is created with its data keys and a first API key holding every
// scope; the key is returned once and only its hash is kept.
import { randomUUID } from 'node:crypto';

import { AppError, notFound } from '../errors.js';
import * as keysStore from '../store/api-key-store.js';
import type { Db } from '../store/db.js';
import { insertTenant, type TenantRow } from '../store/tenant-store.js';
import type { Actor } from './actor.js';
import { type ApiKeyUsage, makeApiKeyUsage } from './api-key-usage.js';
import {
  generateApiKey,
  type Scope,
  scopes as allScopes,
  tokenMatches,
  tokenPrefix,
} from './api-keys.js';
import { audit } from './audit.js';
import type { KeyService } from './key-service.js';

export interface CreatedKey {
  key: keysStore.ApiKeyRow;
  token: string;
}

export interface TenantService {
  createTenant(
    name: string,
    by: { actor: string; requestId: string | null; clientIp: string | null },
  ): Promise<{ tenant: TenantRow; apiKey: CreatedKey }>;
  authenticate(
    token: string,
  ): Promise<{ tenantId: string; keyId: string; prefix: string; scopes: Scope[] } | null>;
  createApiKey(actor: Actor, input: { name: string; scopes: Scope[] }): Promise<CreatedKey>;
  listApiKeys(actor: Actor): Promise<keysStore.ApiKeyRow[]>;
  revokeApiKey(actor: Actor, id: string): Promise<keysStore.ApiKeyRow>;
  /** Writes pending last-used stamps and stops their timer (shutdown). */
  close(): Promise<void>;
}

/** Active API keys a tenant may hold at once (each has its own rate budget). */
export const DEFAULT_MAX_API_KEYS = 50;

export function makeTenantService(deps: {
  db: Db;
  keys: KeyService;
  maxApiKeys?: number;
  usage?: ApiKeyUsage;
}): TenantService {
  const { db, keys } = deps;
  const usage = deps.usage ?? makeApiKeyUsage(db);
  const maxApiKeys = deps.maxApiKeys ?? DEFAULT_MAX_API_KEYS;

  async function insertKey(
    ex: Parameters<Parameters<Db['tx']>[0]>[0],
    tenantId: string,
    name: string,
    scopes: readonly Scope[],
    createdBy: string,
  ): Promise<CreatedKey> {
    const k = generateApiKey();
    const key = await keysStore.insertApiKey(ex, {
      id: randomUUID(),
      tenantId,
      prefix: k.prefix,
      hash: k.hash,
      name,
      scopes,
      createdBy,
    });
    return { key, token: k.token };
  }

  return {
    createTenant: (name, by) =>
      db.tx(async (ex) => {
        const tenant = await insertTenant(ex, randomUUID(), name);
        await keys.createTenantKeys(ex, tenant.id);
        const apiKey = await insertKey(ex, tenant.id, 'initial key', allScopes, by.actor);
        const actor: Actor = {
          tenantId: tenant.id,
          name: by.actor,
          scopes: new Set(),
          requestId: by.requestId,
          clientIp: by.clientIp,
        };
        await audit(ex, actor, 'tenant.create', 'tenant', tenant.id);
        await audit(ex, actor, 'api_key.create', 'api_key', apiKey.key.id, {
          prefix: apiKey.key.prefix,
        });
        return { tenant, apiKey };
      }),

    authenticate: async (token) => {
      const prefix = tokenPrefix(token);
      if (!prefix) return null;
      // Before the tenant is known, so not in a tenant transaction: one statement on a pooled
      // connection as the login role (what db.tx would run it as, without BEGIN and COMMIT round
      // trips); then only that row is used. Revocation is read here on every request.
      const row = await keysStore.findApiKeyByPrefix(db.pool, prefix);
      if (!row || row.revoked_at || !tokenMatches(token, row.secret_hash)) return null;
      usage.seen(row.tenant_id, row.id);
      return {
        tenantId: row.tenant_id,
        keyId: row.id,
        prefix: row.prefix,
        scopes: row.scopes as Scope[],
      };
    },

    createApiKey: (actor, input) =>
      db.tenantTx(actor.tenantId, async (ex) => {
        // A key cannot mint a key with more power than itself.
        const excess = input.scopes.filter((s) => !actor.scopes.has(s));
        if (excess.length > 0)
          throw new AppError(
            'forbidden',
            `This key cannot grant scopes it does not hold: ${excess.join(', ')}.`,
          );
        // Serialise key creation per tenant so two concurrent requests cannot both pass the count.
        await ex.query(`SELECT pg_advisory_xact_lock(hashtext('inlet.api_keys.' || $1::text))`, [
          actor.tenantId,
        ]);
        const { rows } = await ex.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM api_keys WHERE tenant_id = $1 AND revoked_at IS NULL',
          [actor.tenantId],
        );
        if (rows[0]!.n >= maxApiKeys) {
          throw new AppError(
            'api_key_limit',
            `This tenant already has ${maxApiKeys} active API keys, the most allowed; revoke one first.`,
            { max: maxApiKeys },
            409,
          );
        }
        const created = await insertKey(ex, actor.tenantId, input.name, input.scopes, actor.name);
        await audit(ex, actor, 'api_key.create', 'api_key', created.key.id, {
          prefix: created.key.prefix,
        });
        return created;
      }),

    listApiKeys: async (actor) => {
      // The listing shows this process's latest uses too.
      await usage.flush();
      return db.tenantTx(actor.tenantId, (ex) => keysStore.listApiKeys(ex, actor.tenantId));
    },

    revokeApiKey: (actor, id) =>
      db.tenantTx(actor.tenantId, async (ex) => {
        const row = await keysStore.revokeApiKey(ex, actor.tenantId, id);
        if (!row) throw notFound('API key');
        await audit(ex, actor, 'api_key.revoke', 'api_key', id, { prefix: row.prefix });
        return row;
      }),

    close: () => usage.close(),
  };
}
