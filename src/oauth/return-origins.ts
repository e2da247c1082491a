// Registered return origins: the only places a consent flow may send the user's browser back to.
// https only; http only for localhost outside production (a helpdesk in development). An origin is
// scheme://host[:port] in canonical form (URL.origin), so comparison is exact string equality.
import { AppError } from '../errors.js';
import type { Db, Executor } from '../store/db.js';
import type { Actor } from '../tenancy/actor.js';
import { audit } from '../tenancy/audit.js';

export const MAX_RETURN_ORIGINS = 20;
const localHosts = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Canonical origin of `raw`, or a 400 saying why it cannot be one. */
export function parseOrigin(raw: string, opts: { production: boolean }, field = 'origin'): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new AppError('validation_failed', `${field} is not a URL.`, { field });
  }
  const localDev = url.protocol === 'http:' && localHosts.has(url.hostname) && !opts.production;
  if (url.protocol !== 'https:' && !localDev) {
    throw new AppError(
      'validation_failed',
      `${field} must be https (http only for localhost in development).`,
      { field },
    );
  }
  if (url.username || url.password)
    throw new AppError('validation_failed', `${field} must not carry credentials.`, { field });
  return url.origin;
}

async function listIn(ex: Executor, tenantId: string): Promise<string[]> {
  const { rows } = await ex.query<{ origin: string }>(
    'SELECT origin FROM tenant_return_origins WHERE tenant_id = $1 ORDER BY origin',
    [tenantId],
  );
  return rows.map((r) => r.origin);
}

/** Whether `url`'s origin is registered for the tenant (inside the caller's tenant transaction). */
export async function isRegisteredReturnUrl(
  ex: Executor,
  tenantId: string,
  url: string,
): Promise<boolean> {
  let origin: string;
  try {
    origin = new URL(url).origin;
  } catch {
    return false;
  }
  const { rows } = await ex.query(
    'SELECT 1 FROM tenant_return_origins WHERE tenant_id = $1 AND origin = $2',
    [tenantId, origin],
  );
  return rows.length > 0;
}

export interface ReturnOrigins {
  list(actor: Actor): Promise<string[]>;
  /** Replaces the tenant's list. */
  replace(actor: Actor, origins: string[]): Promise<string[]>;
  /** 400 return_url_not_registered unless `url` is on a registered origin. */
  assertAllowed(actor: Actor, url: string): Promise<void>;
}

export function makeReturnOrigins(deps: { db: Db; production: boolean }): ReturnOrigins {
  return {
    list: (actor) => deps.db.tenantTx(actor.tenantId, (ex) => listIn(ex, actor.tenantId)),
    replace: (actor, origins) => {
      const canonical = [...new Set(origins.map((o, i) => parseOrigin(o, deps, `origins[${i}]`)))];
      if (canonical.length > MAX_RETURN_ORIGINS)
        throw new AppError('validation_failed', `At most ${MAX_RETURN_ORIGINS} return origins.`);
      return deps.db.tenantTx(actor.tenantId, async (ex) => {
        await ex.query('DELETE FROM tenant_return_origins WHERE tenant_id = $1', [actor.tenantId]);
        for (const origin of canonical)
          await ex.query('INSERT INTO tenant_return_origins (tenant_id, origin) VALUES ($1, $2)', [
            actor.tenantId,
            origin,
          ]);
        // Where consent flows may send a browser back: a change is what a phisher would make.
        await audit(ex, actor, 'return_origins.replace', 'tenant', actor.tenantId, {
          origins: canonical.length,
        });
        return listIn(ex, actor.tenantId);
      });
    },
    assertAllowed: async (actor, url) => {
      parseOrigin(url, deps, 'return_url');
      const ok = await deps.db.tenantTx(actor.tenantId, (ex) =>
        isRegisteredReturnUrl(ex, actor.tenantId, url),
      );
      if (!ok) {
        throw new AppError(
          'return_url_not_registered',
          'return_url is not on an origin registered for this tenant; add its origin with PUT /v1/return-origins first.',
          { field: 'return_url' },
          400,
        );
      }
    },
  };
}
