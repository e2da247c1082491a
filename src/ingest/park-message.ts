// Parking and failure counting for the ingest pipeline (pipeline.ts): a message that cannot be
// stored is kept encrypted with its reason after its last attempt, so it never blocks the ones
// after it, and nothing of it is lost. A message parked as too large also leaves a stub on its
// ticket (oversize-stub.ts), written in the parking transaction: made of its header block whether
// its bytes were downloaded or only its headers were fetched.
import { seal } from '../crypto/index.js';
import { isAppError } from '../errors.js';
import type { Logger } from '../lib/logger.js';
import { type Db, type Executor, isConnectionError } from '../store/db.js';
import { insertEvent } from '../store/event-store.js';
import {
  assertTakesMail,
  ingestOpening,
  type IngestOpeningRow,
  lockMailboxForIngest,
} from '../store/inbound-store.js';
import { parkMessage, recordFailure } from '../store/ingest-failure-store.js';
import { setMailboxCursor } from '../store/mailbox-store.js';
import { findDelivery, insertDelivery } from '../store/message-store.js';
import type { KeyService } from '../tenancy/key-service.js';
import type { IngestInput, IngestOutcome, PageItem } from './ingest-types.js';
import { type ListedFacts, oversizeStubRaw, unfetchedStubRaw } from './oversize-stub.js';
import { prepareMessage } from './prepare.js';
import { trustNothing } from './stages/sender-auth.js';
import { storePage, type TrustFor } from './store-page.js';
import type { IngestLimits } from './types.js';

/** A message to park: its bytes when they were downloaded; for one never downloaded (over the size
 *  limit by the provider's count), what its stub is made of instead. */
export type ParkInput = Omit<IngestInput, 'raw'> & { raw?: Buffer; unfetched?: UnfetchedStub };

export interface UnfetchedStub {
  /** The provider's header-only fetch; null when it had none (no such method, or it failed). */
  header: Buffer | null;
  listed: ListedFacts;
  /** The original's size when the provider told it. */
  size: number | null;
}

export interface Parking {
  /**
   * Nothing lost: the message is kept encrypted with its reason, and the cursor moves past it. A
   * message never fetched (over the size limit by the provider's count) has no raw to keep.
   */
  park(input: ParkInput, reason: string): Promise<IngestOutcome>;
  /** Counts a failed attempt; after maxAttempts the message is parked so later ones are not blocked. */
  failed(input: IngestInput, err: unknown, code: string): Promise<IngestOutcome>;
}

export function makeParking(deps: {
  db: Db;
  keys: KeyService;
  logger: Logger;
  maxAttempts: number;
  /** With limits, a message parked as too large whose bytes are here leaves a stub on a ticket. */
  limits?: IngestLimits;
  trustFor?: TrustFor;
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

  /** The stub of a too-large message, prepared before the transaction; null when none is made. */
  async function stubOf(input: ParkInput, reason: string): Promise<PageItem | null> {
    if (reason !== 'message_too_large' || !deps.limits) return null;
    const limits = deps.limits;
    const { unfetched: u, ...stored } = input;
    const attempt = async (raw: Buffer, bytes: number | null): Promise<PageItem | null> => {
      try {
        // The stub is bounded by stubHeaderBytes, not by the limit its original broke: a limit set
        // below a long header block must not refuse the stub that stands in for the message.
        const prepared = await prepareMessage(raw, {
          ...limits,
          maxMessageBytes: Math.max(limits.maxMessageBytes, raw.length),
        });
        prepared.warnings.push('message_too_large');
        if (bytes !== null) prepared.headers.oversize = { bytes };
        return { input: { ...stored, raw }, prepared, scans: [] };
      } catch (err) {
        // A header block the parser refuses: the message is still parked, as before stubs existed.
        deps.logger.warn({ err, mailbox: input.mailboxId }, 'no stub for an oversized message');
        return null;
      }
    };
    if (input.raw !== undefined) return attempt(oversizeStubRaw(input.raw), input.raw.length);
    if (!u) return null;
    // The fetched header block first; refused, the stub of what the listing knew.
    return (
      (u.header && (await attempt(unfetchedStubRaw(u.header, u.listed), u.size))) ||
      attempt(unfetchedStubRaw(null, u.listed), u.size)
    );
  }

  async function park(input: ParkInput, reason: string): Promise<IngestOutcome> {
    const stub = await stubOf(input, reason);
    const opening = ingestOpening(input.tenantId, input.mailboxId);
    const replay = await db.tenantTxOpening<IngestOpeningRow, IngestOutcome | null>(
      input.tenantId,
      opening,
      async (ex, opened) => {
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
        // The stub records the delivery (pointing at itself) and moves the cursor, as any message.
        const stored = stub
          ? (
              await storePage(
                keys,
                ex,
                input.tenantId,
                input.mailboxId,
                [stub],
                input.cursor,
                opened,
                deps.trustFor ?? (() => trustNothing),
              )
            )[0]
          : undefined;
        if (stored?.status !== 'stored') {
          if (!stored)
            await insertDelivery(ex, {
              tenantId: input.tenantId,
              mailboxId: input.mailboxId,
              providerMessageId: input.providerMessageId,
              messageId: null,
              outcome: 'parked',
            });
          if (input.cursor !== undefined)
            await setMailboxCursor(ex, input.tenantId, input.mailboxId, input.cursor);
        }
        await insertEvent(ex, input.tenantId, 'message.parked', input.mailboxId, {
          reason,
          ...(input.raw
            ? { size: input.raw.length }
            : typeof input.unfetched?.size === 'number'
              ? { size: input.unfetched.size }
              : {}),
          ...(stored?.status === 'stored'
            ? { message_id: stored.messageId, ticket_id: stored.ticketId }
            : {}),
        });
        return null;
      },
    );
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
