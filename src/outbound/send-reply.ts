// The send job: hands one outbox row's stored MIME to the mailbox's provider, at most once.
//   * 'sending' is committed before the provider is called, and `transmit_started_at` just before the
//     message's bytes leave (the provider calls onTransmit after SMTP DATA is accepted, before the
//     HTTP send). A job that starts and finds 'sending' asks the provider whether our signed
//     Message-ID is in Sent and, if so, only records it. Not in Sent and never transmitted: nothing
//     left, send. Not in Sent but transmitted: only a provider whose Sent copy is part of the send
//     (Gmail) proves it did not leave; elsewhere (SMTP then our APPEND, Graph's queued sendMail) the
//     reply ends 'failed' with reason delivery_unknown and an event — never a second copy to the
//     customer. The agent decides whether to send again.
//   * A transient failure leaves 'sending' (the outcome is unknown) and is retried by graphile-worker
//     with exponential backoff; the last attempt, a permanent refusal or a revoked grant ends in
//     'failed'. A disconnected mailbox (key destroyed) ends in 'cancelled' and nothing is sent, or in
//     'failed' / delivery_unknown when an earlier attempt transmitted (it may have arrived, and the
//     mailbox can no longer be asked). A disconnect while the bytes are in flight leaves the outcome
//     to this job (outbox-store cancelPendingForMailbox), so the reply gets one final state.
// No database transaction is held open while the provider works.
import { open, openText } from '../crypto/index.js';
import { isAppError } from '../errors.js';
import type { Logger } from '../lib/logger.js';
import type { MailProvider } from '../providers/mail-provider.js';
import { type CredentialsPurpose, providerForMailbox } from '../providers/open-mailbox.js';
import { notDelivered, toProviderError } from '../providers/provider-errors.js';
import { capabilitiesOf } from '../providers/registry.js';
import type { Db, Executor } from '../store/db.js';
import { findMailbox } from '../store/mailbox-store.js';
import { findStoredRaw, readRawWhole } from '../store/raw-store.js';
import type { KeyService } from '../tenancy/key-service.js';
import {
  findOutbox,
  insertOutboundEvent,
  markFinal,
  markSending,
  markSent,
  markTransmitting,
  outboxAad,
  type OutboxRow,
  recordRetry,
  ticketThreadId,
} from './outbox-store.js';

export interface SendJobDeps {
  db: Db;
  keys: KeyService;
  logger: Logger;
  /** Defaults to providers/open-mailbox's providerForMailbox. */
  providerFor?: (
    ex: Executor,
    keys: KeyService,
    tenantId: string,
    mailboxId: string,
    purpose: CredentialsPurpose,
  ) => Promise<MailProvider>;
}

export interface SendJobPayload {
  tenantId: string;
  outboxId: string;
}

/** graphile-worker's job.attempts (already counting this run) and job.max_attempts. */
export interface JobAttempt {
  attempt: number;
  maxAttempts: number;
}

export type SendOutcome = 'sent' | 'found_in_sent' | 'failed' | 'cancelled' | 'nothing_to_do';

type Prepared =
  | { kind: 'stop'; outcome: SendOutcome }
  | {
      kind: 'final';
      row: OutboxRow;
      state: 'failed' | 'cancelled';
      reason: string;
      errorClass: string | null;
    }
  | {
      kind: 'send';
      row: OutboxRow;
      mime: Buffer;
      rfcId: string;
      threadId: string | null;
      uncertain: boolean;
      /** A previous attempt passed the point of no return without recording its outcome. */
      transmitted: boolean;
      provider: MailProvider;
    };

const finalStates = new Set(['sent', 'failed', 'cancelled', 'bounced']);

/** The mailbox is gone: nothing more leaves. An attempt that transmitted may still have arrived
 *  (a job that died in flight, or a retry planned after the disconnect passed). */
