// Audit records: who did what to which resource, never what it contained. Written in the same
// transaction as the access, so a read that could not be audited does not happen.
import { AppError } from '../errors.js';
import { insertAudit, queryAudit } from '../store/audit-store.js';
import type { Executor } from '../store/db.js';
import type { Actor } from './actor.js';

export type AuditAction =
  | 'tenant.create'
  | 'api_key.create'
  | 'api_key.revoke'
  | 'mailbox.connect'
  | 'mailbox.reauthorize'
  | 'mailbox.disconnect'
  | 'mailbox.purge'
  | 'mailbox.purge_now'
  | 'credentials.open'
  | 'mailbox.read'
  | 'mailbox.list'
  | 'ticket.list'
  | 'ticket.read'
  | 'ticket.update'
  | 'message.read_raw'
  | 'message.reparse'
  | 'attachment.download'
  | 'reply.create'
  | 'keys.rotate'
  | 'export.create'
  | 'erasure.create'
  | 'import.run'
  | 'subject_request.complete'
  | 'export.download'
  | 'retention.update'
  | 'retention.run'
  | 'tenant.offboard'
  | 'return_origins.replace'
  | 'webhook_endpoint.create'
  | 'webhook_endpoint.update'
  | 'webhook_endpoint.rotate_secret'
  | 'webhook_endpoint.delete'
  | 'webhook_endpoint.replay';

export async function audit(
  ex: Executor,
  actor: Actor,
  action: AuditAction,
  resourceType: string,
  resourceId: string | null,
  detail?: Record<string, string | number | boolean | null>,
): Promise<void> {
  await insertAudit(ex, {
    tenantId: actor.tenantId,
    actor: actor.name,
    action,
    resourceType,
    resourceId,
    requestId: actor.requestId,
    clientIp: actor.clientIp,
    detail,
  });
}

export interface AuditPage {
  items: import('../store/audit-store.js').AuditRow[];
  nextCursor: string | null;
}

export interface AuditReader {
  list(
    actor: Actor,
    q: {
      since?: Date;
      until?: Date;
      action?: string;
      resourceType?: string;
      resourceId?: string;
      cursor?: string;
      limit: number;
    },
  ): Promise<AuditPage>;
}

export function makeAuditReader(deps: { db: import('../store/db.js').Db }): AuditReader {
  return {
    list: (actor, q) =>
      deps.db.tenantTx(actor.tenantId, async (ex) => {
        const afterPublicId = q.cursor ? decodeCursor(q.cursor) : undefined;
        const rows = await queryAudit(ex, {
          tenantId: actor.tenantId,
          since: q.since,
          until: q.until,
          action: q.action,
          resourceType: q.resourceType,
          resourceId: q.resourceId,
          afterPublicId,
          limit: q.limit + 1,
        });
        const items = rows.slice(0, q.limit);
        return { items, nextCursor: rows.length > q.limit ? encodeCursor(items.at(-1)!.id) : null };
      }),
  };
}

// The cursor names the last record of the page by its public id (random, per record): it reveals
// nothing about other tenants, and a cursor from another tenant matches no record here.
const encodeCursor = (id: string) => Buffer.from(`a:${id}`).toString('base64url');
function decodeCursor(c: string): string {
  const m = /^a:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/.exec(
    Buffer.from(c, 'base64url').toString('utf8'),
  );
  if (!m) throw new AppError('validation_failed', 'Invalid cursor.');
  return m[1]!;
}
