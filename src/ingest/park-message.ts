// Parking and failure counting for the ingest pipeline (pipeline.ts): a message that cannot be
// stored is kept encrypted with its reason after its last attempt, so it never blocks the ones
// after it, and nothing of it is lost.
import { seal } from '../crypto/index.js';
import { isAppError } from '../errors.js';
import type { Logger } from '../lib/logger.js';
import { type Db, type Executor, isConnectionError } from '../store/db.js';
import { insertEvent } from '../store/event-store.js';
import { assertTakesMail, lockMailboxForIngest } from '../store/inbound-store.js';
import { parkMessage, recordFailure } from '../store/ingest-failure-store.js';
import { setMailboxCursor } from '../store/mailbox-store.js';
import { findDelivery, insertDelivery } from '../store/message-store.js';
import type { KeyService } from '../tenancy/key-service.js';
import type { IngestInput, IngestOutcome } from './ingest-types.js';

export interface Parking {
  /**
   * Nothing lost: the message is kept encrypted with its reason, and the cursor moves past it. A
   * message never fetched (over the size limit by the provider's count) has no raw to keep.
   */
  park(input: Omit<IngestInput, 'raw'> & { raw?: Buffer }, reason: string): Promise<IngestOutcome>;
  /** Counts a failed attempt; after maxAttempts the message is parked so later ones are not blocked. */
  failed(input: IngestInput, err: unknown, code: string): Promise<IngestOutcome>;
}

export function makeParking(deps: {
  db: Db;
  keys: KeyService;
  logger: Logger;
  maxAttempts: number;
}): Parking {
  const { db, keys } = deps;

  async function duplicate(
    ex: Executor,
    input: Pick<IngestInput, 'tenantId' | 'mailboxId' | 'cursor'>,
  ): Promise<IngestOutcome> {
    if (input.cursor !== undefined)
      await setMailboxCursor(ex, input.tenantId, input.mailboxId, input.cursor);
    return { status: 'duplicate', messageId: null };
  }

  async function park(
    input: Omit<IngestInput, 'raw'> & { raw?: Buffer },
    reason: string,
  ): Promise<IngestOutcome> {
    const replay = await db.tenantTx(input.tenantId, async (ex) => {
      assertTakesMail(await lockMailboxForIngest(ex, input.tenantId, input.mailboxId));
      // The same oversized or broken message delivered again is already on record.
      if (await findDelivery(ex, input.tenantId, input.mailboxId, input.providerMessageId))
        return duplicate(ex, input);
      const rawCt =
        input.raw === undefined
          ? null
          : seal(await keys.mailboxKey(ex, input.tenantId, input.mailboxId), input.raw, {
              tenantId: input.tenantId,
              scope: input.mailboxId,
              field: 'ingest_failures.raw',
              rowId: input.providerMessageId,
            });
      await parkMessage(ex, {
        tenantId: input.tenantId,
        mailboxId: input.mailboxId,
        providerMessageId: input.providerMessageId,
        errorCode: reason,
        rawCt,
      });
      await insertDelivery(ex, {
        tenantId: input.tenantId,
        mailboxId: input.mailboxId,
        providerMessageId: input.providerMessageId,
        messageId: null,
        outcome: 'parked',
      });
      await insertEvent(ex, input.tenantId, 'message.parked', input.mailboxId, { reason });
      if (input.cursor !== undefined)
        await setMailboxCursor(ex, input.tenantId, input.mailboxId, input.cursor);
      return null;
    });
    if (replay) return replay;
    deps.logger.warn({ mailbox: input.mailboxId, reason }, 'message parked');
    return { status: 'parked', reason };
  }

  async function failed(input: IngestInput, err: unknown, code: string): Promise<IngestOutcome> {
    if (isConnectionError(err) || (isAppError(err) && err.code === 'mailbox_data_destroyed'))
      throw err;
    deps.logger.error({ err, mailbox: input.mailboxId }, 'ingest attempt failed');
    const attempts = await db.tenantTx(input.tenantId, (ex) =>
      recordFailure(ex, {
        tenantId: input.tenantId,
        mailboxId: input.mailboxId,
        providerMessageId: input.providerMessageId,
        errorCode: code,
      }),
    );
    if (attempts >= (input.maxAttempts ?? deps.maxAttempts)) return park(input, code);
    throw err;
  }

  return { park, failed };
}
