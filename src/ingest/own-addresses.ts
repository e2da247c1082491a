// Which of a message's own addresses (From, Sender, Reply-To) belong to one of the tenant's connected
// mailboxes — mail from ourselves is an echo. Compared by blind index, so nothing is decrypted.
import { emailBlindIndex } from '../crypto/index.js';
import type { Executor } from '../store/db.js';
import type { ParsedMessage } from './types.js';

export async function ownAddressesAmong(ex: Executor, tenantId: string, indexKey: Buffer, msg: ParsedMessage): Promise<string[]> {
  const candidates = [...new Set([msg.from, msg.sender, ...msg.replyTo].filter((a) => a !== null).map((a) => a.address.toLowerCase()))];
  if (candidates.length === 0) return [];
  const bidx = candidates.map((a) => emailBlindIndex(indexKey, a));
  const { rows } = await ex.query<{ address_bidx: Buffer }>(
    `SELECT address_bidx FROM mailboxes WHERE tenant_id = $1 AND status <> 'disconnected' AND address_bidx = ANY($2::bytea[])`,
    [tenantId, bidx],
  );
  return candidates.filter((_, i) => rows.some((r) => r.address_bidx.equals(bidx[i]!)));
}
