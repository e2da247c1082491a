// The reply API's service: an agent's reply becomes an outbound `messages` row (MIME composed now, so
// what is stored is exactly what will be sent), an outbox row and the send job — in ONE transaction.
// The Idempotency-Key makes a retried request return the first reply instead of writing a second; the
// unique index decides when two identical requests race.
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { domainToASCII } from 'node:url';

import {
  emailBlindIndex,
  fieldAad,
  makeOutboundMessageId,
  messageIdBlindIndex,
  openText,
  seal,
  type SealedField,
} from '../crypto/index.js';
import { AppError } from '../errors.js';
import type { StoredHeaders } from '../ingest/prepare.js';
import { htmlToText } from '../ingest/stages/html-to-text.js';
import { sanitizeEmailHtml } from '../ingest/stages/sanitize-html.js';
import { addJob } from '../jobs/registry.js';
import type { Db, Executor } from '../store/db.js';
import { insertMessage } from '../store/message-store.js';
import { rawLayout, storeRaw } from '../store/raw-store.js';
import { addParticipants, touchTicket } from '../store/ticket-store.js';
import type { Actor } from '../tenancy/actor.js';
import { audit } from '../tenancy/audit.js';
import type { KeyService } from '../tenancy/key-service.js';
import { composeReply, threadHeaders } from './compose-reply.js';
import {
  findOutboxByKey,
  insertOutbox,
  outboxAad,
  type OutboxRow,
  ticketThreadId,
} from './outbox-store.js';
import { parentHeaders, readReplyContext } from './reply-context.js';
import { readReplyRequest, type ReplyRequest, requestFingerprint } from './reply-input.js';

export interface ReplyView {
  /** The outbound message's id (as in the ticket's messages). */
  id: string;
  ticket_id: string;
  state: OutboxRow['state'];
  /** RFC 5322 Message-ID of the reply, with angle brackets. */
  message_id: string;
  created_at: string;
}

export interface ReplyService {
  /** `replayed` is true when the Idempotency-Key had been used before with the same request. */
  create(
    actor: Actor,
    ticketId: string,
    idempotencyKey: string,
    body: ReplyRequest,
  ): Promise<{ replayed: boolean; reply: ReplyView }>;
}

/** Send-job attempts (graphile-worker backs off exp(attempt) seconds: ~3.6 h between first and last). */
export const sendMaxAttempts = 10;
export const sendJobKey = (outboxId: string) => `reply:${outboxId}`;
/** One queue per mailbox: its sends go out one at a time, in order, apart from its sync jobs. */
export const sendQueue = (mailboxId: string) => `send:${mailboxId}`;

/** The send job of one outbox row (also re-queued by stalled-replies.ts when its job was lost). */
export function enqueueSend(
  ex: Executor,
  tenantId: string,
  outboxId: string,
  mailboxId: string,
): Promise<void> {
  return addJob(
    ex,
    'reply.send',
    { tenantId, outboxId },
    {
      key: sendJobKey(outboxId),
      queue: sendQueue(mailboxId),
      maxAttempts: sendMaxAttempts,
      mailboxId, // run where the mailbox's IMAP session is (sync/lease-routing.ts)
    },
  );
}

const aad = fieldAad;

