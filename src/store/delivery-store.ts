// Delivery records: which provider message ids a mailbox has already taken in. The pipeline writes
// them (store-page.ts, inbound-store.ts); callers that feed it ask here first. Callers own the
// transaction and have set the tenant.
import type { Executor } from './db.js';

/**
 * Which of these provider message ids this mailbox has on record (stored, duplicate or parked).
 * A re-list (an expired Gmail history id or Graph delta token, a crash mid-page) or a re-run
 * import names mail already ingested; asking first spares fetching, parsing and scanning it again.
 */
export async function deliveredAmong(
  ex: Executor,
  tenantId: string,
  mailboxId: string,
  providerMessageIds: string[],
): Promise<Set<string>> {
  if (providerMessageIds.length === 0) return new Set();
  const { rows } = await ex.query<{ provider_message_id: string }>({
    name: 'inlet-delivered-among',
    text: 'SELECT provider_message_id FROM message_deliveries WHERE tenant_id = $1 AND mailbox_id = $2 AND provider_message_id = ANY($3::text[])',
    values: [tenantId, mailboxId, providerMessageIds],
  });
  return new Set(rows.map((r) => r.provider_message_id));
}

/**
 * Of these Message-ID blind indexes, the ones naming a message this mailbox already delivered
 * (under another provider id), mapped to that message's id (hex of the index → message id).
 * Only this mailbox's own deliveries count: the same mail in another mailbox is fetched, so that
 * mailbox's copy is handled (flagged \Seen, recorded) like any other.
 */
export async function heldByMessageId(
  ex: Executor,
  tenantId: string,
  mailboxId: string,
  bidxs: Buffer[],
): Promise<Map<string, string>> {
  if (bidxs.length === 0) return new Map();
  const { rows } = await ex.query<{ bidx: Buffer; id: string }>({
    name: 'inlet-held-by-message-id-2',
    text: `SELECT m.message_id_bidx AS bidx, m.id FROM messages m
            WHERE m.tenant_id = $1 AND m.message_id_bidx = ANY($3::bytea[])
              AND EXISTS (SELECT 1 FROM message_deliveries d WHERE d.tenant_id = $1 AND d.message_id = m.id AND d.mailbox_id = $2)
              AND EXISTS (SELECT 1 FROM mailboxes b WHERE b.tenant_id = $1 AND b.id = m.mailbox_id AND b.status NOT IN ('disconnecting', 'disconnected'))`,
    values: [tenantId, mailboxId, bidxs],
  });
  return new Map(rows.map((r) => [r.bidx.toString('hex'), r.id]));
}