function disconnected(row: OutboxRow): Prepared {
  const transmitted = row.state === 'sending' && row.transmit_started_at !== null;
  return transmitted
    ? { kind: 'final', row, state: 'failed', reason: 'delivery_unknown', errorClass: null }
    : { kind: 'final', row, state: 'cancelled', reason: 'mailbox_disconnected', errorClass: null };
}

/** Throws (so graphile-worker retries) only when a retry is planned; every final outcome returns. */
export async function sendReply(
  deps: SendJobDeps,
  payload: SendJobPayload,
  at: JobAttempt,
): Promise<SendOutcome> {
  const { db, keys } = deps;
  const { tenantId, outboxId } = payload;
  const providerFor =
    deps.providerFor ?? ((ex, k, t, m, purpose) => providerForMailbox(ex, k, t, m, purpose));
  const log = deps.logger.child({ component: 'send', outbox: outboxId, attempt: at.attempt });

  const finish = async (
    row: OutboxRow,
    state: 'failed' | 'cancelled',
    reason: string,
    errorClass: string | null,
  ): Promise<SendOutcome> => {
    await db.tenantTx(tenantId, async (ex) => {
      await markFinal(ex, tenantId, row.id, state, reason, errorClass);
      await insertOutboundEvent(
        ex,
        tenantId,
        state === 'failed' ? 'reply.failed' : 'reply.cancelled',
        row.message_id,
        { ticket_id: row.ticket_id, reason },
      );
    });
    log.warn(
      { reason, errorClass },
      state === 'failed' ? 'reply send failed' : 'reply send cancelled',
    );
    return state;
  };

  const recordSent = async (
    row: OutboxRow,
    outcome: 'sent' | 'found_in_sent',
  ): Promise<SendOutcome> => {
    await db.tenantTx(tenantId, async (ex) => {
      await markSent(ex, tenantId, row.id, row.message_id);
      await insertOutboundEvent(ex, tenantId, 'reply.sent', row.message_id, {
        ticket_id: row.ticket_id,
        attempts: row.attempts + 1,
      });
    });
    log.info({ outcome }, 'reply sent');
    return outcome;
  };

  const prepared = await db.tenantTx(tenantId, async (ex): Promise<Prepared> => {
    const row = await findOutbox(ex, tenantId, outboxId, { lock: true });
    // Gone with its purged mailbox, or finished by an earlier run; a reply cancelled by the
    // mailbox's disconnect (outbox-store cancelPendingForMailbox) reports that it was cancelled.
    if (!row || finalStates.has(row.state))
      return { kind: 'stop', outcome: row?.state === 'cancelled' ? 'cancelled' : 'nothing_to_do' };
    const mailbox = await findMailbox(ex, tenantId, row.mailbox_id);
    if (!mailbox || mailbox.status === 'disconnecting' || mailbox.status === 'disconnected')
      return disconnected(row);
    if (mailbox.status === 'reauth_required')
      return {
        kind: 'final',
        row,
        state: 'failed',
        reason: 'mailbox_reauth_required',
        errorClass: 'provider_auth_revoked',
      };
    // The user took the send scope away after this reply was queued: the provider would refuse it.
    if (!mailbox.send_granted)
      return {
        kind: 'final',
        row,
        state: 'failed',
        reason: 'mailbox_send_not_granted',
        errorClass: null,
      };
    let provider: MailProvider;
    let dek;
    try {
      dek = await keys.mailboxKey(ex, tenantId, row.mailbox_id);
      provider = await providerFor(ex, keys, tenantId, row.mailbox_id, 'send');
    } catch (err) {
      if (isAppError(err) && err.code === 'mailbox_data_destroyed') return disconnected(row);
      if (isAppError(err) && err.code === 'mailbox_cannot_send')
        return {
          kind: 'final',
          row,
          state: 'failed',
          reason: 'mailbox_cannot_send',
          errorClass: null,
        };
      throw err;
    }
    const stored = await findStoredRaw(ex, tenantId, row.message_id);
    if (!stored || stored.kind === 'none') {
      await provider.close();
      return { kind: 'final', row, state: 'failed', reason: 'message_missing', errorClass: null };
    }
    // Replies queued before migration 0009 hold their MIME whole in raw_ct.
    const mime =
      stored.kind === 'chunks'
        ? await readRawWhole(ex, dek, stored.ref)
        : open(dek, stored.ct, stored.aad);
    const rfcId = openText(dek, row.rfc_message_id_ct, outboxAad(tenantId, row.mailbox_id, row.id));
    await markSending(ex, tenantId, row.id);
    const threadId = await ticketThreadId(ex, tenantId, row.ticket_id, row.mailbox_id);
    return {
      kind: 'send',
      row,
      mime,
      rfcId,
      threadId,
      uncertain: row.state === 'sending',
      transmitted: row.state === 'sending' && row.transmit_started_at !== null,
      provider,
    };
  });

  if (prepared.kind === 'stop') return prepared.outcome;
  if (prepared.kind === 'final')
    return finish(prepared.row, prepared.state, prepared.reason, prepared.errorClass);

  const { row, provider } = prepared;
  const sentProvesAbsence = capabilitiesOf(provider.kind).sentCopyIsAtomic;
  let transmitting = false;
  let endedByDisconnect = false;
  const onTransmit = async () => {
    if (!(await db.tenantTx(tenantId, (ex) => markTransmitting(ex, tenantId, row.id)))) {
      endedByDisconnect = true;
      throw new Error('reply ended by a disconnect before transmission');
    }
    transmitting = true;
  };
  try {
    if (prepared.uncertain && (await provider.findSentByMessageId(prepared.rfcId))) {
      await provider.close();
      return await recordSent(row, 'found_in_sent');
    }
    if (prepared.transmitted && !sentProvesAbsence) {
      await provider.close();
      return await finish(row, 'failed', 'delivery_unknown', null);
    }
    await provider.send(prepared.mime, {
      messageId: prepared.rfcId,
      threadId: prepared.threadId,
      onTransmit,
    });
  } catch (err) {
    await provider.close().catch(() => undefined);
    // The disconnect already recorded the reply's end (and its event); no byte left this time.
    if (endedByDisconnect) {
      const ended = await db.tenantTx(tenantId, (ex) => findOutbox(ex, tenantId, row.id));
      log.warn(
        { reason: ended?.failure_reason },
        'reply ended by a disconnect before transmission',
      );
      return ended?.state === 'failed' ? 'failed' : 'cancelled';
    }
    const pe = toProviderError(err, 'reply send');
    // Transmitted and no refusal heard (connection lost after the bytes left): whether it arrived is
    // unknown. Where Sent cannot prove the negative, stop here rather than risk a second copy.
    if (transmitting && !notDelivered(err) && !sentProvesAbsence)
      return finish(row, 'failed', 'delivery_unknown', pe.code);
    if (pe.kind === 'permanent') return finish(row, 'failed', 'rejected_by_provider', pe.code);
    if (pe.kind === 'auth_revoked') return finish(row, 'failed', 'mailbox_auth_revoked', pe.code);
    if (at.attempt >= at.maxAttempts) return finish(row, 'failed', 'attempts_exhausted', pe.code);
    // graphile-worker's backoff: exp(min(attempts, 10)) seconds.
    const next = new Date(
      Date.now() + Math.max(pe.retryAfterMs ?? 0, Math.exp(Math.min(at.attempt, 10)) * 1000),
    );
    const refused = transmitting && notDelivered(err);
    await db.tenantTx(tenantId, (ex) => recordRetry(ex, tenantId, row.id, pe.code, next, refused));
    log.warn({ errorClass: pe.code }, 'reply send will be retried');
    throw pe;
  }
  await provider.close().catch(() => undefined);
  return recordSent(row, 'sent');
}
