// Tickets as the helpdesk reads them. Every read of content is audited in its own transaction;
// attachments are served only after ClamAV said clean.
import { emailBlindIndex } from '../crypto/index.js';
import { AppError, notFound } from '../errors.js';
import { listReplyStates, listTicketOutbox } from '../outbound/outbox-store.js';
import { listMessageAttachments } from '../store/attachment-store.js';
import type { Db, Executor } from '../store/db.js';
import { insertEvent } from '../store/event-store.js';
import {
  findTicket,
  findTicketForRead,
  joinedKeyRow,
  type ListedTicket,
  listTickets,
  setTicketStatus,
  type TicketReview,
} from '../store/ticket-store.js';
import type { Actor } from '../tenancy/actor.js';
import { audit } from '../tenancy/audit.js';
import type { KeyService } from '../tenancy/key-service.js';
import type { TicketStatus } from '../tickets/ticket-status.js';
import { makeTicketContent, type TicketContent } from './ticket-content.js';
import {
  applyReplyStates,
  attachmentView,
  detailFormat,
  headersInOrder,
  type MessageView,
  messageView,
  participantsOfHeaders,
  type ReplyState,
  replyState,
  type TicketDetail,
  type TicketSummary,
  ticketSummary,
} from './ticket-views.js';

/** One lookup per key within a request (a ticket's messages mostly share one mailbox). */
function memo<T, A>(
  fn: (k: string, arg?: A) => Promise<T>,
): ((k: string, arg?: A) => Promise<T>) & { prime(k: string, v: Promise<T>): void } {
  const seen = new Map<string, Promise<T>>();
  const get = (k: string, arg?: A) => {
    let v = seen.get(k);
    if (!v) seen.set(k, (v = fn(k, arg)));
    return v;
  };
  return Object.assign(get, { prime: (k: string, v: Promise<T>) => void seen.set(k, v) });
}

export interface TicketListInput {
  status?: TicketStatus;
  mailboxId?: string;
  requester?: string;
  updatedSince?: string;
  updatedAfter?: string;
  review?: TicketReview;
  cursor?: string;
  limit: number;
}

export interface TicketDetailInput {
  /** Messages per page (the newest page first). */
  messagesLimit: number;
  /** `older_messages_cursor` of the previous page. */
  messagesBefore?: string;
  /** Include each message's sanitised HTML (the largest part of a response). */
  html: boolean;
  /** The entity tags of an If-None-Match header, unquoted (`*`: any). */
  ifNoneMatch?: string[];
}

/** A ticket's entity tag, and its detail unless the tag was one of `ifNoneMatch` (then null). */
export interface TicketRead {
  etag: string;
  detail: TicketDetail | null;
}

export interface TicketService extends TicketContent {
  list(
    actor: Actor,
    q: TicketListInput,
  ): Promise<{ items: TicketSummary[]; nextCursor: string | null }>;
  get(actor: Actor, id: string, q?: TicketDetailInput): Promise<TicketRead>;
  /** The agent replies of a ticket with their delivery state. */
  replies(actor: Actor, id: string): Promise<ReplyState[]>;
  setStatus(actor: Actor, id: string, status: TicketStatus): Promise<TicketSummary>;
}

// The cursor keeps the stored updated_at to the microsecond (as PostgreSQL printed it) and the id.
function encodeCursor(updatedAtExact: string, id: string): string {
  return Buffer.from(`u:${updatedAtExact}|${id}`).toString('base64url');
}
function decodeCursor(c: string): { updatedAt: string; id: string } {
  const m = /^u:(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z)\|([0-9a-f-]{36})$/.exec(
    Buffer.from(c, 'base64url').toString('utf8'),
  );
  if (!m || Number.isNaN(new Date(m[1]!).getTime()))
    throw new AppError('validation_failed', 'Invalid cursor.');
  return { updatedAt: m[1]!, id: m[2]! };
}
const defaultDetail: TicketDetailInput = { messagesLimit: 20, html: true };

