// Disconnecting a mailbox (docs/security-controls.md#promises), in the order of the flow: stop push, revoke the grant,
// destroy the data key, schedule the purge; the deletion receipt records each step.
//
//   1. begin (one transaction): status 'disconnecting' — sync, IDLE and sends stop at once —, the
//      receipt, pending replies cancelled, the audit record, and the purge job queued a few minutes
//      out as a watchdog: if this process dies before step 3, the job finishes the disconnect.
//   2. provider (no transaction held): stop push and revoke the grant, each bounded by a timeout.
//      The grant's refresh token is sealed under the mailbox key, so this must happen before the key
//      goes. Best effort: a failure (Google down) is recorded in the receipt and never blocks step 3.
//   3. shred (one transaction, mailbox row locked): tickets that also hold messages of other, still
//      connected mailboxes move to one of them (header re-derived from that mailbox's own message,
//      src/tickets-api/ticket-header.ts), the key is destroyed, the row becomes a tombstone
//      (no ciphertext, no blind index), the outcomes go into the receipt and the purge job is moved
//      to its deadline. Whoever gets here first (request or watchdog) does it; the other finds it done.
import { addJob } from '../jobs/registry.js';
import type { Logger } from '../lib/logger.js';
import { cancelPendingForMailbox } from '../outbound/outbox-store.js';
import type { MailProvider, PushChannel } from '../providers/mail-provider.js';
import type { CredentialsPurpose } from '../providers/open-mailbox.js';
import type { ProviderKind } from '../providers/provider-kind.js';
import { capabilitiesOf } from '../providers/registry.js';
import type { Db, Executor } from '../store/db.js';
import * as receipts from '../store/deletion-store.js';
import { insertEvent } from '../store/event-store.js';
import type { MailboxRow } from '../store/mailbox-store.js';
import * as purge from '../store/purge-store.js';
import type { Actor } from '../tenancy/actor.js';
import { audit } from '../tenancy/audit.js';
import type { KeyService } from '../tenancy/key-service.js';
import { rehomeSharedTickets } from '../tickets-api/ticket-header.js';
import { startDisconnecting, tombstone } from './status.js';

export interface DisconnectDeps {
  db: Db;
  keys: KeyService;
  logger: Logger;
  providerFor(
    ex: Executor,
    keys: KeyService,
    tenantId: string,
    mailboxId: string,
    purpose: CredentialsPurpose,
  ): Promise<MailProvider>;
  /** MAILBOX_PURGE_DELAY_HOURS in ms. */
  purgeDelayMs: number;
  /** Bound on each provider call (stop, revoke); default 10 s. */
  providerTimeoutMs?: number;
}

export const purgeJobKey = (mailboxId: string) => `purge:${mailboxId}`;

/** When the watchdog run of the purge job looks for a disconnect its request did not finish. */
const watchdogMs = 5 * 60_000;

export async function enqueuePurge(
  ex: Executor,
  tenantId: string,
  mailboxId: string,
  runAt: Date,
): Promise<void> {
  await addJob(
    ex,
    'mailbox.purge',
    { tenantId, mailboxId },
    { key: purgeJobKey(mailboxId), runAt, maxAttempts: 25 },
  );
}

/** Step 1, in the caller's transaction with the mailbox row locked. Nothing to do once disconnected. */
export async function beginDisconnect(
  deps: DisconnectDeps,
  ex: Executor,
  actor: Actor,
  row: MailboxRow,
): Promise<void> {
  if (row.status === 'disconnected') return;
  const purgeAfter = new Date(Date.now() + deps.purgeDelayMs);
  const receipt = await receipts.insertReceipt(ex, {
    tenantId: row.tenant_id,
    mailboxId: row.id,
    provider: row.provider,
    requestedBy: actor.name,
    purgeAfter,
  });
  await startDisconnecting(ex, row.tenant_id, row.id);
  const replies = await cancelPendingForMailbox(ex, row.tenant_id, row.id);
  const watchdog = new Date(Math.min(receipt.purge_after.getTime(), Date.now() + watchdogMs));
  await enqueuePurge(ex, row.tenant_id, row.id, watchdog);
  if (row.status !== 'disconnecting') {
    await audit(ex, actor, 'mailbox.disconnect', 'mailbox', row.id, {
      provider: row.provider,
      replies_cancelled: replies.cancelled,
      replies_delivery_unknown: replies.deliveryUnknown,
      purge_after: receipt.purge_after.toISOString(),
    });
    await insertEvent(ex, row.tenant_id, 'mailbox.disconnected', row.id, {
      provider: row.provider,
      purge_after: receipt.purge_after.toISOString(),
    });
  }
}

interface ProviderOutcome {
  push: receipts.PushStop;
  pushError: string | null;
  grant: receipts.GrantRevoke;
  grantError: string | null;
}

const errorClass = (err: unknown): string => {
  if (err instanceof TimeoutError) return 'timeout';
  const kind =
    (err as { kind?: unknown; code?: unknown } | null)?.kind ??
    (err as { code?: unknown } | null)?.code;
  return typeof kind === 'string' && /^[a-z_]{1,40}$/.test(kind) ? kind : 'error';
};

