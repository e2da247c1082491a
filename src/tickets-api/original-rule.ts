// When the original .eml of a message may be served (GET /v1/messages/{id}/raw and anything else
// that hands out original bytes). The original carries every attachment inside it, so serving it
// is serving them: it goes out only when every attachment of the message was scanned clean by
// ClamAV and every part of the message was extracted for scanning. Otherwise the answer is 409
// `original_not_clean`, naming the parts that hold it back, and the client downloads the clean
// attachments and reads the body through the ticket API instead. Once a pending scan comes back
// clean the original becomes available; infected and scan_failed parts keep it back for good.
import { AppError } from '../errors.js';
import { messageScanStates } from '../store/attachment-store.js';
import type { Executor } from '../store/db.js';

export interface HeldBackPart {
  /** The attachment (see the message's attachments in the ticket view); null for parts never extracted. */
  attachment_id: string | null;
  scan_status: 'pending' | 'infected' | 'scan_failed' | 'not_scanned';
}

/**
 * The parts that keep a message's original from being served; empty when it may be served.
 * A message stored from its headers alone (a parse limit refused it: warning `limit_exceeded:*`)
 * had no part scanned, so its original is held back as a whole.
 */
export async function partsHoldingBackOriginal(
  ex: Executor,
  tenantId: string,
  messageId: string,
  warnings: string[],
): Promise<HeldBackPart[]> {
  const held: HeldBackPart[] = [];
  if (warnings.some((w) => w.startsWith('limit_exceeded:')))
    held.push({ attachment_id: null, scan_status: 'not_scanned' });
  for (const a of await messageScanStates(ex, tenantId, messageId)) {
    if (a.scan_status !== 'clean') held.push({ attachment_id: a.id, scan_status: a.scan_status });
  }
  return held;
}

export async function assertOriginalServable(
  ex: Executor,
  tenantId: string,
  messageId: string,
  warnings: string[],
): Promise<void> {
  const parts = await partsHoldingBackOriginal(ex, tenantId, messageId, warnings);
  if (parts.length === 0) return;
  throw new AppError(
    'original_not_clean',
    'The original holds parts that are not scanned clean, so it is not served; download the clean attachments instead.',
    { parts },
  );
}