export function makeTicketService(deps: { db: Db; keys: KeyService }): TicketService {
  const { db, keys } = deps;
  const mailboxKey = (ex: Executor, actor: Actor, mailboxId: string) =>
    keys.mailboxKey(ex, actor.tenantId, mailboxId);

  async function loadTicket(ex: Executor, actor: Actor, id: string) {
    const row = await findTicket(ex, actor.tenantId, id);
    if (!row) throw notFound('ticket');
    return row;
  }

  return {
    ...makeTicketContent(deps),
    list: (actor, q) =>
      db.tenantTx(actor.tenantId, async (ex) => {
        const requesterBidx = q.requester
          ? emailBlindIndex((await keys.tenantKey(ex, actor.tenantId, 'index')).key, q.requester)
          : undefined;
        // Each row carries its mailbox's key row: one statement for the page, its keys and the
        // audit record (rolled back with the rest if a ticket cannot be opened).
        const rows = await listTickets(
          ex,
          {
            tenantId: actor.tenantId,
            status: q.status,
            mailboxId: q.mailboxId,
            requesterBidx,
            updatedSince: q.updatedSince,
            updatedAfter: q.updatedAfter,
            review: q.review,
            after: q.cursor ? decodeCursor(q.cursor) : undefined,
            limit: q.limit + 1,
          },
          { actor: actor.name, requestId: actor.requestId, clientIp: actor.clientIp },
        );
        const page = rows.slice(0, q.limit);
        const keyOf = memo((_mailboxId: string, row?: ListedTicket) =>
          keys.unwrap(joinedKeyRow(row!), 'mailbox'),
        );
        const items: TicketSummary[] = [];
        for (const r of page)
          items.push(ticketSummary(r, await keyOf(r.mailbox_id, r), r.message_count));
        const last = page.at(-1);
        return {
          items,
          nextCursor:
            rows.length > q.limit && last ? encodeCursor(last.updated_at_exact, last.id) : null,
        };
      }),

    get: (actor, id, q = defaultDetail) =>
      db.tenantTx(actor.tenantId, async (ex) => {
        if (q.messagesBefore !== undefined && !/^\d{1,19}$/.test(q.messagesBefore))
          throw new AppError('validation_failed', 'Invalid messages cursor.');
        // Round trips: the ticket with its count, its mailbox's key row, its entity tag, the audit
        // record and (unless the client's tag is current) its page of messages with the other
        // messages' headers (who took part), in one; then attachments only for messages that have
        // some; reply states only when the page has replies.
        const read = await findTicketForRead(
          ex,
          actor.tenantId,
          id,
          {
            beforeSeq: q.messagesBefore ?? null,
            limit: q.messagesLimit,
            html: q.html,
            representation: `${detailFormat}|${q.messagesLimit}|${q.messagesBefore ?? ''}|${q.html}`,
          },
          { actor: actor.name, requestId: actor.requestId, clientIp: actor.clientIp },
          q.ifNoneMatch,
        );
        if (!read) throw notFound('ticket');
        const { ticket, page: rows, others } = read;
        const keyOf = memo((mailboxId: string) => mailboxKey(ex, actor, mailboxId));
        keyOf.prime(ticket.mailbox_id, keys.unwrap(joinedKeyRow(ticket), 'mailbox'));
        // The ticket's own key first: a disconnected mailbox answers 410 before anything else,
        // a 304 included.
        const ticketKey = await keyOf(ticket.mailbox_id);
        // Unchanged since the client's copy: nothing is loaded or opened.
        if (ticket.not_modified) return { etag: ticket.etag, detail: null };
        const page = rows.slice(0, q.messagesLimit).reverse();
        const withAttachments = page.filter((r) => r.has_attachments).map((r) => r.id);
        const attachments = withAttachments.length
          ? await listMessageAttachments(ex, actor.tenantId, withAttachments)
          : [];
        const byMessage = new Map<string, typeof attachments>();
        for (const a of attachments) {
          const list = byMessage.get(a.message_id);
          if (list) list.push(a);
          else byMessage.set(a.message_id, [a]);
        }
        const messages: MessageView[] = [];
        for (const m of page) {
          const dek = await keyOf(m.mailbox_id);
          messages.push(
            messageView(
              m,
              dek,
              (byMessage.get(m.id) ?? []).map((a) => attachmentView(a, dek)),
            ),
          );
        }
        const outbound = page.filter((r) => r.direction === 'outbound').map((r) => r.id);
        if (outbound.length > 0)
          applyReplyStates(messages, await listReplyStates(ex, actor.tenantId, outbound));
        // Who took part: the page's headers are open already; the rest (older or newer messages,
        // and the one read beyond the page) are opened for this alone. In arrival order.
        const whole = q.messagesBefore === undefined && rows.length === page.length;
        const participants = participantsOfHeaders(
          whole
            ? messages.map((m) => m.headers)
            : await headersInOrder(
                page.map((m, i) => ({ seq: m.seq, headers: messages[i]!.headers })),
                [...rows.slice(q.messagesLimit), ...others],
                keyOf,
              ),
        );
        return {
          etag: ticket.etag,
          detail: {
            ...ticketSummary(ticket, ticketKey, whole ? page.length : ticket.message_count),
            participants,
            messages,
            older_messages_cursor: rows.length > q.messagesLimit ? page[0]!.seq : null,
          },
        };
      }),

    replies: (actor, id) =>
      db.tenantTx(actor.tenantId, async (ex) => {
        await loadTicket(ex, actor, id);
        const rows = await listTicketOutbox(ex, actor.tenantId, id);
        const out: ReplyState[] = [];
        for (const r of rows) out.push(replyState(r, await mailboxKey(ex, actor, r.mailbox_id)));
        return out;
      }),

    setStatus: (actor, id, status) =>
      db.tenantTx(actor.tenantId, async (ex) => {
        const row = await setTicketStatus(ex, actor.tenantId, id, status);
        if (!row) throw notFound('ticket');
        await audit(ex, actor, 'ticket.update', 'ticket', id, { status });
        await insertEvent(ex, actor.tenantId, 'ticket.updated', id, { change: 'status', status });
        const { rows } = await ex.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM messages WHERE tenant_id = $1 AND ticket_id = $2',
          [actor.tenantId, id],
        );
        return ticketSummary(row, await mailboxKey(ex, actor, row.mailbox_id), rows[0]!.n);
      }),
  };
}