export function makeReplyService(deps: {
  db: Db;
  keys: KeyService;
  clock?: () => Date;
}): ReplyService {
  const { db, keys } = deps;
  const now = deps.clock ?? (() => new Date());

  async function replay(
    ex: Executor,
    actor: Actor,
    existing: OutboxRow,
    fingerprint: Buffer,
  ): Promise<ReplyView> {
    if (
      existing.request_hash.length !== fingerprint.length ||
      !timingSafeEqual(existing.request_hash, fingerprint)
    ) {
      throw new AppError(
        'idempotency_conflict',
        'This Idempotency-Key was already used for a different reply; use a new key for a new reply.',
      );
    }
    const dek = await keys.mailboxKey(ex, actor.tenantId, existing.mailbox_id);
    await audit(ex, actor, 'reply.create', 'ticket', existing.ticket_id, {
      message_id: existing.message_id,
      replayed: true,
    });
    return view(
      existing,
      openText(
        dek,
        existing.rfc_message_id_ct,
        outboxAad(actor.tenantId, existing.mailbox_id, existing.id),
      ),
    );
  }

  async function write(
    actor: Actor,
    ticketId: string,
    idempotencyKey: string,
    body: ReplyRequest,
  ): Promise<{ replayed: boolean; reply: ReplyView }> {
    const input = readReplyRequest(body);
    const { tenantId } = actor;
    return db.tenantTx(tenantId, async (ex) => {
      const indexKey = (await keys.tenantKey(ex, tenantId, 'index')).key;
      const fingerprint = requestFingerprint(indexKey, ticketId, body);
      const existing = await findOutboxByKey(ex, tenantId, idempotencyKey);
      if (existing)
        return { replayed: true, reply: await replay(ex, actor, existing, fingerprint) };

      const { ticket, mailboxId, dek, signingKey, fromAddress, from, to, subject } =
        await readReplyContext(keys, ex, tenantId, ticketId);

      const outboxId = randomUUID();
      const messageId = randomUUID();
      const domain = domainToASCII(fromAddress.slice(fromAddress.lastIndexOf('@') + 1));
      const rfcId = makeOutboundMessageId(signingKey, tenantId, outboxId, domain);
      const thread = threadHeaders((await parentHeaders(keys, ex, tenantId, ticketId)).headers);
      const date = now();
      const text = input.text ?? htmlToText(input.html!);
      const mime = await composeReply({
        from,
        to,
        cc: input.cc,
        subject,
        messageId: rfcId,
        inReplyTo: thread.inReplyTo,
        references: thread.references,
        date,
        text,
        html: input.html,
        attachments: input.attachments,
        ticketNumber: Number(ticket.number),
      });

      const headers: StoredHeaders = {
        subject,
        from,
        to: [to],
        cc: input.cc,
        reply_to: [],
        date: date.toISOString(),
        message_id: rfcId.slice(1, -1),
        in_reply_to: thread.inReplyTo ? [thread.inReplyTo] : [],
        references: thread.references,
      };
      const s = (field: SealedField, v: string | Buffer) =>
        seal(dek, v, aad(field, tenantId, mailboxId, messageId));
      await insertMessage(ex, {
        id: messageId,
        tenantId,
        ticketId,
        mailboxId,
        direction: 'outbound',
        messageIdBidx: messageIdBlindIndex(indexKey, rfcId),
        providerThreadId: await ticketThreadId(ex, tenantId, ticketId, mailboxId),
        kind: 'agent_reply',
        kindReasons: [],
        threadRule: 'outbound',
        fromBidx: emailBlindIndex(indexKey, fromAddress),
        headersCt: s('messages.headers', JSON.stringify(headers)),
        textCt: s('messages.text', text),
        // Stored as every message's HTML is (sanitised for display); the MIME keeps what was sent.
        htmlCt:
          input.html === null
            ? null
            : s('messages.html', sanitizeEmailHtml(input.html, { cidUrl: () => null }).html),
        replyCt: s('messages.reply', text),
        raw: rawLayout(mime.length),
        warnings: [],
        sentAt: null,
      });
      await storeRaw(ex, dek, [
        { ref: { tenantId, mailboxId, messageId, ...rawLayout(mime.length) }, raw: mime },
      ]);
      const row = await insertOutbox(ex, {
        id: outboxId,
        tenantId,
        ticketId,
        messageId,
        mailboxId,
        idempotencyKey,
        requestHash: fingerprint,
        rfcMessageIdCt: seal(dek, rfcId, outboxAad(tenantId, mailboxId, outboxId)),
      });
      // People the agent copied may answer with the ticket token in the subject (thread rule 3).
      await addParticipants(
        ex,
        tenantId,
        ticketId,
        input.cc.map((a) => emailBlindIndex(indexKey, a.address)),
      );
      await touchTicket(ex, tenantId, ticketId, ticket.status, false);
      await enqueueSend(ex, tenantId, outboxId, mailboxId);
      await audit(ex, actor, 'reply.create', 'ticket', ticketId, {
        message_id: messageId,
        attachments: input.attachments.length,
        cc: input.cc.length,
      });
      return { replayed: false, reply: view(row, rfcId) };
    });
  }

  return {
    async create(actor, ticketId, idempotencyKey, body) {
      try {
        return await write(actor, ticketId, idempotencyKey, body);
      } catch (err) {
        // Two requests with one key at once: the loser's insert hits the unique index after the winner
        // committed; running again finds the winner's row and answers as a replay (or 409).
        if (
          (err as { code?: string; constraint?: string }).code === '23505' &&
          (err as { constraint?: string }).constraint === 'outbox_tenant_id_idempotency_key_key'
        ) {
          return await write(actor, ticketId, idempotencyKey, body);
        }
        throw err;
      }
    },
  };
}

function view(row: OutboxRow, rfcId: string): ReplyView {
  return {
    id: row.message_id,
    ticket_id: row.ticket_id,
    state: row.state,
    message_id: rfcId,
    created_at: row.created_at.toISOString(),
  };
}
