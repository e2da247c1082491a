// Delivery records: which provider message ids a mailbox has already taken in. The pipeline writes
// them (store-page.ts, inbound-store.ts); callers that feed it ask here first. Callers own the
// transaction and have set the tenant.
import type { Executor } from './db.js';

/**
 * Which of these provider message ids this mailbox has on record (stored, duplicate or parked).
 * A re-list (an expired Gmail history id or Graph delta token, a crash mid-page) or a re-run
 * import names mail already ingested; asking first spares fetching, parsing and scanning it again.
 */
export async function deliveredAmong(ex: Executor, tenantId: string, mailboxId: string, providerMessageIds: string[]): Promise<Set<string>> {
  if (providerMessageIds.length === 0) return new Set();
  const { rows } = await ex.query<{ provider_message_id: string }>({
    name: 'inlet-delivered-among',
    text: 'SELECT provider_message_id FROM message_deliveries WHERE tenant_id = $1 AND mailbox_id = $2 AND provider_message_id = ANY($3::text[])',
    values: [tenantId, mailboxId, providerMessageIds],
  });
  return new Set(rows.map((r) => r.provider_message_id));
}