class TimeoutError extends Error {}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError('provider call timed out')), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Step 2: stop push, then revoke (revoking first would leave no token to stop the watch with). */
export async function providerSide(
  deps: DisconnectDeps,
  tenantId: string,
  mailboxId: string,
): Promise<ProviderOutcome> {
  const log = deps.logger.child({ component: 'disconnect', mailbox: mailboxId });
  const ms = deps.providerTimeoutMs ?? 10_000;
  const out: ProviderOutcome = {
    push: 'not_applicable',
    pushError: null,
    grant: 'not_applicable',
    grantError: null,
  };
  let provider: MailProvider;
  let channel: PushChannel | null;
  try {
    const opened = await deps.db.tenantTx(tenantId, async (ex) => {
      const { rows } = await ex.query<{ provider: ProviderKind; push_channel: PushChannel | null }>(
        'SELECT provider, push_channel FROM mailboxes WHERE tenant_id = $1 AND id = $2',
        [tenantId, mailboxId],
      );
      if (!rows[0] || !capabilitiesOf(rows[0].provider).canSend) return null;
      return {
        provider: await deps.providerFor(ex, deps.keys, tenantId, mailboxId, 'revoke'),
        channel: rows[0].push_channel,
      };
    });
    if (!opened) return out; // import-only mailbox: nothing at a provider
    provider = opened.provider;
    channel = opened.channel;
  } catch (err) {
    // Credentials unreadable or the provider not configured here: nothing can be stopped or revoked.
    log.warn(
      { errorClass: errorClass(err) },
      'disconnect: provider could not be opened; push stop and revoke not possible',
    );
    return {
      push: 'failed',
      pushError: errorClass(err),
      grant: 'failed',
      grantError: errorClass(err),
    };
  }
  try {
    if (provider.pushMode === 'channel' && provider.stopPush) {
      try {
        await withTimeout(
          provider.stopPush(
            channel ?? {
              provider: provider.kind,
              id: 'unknown',
              expiresAt: new Date(0).toISOString(),
              data: {},
            },
          ),
          ms,
        );
        out.push = 'stopped';
      } catch (err) {
        out.push = 'failed';
        out.pushError = errorClass(err);
      }
    }
    if (provider.revoke) {
      try {
        out.grant =
          (await withTimeout(provider.revoke(), ms)) === 'not_revocable'
            ? 'not_revocable'
            : 'revoked';
      } catch (err) {
        out.grant = 'failed';
        out.grantError = errorClass(err);
      }
    }
  } finally {
    await provider.close().catch(() => undefined);
  }
  if (out.push === 'failed' || out.grant === 'failed')
    log.warn(
      { push: out.push, pushError: out.pushError, grant: out.grant, grantError: out.grantError },
      'disconnect: provider side incomplete (recorded in the deletion receipt)',
    );
  return out;
}

/** Step 3. Returns false when another run had already done it. */
export async function shred(
  deps: DisconnectDeps,
  tenantId: string,
  mailboxId: string,
  outcome: ProviderOutcome,
): Promise<boolean> {
  return deps.db.tenantTx(tenantId, async (ex) => {
    const { rows } = await ex.query<{ status: string }>(
      'SELECT status FROM mailboxes WHERE tenant_id = $1 AND id = $2 FOR UPDATE',
      [tenantId, mailboxId],
    );
    if (rows[0]?.status !== 'disconnecting') return false;
    // Other mailboxes' messages threaded into this mailbox's tickets stay: those tickets move to them.
    const moved = await rehomeSharedTickets(ex, deps.keys, tenantId, mailboxId);
    if (moved.length > 0) {
      await receipts.addPurged(
        ex,
        tenantId,
        mailboxId,
        await purge.purgeMailboxMessagesIn(ex, tenantId, mailboxId, moved),
      );
      deps.logger.info(
        { mailbox: mailboxId, tickets: moved.length },
        'disconnect: tickets shared with other mailboxes moved to them',
      );
    }
    await deps.keys.destroyMailboxKey(ex, tenantId, mailboxId);
    await tombstone(ex, tenantId, mailboxId);
    // Replies created while step 2 ran.
    await cancelPendingForMailbox(ex, tenantId, mailboxId);
    await receipts.recordShredded(ex, tenantId, mailboxId, outcome);
    const receipt = await receipts.findReceipt(ex, tenantId, mailboxId);
    if (receipt) await enqueuePurge(ex, tenantId, mailboxId, receipt.purge_after);
    return true;
  });
}

/** Steps 2 and 3 for a mailbox in 'disconnecting' (the request, or the watchdog after a crash). */
export async function finishDisconnect(
  deps: DisconnectDeps,
  tenantId: string,
  mailboxId: string,
): Promise<void> {
  const outcome = await providerSide(deps, tenantId, mailboxId);
  await shred(deps, tenantId, mailboxId, outcome);
}
