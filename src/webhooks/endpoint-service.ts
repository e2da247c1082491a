// Webhook endpoints as a tenant manages them. Secrets are sealed under the tenant's data key and
// shown only when created or rotated. Every change is audited (not the URL, which may carry a
// token): a changed target or secret redirects where the tenant's events go.
import { randomUUID } from 'node:crypto';

import { type DataKey, fieldAad, openText, seal } from '../crypto/index.js';
import { AppError, notFound } from '../errors.js';
import { storedEventId } from '../events/event-view.js';
import type { Db, Executor } from '../store/db.js';
import type { Actor } from '../tenancy/actor.js';
import { audit } from '../tenancy/audit.js';
import type { KeyService } from '../tenancy/key-service.js';
import * as store from './endpoint-store.js';
import { checkEndpointUrl, resolveTarget, type TargetPolicy } from './endpoint-target.js';
import { newSigningSecret } from './signing.js';

export interface EndpointView {
  id: string;
  url: string;
  description: string;
  types: string[];
  enabled: boolean;
  disabled_reason: string | null;
  failing_since: string | null;
  previous_secret_expires_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface AttemptView {
  id: string;
  delivery_id: string;
  event_id: string;
  attempt: number;
  outcome: 'succeeded' | 'failed';
  response_status: number | null;
  latency_ms: number;
  error: string | null;
  response_prefix: string | null;
  attempted_at: string;
}

export interface EndpointInput {
  url?: string;
  description?: string;
  types?: string[];
  enabled?: boolean;
}

export interface WebhookEndpointService {
  create(
    actor: Actor,
    input: EndpointInput & { url: string },
  ): Promise<EndpointView & { secret: string }>;
  list(actor: Actor): Promise<EndpointView[]>;
  get(actor: Actor, id: string): Promise<EndpointView>;
  update(actor: Actor, id: string, input: EndpointInput): Promise<EndpointView>;
  rotateSecret(
    actor: Actor,
    id: string,
    overlapSeconds: number,
  ): Promise<{ secret: string; previous_secret_expires_at: string }>;
  remove(actor: Actor, id: string): Promise<void>;
  attempts(
    actor: Actor,
    id: string,
    q: { cursor?: string; limit: number },
  ): Promise<{ items: AttemptView[]; next_cursor: string | null }>;
  replay(actor: Actor, id: string, q: { eventIds?: string[]; since?: Date }): Promise<number>;
}

export const secretAad = (
  tenantId: string,
  endpointId: string,
  field: 'secret' | 'previous_secret',
) => fieldAad(`webhook_endpoints.${field}`, tenantId, 'webhooks', endpointId);

/** The secrets that sign now: the current one, and the previous one until its overlap ends. */
export function signingSecrets(dek: DataKey, row: store.EndpointRow, now: Date): string[] {
  const out = [openText(dek, row.secret_ct, secretAad(row.tenant_id, row.id, 'secret'))];
  if (
    row.previous_secret_ct &&
    row.previous_secret_expires_at &&
    row.previous_secret_expires_at > now
  ) {
    out.push(
      openText(dek, row.previous_secret_ct, secretAad(row.tenant_id, row.id, 'previous_secret')),
    );
  }
  return out;
}

function view(r: store.EndpointRow): EndpointView {
  return {
    id: r.id,
    url: r.url,
    description: r.description,
    types: r.types,
    enabled: r.enabled,
    disabled_reason: r.disabled_reason,
    failing_since: r.failing_since?.toISOString() ?? null,
    previous_secret_expires_at: r.previous_secret_expires_at?.toISOString() ?? null,
    created_at: r.created_at.toISOString(),
    updated_at: r.updated_at.toISOString(),
  };
}

export function makeWebhookEndpointService(deps: {
  db: Db;
  keys: KeyService;
  policy: TargetPolicy;
  now?: () => Date;
}): WebhookEndpointService {
  const { db, keys, policy } = deps;
  const now = deps.now ?? (() => new Date());
  const tenantKey = (ex: Executor, actor: Actor) => keys.tenantKey(ex, actor.tenantId, 'tenant');

  async function checkUrl(raw: string): Promise<string> {
    const url = checkEndpointUrl(raw, policy);
    await resolveTarget(url, policy);
    return url.toString();
  }
  async function load(ex: Executor, actor: Actor, id: string, lock = false) {
    const row = await store.findEndpoint(ex, actor.tenantId, id, { lock });
    if (!row) throw notFound('webhook endpoint');
    return row;
  }

  return {
    create: async (actor, input) => {
      const url = await checkUrl(input.url);
      return db.tenantTx(actor.tenantId, async (ex) => {
        const id = randomUUID();
        const secret = newSigningSecret();
        const row = await store.insertEndpoint(ex, {
          id,
          tenantId: actor.tenantId,
          url,
          description: input.description ?? '',
          types: input.types ?? [],
          secretCt: seal(
            await tenantKey(ex, actor),
            secret,
            secretAad(actor.tenantId, id, 'secret'),
          ),
        });
        await audit(ex, actor, 'webhook_endpoint.create', 'webhook_endpoint', id);
        return { ...view(row), secret };
      });
    },
    list: (actor) =>
      db.tenantTx(actor.tenantId, async (ex) =>
        (await store.listEndpoints(ex, actor.tenantId)).map(view),
      ),
    get: (actor, id) => db.tenantTx(actor.tenantId, async (ex) => view(await load(ex, actor, id))),
    update: async (actor, id, input) => {
      const url = input.url === undefined ? undefined : await checkUrl(input.url);
      return db.tenantTx(actor.tenantId, async (ex) => {
        const row = await store.updateEndpoint(ex, actor.tenantId, id, {
          ...input,
          url,
          disabledReason: input.enabled === false ? 'disabled_by_tenant' : null,
        });
        if (!row) throw notFound('webhook endpoint');
        await audit(ex, actor, 'webhook_endpoint.update', 'webhook_endpoint', id, {
          fields: Object.keys(input).sort().join(','),
        });
        return view(row);
      });
    },
    rotateSecret: (actor, id, overlapSeconds) =>
      db.tenantTx(actor.tenantId, async (ex) => {
        const row = await load(ex, actor, id, true);
        const dek = await tenantKey(ex, actor);
        const current = openText(dek, row.secret_ct, secretAad(actor.tenantId, id, 'secret'));
        const secret = newSigningSecret();
        const expires = new Date(now().getTime() + overlapSeconds * 1000);
        await store.rotateSecret(
          ex,
          actor.tenantId,
          id,
          seal(dek, secret, secretAad(actor.tenantId, id, 'secret')),
          seal(dek, current, secretAad(actor.tenantId, id, 'previous_secret')),
          expires,
        );
        await audit(ex, actor, 'webhook_endpoint.rotate_secret', 'webhook_endpoint', id, {
          overlap_seconds: overlapSeconds,
        });
        return { secret, previous_secret_expires_at: expires.toISOString() };
      }),
    remove: (actor, id) =>
      db.tenantTx(actor.tenantId, async (ex) => {
        if (!(await store.deleteEndpoint(ex, actor.tenantId, id)))
          throw notFound('webhook endpoint');
        await audit(ex, actor, 'webhook_endpoint.delete', 'webhook_endpoint', id);
      }),
    attempts: (actor, id, q) =>
      db.tenantTx(actor.tenantId, async (ex) => {
        await load(ex, actor, id);
        if (q.cursor !== undefined && !/^\d{1,19}$/.test(q.cursor))
          throw new AppError('validation_failed', 'Invalid cursor.');
        const rows = await store.listAttempts(ex, actor.tenantId, id, {
          before: q.cursor ?? null,
          limit: q.limit + 1,
        });
        const page = rows.slice(0, q.limit);
        return {
          items: page.map((a) => ({
            ...a,
            event_id: `evt_${a.event_id}`,
            attempted_at: a.attempted_at.toISOString(),
          })),
          next_cursor: rows.length > q.limit ? page.at(-1)!.id : null,
        };
      }),
    replay: (actor, id, q) =>
      db.tenantTx(actor.tenantId, async (ex) => {
        await load(ex, actor, id);
        const ids = q.eventIds?.map(
          (e) =>
            storedEventId(e) ??
            (() => {
              throw new AppError('validation_failed', `Not an event id: ${e.slice(0, 40)}`);
            })(),
        );
        const queued = await store.replayDeliveries(
          ex,
          actor.tenantId,
          id,
          { eventIds: ids ?? null, since: q.since ?? null },
          now(),
        );
        await audit(ex, actor, 'webhook_endpoint.replay', 'webhook_endpoint', id, { queued });
        return queued;
      }),
  };
}
